"""The lineage graph: dataset -> job run -> model version -> deployment, and its questions."""
