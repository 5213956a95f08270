"""MLflow records made from merged copies: experiments, registered models, versions, runs, logged models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mldossier.intake.importers.mlflow.merge import Copy, Merged
from mldossier.intake.naming import logged_model_of_source, run_of_source, version_sort_key
from mldossier.model import (
    Experiment,
    LoggedModel,
    MlflowRun,
    ModelVersion,
    RegisteredModel,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROMPT_TAG = "mlflow.prompt.is_prompt"
"""MLflow's prompt registry stores a prompt as a registered model with this tag set to
``true``, on the registered model and on each version (``mlflow/prompt/constants.py``)."""


def is_prompt(m: Merged) -> bool:
    """Whether a registered model or a version is one of MLflow's prompts, by its tag."""
    return str(m.maps.get("tags", {}).get(PROMPT_TAG, "")).lower() == "true"


def experiment_record(m: Merged) -> Experiment:
    """An experiment from its merged copies."""
    return Experiment(
        experiment_id=m.get("experiment_id"),
        name=m.get("name", ""),
        lifecycle_stage=m.get("lifecycle_stage", ""),
        tags=m.maps.get("tags", {}),
        created=_time(m.get("creation_time")),
        cite=m.richest.cite,
    )


def registered_model_record(m: Merged, alias_maps: dict[str, dict[str, str]]) -> RegisteredModel:
    """A registered model from its merged copies, with its aliases from every copy."""
    name = m.get("name")
    return RegisteredModel(
        name=name,
        description=m.get("description", ""),
        created=_time(m.get("creation_timestamp")),
        updated=_time(m.get("last_updated_timestamp")),
        tags=m.maps.get("tags", {}),
        aliases=dict(sorted(alias_maps.get(name, {}).items())),
        cite=m.richest.cite,
    )


def model_version_record(
    m: Merged, alias_maps: dict[str, dict[str, str]], logged: dict[str, LoggedModel]
) -> ModelVersion:
    """A model version: its run is its own, else its source's, else its logged model's."""
    name, version = m.get("name"), m.get("version")
    source = m.get("source", "")
    logged_model_id = m.get("model_id") or None
    if logged_model_id is None:
        logged_model_id = logged_model_of_source(source)
    run_id = m.get("run_id") or run_of_source(source)
    if run_id is None and logged_model_id in logged:
        # MLflow 3: the version points at a logged model, which knows its run.
        run_id = logged[logged_model_id].source_run_id
    aliases = {alias for copy in m.copies for alias, _, _ in copy.aliases}
    aliases |= {alias for alias, v in alias_maps.get(name, {}).items() if v == version}
    stage = m.get("current_stage")
    return ModelVersion(
        name=name,
        version=version,
        created=_time(m.get("creation_timestamp")),
        updated=_time(m.get("last_updated_timestamp")),
        stage=None if stage in (None, "None") else stage,
        description=m.get("description", ""),
        source=source,
        run_id=run_id,
        logged_model_id=logged_model_id,
        status=m.get("status", ""),
        tags=m.maps.get("tags", {}),
        aliases=tuple(sorted(aliases)),
        cite=m.richest.cite,
    )


def run_record(m: Merged) -> MlflowRun:
    """A run from its merged copies; metrics at their latest step."""
    tags = m.maps.get("tags", {})
    return MlflowRun(
        run_id=m.get("run_id"),
        experiment_id=m.get("experiment_id", ""),
        run_name=m.get("run_name") or tags.get("mlflow.runName", ""),
        user_id=m.get("user_id", ""),
        status=m.get("status", ""),
        start=_time(m.get("start_time")),
        end=_time(m.get("end_time")),
        metrics=_latest_metrics(m.copies),
        params=m.maps.get("params", {}),
        tags=tags,
        dataset_inputs=m.richest.datasets,
        model_outputs=m.richest.outputs,
        cite=m.richest.cite,
    )


def logged_model_record(m: Merged) -> LoggedModel:
    """A logged model from its merged copies, with the versions registered from it."""
    pairs = {pair for copy in m.copies for pair in copy.model_versions}
    return LoggedModel(
        model_id=m.get("model_id"),
        experiment_id=m.get("experiment_id", ""),
        name=m.get("name", ""),
        source_run_id=m.get("source_run_id") or None,
        created=_time(m.get("creation_timestamp_ms")),
        status=m.get("status", ""),
        artifact_uri=m.get("artifact_uri", ""),
        tags=m.maps.get("tags", {}),
        params=m.maps.get("params", {}),
        metrics=_latest_metrics(m.copies),
        model_versions=tuple(sorted(pairs, key=lambda p: (p[0], version_sort_key(p[1])))),
        cite=m.richest.cite,
    )


def _latest_metrics(copies: list[Copy]) -> dict[str, float]:
    """Latest value per key: highest step, then latest timestamp."""
    best: dict[str, tuple[int, int, float]] = {}
    for copy in copies:
        for key, value, step, timestamp in copy.metrics:
            if key not in best or (step, timestamp) > best[key][:2]:
                best[key] = (step, timestamp, value)
    return {key: best[key][2] for key in sorted(best)}


def signature_label(key: tuple[str, str]) -> str:
    """How a signature is named in a message about its copies."""
    kind, value = key
    return f"the signature of logged model {value}" if kind == "model" else f"{value}"


def _time(ms: Any) -> datetime | None:
    """Epoch milliseconds to an aware UTC datetime."""
    if ms is None:
        return None
    return _EPOCH + timedelta(milliseconds=ms)
