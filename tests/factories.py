"""Small builders of evidence records for tests that need crafted evidence."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mldossier.collect import LOG_NAME
from mldossier.config import Config
from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.read import read_evidence
from mldossier.model import (
    Citation,
    Column,
    ColumnDrift,
    DatasetDrift,
    DatasetUse,
    Evidence,
    LineageRun,
    MlflowRun,
    ModelSignature,
    ModelVersion,
    MonitoringReport,
    QualifiedName,
    RegisteredModel,
    RunDatasetInput,
    SignOff,
)

SHA = "0" * 64


def cite(file: str = "mlflow/x.json", pointer: str = "") -> Citation:
    return Citation(file, pointer, SHA)


def when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def system(name: str = "credit-default-scorer", **tags: str) -> RegisteredModel:
    defaults = {
        "owner": "risk-analytics",
        "intended_use": "credit scoring",
        "eu_ai_act_category": "high-risk",
        "annex_iii_point": "5(b)",
    }
    defaults.update(tags)
    return RegisteredModel(
        name,
        "desc",
        when("2026-01-01"),
        when("2026-01-02"),
        {k: v for k, v in defaults.items() if v is not None},
        {},
        cite(pointer="/registered_model"),
    )


def version(
    name: str = "credit-default-scorer",
    number: str = "3",
    *,
    stage: str | None = None,
    aliases: tuple[str, ...] = ("champion",),
    created: str = "2026-06-01T10:00:00",
    run_id: str | None = "run1",
    logged_model_id: str | None = None,
    **tags: str,
) -> ModelVersion:
    return ModelVersion(
        name,
        number,
        when(created),
        when(created),
        stage,
        "",
        "models:/m-1",
        run_id,
        logged_model_id,
        "READY",
        dict(tags),
        aliases,
        cite(pointer="/model_version"),
    )


def run(
    run_id: str = "run1",
    user: str = "alice",
    metrics: dict[str, float] | None = None,
    *,
    inputs: tuple[RunDatasetInput, ...] = (),
) -> MlflowRun:
    """An MLflow run from 09:00 to 09:30 on 2026-06-01."""
    return MlflowRun(
        run_id,
        "1",
        "train",
        user,
        "FINISHED",
        when("2026-06-01T09:00:00"),
        when("2026-06-01T09:30:00"),
        dict(metrics or {}),
        {},
        {},
        inputs,
        (),
        cite(pointer="/run"),
    )


def dataset_input(uri: str, name: str = "train", context: str = "training") -> RunDatasetInput:
    """An MLflow run's dataset input stored at ``uri``."""
    return RunDatasetInput(
        name, "d1", "local", {"uri": uri}, uri, (), {}, context, {}, cite(pointer="/run/inputs")
    )


def lineage_run(
    run_id: str,
    *,
    reads: tuple[str, ...] = (),
    writes: tuple[str, ...] = (),
    start: str = "2026-06-01T08:55:00",
    end: str | None = "2026-06-01T09:35:00",
    mlflow_run_id: str | None = None,
) -> LineageRun:
    """A COMPLETE OpenLineage run of job ``train_<run_id>`` reading and writing files (by path)."""
    line = Citation("openlineage/events.ndjson", "", SHA, 1)

    def uses(paths: tuple[str, ...]) -> tuple[DatasetUse, ...]:
        return tuple(
            DatasetUse(
                QualifiedName("file", p), "v1", (Column("x", "int"),), None, {}, (), (), line
            )
            for p in paths
        )

    return LineageRun(
        run_id,
        QualifiedName("ns", f"train_{run_id}"),
        "COMPLETE",
        when(start),
        when(end) if end else None,
        when(end or start),
        None,
        None,
        uses(reads),
        uses(writes),
        (),
        (),
        None,
        None,
        {},
        mlflow_run_id,
        (line,),
        line,
    )


def signature(run_id: str = "run1", inputs: tuple[str, ...] = ("income",)) -> ModelSignature:
    return ModelSignature(
        None,
        run_id,
        tuple(Column(n, "double") for n in inputs),
        (),
        None,
        "3.17.2",
        cite("mlflow/artifacts/m-1/MLmodel"),
    )


def report(
    name: str = "credit-default-scorer",
    number: str = "3",
    *,
    timestamp: str | None = "2026-11-01T00:00:00",
    share: float = 0.1,
    threshold: float = 0.5,
    drifted_columns: tuple[str, ...] = (),
) -> MonitoringReport:
    file = f"monitoring/{name}/{number}/r.json"
    drift = DatasetDrift(
        len(drifted_columns), share, threshold, share >= threshold, cite(file, "/metrics/0")
    )
    columns = tuple(
        ColumnDrift(c, "K-S p_value", 0.001, 0.05, True, "method", cite(file, f"/metrics/{i + 1}"))
        for i, c in enumerate(drifted_columns)
    )
    return MonitoringReport(
        "drift",
        name,
        number,
        "folder",
        when(timestamp) if timestamp else None,
        "snapshot" if timestamp else "none",
        "full",
        (),
        drift,
        columns,
        (),
        cite(file),
    )


def signoff(
    kind: str = "risk_assessment",
    system_name: str = "credit-default-scorer",
    *,
    version_: str | None = None,
    signed: str = "2026-10-01",
    expires: str | None = "2027-10-01",
    id_: str = "S-1",
    **extra: Any,
) -> SignOff:
    return SignOff(
        id_,
        kind,
        system_name,
        version_,
        "title",
        "statement",
        "Dana",
        "CRO",
        date.fromisoformat(signed),
        date.fromisoformat(expires) if expires else None,
        (),
        cite("signoffs/s.yaml"),
    )


def read_collection(root: Path) -> Evidence:
    """Read a folder holding a collection as ``validate`` does (raises on any error problem).

    The request log must be among the files, and is read by the collection-log importer,
    which checks every listed body's SHA-256.
    """
    found, problems = scan(root, Limits())
    assert problems == []
    assert any(isinstance(d, Document) and d.file.path.endswith(LOG_NAME) for d in found)
    return read_evidence(Config(), root)


PROMPT_TAG = "mlflow.prompt.is_prompt"


def prompt_responses(
    name: str = "support-answer", versions: tuple[str, ...] = ("1", "2"), on_model: bool = True
) -> dict[str, Any]:
    """REST bodies of one prompt of MLflow's prompt registry, by file name.

    Shaped as the real ``registered-models/get`` and ``model-versions/get`` bodies in
    tests/reference/samples/mlflow, with what ``MlflowClient.register_prompt`` writes
    (mlflow/tracking/client.py): the tag ``mlflow.prompt.is_prompt`` = ``true`` on the
    registered model and on each version, the template in the version tag
    ``mlflow.prompt.text``, and ``dummy-source`` as the version's source. ``on_model=False``
    leaves the registered model out (a folder holding only the versions).
    """
    stamp = 1795774055426

    def tags(**extra: str) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in {PROMPT_TAG: "true", **extra}.items()]

    def body(number: str) -> dict[str, Any]:
        return {
            "name": name,
            "version": number,
            "creation_timestamp": stamp + int(number),
            "last_updated_timestamp": stamp + int(number),
            "current_stage": "None",
            "description": f"Prompt version {number}",
            "source": "dummy-source",
            "status": "READY",
            "tags": tags(**{"mlflow.prompt.text": "Answer {{question}} politely."}),
            "run_link": "",
        }

    found: dict[str, Any] = {
        f"model_versions_get__{name}__v{n}.json": {"model_version": body(n)} for n in versions
    }
    if on_model:
        found[f"registered_models_get__{name}.json"] = {
            "registered_model": {
                "name": name,
                "creation_timestamp": stamp,
                "last_updated_timestamp": stamp + len(versions),
                "description": "Answers support questions",
                "latest_versions": [body(versions[-1])] if versions else [],
                "tags": tags(team="support"),
            }
        }
    return found


def write_responses(folder: Path, responses: dict[str, Any]) -> None:
    """Write REST bodies (file name to body) into a folder, as the server sent them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in responses.items():
        (folder / name).write_text(json.dumps(data, indent=2), "utf-8")


def failed_call_log(folder: Path, url: str, status: int = 404) -> Path:
    """A collection log (``collection-log/v1``) of one call that failed: the export's own error.

    A failed call's answer kept as a file is invalid input; a failed call listed in a log
    is the way an export records one (a warning, and ``check`` fails).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "collection-log.json"
    call = {"method": "GET", "url": url, "status": status, "sha256": None, "size": 0, "file": None}
    path.write_text(json.dumps({"mldossier": "collection-log/v1", "calls": [call]}, indent=2))
    return path


MINI_CATALOG = """catalog:
  id: mini
  title: Minimal catalog
  framework: Internal
  version: "1"
controls:
  - id: MINI-1
    title: Version history kept
    reference: "CC8.1"
    requirement: The registry keeps the versions.
    applies_to: {subject: system}
    checks: [{check: version_history_recorded}]
    severity: low
    mode: automated
"""
"""A one-control catalog whose control passes on the demo evidence."""


GAPS_CATALOG = """catalog:
  id: gaps
  title: Metrics and signature
  framework: Internal
  version: "1"
controls:
  - id: GAP-1
    title: Evaluation metrics logged
    reference: "CC8.1"
    requirement: The training run logged evaluation metrics.
    applies_to: {subject: version, stage: production}
    checks: [{check: evaluation_metrics_logged}]
    severity: low
    mode: automated
  - id: GAP-2
    title: Signature recorded
    reference: "CC7.1"
    requirement: The version's model signature is recorded.
    applies_to: {subject: version, stage: production}
    checks: [{check: signature_present}]
    severity: low
    mode: automated
"""
"""Two version controls, on what a version's run and MLmodel hold: both pass on the demo's
complete system, credit-default-scorer@3."""


# How a refused `collect --out` ends (issue 23): pinned once for both collectors.
COLLECTION_OWN_FIX = (
    "(mldossier replaces --out as a whole: name a folder of the collection's own, such as "
    "--out evidence/collected)"
)
COLLECTION_REPLACE_FIX = (
    "(mldossier replaces --out as a whole and deletes only what it wrote: name a new or "
    "empty folder, such as --out evidence/collected, or move those files away)"
)
