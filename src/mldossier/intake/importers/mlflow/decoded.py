"""JSON inside MLflow's strings: datasets, signatures, the ``mlflow.modelVersions`` tag; MLmodel times.

MLflow writes a run dataset's source, schema and profile, a signature's inputs and outputs
and a logged model's registered versions as JSON inside a string; each is decoded here and a
string that holds no such JSON is a problem at its pointer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mldossier.formats import InputProblem
from mldossier.formats.text import refuse_surrogates, show
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportResult
from mldossier.intake.importers.mlflow.merge import pairs
from mldossier.model import Column, RunDatasetInput

_DATASET_FIX = (
    "MLflow writes a dataset's source, schema and profile as JSON inside a string; "
    "re-export the run with runs/get"
)
_SIGNATURE_FIX = (
    "MLflow writes signature inputs and outputs as JSON inside a string; "
    "copy the MLmodel file again from the model's artifacts"
)
_CONTEXT_TAG = "mlflow.data.context"


def _decode(
    doc: Document, where: str, text: str, fix: str, result: ImportResult
) -> tuple[bool, Any]:
    """JSON encoded in a string: (True, value), or (False, None) with a problem.

    The inner JSON is held to what the outer file was (:mod:`mldossier.formats.json`): an
    escaped unpaired surrogate would otherwise reach the outputs, which cannot encode it.
    """
    try:
        value = json.loads(text)
        refuse_surrogates(text, value)
        return True, value
    except InputProblem as exc:
        result.problems.append(
            doc.problem(where, f"the JSON inside this string: {exc.message}", fix)
        )
        return False, None
    except json.JSONDecodeError as exc:
        result.problems.append(
            doc.problem(
                where,
                f"expected JSON inside this string, got {show(text)} "
                f"({exc.msg} at character {exc.pos})",
                fix,
            )
        )
        return False, None
    except RecursionError:
        result.problems.append(
            doc.problem(where, "the JSON inside this string is nested too deeply to read", fix)
        )
        return False, None


def _decoded_object(doc: Document, where: str, text: Any, result: ImportResult) -> dict[str, Any]:
    """A dataset field holding a JSON object in a string; {} when absent or unreadable."""
    if not text:
        return {}
    ok, value = _decode(doc, where, text, _DATASET_FIX, result)
    if not ok or value is None:
        return {}
    if not isinstance(value, dict):
        result.problems.append(
            doc.problem(
                where,
                f"expected a JSON object inside this string, got {show(value)}",
                _DATASET_FIX,
            )
        )
        return {}
    return value


def dataset_input(
    doc: Document, where: str, item: dict[str, Any], result: ImportResult
) -> RunDatasetInput:
    """One ``dataset_inputs`` entry of a run, its JSON-in-string fields decoded."""
    dataset = item["dataset"]
    tags = {key: value for key, (value, _) in pairs(item.get("tags"), "").items()}
    source = _decoded_object(doc, f"{where}/dataset/source", dataset.get("source"), result)
    schema = _decoded_object(doc, f"{where}/dataset/schema", dataset.get("schema"), result)
    profile = _decoded_object(doc, f"{where}/dataset/profile", dataset.get("profile"), result)
    uri = next((source[k] for k in ("uri", "url", "path") if isinstance(source.get(k), str)), None)
    return RunDatasetInput(
        name=dataset["name"],
        digest=dataset["digest"],
        source_type=dataset.get("source_type", ""),
        source=source,
        source_uri=uri,
        schema=_dataset_columns(doc, f"{where}/dataset/schema", schema, result),
        profile=profile,
        context=tags.get(_CONTEXT_TAG),
        tags=dict(sorted(tags.items())),
        cite=doc.cite(where),
    )


def _dataset_columns(
    doc: Document, where: str, schema: dict[str, Any], result: ImportResult
) -> tuple[Column, ...]:
    """Columns of a dataset schema: ``mlflow_colspec``, or ``mlflow_tensorspec`` features."""
    if "mlflow_colspec" in schema:
        return _columns(doc, where, schema["mlflow_colspec"], _DATASET_FIX, result)
    tensors = schema.get("mlflow_tensorspec")
    if isinstance(tensors, dict) and isinstance(tensors.get("features"), str):
        # Numpy datasets: the features spec is JSON inside a string inside the string.
        ok, features = _decode(doc, where, tensors["features"], _DATASET_FIX, result)
        return _columns(doc, where, features, _DATASET_FIX, result) if ok else ()
    return ()


def signature_columns(
    doc: Document, where: str, text: str | None, result: ImportResult
) -> tuple[Column, ...]:
    """The columns of a signature's ``inputs`` or ``outputs`` (JSON inside a string)."""
    if text is None:
        return ()
    ok, specs = _decode(doc, where, text, _SIGNATURE_FIX, result)
    return _columns(doc, where, specs, _SIGNATURE_FIX, result) if ok else ()


def _columns(
    doc: Document, where: str, specs: Any, fix: str, result: ImportResult
) -> tuple[Column, ...]:
    """Column specs (``{name, type}``) or tensor specs (``tensor:<dtype>``) as Columns."""
    if specs is None:
        return ()
    if not isinstance(specs, list):
        result.problems.append(
            doc.problem(
                where,
                f"expected a JSON list of column specs inside this string, got {show(specs)}",
                fix,
            )
        )
        return ()
    columns = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            result.problems.append(
                doc.problem(
                    where,
                    f"column spec {i} inside this string is {show(spec)}, not an object",
                    fix,
                )
            )
            continue
        name = spec.get("name")
        name = name if isinstance(name, str) else ""
        tensor = spec.get("tensor-spec")
        if spec.get("type") == "tensor" and isinstance(tensor, dict):
            columns.append(Column(name, f"tensor:{tensor.get('dtype', '')}"))
            continue
        kind = spec.get("type", "")
        columns.append(Column(name, kind if isinstance(kind, str) else show(kind, 200)))
    return tuple(columns)


def registered_versions(
    doc: Document, where: str, text: str, result: ImportResult, again: str = "the logged model"
) -> tuple[tuple[str, str], ...]:
    """A ``[{name, version}]`` tag (``mlflow.modelVersions``, ``mlflow.linkedPrompts``):
    (name, version) pairs, versions as strings, once each.

    MLflow 3 writes the same version twice, once as a number and once as a string.
    """
    fix = f"MLflow writes this tag as a JSON list of {{name, version}}; re-export {again}"
    ok, value = _decode(doc, where, text, fix, result)
    if not ok:
        return ()
    if not isinstance(value, list):
        result.problems.append(
            doc.problem(where, f"expected a JSON list inside this string, got {show(value)}", fix)
        )
        return ()
    pairs: dict[tuple[str, str], None] = {}
    for entry in value:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or isinstance(entry.get("version"), bool)
            or not isinstance(entry.get("version"), str | int)
        ):
            result.problems.append(
                doc.problem(
                    where,
                    f"expected {{name, version}} entries inside this string, got {show(entry)}",
                    fix,
                )
            )
            continue
        pairs[(entry["name"], str(entry["version"]))] = None
    return tuple(pairs)


def mlmodel_time(doc: Document, text: Any, result: ImportResult) -> datetime | None:
    """``utc_time_created``: naive text that is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or outside years 1-9999 in UTC
        result.problems.append(
            doc.problem(
                "/utc_time_created",
                f"{show(text)} is not a date and time",
                "write it as MLflow does, e.g. 2026-11-27 10:07:12.565374",
            )
        )
        return None
    return moment
