"""Helpers of ``scripts/make_demo_evidence.py``: the fictional lender's data, models and records.

Nothing here is part of the mldossier package; it drives the real third-party tools
(MLflow, OpenLineage, Evidently) so that ``evidence/`` holds what they really write.
"""
