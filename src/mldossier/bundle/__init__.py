"""The bundle: staged, written atomically, swapped in whole, hashed into a manifest."""
