"""MLflow importer: raw REST responses of a tracking server and ``MLmodel`` artifact files.

Files are recognised by their top-level keys, never by name. The same object usually comes
back from several calls (a search page, a ``get``, a registered model's ``latest_versions``,
an alias lookup), so :meth:`MlflowImporter.read` keeps every copy and
:meth:`MlflowImporter.finish` merges them: maps (tags, params, aliases) are united, scalars
must agree (only the "last updated" time may move; the newest wins), and the record cites
the richest copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import schema_problems
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import (
    Citation,
    Column,
    Experiment,
    LoggedModel,
    MlflowRun,
    ModelSignature,
    ModelVersion,
    RegisteredModel,
    RunDatasetInput,
)

SCHEMA = "mlflow"
"""Shipped schema of the REST responses (``schemas/mlflow.schema.json``)."""
MLMODEL_SCHEMA = "mlflow-mlmodel"
"""Shipped schema of ``MLmodel`` files."""

# Response shapes: the key that names the response, the JSON type of its value, and the
# other top-level keys it may have. A file whose keys fit none of them is not MLflow's.
_RESPONSES: tuple[tuple[str, type, frozenset[str]], ...] = (
    ("registered_models", list, frozenset({"next_page_token"})),
    ("registered_model", dict, frozenset()),
    ("model_versions", list, frozenset({"next_page_token"})),
    ("model_version", dict, frozenset()),
    ("run", dict, frozenset()),
    ("runs", list, frozenset({"next_page_token"})),
    ("model", dict, frozenset()),
    ("models", list, frozenset({"next_page_token"})),
    ("experiment", dict, frozenset()),
    ("experiments", list, frozenset({"next_page_token"})),
    # Accepted but not turned into records: they add nothing the records need.
    ("metrics", list, frozenset({"next_page_token"})),
    ("artifact_uri", str, frozenset()),
    ("root_uri", str, frozenset({"files", "next_page_token"})),
)
_ERROR_KEYS = frozenset({"error_code", "message", "sqlstate", "error_class", "details"})
_MLMODEL_MARKERS = ("signature", "model_uuid", "model_id", "run_id", "utc_time_created")

_LOGGED_MODEL_SOURCE = re.compile(r"^models:/(m-[0-9A-Za-z]+)/?$")
_RUN_SOURCE = re.compile(r"^runs:/([^/]+)")

_DISAGREE_FIX = "export both from the same moment, or remove the stale file"
_DATASET_FIX = (
    "MLflow writes a dataset's source, schema and profile as JSON inside a string; "
    "re-export the run with runs/get"
)
_SIGNATURE_FIX = (
    "MLflow writes signature inputs and outputs as JSON inside a string; "
    "copy the MLmodel file again from the model's artifacts"
)
_MODEL_VERSIONS_TAG = "mlflow.modelVersions"
_CONTEXT_TAG = "mlflow.data.context"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def response_shape(data: Any) -> str | None:
    """The MLflow response (or ``MLmodel``/``error``) a parsed document is, or None."""
    if not isinstance(data, dict) or not data:
        return None
    keys = set(data)
    for name, kind, optional in _RESPONSES:
        if name in keys and isinstance(data[name], kind) and keys <= optional | {name}:
            return name
    if (
        keys <= _ERROR_KEYS
        and isinstance(data.get("error_code"), str)
        and isinstance(data.get("message"), str)
    ):
        return "error"
    if isinstance(data.get("flavors"), dict) and any(k in keys for k in _MLMODEL_MARKERS):
        return "mlmodel"
    if _is_input_example(data):
        return "input_example"
    return None


_SERVING_INPUT_KEYS = {"dataframe_split", "dataframe_records", "instances", "inputs"}


def _is_input_example(data: dict[str, Any]) -> bool:
    """A model artifact's input example: pandas "split" orient, or a serving input payload."""
    keys = set(data)
    if keys == {"columns", "data"} or keys == {"columns", "data", "index"}:
        return isinstance(data["columns"], list) and isinstance(data["data"], list)
    return len(keys) == 1 and keys <= _SERVING_INPUT_KEYS


@dataclass
class _Copy:
    """One copy of one MLflow object, as one response holds it."""

    file: str
    pointer: str
    cite: Citation
    scalars: dict[str, tuple[Any, str]]
    """Field name to (value, JSON Pointer of the value)."""
    maps: dict[str, dict[str, tuple[str, str]]]
    """``tags``/``params``: key to (value, JSON Pointer of the value)."""
    leaves: int
    moving: int | None = None
    """The "last updated" time, which may differ between copies."""
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    """(alias, version, JSON Pointer) claims this copy makes."""
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    """(key, value, step, timestamp)."""
    datasets: tuple[RunDatasetInput, ...] = ()
    outputs: tuple[str, ...] = ()
    model_versions: tuple[tuple[str, str], ...] = ()
    signature: ModelSignature | None = None

    def rank(self) -> tuple[int, int, str, str]:
        """Sort key, richest first: most values, then a single-object response, then path."""
        return (-self.leaves, self.pointer.count("/"), self.file, self.pointer)


@dataclass
class _Merged:
    """The copies of one object, merged."""

    scalars: dict[str, Any]
    maps: dict[str, dict[str, str]]
    richest: _Copy
    copies: list[_Copy]
    """Richest first."""

    def get(self, name: str, default: Any = None) -> Any:
        """A merged scalar, or ``default`` when no copy carries it."""
        return self.scalars.get(name, default)


class MlflowImporter:
    """Reads MLflow REST responses and ``MLmodel`` files into registry, run and model records."""

    name: ClassVar[str] = "mlflow"
    kind: ClassVar[str] = "mlflow"

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self._copies: dict[str, dict[Any, list[_Copy]]] = {
            kind: {}
            for kind in (
                "registered_models",
                "model_versions",
                "mlflow_runs",
                "logged_models",
                "experiments",
                "signatures",
            )
        }

    # ------------------------------------------------------------ detect and read

    def detect(self, doc: Document) -> bool:
        """An MLflow response or ``MLmodel`` file, by its top-level keys."""
        if doc.format not in ("json", "yaml"):
            return False
        shape = response_shape(doc.data)
        # The server answers in JSON and MLflow writes MLmodel as YAML; anything else that
        # happens to share the keys (a hand-written YAML file) is not theirs.
        return shape is not None and (shape == "mlmodel") == (doc.format == "yaml")

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate one response and keep a copy of every object in it for :meth:`finish`."""
        data = doc.data
        shape = response_shape(data)
        if shape is None:
            result.problems.append(
                doc.problem(
                    "",
                    "not an MLflow REST response or MLmodel file",
                    "export it with the MLflow REST API, or remove it",
                )
            )
            return
        if shape == "error":
            # A failed export call: worth saying, but it is not evidence of anything.
            result.problems.append(
                doc.problem(
                    "/error_code",
                    f"this is an MLflow error response ({data['error_code']}: {data['message']}), "
                    "not an export",
                    "re-run the export call that failed, or remove the file",
                    severity="warning",
                )
            )
            return
        if shape == "input_example":
            # An artifact file logged with the model; kept as evidence, nothing to read.
            return
        problems = schema_problems(
            MLMODEL_SCHEMA if shape == "mlmodel" else SCHEMA, data, doc.file.path
        )
        result.problems.extend(problems)
        bad = [p.pointer for p in problems]
        if shape == "mlmodel":
            self._read_mlmodel(doc, data, bad, result)
            return
        value = data[shape]
        items: Iterable[tuple[str, Any]]
        if isinstance(value, list):
            items = ((pointer(shape, i), item) for i, item in enumerate(value))
        else:
            items = [(pointer(shape), value)]
        reader = {
            "registered_models": self._read_registered_model,
            "registered_model": self._read_registered_model,
            "model_versions": self._read_model_version,
            "model_version": self._read_model_version,
            "run": self._read_run,
            "runs": self._read_run,
            "model": self._read_logged_model,
            "models": self._read_logged_model,
            "experiment": self._read_experiment,
            "experiments": self._read_experiment,
        }.get(shape)
        if reader is None:
            return  # metrics history, download URI, artifact listings: claimed, no records
        for where, item in items:
            reader(doc, where, item, bad, result)

    def _keep(self, kind: str, key: Any, copy: _Copy) -> None:
        self._copies[kind].setdefault(key, []).append(copy)

    def _read_registered_model(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        for i, version in enumerate(_list(obj, "latest_versions")):
            self._read_model_version(doc, f"{where}/latest_versions/{i}", version, bad, result)
        if not _clean(where, bad, nested=("latest_versions",)):
            return
        copy = _copy(
            doc,
            where,
            obj,
            obj,
            moving="last_updated_timestamp",
            skip=("latest_versions", "aliases"),
        )
        copy.aliases = [
            (a["alias"], a["version"], f"{where}/aliases/{i}/version")
            for i, a in enumerate(_list(obj, "aliases"))
        ]
        self._keep("registered_models", obj["name"], copy)

    def _read_model_version(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not _clean(where, bad):
            return
        copy = _copy(doc, where, obj, obj, moving="last_updated_timestamp", skip=("aliases",))
        copy.aliases = [
            (alias, obj["version"], f"{where}/aliases/{i}")
            for i, alias in enumerate(_list(obj, "aliases"))
        ]
        self._keep("model_versions", (obj["name"], obj["version"]), copy)

    def _read_run(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not _clean(where, bad):
            return
        info = obj["info"]
        data = obj.get("data") or {}
        copy = _copy(doc, where, obj, info, base=f"{where}/info")
        copy.maps = {
            "tags": _pairs(data.get("tags"), f"{where}/data/tags"),
            "params": _pairs(data.get("params"), f"{where}/data/params"),
        }
        copy.metrics = _metrics(data.get("metrics"))
        inputs = (obj.get("inputs") or {}).get("dataset_inputs") or []
        copy.datasets = tuple(
            _dataset_input(doc, f"{where}/inputs/dataset_inputs/{i}", item, result)
            for i, item in enumerate(inputs)
        )
        outputs = (obj.get("outputs") or {}).get("model_outputs") or []
        copy.outputs = tuple(dict.fromkeys(o["model_id"] for o in outputs))
        self._keep("mlflow_runs", info["run_id"], copy)

    def _read_logged_model(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not _clean(where, bad):
            return
        info = obj["info"]
        data = obj.get("data") or {}
        copy = _copy(
            doc, where, obj, info, base=f"{where}/info", moving="last_updated_timestamp_ms"
        )
        copy.maps = {
            "tags": _pairs(info.get("tags"), f"{where}/info/tags"),
            "params": _pairs(data.get("params"), f"{where}/data/params"),
        }
        copy.metrics = _metrics(data.get("metrics"))
        tag = copy.maps["tags"].get(_MODEL_VERSIONS_TAG)
        if tag is not None:
            copy.model_versions = _registered_versions(doc, tag[1], tag[0], result)
        self._keep("logged_models", info["model_id"], copy)

    def _read_experiment(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not _clean(where, bad):
            return
        copy = _copy(doc, where, obj, obj, moving="last_update_time")
        self._keep("experiments", obj["experiment_id"], copy)

    def _read_mlmodel(
        self, doc: Document, data: dict[str, Any], bad: list[str], result: ImportResult
    ) -> None:
        if bad:
            return
        signature = data.get("signature")
        if not isinstance(signature, dict) or (
            signature.get("inputs") is None and signature.get("outputs") is None
        ):
            return  # no signature: its absence is for the checks to judge, not a problem
        model_id = data.get("model_id") or data.get("model_uuid") or None
        run_id = data.get("run_id") or None
        record = ModelSignature(
            model_id=model_id,
            run_id=run_id,
            inputs=_signature_columns(doc, "/signature/inputs", signature.get("inputs"), result),
            outputs=_signature_columns(doc, "/signature/outputs", signature.get("outputs"), result),
            created=_mlmodel_time(doc, data.get("utc_time_created"), result),
            mlflow_version=str(data.get("mlflow_version") or ""),
            cite=doc.cite("/signature"),
        )
        scalars = {
            name: (data[name], pointer(name))
            for name in ("model_id", "model_uuid", "run_id", "mlflow_version", "utc_time_created")
            if data.get(name) is not None
        }
        for side in ("inputs", "outputs"):
            if signature.get(side) is not None:
                scalars[f"signature {side}"] = (signature[side], pointer("signature", side))
        copy = _Copy(
            doc.file.path, "/signature", record.cite, scalars, {}, _leaves(data), signature=record
        )
        # Without a model id, an MLmodel is its own object (MLflow 2 writes only run_id).
        key = ("model", model_id) if model_id else ("file", doc.file.path)
        self._keep("signatures", key, copy)

    # ------------------------------------------------------------ finish

    def finish(self, result: ImportResult) -> None:
        """Merge every copy, report disagreements, and add the records in key order."""
        experiments = self._merged("experiments", result, lambda k: f"experiment {k}")
        logged = self._merged("logged_models", result, lambda k: f"logged model {k}")
        runs = self._merged("mlflow_runs", result, lambda k: f"run {k}")
        models = self._merged("registered_models", result, str)
        versions = self._merged("model_versions", result, lambda k: f"{k[0]}@{k[1]}")
        signatures = self._merged("signatures", result, _signature_label)

        alias_maps = self._aliases(result)

        for key in sorted(experiments, key=_natural):
            result.add("experiments", _experiment(experiments[key]))
        for key in sorted(models):
            result.add("registered_models", _registered_model(models[key], alias_maps))
        logged_records = {key: _logged_model(logged[key]) for key in sorted(logged)}
        for key in sorted(versions, key=lambda k: (k[0], _natural(k[1]))):
            result.add("model_versions", _model_version(versions[key], alias_maps, logged_records))
        for key in sorted(runs):
            result.add("mlflow_runs", _run(runs[key]))
        for record in logged_records.values():
            result.add("logged_models", record)
        for key in sorted(signatures):
            signature = signatures[key].richest.signature
            assert signature is not None  # every signature copy carries one
            result.add("signatures", signature)

    def _merged(self, kind: str, result: ImportResult, label: Any) -> dict[Any, _Merged]:
        return {
            key: _merge(copies, label(key), result) for key, copies in self._copies[kind].items()
        }

    def _aliases(self, result: ImportResult) -> dict[str, dict[str, str]]:
        """Alias to version per registered model, from every copy that names one.

        A registered model lists ``[{alias, version}]``; a version from ``get`` or ``alias``
        lists its own aliases. All of them must name the same version for an alias.
        """
        claims: dict[tuple[str, str], list[tuple[str, str, str, int]]] = {}
        for name, copies in self._copies["registered_models"].items():
            for copy in copies:
                for alias, version, where in copy.aliases:
                    claims.setdefault((name, alias), []).append(
                        (copy.file, where, version, copy.moving or 0)
                    )
        for (name, _), copies in self._copies["model_versions"].items():
            for copy in copies:
                for alias, version, where in copy.aliases:
                    claims.setdefault((name, alias), []).append(
                        (copy.file, where, version, copy.moving or 0)
                    )
        maps: dict[str, dict[str, str]] = {}
        for (name, alias), found in sorted(claims.items()):
            found.sort()
            first_file, first_where, first_version, _ = found[0]
            for file, where, version, _ in found[1:]:
                if version != first_version:
                    result.problems.append(
                        Problem(
                            file,
                            where,
                            f"disagrees with {first_file}:{first_where} for {name}, alias "
                            f"{_show(alias)} (version {_show(version)} here, version "
                            f"{_show(first_version)} there)",
                            _DISAGREE_FIX,
                        )
                    )
            # On a disagreement (already an error), the newest claim stands.
            newest = max(found, key=lambda c: (c[3], c[0], c[1]))
            maps.setdefault(name, {})[alias] = newest[2]
        return maps


# ---------------------------------------------------------------- merging


def _merge(copies: list[_Copy], label: str, result: ImportResult) -> _Merged:
    """Merge copies of one object; report every value two copies disagree on."""
    by_place = sorted(copies, key=lambda c: (c.file, c.pointer))
    richest_first = sorted(copies, key=_Copy.rank)
    newest_first = sorted(
        copies, key=lambda c: (-(c.moving if c.moving is not None else -1), c.rank())
    )

    def settle(values: list[tuple[_Copy, Any, str]], what: str, moving: bool) -> Any:
        # The first copy by file and pointer is the reference; a later one that differs
        # is reported where it stands.
        ref, ref_value, ref_where = values[0]
        if not moving:
            for copy, value, where in values[1:]:
                if value != ref_value:
                    result.problems.append(
                        Problem(
                            copy.file,
                            where,
                            f"disagrees with {ref.file}:{ref_where} for {label}{what} "
                            f"({_show(value)} here, {_show(ref_value)} there)",
                            _DISAGREE_FIX,
                        )
                    )
        order = {id(c): i for i, c in enumerate(newest_first)}
        return min(values, key=lambda v: order[id(v[0])])[1]

    scalars: dict[str, Any] = {}
    moving_field = _moving_field(copies)
    names = sorted({name for c in copies for name in c.scalars})
    for name in names:
        values = [(c, *c.scalars[name]) for c in by_place if name in c.scalars]
        scalars[name] = settle(values, "", name == moving_field)
    maps: dict[str, dict[str, str]] = {}
    for map_name in sorted({m for c in copies for m in c.maps}):
        merged: dict[str, str] = {}
        keys = sorted({k for c in copies for k in c.maps.get(map_name, {})})
        for key in keys:
            values = [
                (c, *c.maps[map_name][key]) for c in by_place if key in c.maps.get(map_name, {})
            ]
            what = f", {map_name[:-1]} {_show(key)}"
            merged[key] = settle(values, what, False)
        maps[map_name] = merged
    return _Merged(scalars, maps, richest_first[0], richest_first)


def _moving_field(copies: list[_Copy]) -> str | None:
    for name in ("last_updated_timestamp", "last_updated_timestamp_ms", "last_update_time"):
        if any(name in c.scalars for c in copies):
            return name
    return None


# ---------------------------------------------------------------- records


def _experiment(m: _Merged) -> Experiment:
    return Experiment(
        experiment_id=m.get("experiment_id"),
        name=m.get("name", ""),
        lifecycle_stage=m.get("lifecycle_stage", ""),
        tags=m.maps.get("tags", {}),
        created=_time(m.get("creation_time")),
        cite=m.richest.cite,
    )


def _registered_model(m: _Merged, alias_maps: dict[str, dict[str, str]]) -> RegisteredModel:
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


def _model_version(
    m: _Merged, alias_maps: dict[str, dict[str, str]], logged: dict[str, LoggedModel]
) -> ModelVersion:
    name, version = m.get("name"), m.get("version")
    source = m.get("source", "")
    logged_model_id = m.get("model_id") or None
    found = _LOGGED_MODEL_SOURCE.match(source)
    if found and logged_model_id is None:
        logged_model_id = found.group(1)
    run_id = m.get("run_id") or None
    if run_id is None:
        from_runs = _RUN_SOURCE.match(source)
        if from_runs:
            run_id = from_runs.group(1)
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


def _run(m: _Merged) -> MlflowRun:
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


def _logged_model(m: _Merged) -> LoggedModel:
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
        model_versions=tuple(sorted(pairs, key=lambda p: (p[0], _natural(p[1])))),
        cite=m.richest.cite,
    )


def _latest_metrics(copies: list[_Copy]) -> dict[str, float]:
    """Latest value per key: highest step, then latest timestamp."""
    best: dict[str, tuple[int, int, float]] = {}
    for copy in copies:
        for key, value, step, timestamp in copy.metrics:
            if key not in best or (step, timestamp) > best[key][:2]:
                best[key] = (step, timestamp, value)
    return {key: best[key][2] for key in sorted(best)}


def _signature_label(key: tuple[str, str]) -> str:
    kind, value = key
    return f"the signature of logged model {value}" if kind == "model" else f"{value}"


# ---------------------------------------------------------------- helpers


def _clean(where: str, bad: list[str], nested: tuple[str, ...] = ()) -> bool:
    """Whether no schema problem lies in the object at ``where`` (nested objects aside)."""
    inside = tuple(f"{where}/{name}/" for name in nested)
    return not any(
        (place == where or place.startswith(where + "/"))
        and not (inside and place.startswith(inside))
        for place in bad
    )


def _copy(
    doc: Document,
    where: str,
    obj: dict[str, Any],
    fields: dict[str, Any],
    base: str | None = None,
    moving: str | None = None,
    skip: tuple[str, ...] = (),
) -> _Copy:
    """A copy of an object: its scalar fields (from ``fields``, at ``base``) and its tags."""
    base = where if base is None else base
    scalars = {
        name: (value, f"{base}{pointer(name)}")
        for name, value in fields.items()
        if not isinstance(value, dict | list) and name not in skip
    }
    maps = {"tags": _pairs(fields.get("tags"), f"{base}/tags")}
    stamp = fields.get(moving) if moving else None
    return _Copy(
        doc.file.path,
        where,
        doc.cite(where),
        scalars,
        maps,
        _leaves(obj),
        moving=stamp if isinstance(stamp, int) else None,
    )


def _pairs(items: Any, where: str) -> dict[str, tuple[str, str]]:
    """MLflow's ``[{key, value}]`` as key to (value, pointer); the first of a key wins."""
    found: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(items or []):
        found.setdefault(item["key"], (item.get("value", ""), f"{where}/{i}/value"))
    return found


def _metrics(items: Any) -> list[tuple[str, float, int, int]]:
    return [
        (m["key"], float(m["value"]), int(m.get("step", 0)), int(m.get("timestamp", 0)))
        for m in items or []
    ]


def _list(obj: Any, name: str) -> list[Any]:
    value = obj.get(name) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def _leaves(value: Any) -> int:
    """How many plain values an object holds: the measure of a copy's richness."""
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def _time(ms: Any) -> datetime | None:
    """Epoch milliseconds to an aware UTC datetime."""
    if ms is None:
        return None
    return _EPOCH + timedelta(milliseconds=ms)


def _natural(text: str) -> tuple[int, int | str]:
    """Sort key putting "2" before "10" and numbers before other text."""
    return (0, int(text)) if text.isdigit() else (1, text)


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decode(
    doc: Document, where: str, text: str, fix: str, result: ImportResult
) -> tuple[bool, Any]:
    """JSON encoded in a string: (True, value), or (False, None) with a problem."""
    try:
        return True, json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(
            doc.problem(
                where,
                f"expected JSON inside this string, got {_show(text)} "
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
                f"expected a JSON object inside this string, got {_show(value)}",
                _DATASET_FIX,
            )
        )
        return {}
    return value


def _dataset_input(
    doc: Document, where: str, item: dict[str, Any], result: ImportResult
) -> RunDatasetInput:
    dataset = item["dataset"]
    tags = {key: value for key, (value, _) in _pairs(item.get("tags"), "").items()}
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


def _signature_columns(
    doc: Document, where: str, text: str | None, result: ImportResult
) -> tuple[Column, ...]:
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
                f"expected a JSON list of column specs inside this string, got {_show(specs)}",
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
                    f"column spec {i} inside this string is {_show(spec)}, not an object",
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
        columns.append(Column(name, kind if isinstance(kind, str) else _show(kind, 200)))
    return tuple(columns)


def _registered_versions(
    doc: Document, where: str, text: str, result: ImportResult
) -> tuple[tuple[str, str], ...]:
    """The ``mlflow.modelVersions`` tag: (name, version) pairs, versions as strings, once each.

    MLflow 3 writes the same version twice, once as a number and once as a string.
    """
    fix = "MLflow writes this tag as a JSON list of {name, version}; re-export the logged model"
    ok, value = _decode(doc, where, text, fix, result)
    if not ok:
        return ()
    if not isinstance(value, list):
        result.problems.append(
            doc.problem(where, f"expected a JSON list inside this string, got {_show(value)}", fix)
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
                    f"expected {{name, version}} entries inside this string, got {_show(entry)}",
                    fix,
                )
            )
            continue
        pairs[(entry["name"], str(entry["version"]))] = None
    return tuple(pairs)


def _mlmodel_time(doc: Document, text: Any, result: ImportResult) -> datetime | None:
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
                f"{_show(text)} is not a date and time",
                "write it as MLflow does, e.g. 2026-11-27 10:07:12.565374",
            )
        )
        return None
    return moment
