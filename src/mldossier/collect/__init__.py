"""Live collection: fetch evidence from a running MLflow server or an Evidently workspace.

It runs before the pipeline, not inside it: it writes an evidence folder that
``validate``, ``check`` and ``build`` then read. Bodies are stored exactly as received, each collection
carries ``collection-log.json`` (see :data:`staging.LOG_MARKER`), and a collection replaces
its ``--out`` folder only when it completed.
"""

from __future__ import annotations

from mldossier.collect.evidently import EvidentlySummary, collect_evidently
from mldossier.collect.http import CollectError, HttpSettings
from mldossier.collect.mlflow import MlflowOptions, MlflowSummary, collect_mlflow
from mldossier.collect.staging import LOG_MARKER, LOG_NAME, safe_name

__all__ = [
    "LOG_MARKER",
    "LOG_NAME",
    "CollectError",
    "EvidentlySummary",
    "HttpSettings",
    "MlflowOptions",
    "MlflowSummary",
    "collect_evidently",
    "collect_mlflow",
    "safe_name",
]
