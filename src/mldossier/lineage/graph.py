"""The lineage graph: every dataset, run, model version and sign-off as one typed graph.

Nodes carry ``kind`` (dataset, dataset_version, job, run, mlflow_run, logged_model,
model_version, registered_model, alias, stage, monitoring_report, signoff) and a short
``label``; edges carry ``kind`` (read, wrote, parent_of, trained, registered_as, promoted_to,
monitored_by, signed_off_by, version_of, run_of, produced) and point the way data flows:

- ``dataset -read-> run``, ``run -wrote-> dataset`` (OpenLineage; column lineage on the edge),
  ``dataset -read-> mlflow_run`` (MLflow dataset inputs, source URI mapped to OpenLineage
  naming), ``dataset_version -version_of-> dataset``;
- ``run -run_of-> job``, ``run -run_of-> mlflow_run`` (the OpenLineage run records that MLflow
  run), ``run -parent_of-> run`` (parent run facet: from parent to child);
- ``mlflow_run -produced-> logged_model -registered_as-> model_version``,
  ``mlflow_run -trained-> model_version``; a dataset named ``models:/<name>/<version>`` *is*
  the model version node, so training runs write it and serving runs read it;
- ``model_version -version_of-> registered_model``, ``-promoted_to-> alias|stage``,
  ``-monitored_by-> monitoring_report``, ``-signed_off_by-> signoff``.

Queries (provenance, impact, skew) walk indexes built once next to the graph, so they stay
linear in what they visit even with hundreds of thousands of runs.
"""

from __future__ import annotations

import difflib
import gc
import heapq
import re
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import networkx as nx

from mldossier.config import Config
from mldossier.errors import InputError, Problem
from mldossier.intake.linking import Index, is_production, version_sort_key
from mldossier.model import (
    Citation,
    Column,
    DatasetId,
    DatasetUse,
    Evidence,
    LineageRun,
    MlflowRun,
    ModelVersion,
    RunDatasetInput,
)

FAILED_STATES = frozenset({"FAIL", "ABORT"})
SERVING_JOB_TYPES = frozenset(
    {"SERVING", "ML_SERVING", "MODEL_SERVING", "INFERENCE", "ML_INFERENCE", "MODEL_INFERENCE"}
)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Provenance:
    """What a model version rests on, upstream down to the root datasets."""

    version_key: str
    mlflow_run_id: str | None
    training_runs: tuple[LineageRun, ...]
    """OpenLineage runs that trained it: linked to its MLflow run by tag, or that wrote
    ``models:/<name>/<version>`` (or its logged model ``models:/m-...``)."""
    upstream_runs: tuple[LineageRun, ...]
    """Every OpenLineage run upstream of the version (training runs included), writers first."""
    input_datasets: tuple[DatasetUse, ...]
    """Datasets the training runs read, as read; MLflow dataset inputs the OpenLineage runs
    do not name are added with the MLflow digest as version."""
    root_datasets: tuple[DatasetId, ...]
    """Upstream datasets no known run wrote before they were read."""
    failed_runs: tuple[LineageRun, ...]
    """Upstream runs that ended FAIL/ABORT and no later COMPLETE run of their job superseded."""
    gaps: tuple[str, ...]
    citations: tuple[Citation, ...]

    @property
    def complete(self) -> bool:
        """True when nothing is missing from the chain."""
        return not self.gaps

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "version": self.version_key,
            "mlflow_run_id": self.mlflow_run_id,
            "complete": self.complete,
            "training_runs": [run_json(r) for r in self.training_runs],
            "upstream_runs": [run_json(r) for r in self.upstream_runs],
            "input_datasets": [use_json(u) for u in self.input_datasets],
            "root_datasets": [str(d) for d in self.root_datasets],
            "failed_runs": [run_json(r) for r in self.failed_runs],
            "gaps": list(self.gaps),
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Impact:
    """A model version a dataset feeds, directly or through other runs."""

    version_key: str
    in_production: bool
    stage: str | None
    aliases: tuple[str, ...]
    via: tuple[str, ...]
    """Jobs (``namespace:name``) on the shortest path from the dataset to the version."""
    serving_runs: tuple[LineageRun, ...]
    """Serving runs that read the version (its deployments)."""
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "version": self.version_key,
            "in_production": self.in_production,
            "stage": self.stage,
            "aliases": list(self.aliases),
            "via": list(self.via),
            "serving_runs": [run_json(r) for r in self.serving_runs],
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class SkewReport:
    """Features a version was trained on against the features its serving runs read.

    ``dataset_versions_differ`` is reported but is not skew by itself: serving normally reads
    newer data of the same feature table than training did.
    """

    version_key: str
    basis: str
    """``signature``, ``training_schema`` (training input minus target columns) or ``none``."""
    serving_runs: tuple[LineageRun, ...]
    expected: tuple[Column, ...]
    served: tuple[Column, ...]
    """Feature columns of the latest serving run with a schema on a non-model input."""
    added: tuple[str, ...]
    removed: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    retyped: tuple[tuple[str, str, str], ...]
    dataset_versions_differ: tuple[tuple[str, str, str], ...]
    citations: tuple[Citation, ...]

    @property
    def has_skew(self) -> bool:
        """True when serving reads different feature columns or types than expected."""
        return bool(self.added or self.removed or self.renamed or self.retyped)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "version": self.version_key,
            "basis": self.basis,
            "has_skew": self.has_skew,
            "serving_runs": [run_json(r) for r in self.serving_runs],
            "expected": [[c.name, c.type] for c in self.expected],
            "served": [[c.name, c.type] for c in self.served],
            "added": list(self.added),
            "removed": list(self.removed),
            "renamed": [list(p) for p in self.renamed],
            "retyped": [list(t) for t in self.retyped],
            "dataset_versions_differ": [list(t) for t in self.dataset_versions_differ],
            "citations": [c.to_json() for c in self.citations],
        }


def run_json(run: LineageRun) -> dict[str, Any]:
    """The identifying part of a lineage run, JSON-ready."""
    return {
        "run_id": run.run_id,
        "job": str(run.job),
        "state": run.state,
        "started": _iso(run.started),
        "ended": _iso(run.ended),
        "cite": run.cite.to_json(),
    }


def use_json(use: DatasetUse) -> dict[str, Any]:
    """A dataset as read, JSON-ready."""
    return {
        "dataset": str(use.dataset),
        "version": use.version,
        "schema": [[c.name, c.type] for c in use.schema],
        "cite": use.cite.to_json(),
    }


# ---------------------------------------------------------------- naming helpers


def dataset_id_from_uri(uri: str) -> DatasetId | None:
    """The OpenLineage dataset identity of a storage URI (OpenLineage naming spec).

    ``file:///data/x.parquet`` and ``/data/x.parquet`` -> ``("file", "/data/x.parquet")``;
    ``s3://bucket/key`` -> ``("s3://bucket", "/key")`` (likewise gs, abfss, hdfs...);
    None when the text is no URI (e.g. ``sklearn.datasets.load_wine``).
    """
    uri = uri.strip()
    if uri.startswith("/"):
        return DatasetId("file", uri)
    parts = urlsplit(uri)
    if not parts.scheme or len(parts.scheme) == 1:  # "C:\..." is a drive letter, not a scheme
        return None
    scheme = parts.scheme.lower()
    path = unquote(parts.path) or "/"
    if scheme == "file":
        return DatasetId("file", path if path.startswith("/") else "/" + path)
    if scheme in ("dbfs",) and not parts.netloc:
        return DatasetId("dbfs", path)
    if not parts.netloc:
        return None
    return DatasetId(f"{scheme}://{parts.netloc}", path if path.startswith("/") else "/" + path)


_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<ref>[^/]+)|@(?P<alias>[^/]+))?/?$")


def normalise_type(text: str) -> str:
    """A column type in one vocabulary: double/float64 -> float, long/int64 -> int, ..."""
    base = re.split(r"[(\[<]", text.strip().lower(), maxsplit=1)[0].strip()
    return _TYPE_WORDS.get(base, base)


_TYPE_WORDS = {
    **dict.fromkeys(
        (
            "double",
            "float",
            "float64",
            "float32",
            "float16",
            "real",
            "fp64",
            "fp32",
            "double precision",
        ),
        "float",
    ),
    **dict.fromkeys(
        (
            "long",
            "int",
            "int64",
            "int32",
            "int16",
            "int8",
            "integer",
            "bigint",
            "smallint",
            "tinyint",
            "short",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        ),
        "int",
    ),
    **dict.fromkeys(
        (
            "string",
            "str",
            "object",
            "varchar",
            "text",
            "char",
            "utf8",
            "large_string",
            "category",
            "categorical",
        ),
        "string",
    ),
    **dict.fromkeys(("boolean", "bool"), "bool"),
    **dict.fromkeys(
        ("datetime", "datetime64", "timestamp", "timestamp_ntz", "timestamp_ltz"), "datetime"
    ),
    **dict.fromkeys(("binary", "bytes", "bytea", "blob"), "binary"),
}


def _name_tokens(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return tuple(sorted(t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t))


def short_id(run_id: str) -> str:
    """A run id shortened for display: head and tail (UUIDv7 ids share their time prefix)."""
    return run_id if len(run_id) <= 14 else f"{run_id[:8]}…{run_id[-4:]}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _stamp(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _read_time(run: LineageRun) -> float | None:
    return _stamp(run.started or run.last_event or run.ended)


def _done_time(run: LineageRun) -> float | None:
    """When a run's output became available: its end, else its last event."""
    return _stamp(run.ended or run.last_event or run.started)


def _run_order(run: LineageRun) -> tuple[str, str]:
    return (_iso(run.started or run.last_event) or "", run.run_id)


def _is_model_dataset(use: DatasetUse) -> bool:
    return use.dataset.name.startswith("models:/") or (use.dataset_type or "").upper() == "MODEL"


def _unique_cites(cites: Iterable[Citation]) -> tuple[Citation, ...]:
    return tuple(sorted(set(cites)))


def dataset_node(dataset: DatasetId) -> str:
    """The node id of a dataset."""
    return f"dataset:{dataset.namespace}:{dataset.name}"


def version_node(key: str) -> str:
    """The node id of a model version (``name@version``)."""
    return f"mv:{key}"


# ---------------------------------------------------------------- the graph

Key = tuple[str, str]
"""A dataset or job identity as a plain ``(namespace, name)`` tuple."""

# The attributes of edges that carry nothing but their kind, one dict shared by all of them
# (hundreds of thousands of runs each have one); edge attributes are never changed.
_RUN_OF: dict[str, Any] = {"kind": "run_of"}
_PARENT_OF: dict[str, Any] = {"kind": "parent_of"}
_VERSION_OF: dict[str, Any] = {"kind": "version_of"}


@dataclass
class _Trace:
    """Working state of one upstream walk."""

    runs: dict[str, LineageRun] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)
    roots: set[DatasetId] = field(default_factory=set)


class LineageGraph:
    """The lineage of one evidence bundle, as a networkx graph plus the queries on it."""

    graph: nx.MultiDiGraph

    def __init__(self, evidence: Evidence, config: Config, index: Index):
        self.evidence = evidence
        self.config = config
        self.index = index
        self._serving_patterns = _compile_patterns(config)
        self.graph = nx.MultiDiGraph()
        # Filled straight into networkx's adjacency dicts: ``add_edge`` costs several
        # microseconds an edge (it goes through views), most of the build time with millions
        # of edges. This is the layout networkx documents: ``_succ[u][v] is _pred[v][u]``,
        # a dict of edge key (here the edge kind) to the edge's attributes.
        self._nodes: dict[str, dict[str, Any]] = self.graph._node
        self._succ: dict[str, dict[str, dict[str, Any]]] = self.graph._succ
        self._pred: dict[str, dict[str, dict[str, Any]]] = self.graph._pred
        # Indexes are keyed by (namespace, name) tuples, not DatasetId: hashing a tuple of
        # str runs in C, a dataclass __hash__/__eq__ in Python (millions of look-ups).
        self._writers: dict[Key, list[tuple[float | None, LineageRun]]] = defaultdict(list)
        self._writers_by_version: dict[tuple[str, str, str], list[LineageRun]] = defaultdict(list)
        self._readers: dict[Key, list[LineageRun]] = defaultdict(list)
        self._mlflow_readers: dict[Key, list[str]] = defaultdict(list)
        self._mlflow_inputs: dict[str, list[tuple[DatasetId, RunDatasetInput]]] = {}
        self._model_writers: dict[str, list[LineageRun]] = defaultdict(list)
        self._model_readers: dict[str, list[LineageRun]] = defaultdict(list)
        self._runs_by_job: dict[Key, list[LineageRun]] = defaultdict(list)
        self._latest_complete: dict[Key, float] = {}
        self._cache: dict[str, Any] = {}
        self._ds_info: dict[Key, tuple[str, list[ModelVersion]]] = {}
        self._job_nodes: dict[Key, str] = {}
        with _collector_paused():
            self._build()

    # ------------------------------------------------------------ building

    def _node(self, node: str, kind: str, label: str, **attrs: Any) -> str:
        if node not in self._nodes:
            self._new_node(node, {"kind": kind, "label": label, **attrs})
        elif self._nodes[node].get("missing"):
            self._nodes[node] = {"kind": kind, "label": label, **attrs}
        return node

    def _new_node(self, node: str, attrs: dict[str, Any]) -> None:
        self._nodes[node] = attrs
        self._succ[node] = {}
        self._pred[node] = {}

    def _edge(self, u: str, v: str, kind: str, **attrs: Any) -> None:
        for end in (u, v):
            if end not in self._nodes:
                self._new_node(end, {"kind": "unknown", "label": end})
        self._link(u, v, kind, {"kind": kind, **attrs})

    def _link(self, u: str, v: str, key: str, attrs: dict[str, Any]) -> None:
        """Add an edge between two existing nodes (one per kind and direction)."""
        keys = self._succ[u].get(v)
        if keys is None:
            keys = self._succ[u][v] = {}
            self._pred[v][u] = keys
        keys[key] = attrs

    def _build(self) -> None:
        ev, index = self.evidence, self.index
        self._build_registry()
        for run in ev.lineage_runs:
            self._build_lineage_run(run)
        # After the OpenLineage runs, so MLflow inputs can join the datasets they name.
        for mrun in ev.mlflow_runs:
            self._build_mlflow_run(mrun)
        # OpenLineage run <-> MLflow run, by either tag convention.
        for mrun in ev.mlflow_runs:
            for ol in index.lineage_runs_of(mrun.run_id):
                self._edge(f"run:{ol.run_id}", f"mlflow_run:{mrun.run_id}", "run_of")
        for run in ev.lineage_runs:
            if run.mlflow_run_id:
                target = self._mlflow_node(run.mlflow_run_id)
                self._edge(f"run:{run.run_id}", target, "run_of")
        for report in ev.reports:
            key = f"{report.model_name}@{report.model_version}"
            if key in index.version_by_key:
                node = self._node(
                    f"report:{report.cite.file}{report.cite.pointer}",
                    "monitoring_report",
                    report.name or report.cite.file,
                    record=report,
                )
                self._edge(version_node(key), node, "monitored_by")
        for signoff in ev.signoffs:
            node = self._node(
                f"signoff:{signoff.id}",
                "signoff",
                f"{signoff.kind}: {signoff.title}",
                record=signoff,
            )
            if signoff.version is not None and signoff.subject in index.version_by_key:
                self._edge(version_node(signoff.subject), node, "signed_off_by")
            elif signoff.version is None and signoff.system in index.systems:
                self._edge(f"rm:{signoff.system}", node, "signed_off_by")
        for job, runs in self._runs_by_job.items():
            done = [t for r in runs if r.state == "COMPLETE" and (t := _done_time(r)) is not None]
            if done:
                self._latest_complete[job] = max(done)

    def _build_registry(self) -> None:
        index = self.index
        for model in self.evidence.registered_models:
            self._node(f"rm:{model.name}", "registered_model", model.name, record=model)
        for version in self.evidence.model_versions:
            mv = self._node(
                version_node(version.key),
                "model_version",
                f"{version.name} v{version.version}",
                record=version,
                production=is_production(version, self.config),
            )
            rm = self._node(f"rm:{version.name}", "registered_model", version.name)
            self._edge(mv, rm, "version_of")
            system = index.systems.get(version.name)
            aliases = set(version.aliases)
            if system is not None:
                aliases.update(a for a, v in system.aliases.items() if v == version.version)
            for alias in sorted(aliases):
                node = self._node(f"alias:{version.name}@{alias}", "alias", f"@{alias}")
                self._edge(mv, node, "promoted_to")
            if version.stage and version.stage != "None":
                node = self._node(
                    f"stage:{version.name}/{version.stage}", "stage", f"stage {version.stage}"
                )
                self._edge(mv, node, "promoted_to")
            run_id = index.run_id_of(version)
            if run_id:
                self._edge(self._mlflow_node(run_id), mv, "trained")
            if version.logged_model_id:
                lm = self._node(
                    f"logged_model:{version.logged_model_id}",
                    "logged_model",
                    f"logged model {version.logged_model_id}",
                    missing=True,
                )
                self._edge(lm, mv, "registered_as")
        for logged in self.evidence.logged_models:
            lm = self._node(
                f"logged_model:{logged.model_id}",
                "logged_model",
                f"logged model: {logged.name}\n{logged.model_id}",
                record=logged,
            )
            if logged.source_run_id:
                self._edge(self._mlflow_node(logged.source_run_id), lm, "produced")
            for name, number in logged.model_versions:
                if f"{name}@{number}" in index.version_by_key:
                    self._edge(lm, version_node(f"{name}@{number}"), "registered_as")

    def _mlflow_node(self, run_id: str) -> str:
        node = f"mlflow_run:{run_id}"
        record = self.index.runs.get(run_id)
        if record is not None:
            return self._node(
                node,
                "mlflow_run",
                f"MLflow run {record.run_name or run_id}\n{run_id[:12]}",
                record=record,
            )
        return self._node(
            node, "mlflow_run", f"MLflow run {run_id[:12]} (not exported)", missing=True
        )

    def _build_mlflow_run(self, mrun: MlflowRun) -> None:
        node = self._mlflow_node(mrun.run_id)
        inputs: list[tuple[DatasetId, RunDatasetInput]] = []
        for item in mrun.dataset_inputs:
            dataset = self._mlflow_dataset(item)
            inputs.append((dataset, item))
            ds = self._dataset_node(dataset)
            self._edge(
                ds,
                node,
                "read",
                version=item.digest or None,
                context=item.context or "",
                mlflow_dataset=item.name,
            )
            self._mlflow_readers[(dataset.namespace, dataset.name)].append(mrun.run_id)
        self._mlflow_inputs[mrun.run_id] = inputs

    def _mlflow_dataset(self, item: RunDatasetInput) -> DatasetId:
        """The OpenLineage dataset an MLflow dataset input is, by its source URI."""
        uri = item.source_uri or next(
            (item.source[k] for k in ("uri", "url", "path") if isinstance(item.source.get(k), str)),
            None,
        )
        mapped = dataset_id_from_uri(uri) if uri else None
        if mapped is None:
            # No storage location (e.g. an in-memory or library dataset): MLflow's own name.
            return DatasetId("mlflow", item.name)

        def known(d: DatasetId) -> bool:
            return (d.namespace, d.name) in self._ds_info or d in self.index.datasets

        if not known(mapped) and mapped.namespace != "file":
            # Producers differ on a leading slash in object-store keys; join either form.
            alternative = DatasetId(mapped.namespace, mapped.name.lstrip("/"))
            if known(alternative):
                return alternative
        return mapped

    def _dataset_node(self, dataset: DatasetId) -> str:
        return self._dataset_info(dataset)[0]

    def _dataset_info(self, dataset: DatasetId) -> tuple[str, list[ModelVersion]]:
        """The node of a dataset (a model version for ``models:/``) and the versions it is."""
        key = (dataset.namespace, dataset.name)
        info = self._ds_info.get(key)
        if info is None:
            refs = self._model_refs(dataset)
            if refs:
                info = (version_node(refs[0].key), refs)
            else:
                node = dataset_node(dataset)
                if node not in self._nodes:
                    self._new_node(
                        node,
                        {
                            "kind": "dataset",
                            "label": dataset.name,
                            "namespace": dataset.namespace,
                            "dataset": dataset,
                        },
                    )
                info = (node, refs)
            self._ds_info[key] = info
        return info

    def _build_lineage_run(self, run: LineageRun) -> None:
        # The hot loop of the build (hundreds of thousands of runs): plain dict work only.
        nodes, link = self._nodes, self._link
        rid = run.run_id
        node = "run:" + rid
        self._node(node, "run", f"{run.job.name}\n{run.state} · run {short_id(rid)}", record=run)
        job_key = (run.job.namespace, run.job.name)
        job = self._job_nodes.get(job_key)
        if job is None:
            job = self._node(f"job:{job_key[0]}:{job_key[1]}", "job", str(run.job))
            self._job_nodes[job_key] = job
        link(node, job, "run_of", _RUN_OF)
        self._runs_by_job[job_key].append(run)
        if run.parent_run_id:
            parent = "run:" + run.parent_run_id
            if parent not in nodes:
                job_name = run.parent_job.name if run.parent_job else "?"
                self._new_node(
                    parent,
                    {
                        "kind": "run",
                        "missing": True,
                        "label": f"{job_name}\n(no events) run {short_id(run.parent_run_id)}",
                    },
                )
            link(parent, node, "parent_of", _PARENT_OF)
        writes = {(u.dataset.namespace, u.dataset.name) for u in run.outputs}
        for use in run.inputs:
            ds, refs = self._dataset_info(use.dataset)
            key = (use.dataset.namespace, use.dataset.name)
            link(
                ds,
                node,
                "read",
                {
                    "kind": "read",
                    "version": use.version or None,
                    "column_lineage": use.column_lineage,
                    "in_place": key in writes,
                },
            )
            self._readers[key].append(run)
            for version in refs:
                self._model_readers[version.key].append(run)
            if use.version and not refs:
                self._version_node(use, ds)
        if run.outputs:
            done = _done_time(run)
        for use in run.outputs:
            ds, refs = self._dataset_info(use.dataset)
            link(
                node,
                ds,
                "wrote",
                {
                    "kind": "wrote",
                    "version": use.version or None,
                    "column_lineage": use.column_lineage,
                },
            )
            key = (use.dataset.namespace, use.dataset.name)
            self._writers[key].append((done, run))
            if use.version:
                self._writers_by_version[(*key, use.version)].append(run)
                if not refs:
                    self._version_node(use, ds)
            for version in refs:
                self._model_writers[version.key].append(run)

    def _version_node(self, use: DatasetUse, ds: str) -> None:
        node = f"dsv:{use.dataset.namespace}:{use.dataset.name}@{use.version}"
        if node not in self._nodes:
            self._new_node(
                node,
                {
                    "kind": "dataset_version",
                    "label": f"{use.dataset.name}@{(use.version or '')[:12]}",
                },
            )
            self._link(node, ds, "version_of", _VERSION_OF)

    def _model_refs(self, dataset: DatasetId) -> list[ModelVersion]:
        """The model versions a ``models:/...`` dataset name stands for (MLflow model URIs)."""
        if not dataset.name.startswith("models:/"):
            return []
        cache = self._cache.setdefault("model_refs", {})
        if dataset.name not in cache:
            cache[dataset.name] = self._resolve_model_uri(dataset.name)
        return list(cache[dataset.name])

    def _resolve_model_uri(self, uri: str) -> list[ModelVersion]:
        match = _MODEL_URI.match(uri)
        if not match:
            return []
        index = self.index
        name, ref, alias = match["name"], match["ref"], match["alias"]
        if ref is None and alias is None:
            # models:/m-<id>: an MLflow 3 logged model, registered as these versions.
            return sorted(
                (v for v in self.evidence.model_versions if v.logged_model_id == name),
                key=lambda v: (v.name, version_sort_key(v.version)),
            )
        versions = index.versions.get(name, [])
        if alias is not None:
            model = index.systems.get(name)
            number = model.aliases.get(alias) if model else None
            return [v for v in versions if v.version == number or alias in v.aliases][-1:]
        if f"{name}@{ref}" in index.version_by_key:
            return [index.version_by_key[f"{name}@{ref}"]]
        # models:/<name>/<stage>: MLflow serves the latest version in that stage.
        return [v for v in versions if (v.stage or "").lower() == ref.lower()][-1:]

    # ------------------------------------------------------------ look-ups

    def dataset_ids(self) -> list[DatasetId]:
        """Every dataset the graph knows (OpenLineage and mapped MLflow inputs), sorted."""
        return sorted(
            attrs["dataset"]
            for _, attrs in self.graph.nodes(data=True)
            if attrs.get("kind") == "dataset"
        )

    def is_serving(self, run: LineageRun) -> bool:
        """Whether a run is a serving run: jobType SERVING, or a job name pattern matches."""
        if (run.job_type or "").upper() in SERVING_JOB_TYPES:
            return True
        return any(p.search(run.job.name) for p in self._serving_patterns)

    def serving_runs_of(self, version: ModelVersion) -> list[LineageRun]:
        """Serving runs that read the version (any state: a live server may only START)."""
        runs = {r.run_id: r for r in self._model_readers.get(version.key, ()) if self.is_serving(r)}
        return sorted(runs.values(), key=_run_order)

    def training_runs_of(self, version: ModelVersion) -> list[LineageRun]:
        """OpenLineage runs that trained the version (by MLflow tag link or models:/ write)."""
        found: dict[str, LineageRun] = {}
        run_id = self.index.run_id_of(version)
        if run_id:
            for run in self.index.lineage_runs_of(run_id):
                found[run.run_id] = run
        for run in self._model_writers.get(version.key, ()):
            found.setdefault(run.run_id, run)
        return sorted(found.values(), key=_run_order)

    def writers_of(
        self, reader: LineageRun | MlflowRun | None, use: DatasetUse
    ) -> list[LineageRun]:
        """The runs whose output a read (by an OpenLineage or MLflow run) used.

        The writers of the exact version read when versions match; otherwise the latest
        COMPLETE writer that finished before the reader started, plus any writer after it that
        did not complete (its partial output may have been read). Writers with no time are
        always included, since they cannot be ordered.
        """
        if isinstance(reader, LineageRun):
            return self._writers_at(use, _read_time(reader), reader.run_id)
        return self._writers_at(use, _stamp(reader.start) if reader else None, None)

    def _writers_at(self, use: DatasetUse, at: float | None, own: str | None) -> list[LineageRun]:
        if use.version:
            exact = [
                r
                for r in self._writers_by_version.get(
                    (use.dataset.namespace, use.dataset.name, use.version), ()
                )
                if r.run_id != own
            ]
            if exact:
                return sorted(exact, key=_run_order)
        key = (use.dataset.namespace, use.dataset.name)
        if key not in self._writers:
            return []
        times, timed, untimed = self._writer_index(key)
        cut = len(timed) if at is None else bisect_right(times, at)
        chosen: list[LineageRun] = []
        for i in range(cut - 1, -1, -1):
            run = timed[i]
            if run.run_id == own:
                continue
            chosen.append(run)
            if run.state == "COMPLETE":
                break
        chosen.extend(r for r in untimed if r.run_id != own)
        return sorted(chosen, key=_run_order)

    def _writer_index(self, key: Key) -> tuple[list[float], list[LineageRun], list[LineageRun]]:
        cache = self._cache.setdefault("writers", {})
        if key not in cache:
            writers = self._writers[key]
            timed = sorted(
                ((done, run.run_id, run) for done, run in writers if done is not None),
                key=lambda t: (t[0], t[1]),
            )
            untimed = sorted((run for done, run in writers if done is None), key=lambda r: r.run_id)
            cache[key] = ([t[0] for t in timed], [t[2] for t in timed], untimed)
        result: tuple[list[float], list[LineageRun], list[LineageRun]] = cache[key]
        return result

    def superseded(self, run: LineageRun) -> bool:
        """Whether a failed run was followed by a COMPLETE run of the same job."""
        latest = self._latest_complete.get((run.job.namespace, run.job.name))
        failed_at = _done_time(run)
        return latest is not None and failed_at is not None and latest > failed_at

    # ------------------------------------------------------------ provenance

    def provenance(self, version: ModelVersion) -> Provenance:
        """Everything upstream of a model version, with what is missing in plain words."""
        cache = self._cache.setdefault("provenance", {})
        if version.key not in cache:
            cache[version.key] = self._provenance(version)
        result: Provenance = cache[version.key]
        return result

    def _provenance(self, version: ModelVersion) -> Provenance:
        index, linking = self.index, self.config.linking
        gaps: list[str] = []
        cites: list[Citation] = [version.cite]
        run_id = index.run_id_of(version)
        mrun = index.runs.get(run_id) if run_id else None
        if run_id is None:
            gaps.append("no MLflow run recorded for the version")
        elif mrun is None:
            gaps.append(f"MLflow run {run_id} is not in the MLflow export")
        else:
            cites.append(mrun.cite)
        training = self.training_runs_of(version)
        if not training:
            if run_id:
                gaps.append(
                    f"MLflow run {run_id} has no OpenLineage training run (tag "
                    f"{linking.openlineage_mlflow_run_tag} or "
                    f"{linking.mlflow_openlineage_run_tag})"
                )
            else:
                gaps.append(f"no OpenLineage run wrote models:/{version.name}/{version.version}")
        inputs: dict[DatasetId, DatasetUse] = {}
        for run in training:
            for use in run.inputs:
                if use.dataset not in inputs or (use.version and not inputs[use.dataset].version):
                    inputs[use.dataset] = use
        extra_uses = list(
            {u.dataset: u for u in self.mlflow_inputs(run_id) if u.dataset not in inputs}.values()
        )
        trace = self._trace(training, extra_uses, mrun)
        for use in extra_uses:
            inputs[use.dataset] = use
        if training and not inputs:
            gaps.append("the training run records no input datasets")
        for dataset in sorted(inputs):
            use = inputs[dataset]
            if not use.schema:
                gaps.append(f"training input {dataset} has no schema facet")
            if not use.version:
                gaps.append(f"training input {dataset} was read without a version")
            cites.append(use.cite)
        upstream = self._topological(trace)
        cites.extend(r.cite for r in upstream)
        failed = [r for r in upstream if r.state in FAILED_STATES and not self.superseded(r)]
        return Provenance(
            version_key=version.key,
            mlflow_run_id=run_id,
            training_runs=tuple(training),
            upstream_runs=tuple(upstream),
            input_datasets=tuple(inputs[d] for d in sorted(inputs)),
            root_datasets=tuple(sorted(trace.roots)),
            failed_runs=tuple(failed),
            gaps=tuple(gaps),
            citations=_unique_cites(cites),
        )

    def mlflow_inputs(self, run_id: str | None) -> list[DatasetUse]:
        """An MLflow run's dataset inputs as dataset uses (digest as version), training last."""
        uses = []
        # Training inputs last, so they win when two splits map to one dataset.
        items = sorted(
            self._mlflow_inputs.get(run_id or "", ()),
            key=lambda pair: pair[1].context == "training",
        )
        for dataset, item in items:
            uses.append(
                DatasetUse(
                    dataset,
                    item.digest or None,
                    item.schema,
                    None,
                    {},
                    (),
                    (),
                    item.cite,
                    item.context or None,
                )
            )
        return uses

    def _trace(
        self, start: list[LineageRun], extra: list[DatasetUse], extra_reader: MlflowRun | None
    ) -> _Trace:
        """Walk upstream from runs (and loose dataset reads), never visiting a run twice."""
        trace = _Trace()
        queue: deque[LineageRun] = deque()
        for run in start:
            if run.run_id not in trace.runs:
                trace.runs[run.run_id] = run
                queue.append(run)

        def follow(reader: LineageRun | MlflowRun | None, use: DatasetUse) -> None:
            writers = self.writers_of(reader, use)
            if not writers:
                trace.roots.add(use.dataset)
            for writer in writers:
                if isinstance(reader, LineageRun):
                    trace.links.add((writer.run_id, reader.run_id))
                if writer.run_id not in trace.runs:
                    trace.runs[writer.run_id] = writer
                    queue.append(writer)

        for use in extra:
            follow(extra_reader, use)
        while queue:
            run = queue.popleft()
            for use in run.inputs:
                follow(run, use)
        return trace

    def _topological(self, trace: _Trace) -> list[LineageRun]:
        """Upstream runs with writers before readers; ties (and cycles) in time order."""
        key = {rid: _run_order(r) for rid, r in trace.runs.items()}
        after: dict[str, list[str]] = defaultdict(list)
        waiting = dict.fromkeys(trace.runs, 0)
        for writer, reader in trace.links:
            after[writer].append(reader)
            waiting[reader] += 1
        ready = [(key[rid], rid) for rid, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, rid = heapq.heappop(ready)
            order.append(rid)
            for nxt in after[rid]:
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    heapq.heappush(ready, (key[nxt], nxt))
        placed = set(order)
        order.extend(sorted((rid for rid in trace.runs if rid not in placed), key=key.__getitem__))
        return [trace.runs[i] for i in order]

    # ------------------------------------------------------------ impact

    def downstream(self, dataset: DatasetId) -> list[Impact]:
        """Every model version the dataset feeds, transitively, with its deployments."""
        impacts, _ = self._downstream(dataset)
        return impacts

    def _downstream(self, dataset: DatasetId) -> tuple[list[Impact], set[str]]:
        training_of = self._training_index()
        seen_runs: dict[str, tuple[str, ...]] = {}
        seen_data: set[DatasetId] = {dataset}
        reached: dict[str, tuple[tuple[str, ...], list[Citation]]] = {}
        nodes: set[str] = {dataset_node(dataset)}
        queue: deque[tuple[str, Any, tuple[str, ...]]] = deque([("dataset", dataset, ())])

        def reach(key: str, via: tuple[str, ...], cite: Citation) -> None:
            if key not in reached:
                reached[key] = (via, [])
                queue.append(("model", key, via))
            reached[key][1].append(cite)

        while queue:
            kind, item, via = queue.popleft()
            if kind == "dataset":
                readers = self._readers.get((item.namespace, item.name), [])
                for mrun_id in sorted(
                    set(self._mlflow_readers.get((item.namespace, item.name), ()))
                ):
                    nodes.add(f"mlflow_run:{mrun_id}")
                    for version in self._versions_of_mlflow_run().get(mrun_id, ()):
                        reach(version.key, via, self.index.runs[mrun_id].cite)
            else:
                readers = self._model_readers.get(item, [])
                nodes.add(version_node(item))
            for run in sorted(readers, key=_run_order):
                if run.run_id in seen_runs:
                    continue
                path = (*via, str(run.job))
                seen_runs[run.run_id] = path
                nodes.add(f"run:{run.run_id}")
                for key in sorted(training_of.get(run.run_id, ())):
                    reach(key, path, run.cite)
                for use in run.outputs:
                    if use.dataset.name.startswith("models:/"):
                        continue  # reached as a model version through training_of
                    if use.dataset not in seen_data:
                        seen_data.add(use.dataset)
                        nodes.add(dataset_node(use.dataset))
                        queue.append(("dataset", use.dataset, path))
        impacts = []
        for key, (via, cites) in reached.items():
            version = self.index.version_by_key[key]
            serving = self.serving_runs_of(version)
            nodes.update(f"run:{r.run_id}" for r in serving)
            impacts.append(
                Impact(
                    version_key=key,
                    in_production=is_production(version, self.config),
                    stage=version.stage if version.stage != "None" else None,
                    aliases=tuple(sorted(version.aliases)),
                    via=tuple(dict.fromkeys(via)),
                    serving_runs=tuple(serving),
                    citations=_unique_cites([version.cite, *cites, *(r.cite for r in serving)]),
                )
            )
        impacts.sort(
            key=lambda i: (
                i.version_key.rsplit("@", 1)[0],
                version_sort_key(i.version_key.rsplit("@", 1)[1]),
            )
        )
        return impacts, nodes

    def _training_index(self) -> dict[str, set[str]]:
        """OpenLineage run id to the keys of the versions it trained."""
        if "training_of" not in self._cache:
            found: dict[str, set[str]] = defaultdict(set)
            for version in self.evidence.model_versions:
                for run in self.training_runs_of(version):
                    found[run.run_id].add(version.key)
            self._cache["training_of"] = found
        result: dict[str, set[str]] = self._cache["training_of"]
        return result

    def _versions_of_mlflow_run(self) -> dict[str, list[ModelVersion]]:
        if "by_mlflow_run" not in self._cache:
            found: dict[str, list[ModelVersion]] = defaultdict(list)
            for version in self.evidence.model_versions:
                run_id = self.index.run_id_of(version)
                if run_id:
                    found[run_id].append(version)
            self._cache["by_mlflow_run"] = found
        result: dict[str, list[ModelVersion]] = self._cache["by_mlflow_run"]
        return result

    # ------------------------------------------------------------ skew

    def skew(self, version: ModelVersion) -> SkewReport:
        """Training features (signature, else training schema) against serving features."""
        targets = {t.lower() for t in self.config.linking.target_columns}
        cites: list[Citation] = []
        signature = self.index.signature_of(version)
        provenance = self.provenance(version)
        expected: tuple[Column, ...] = ()
        basis = "none"
        if signature is not None and any(c.name for c in signature.inputs):
            expected = tuple(c for c in signature.inputs if c.name)
            basis = "signature"
            cites.append(signature.cite)
        else:
            columns: dict[str, Column] = {}
            for use in provenance.input_datasets:
                if _is_model_dataset(use) or not use.schema:
                    continue
                cites.append(use.cite)
                for col in use.schema:
                    if col.name.lower() not in targets:
                        columns.setdefault(col.name, col)
            if columns:
                expected, basis = tuple(columns.values()), "training_schema"
        serving = self.serving_runs_of(version)
        cites.extend(r.cite for r in serving)
        served_uses = self._served_features(serving)
        served: dict[str, Column] = {}
        for use in served_uses:
            cites.append(use.cite)
            for col in use.schema:
                if col.name and col.name.lower() not in targets:
                    served.setdefault(col.name, col)
        added: list[str] = []
        removed: list[str] = []
        renamed: list[tuple[str, str]] = []
        retyped: list[tuple[str, str, str]] = []
        if expected and served:
            want = {c.name: c for c in expected}
            removed = [n for n in want if n not in served]
            added = [n for n in served if n not in want]
            renamed = self._renames(removed, added, want, served, served_uses)
            for old, new in renamed:
                removed.remove(old)
                added.remove(new)
            pairs = [(n, n) for n in want if n in served] + renamed
            for old, new in pairs:
                a, b = normalise_type(want[old].type), normalise_type(served[new].type)
                if a and b and a != b:
                    retyped.append((old, want[old].type, served[new].type))
        differ: list[tuple[str, str, str]] = []
        trained_on = {u.dataset: u.version for u in provenance.input_datasets if u.version}
        for use in served_uses:
            before = trained_on.get(use.dataset)
            if before and use.version and use.version != before:
                differ.append((str(use.dataset), before, use.version))
        return SkewReport(
            version_key=version.key,
            basis=basis,
            serving_runs=tuple(serving),
            expected=expected,
            served=tuple(served.values()),
            added=tuple(sorted(added)),
            removed=tuple(sorted(removed)),
            renamed=tuple(sorted(renamed)),
            retyped=tuple(sorted(retyped)),
            dataset_versions_differ=tuple(sorted(differ)),
            citations=_unique_cites(cites),
        )

    def _served_features(self, serving: list[LineageRun]) -> list[DatasetUse]:
        """The feature reads (with a schema) of the latest serving run that has any.

        A read without a schema facet takes the schema its writer recorded for the output.
        """
        for run in sorted(serving, key=lambda r: (_read_time(r) or 0.0, r.run_id), reverse=True):
            uses = []
            for use in run.inputs:
                if _is_model_dataset(use):
                    continue
                if not use.schema:
                    written = [
                        o
                        for w in self.writers_of(run, use)[-1:]
                        for o in w.outputs
                        if o.dataset == use.dataset and o.schema
                    ]
                    use = written[0] if written else use
                if use.schema:
                    uses.append(use)
            if uses:
                return uses
        return []

    def _renames(
        self,
        removed: list[str],
        added: list[str],
        want: dict[str, Column],
        served: dict[str, Column],
        uses: list[DatasetUse],
    ) -> list[tuple[str, str]]:
        """Pair removed with added columns that are one column renamed."""
        lineage = self._served_lineage(uses)
        pairs: list[tuple[str, str]] = []
        free = list(added)
        for old in sorted(removed):
            by_lineage = [new for new in free if old in lineage.get(new, ())]
            if by_lineage:
                choice = sorted(by_lineage)[0]
            else:
                old_type = normalise_type(want[old].type)
                scored = []
                for new in free:
                    new_type = normalise_type(served[new].type)
                    if old_type and new_type and old_type != new_type:
                        continue
                    if _name_tokens(old) == _name_tokens(new):
                        scored.append((2.0, new))
                    else:
                        ratio = difflib.SequenceMatcher(None, old.lower(), new.lower()).ratio()
                        if ratio >= 0.8:
                            scored.append((ratio, new))
                if not scored:
                    continue
                choice = sorted(scored, key=lambda s: (-s[0], s[1]))[0][1]
            pairs.append((old, choice))
            free.remove(choice)
        return pairs

    def _served_lineage(self, uses: list[DatasetUse]) -> dict[str, set[str]]:
        """Served column to the input field names it came from (columnLineage facets)."""
        found: dict[str, set[str]] = defaultdict(set)
        facets = [u.column_lineage for u in uses]
        for use in uses:
            for writer in self.writers_of(None, use)[-1:]:
                facets.extend(o.column_lineage for o in writer.outputs if o.dataset == use.dataset)
        for fields in facets:
            for column, spec in fields.items():
                items = spec.get("inputFields", []) if isinstance(spec, dict) else spec
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict) and isinstance(item.get("field"), str):
                        found[column].add(item["field"])
        return found

    # ------------------------------------------------------------ subgraphs

    def version_nodes(self, version: ModelVersion) -> set[str]:
        """The nodes of one version's lineage: provenance, registry, deployments, evidence."""
        prov = self.provenance(version)
        mv = version_node(version.key)
        nodes = {mv, f"rm:{version.name}"}
        for run in prov.upstream_runs:
            nodes.add(f"run:{run.run_id}")
            nodes.update(self._dataset_node_of(u.dataset) for u in run.inputs)
            nodes.update(self._dataset_node_of(u.dataset) for u in run.outputs)
            if run.parent_run_id:
                nodes.add(f"run:{run.parent_run_id}")
        nodes.update(self._dataset_node_of(u.dataset) for u in prov.input_datasets)
        for run in self.serving_runs_of(version):
            nodes.add(f"run:{run.run_id}")
            nodes.update(self._dataset_node_of(u.dataset) for u in (*run.inputs, *run.outputs))
        for pred in self.graph.predecessors(mv):
            if self.graph.nodes[pred]["kind"] in ("mlflow_run", "logged_model"):
                nodes.add(pred)
                nodes.update(
                    p
                    for p in self.graph.predecessors(pred)
                    if self.graph.nodes[p]["kind"] == "mlflow_run"
                )
        for succ in self.graph.successors(mv):
            if self.graph.nodes[succ]["kind"] != "dataset":
                nodes.add(succ)
        return {n for n in nodes if n in self.graph}

    def _dataset_node_of(self, dataset: DatasetId) -> str:
        refs = self._model_refs(dataset)
        return version_node(refs[0].key) if refs else dataset_node(dataset)

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiDiGraph:
        """A copy of the graph on these nodes, without the mlflow-run links it lacks."""
        result: nx.MultiDiGraph = self.graph.subgraph(set(nodes)).copy()
        return result

    def system_subgraph(self, system: str) -> nx.MultiDiGraph:
        """Everything upstream and downstream of a registered model's versions."""
        nodes: set[str] = set()
        rm = f"rm:{system}"
        if rm in self.graph:
            nodes.add(rm)
            nodes.update(self.graph.successors(rm))  # system-level sign-offs
        for version in self.index.versions.get(system, []):
            nodes |= self.version_nodes(version)
        return self.subgraph(nodes)

    def downstream_subgraph(self, dataset: DatasetId) -> nx.MultiDiGraph:
        """A dataset and everything it feeds, down to model versions and their deployments."""
        impacts, nodes = self._downstream(dataset)
        for impact in impacts:
            version = self.index.version_by_key[impact.version_key]
            nodes.add(version_node(version.key))
            nodes.update(
                s
                for s in self.graph.successors(version_node(version.key))
                if self.graph.nodes[s]["kind"] in ("alias", "stage", "registered_model")
            )
        for run_node in [n for n in nodes if n.startswith("run:")]:
            record = self.graph.nodes[run_node].get("record") if run_node in self.graph else None
            if isinstance(record, LineageRun):
                nodes.update(self._dataset_node_of(u.dataset) for u in record.outputs)
        return self.subgraph(nodes)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while allocating millions of small objects.

    Each allocation burst would otherwise set off full collections over the whole graph
    again and again; nothing made here forms reference cycles that need collecting.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # The graph lives to the end of the run: frozen, so no later collection walks it.
        gc.freeze()
        if collecting:
            gc.enable()


def _compile_patterns(config: Config) -> list[re.Pattern[str]]:
    patterns, problems = [], []
    where = config.path.name if config.path else "mldossier.yaml"
    for i, text in enumerate(config.linking.serving_job_patterns):
        try:
            patterns.append(re.compile(text))
        except re.error as exc:
            problems.append(
                Problem(
                    where,
                    f"/linking/serving_job_patterns/{i}",
                    f"{text!r} is not a regular expression ({exc})",
                    "fix the pattern, e.g. 'serving|inference'",
                )
            )
    if problems:
        raise InputError(problems)
    return patterns


def build_graph(evidence: Evidence, config: Config, index: Index) -> LineageGraph:
    """Build the lineage graph of an evidence bundle, with the run's one look-up ``Index``."""
    return LineageGraph(evidence, config, index)
