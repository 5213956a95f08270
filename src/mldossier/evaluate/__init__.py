"""Evaluation: catalogs, the check library and the verdicts they give."""
