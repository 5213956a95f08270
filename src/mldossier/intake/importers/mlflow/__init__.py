"""MLflow importer: raw REST responses of a tracking server and ``MLmodel`` artifact files.

Files are recognised by their top-level keys, never by name. The same object usually comes
back from several calls (a search page, a ``get``, a registered model's ``latest_versions``,
an alias lookup), so :meth:`MlflowImporter.read` keeps every copy and
:meth:`MlflowImporter.finish` merges them: maps (tags, params, aliases) are united, scalars
must agree (only the "last updated" time may move; the newest wins), and the record cites
the richest copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import schema_problems
from mldossier.formats.text import show
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.mlflow.decoded import (
    dataset_input,
    mlmodel_time,
    registered_versions,
    signature_columns,
)
from mldossier.intake.importers.mlflow.merge import (
    DISAGREE_FIX,
    Copy,
    Merged,
    clean,
    copy_of,
    leaves,
    list_at,
    merge_copies,
    metrics_of,
    pairs,
)
from mldossier.intake.importers.mlflow.records import (
    PROMPT_TAG,
    experiment_record,
    is_prompt,
    logged_model_record,
    model_version_record,
    registered_model_record,
    run_record,
    signature_label,
)
from mldossier.intake.naming import version_sort_key
from mldossier.model import ModelSignature, ModelVersion, Prompt

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
ERROR_RESPONSE_FIX = (
    "re-run the export call that failed; a file kept on purpose goes in evidence.ignore"
)
_ERROR_KEYS = frozenset({"error_code", "message", "sqlstate", "error_class", "details"})
_SHARED_KEYS = frozenset({"metrics", "model", "models"})
"""Response keys other tools' files have too: they tell nothing about who wrote the file."""
_TELLING_KEYS = frozenset(key for key, _, _ in _RESPONSES) - _SHARED_KEYS | {"error_code"}
"""Top-level keys that only MLflow's responses have (not ``metrics`` or ``model``, which
other tools' files have too): a file with one of them is MLflow's, well formed or not."""
_MLMODEL_MARKERS = ("signature", "model_uuid", "model_id", "run_id", "utc_time_created")
_MODEL_VERSIONS_TAG = "mlflow.modelVersions"
_LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
"""Where MLflow records the prompts a run or logged model used (``link_prompt_version_to_*``):
a JSON list of ``{name, version}`` in a tag."""


def response_shape(data: Any) -> str | None:
    """The MLflow response (or ``empty``/``error``/``MLmodel``) a parsed document is, or None."""
    if not isinstance(data, dict):
        return None
    if not data:
        # What the server sends for a search that matches nothing: protobuf's JSON leaves
        # out an empty list, and with it every key.
        return "empty"
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


class MlflowImporter:
    """Reads MLflow REST responses and ``MLmodel`` files into registry, run and model records."""

    name: ClassVar[str] = "mlflow"
    kind: ClassVar[str] = "mlflow"

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self._copies: dict[str, dict[Any, list[Copy]]] = {
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

    def resembles(self, doc: Document) -> bool:
        """A JSON object with a key only MLflow's responses have, or YAML with MLmodel keys:
        MLflow's, though in no shape :meth:`detect` takes (a malformed export)."""
        data = doc.data
        if not isinstance(data, dict):
            return False
        if doc.format == "yaml":
            return "flavors" in data or any(k in data for k in _MLMODEL_MARKERS)
        # A stream of responses (NDJSON) is none MLflow writes, but it is MLflow's.
        return doc.format in ("json", "ndjson") and not _TELLING_KEYS.isdisjoint(data)

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
            # A failed call kept in place of its answer: what it would have brought is
            # missing, and nothing may pass on it, so the input is invalid.
            result.problems.append(
                doc.problem(
                    "/error_code",
                    f"this is an MLflow error response ({data['error_code']}: "
                    f"{data['message']}), not an export: the call that wrote it failed",
                    ERROR_RESPONSE_FIX,
                )
            )
            return
        if shape in ("empty", "input_example"):
            # A search page that matched nothing, or an artifact file logged with the
            # model: kept as evidence, nothing to read.
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

    def _keep(self, kind: str, key: Any, copy: Copy) -> None:
        self._copies[kind].setdefault(key, []).append(copy)

    def _read_registered_model(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        for i, version in enumerate(list_at(obj, "latest_versions")):
            self._read_model_version(doc, f"{where}/latest_versions/{i}", version, bad, result)
        if not clean(where, bad, nested=("latest_versions",)):
            return
        copy = copy_of(
            doc,
            where,
            obj,
            obj,
            moving="last_updated_timestamp",
            skip=("latest_versions", "aliases"),
        )
        copy.aliases = [
            (a["alias"], a["version"], f"{where}/aliases/{i}/version")
            for i, a in enumerate(list_at(obj, "aliases"))
        ]
        self._keep("registered_models", obj["name"], copy)

    def _read_model_version(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not clean(where, bad):
            return
        copy = copy_of(doc, where, obj, obj, moving="last_updated_timestamp", skip=("aliases",))
        copy.aliases = [
            (alias, obj["version"], f"{where}/aliases/{i}")
            for i, alias in enumerate(list_at(obj, "aliases"))
        ]
        self._keep("model_versions", (obj["name"], obj["version"]), copy)

    def _read_run(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not clean(where, bad):
            return
        info = obj["info"]
        data = obj.get("data") or {}
        copy = copy_of(doc, where, obj, info, base=f"{where}/info")
        copy.maps = {
            "tags": pairs(data.get("tags"), f"{where}/data/tags"),
            "params": pairs(data.get("params"), f"{where}/data/params"),
        }
        copy.metrics = metrics_of(data.get("metrics"))
        inputs = (obj.get("inputs") or {}).get("dataset_inputs") or []
        copy.datasets = tuple(
            dataset_input(doc, f"{where}/inputs/dataset_inputs/{i}", item, result)
            for i, item in enumerate(inputs)
        )
        outputs = (obj.get("outputs") or {}).get("model_outputs") or []
        copy.outputs = tuple(dict.fromkeys(o["model_id"] for o in outputs))
        copy.prompts = _linked_prompts(doc, copy, "the run", result)
        self._keep("mlflow_runs", info["run_id"], copy)

    def _read_logged_model(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not clean(where, bad):
            return
        info = obj["info"]
        data = obj.get("data") or {}
        copy = copy_of(
            doc, where, obj, info, base=f"{where}/info", moving="last_updated_timestamp_ms"
        )
        copy.maps = {
            "tags": pairs(info.get("tags"), f"{where}/info/tags"),
            "params": pairs(data.get("params"), f"{where}/data/params"),
        }
        copy.metrics = metrics_of(data.get("metrics"))
        tag = copy.maps["tags"].get(_MODEL_VERSIONS_TAG)
        if tag is not None:
            copy.model_versions = registered_versions(doc, tag[1], tag[0], result)
        copy.prompts = _linked_prompts(doc, copy, "the logged model", result)
        self._keep("logged_models", info["model_id"], copy)

    def _read_experiment(
        self, doc: Document, where: str, obj: Any, bad: list[str], result: ImportResult
    ) -> None:
        if not clean(where, bad):
            return
        copy = copy_of(doc, where, obj, obj, moving="last_update_time")
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
            inputs=signature_columns(doc, "/signature/inputs", signature.get("inputs"), result),
            outputs=signature_columns(doc, "/signature/outputs", signature.get("outputs"), result),
            created=mlmodel_time(doc, data.get("utc_time_created"), result),
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
        copy = Copy(
            doc.file.path, "/signature", record.cite, scalars, {}, leaves(data), signature=record
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
        signatures = self._merged("signatures", result, signature_label)

        alias_maps = self._aliases(result)
        prompt_names = self._prompts(models, versions, result)

        for key in sorted(experiments, key=version_sort_key):
            result.add("experiments", experiment_record(experiments[key]))
        for key in sorted(models):
            if key not in prompt_names:
                result.add("registered_models", registered_model_record(models[key], alias_maps))
        logged_records = {key: logged_model_record(logged[key]) for key in sorted(logged)}
        version_keys = sorted(versions, key=lambda k: (k[0], version_sort_key(k[1])))
        for key in version_keys:
            if key[0] not in prompt_names:
                result.add(
                    "model_versions",
                    model_version_record(versions[key], alias_maps, logged_records),
                )
        used_by = self._prompt_users(prompt_names, result.records.get("model_versions", []))
        for name in sorted(prompt_names):
            numbers = tuple(v for n, v in version_keys if n == name)
            found = models.get(name) or versions[(name, numbers[0])]
            users = tuple(sorted(used_by.get(name, ()), key=_version_key))
            result.add("prompts", Prompt(name, numbers, found.richest.cite, users))
        for key in sorted(runs):
            result.add("mlflow_runs", run_record(runs[key]))
        for record in logged_records.values():
            result.add("logged_models", record)
        for key in sorted(signatures):
            signature = signatures[key].richest.signature
            assert signature is not None  # every signature copy carries one
            result.add("signatures", signature)

    def _prompts(
        self,
        models: dict[str, Merged],
        versions: dict[tuple[str, str], Merged],
        result: ImportResult,
    ) -> set[str]:
        """The registered models that are MLflow prompts: by their own tag, else their versions'.

        MLflow tags a prompt and every version of it; a version that says otherwise than its
        registered model is an error, so that no tag on a version can hide an AI system.
        """
        names = {name for name, m in models.items() if is_prompt(m)}
        names |= {name for (name, _), m in versions.items() if name not in models and is_prompt(m)}
        for (name, number), m in sorted(versions.items()):
            if name not in models or is_prompt(m) == (name in names):
                continue
            copy = m.richest
            tag = copy.maps.get("tags", {}).get(PROMPT_TAG)
            said = "is tagged" if is_prompt(m) else "is not tagged"
            other = "is not" if is_prompt(m) else "is"
            result.problems.append(
                Problem(
                    copy.file,
                    tag[1] if tag else f"{copy.pointer}/tags",
                    f"version {show(number)} of {name} {said} as a prompt "
                    f"({PROMPT_TAG} = true), while its registered model {other}",
                    "MLflow tags a prompt and each of its versions; export both from the same "
                    "server, or remove the stale file",
                )
            )
        return names

    def _prompt_users(
        self, prompt_names: set[str], versions: list[ModelVersion]
    ) -> dict[str, set[str]]:
        """Prompt name to the model versions (``name@version``) whose logged model or run
        links it (``mlflow.linkedPrompts``): the GenAI systems that use it."""
        linked: dict[tuple[str, str | None], set[str]] = {}
        for kind in ("logged_models", "mlflow_runs"):
            for key, copies in self._copies[kind].items():
                linked[(kind, key)] = {name for c in copies for name, _ in c.prompts}
        users: dict[str, set[str]] = {}
        for version in versions:
            names = linked.get(("logged_models", version.logged_model_id), set())
            names = names | linked.get(("mlflow_runs", version.run_id), set())
            for name in names & prompt_names:
                users.setdefault(name, set()).add(version.key)
        return users

    def _merged(self, kind: str, result: ImportResult, label: Any) -> dict[Any, Merged]:
        return {
            key: merge_copies(copies, label(key), result)
            for key, copies in self._copies[kind].items()
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
                            f"{show(alias)} (version {show(version)} here, version "
                            f"{show(first_version)} there)",
                            DISAGREE_FIX,
                        )
                    )
            # On a disagreement (already an error), the newest claim stands.
            newest = max(found, key=lambda c: (c[3], c[0], c[1]))
            maps.setdefault(name, {})[alias] = newest[2]
        return maps


def _linked_prompts(
    doc: Document, copy: Copy, again: str, result: ImportResult
) -> tuple[tuple[str, str], ...]:
    """The prompts a run's or logged model's ``mlflow.linkedPrompts`` tag names, if any."""
    tag = copy.maps["tags"].get(_LINKED_PROMPTS_TAG)
    return () if tag is None else registered_versions(doc, tag[1], tag[0], result, again)


def _version_key(key: str) -> tuple[str, Any]:
    """``name@version`` in name, then version order."""
    name, _, number = key.rpartition("@")
    return (name, version_sort_key(number))
