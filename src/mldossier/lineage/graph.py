"""The lineage graph: every dataset, run, model version and sign-off as one typed graph.

Nodes carry ``kind`` (dataset, dataset_version, job, run, mlflow_run, logged_model,
model_version, registered_model, alias, stage, monitoring_report, signoff) and a short
``label``; edges carry ``kind`` (read, wrote, parent_of, trained, registered_as, promoted_to,
monitored_by, signed_off_by, version_of, run_of, produced) and point the way data flows:

- ``dataset -read-> run``, ``run -wrote-> dataset`` (OpenLineage; column lineage on the edge),
  ``dataset -read-> mlflow_run`` (MLflow dataset inputs, source URI mapped to OpenLineage
  naming), ``dataset_version -version_of-> dataset``;
- ``run -run_of-> job``, ``run -run_of-> mlflow_run`` (the OpenLineage run records that MLflow
  run; ``basis`` on the edge: tag, output or dataset+time), ``run -parent_of-> run`` (parent run facet: from parent to child);
- ``mlflow_run -produced-> logged_model -registered_as-> model_version``,
  ``mlflow_run -trained-> model_version``; a dataset named ``models:/<name>/<version>`` *is*
  the model version node, so training runs write it and serving runs read it;
- ``model_version -version_of-> registered_model``, ``-promoted_to-> alias|stage``,
  ``-monitored_by-> monitoring_report``, ``-signed_off_by-> signoff``.

This module builds the graph and the indexes next to it. The questions asked of it are
functions of a :class:`LineageGraph` in the modules beside this one: :mod:`.runs` (which runs
wrote what a run read, which serve or train a version), :mod:`.provenance` (upstream),
:mod:`.impact` (downstream), :mod:`.skew` (training against serving features),
:mod:`.views` (the subgraphs the command line and the diagrams draw) and :mod:`.lookup` (the
versions and datasets a user names). They walk the indexes,
so they stay linear in what they visit even with hundreds of thousands of runs.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import networkx as nx

from mldossier.config import Config
from mldossier.errors import InputError, Problem
from mldossier.intake.linking import Index, is_production
from mldossier.model import (
    DatasetUse,
    Evidence,
    LineageRun,
    MlflowRun,
    ModelVersion,
    QualifiedName,
    RunDatasetInput,
)

if TYPE_CHECKING:
    from mldossier.lineage.provenance import Provenance
    from mldossier.lineage.runs import WriterOrder
    from mldossier.lineage.skew import SkewReport

Key = tuple[str, str]
"""A dataset or job identity as a plain ``(namespace, name)`` tuple.

The indexes are keyed by these, not by QualifiedName: hashing a tuple of str runs in C, a
dataclass ``__hash__``/``__eq__`` in Python (millions of look-ups)."""

_K = TypeVar("_K")
_V = TypeVar("_V")


def _grouped() -> defaultdict[_K, list[_V]]:
    """An empty index of lists (a dataclass field's default)."""
    return defaultdict(list)


@dataclass
class Memo:
    """What the queries work out once per graph and reuse: one field per question."""

    model_refs: dict[str, tuple[ModelVersion, ...]] = field(default_factory=dict)
    """``models:/...`` dataset name -> the model versions it stands for (:func:`model_refs`)."""
    writer_order: dict[Key, WriterOrder] = field(default_factory=dict)
    """Dataset -> its writers in the order their output was done (:func:`.runs.writers_of`)."""
    latest_complete: dict[Key, float] | None = None
    """Job -> when its latest COMPLETE run was done (:func:`.runs.superseded`)."""
    provenance: dict[str, Provenance] = field(default_factory=dict)
    """Version key -> its provenance (:func:`.provenance.provenance`)."""
    skew: dict[str, SkewReport] = field(default_factory=dict)
    """Version key -> its training-serving comparison (:func:`.skew.skew`)."""
    trained_by: dict[str, set[str]] | None = None
    """OpenLineage run id -> keys of the versions it trained (:func:`.impact.trained_by`)."""
    versions_of_mlflow_run: dict[str, list[ModelVersion]] | None = None
    """MLflow run id -> the versions it produced (:func:`.impact.versions_of_mlflow_run`)."""


@dataclass(eq=False, repr=False)
class LineageGraph:
    """The lineage of one evidence bundle: a networkx graph and the indexes its queries walk.

    Made by :func:`build_graph`; the index fields are filled there and read-only after.
    """

    evidence: Evidence
    config: Config
    index: Index
    """The run's look-up index, shared with the other stages."""
    serving_patterns: tuple[re.Pattern[str], ...] = ()
    """``linking.serving_job_patterns``, compiled."""
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    """The nodes and edges the module docstring lists (edge key: the edge kind)."""
    writers: defaultdict[Key, list[LineageRun]] = field(default_factory=_grouped)
    """Dataset -> the OpenLineage runs that wrote it, in evidence order."""
    writers_by_version: defaultdict[tuple[str, str, str], list[LineageRun]] = field(
        default_factory=_grouped
    )
    """(namespace, name, version) -> the runs that wrote that version."""
    readers: defaultdict[Key, list[LineageRun]] = field(default_factory=_grouped)
    """Dataset -> the OpenLineage runs that read it."""
    mlflow_readers: defaultdict[Key, list[str]] = field(default_factory=_grouped)
    """Dataset -> the ids of the MLflow runs that took it as a dataset input."""
    mlflow_inputs: dict[str, list[tuple[QualifiedName, RunDatasetInput]]] = field(
        default_factory=dict
    )
    """MLflow run id -> its dataset inputs and the datasets they map to."""
    model_writers: defaultdict[str, list[LineageRun]] = field(default_factory=_grouped)
    """Version key -> the runs that wrote it as a ``models:/`` dataset (training)."""
    model_readers: defaultdict[str, list[LineageRun]] = field(default_factory=_grouped)
    """Version key -> the runs that read it as a ``models:/`` dataset (serving, mostly)."""
    memo: Memo = field(default_factory=Memo)


def build_graph(evidence: Evidence, config: Config, index: Index) -> LineageGraph:
    """Build the lineage graph of an evidence bundle, with the run's one look-up ``Index``."""
    lineage = LineageGraph(evidence, config, index, _compile_patterns(config))
    with _collector_paused():
        _Builder(lineage).build()
    return lineage


# ---------------------------------------------------------------- node ids and names


def dataset_node(dataset: QualifiedName) -> str:
    """The node id of a dataset."""
    return f"dataset:{dataset.namespace}:{dataset.name}"


def version_node(key: str) -> str:
    """The node id of a model version (``name@version``)."""
    return f"mv:{key}"


def short_id(run_id: str) -> str:
    """A run id shortened for display: head and tail (UUIDv7 ids share their time prefix)."""
    return run_id if len(run_id) <= 14 else f"{run_id[:8]}…{run_id[-4:]}"


def model_refs(lineage: LineageGraph, dataset: QualifiedName) -> tuple[ModelVersion, ...]:
    """The model versions a ``models:/...`` dataset name stands for (MLflow model URIs)."""
    if not dataset.name.startswith("models:/"):
        return ()
    found = lineage.memo.model_refs.get(dataset.name)
    if found is None:
        found = lineage.memo.model_refs[dataset.name] = lineage.index.versions_of_model_uri(
            dataset.name
        )
    return found


# ---------------------------------------------------------------- building

# The attributes of edges that carry nothing but their kind, one dict shared by all of them
# (hundreds of thousands of runs each have one); edge attributes are never changed.
_RUN_OF: dict[str, Any] = {"kind": "run_of"}
_PARENT_OF: dict[str, Any] = {"kind": "parent_of"}
_VERSION_OF: dict[str, Any] = {"kind": "version_of"}


class _Builder:
    """Fills a new LineageGraph's networkx graph and indexes from its evidence, once."""

    def __init__(self, lineage: LineageGraph):
        self.lineage = lineage
        self.index = lineage.index
        # Filled straight into networkx's adjacency dicts: ``add_edge`` costs several
        # microseconds an edge (it goes through views), most of the build time with millions
        # of edges. This is the layout networkx documents: ``_succ[u][v] is _pred[v][u]``,
        # a dict of edge key (here the edge kind) to the edge's attributes.
        self.nodes: dict[str, dict[str, Any]] = lineage.graph._node
        self.succ: dict[str, dict[str, dict[str, Any]]] = lineage.graph._succ
        self.pred: dict[str, dict[str, dict[str, Any]]] = lineage.graph._pred
        self.ds_info: dict[Key, tuple[str, tuple[ModelVersion, ...]]] = {}
        self.job_nodes: dict[Key, str] = {}

    def node(self, node: str, kind: str, label: str, **attrs: Any) -> str:
        """Add a node (or fill in a placeholder made for a missing one); its id."""
        if node not in self.nodes:
            self.new_node(node, {"kind": kind, "label": label, **attrs})
        elif self.nodes[node].get("missing"):
            self.nodes[node] = {"kind": kind, "label": label, **attrs}
        return node

    def new_node(self, node: str, attrs: dict[str, Any]) -> None:
        """Add a node known not to exist yet."""
        self.nodes[node] = attrs
        self.succ[node] = {}
        self.pred[node] = {}

    def edge(self, u: str, v: str, kind: str, **attrs: Any) -> None:
        """Add an edge, and an ``unknown`` node for an end not seen before."""
        for end in (u, v):
            if end not in self.nodes:
                self.new_node(end, {"kind": "unknown", "label": end})
        self.link(u, v, kind, {"kind": kind, **attrs})

    def link(self, u: str, v: str, key: str, attrs: dict[str, Any]) -> None:
        """Add an edge between two existing nodes (one per kind and direction)."""
        keys = self.succ[u].get(v)
        if keys is None:
            keys = self.succ[u][v] = {}
            self.pred[v][u] = keys
        keys[key] = attrs

    def build(self) -> None:
        """Everything, in an order that lets each part join what the earlier ones added."""
        ev, index = self.lineage.evidence, self.index
        self.registry()
        self.logged_models()
        for run in ev.lineage_runs:
            self.lineage_run(run)
        # After the OpenLineage runs, so MLflow inputs can join the datasets they name.
        for mrun in ev.mlflow_runs:
            self.mlflow_run(mrun)
        # OpenLineage run <-> MLflow run, on the basis linking found (tag, output, dataset+time).
        for link in index.run_links():
            if link.mlflow_run_id:
                target = self.mlflow_node(link.mlflow_run_id)
                self.edge(f"run:{link.lineage_run_id}", target, "run_of", basis=str(link.basis))
        self.reports_and_signoffs()

    def registry(self) -> None:
        """Registered models and their versions, aliases, stages and MLflow runs."""
        index, config = self.index, self.lineage.config
        for model in self.lineage.evidence.registered_models:
            self.node(f"rm:{model.name}", "registered_model", model.name, record=model)
        for version in self.lineage.evidence.model_versions:
            mv = self.node(
                version_node(version.key),
                "model_version",
                f"{version.name} v{version.version}",
                record=version,
                production=is_production(version, config),
            )
            rm = self.node(f"rm:{version.name}", "registered_model", version.name)
            self.edge(mv, rm, "version_of")
            system = index.systems.get(version.name)
            aliases = set(version.aliases)
            if system is not None:
                aliases.update(a for a, v in system.aliases.items() if v == version.version)
            for alias in sorted(aliases):
                node = self.node(f"alias:{version.name}@{alias}", "alias", f"@{alias}")
                self.edge(mv, node, "promoted_to")
            if version.stage and version.stage != "None":
                node = self.node(
                    f"stage:{version.name}/{version.stage}", "stage", f"stage {version.stage}"
                )
                self.edge(mv, node, "promoted_to")
            run_id = index.run_id_of(version)
            if run_id:
                self.edge(self.mlflow_node(run_id), mv, "trained")
            if version.logged_model_id:
                lm = self.node(
                    f"logged_model:{version.logged_model_id}",
                    "logged_model",
                    f"logged model {version.logged_model_id}",
                    missing=True,
                )
                self.edge(lm, mv, "registered_as")

    def logged_models(self) -> None:
        """MLflow 3 logged models: the run that produced each, the versions it became."""
        for logged in self.lineage.evidence.logged_models:
            lm = self.node(
                f"logged_model:{logged.model_id}",
                "logged_model",
                f"logged model: {logged.name}\n{logged.model_id}",
                record=logged,
            )
            if logged.source_run_id:
                self.edge(self.mlflow_node(logged.source_run_id), lm, "produced")
            for name, number in logged.model_versions:
                if f"{name}@{number}" in self.index.version_by_key:
                    self.edge(lm, version_node(f"{name}@{number}"), "registered_as")

    def reports_and_signoffs(self) -> None:
        """Monitoring reports of known versions; sign-offs of known versions or systems."""
        ev, index = self.lineage.evidence, self.index
        for report in ev.reports:
            key = f"{report.model_name}@{report.model_version}"
            if key in index.version_by_key:
                node = self.node(
                    f"report:{report.cite.file}{report.cite.pointer}",
                    "monitoring_report",
                    report.name or report.cite.file,
                    record=report,
                )
                self.edge(version_node(key), node, "monitored_by")
        for signoff in ev.signoffs:
            node = self.node(
                f"signoff:{signoff.id}",
                "signoff",
                f"{signoff.kind}: {signoff.title}",
                record=signoff,
            )
            if signoff.version is not None and signoff.subject in index.version_by_key:
                self.edge(version_node(signoff.subject), node, "signed_off_by")
            elif signoff.version is None and signoff.system in index.systems:
                self.edge(f"rm:{signoff.system}", node, "signed_off_by")

    def mlflow_node(self, run_id: str) -> str:
        """The node of an MLflow run, a ``missing`` placeholder if it was not exported."""
        node = f"mlflow_run:{run_id}"
        record = self.index.runs.get(run_id)
        if record is not None:
            return self.node(
                node,
                "mlflow_run",
                f"MLflow run {record.run_name or run_id}\n{run_id[:12]}",
                record=record,
            )
        return self.node(
            node, "mlflow_run", f"MLflow run {run_id[:12]} (not exported)", missing=True
        )

    def mlflow_run(self, mrun: MlflowRun) -> None:
        """An MLflow run's dataset inputs, as reads of the datasets they map to."""
        node = self.mlflow_node(mrun.run_id)
        inputs: list[tuple[QualifiedName, RunDatasetInput]] = []
        for item in mrun.dataset_inputs:
            dataset = self.mlflow_dataset(item)
            inputs.append((dataset, item))
            ds = self.dataset_info(dataset)[0]
            self.edge(
                ds,
                node,
                "read",
                version=item.digest or None,
                context=item.context or "",
                mlflow_dataset=item.name,
            )
            self.lineage.mlflow_readers[(dataset.namespace, dataset.name)].append(mrun.run_id)
        self.lineage.mlflow_inputs[mrun.run_id] = inputs

    def mlflow_dataset(self, item: RunDatasetInput) -> QualifiedName:
        """The OpenLineage dataset an MLflow dataset input is, by its source URI."""
        mapped = self.index.dataset_of_input(item)
        # No storage location (e.g. an in-memory or library dataset): MLflow's own name.
        return mapped if mapped is not None else QualifiedName("mlflow", item.name)

    def dataset_info(self, dataset: QualifiedName) -> tuple[str, tuple[ModelVersion, ...]]:
        """The node of a dataset (a model version for ``models:/``) and the versions it is."""
        key = (dataset.namespace, dataset.name)
        info = self.ds_info.get(key)
        if info is None:
            refs = model_refs(self.lineage, dataset)
            if refs:
                info = (version_node(refs[0].key), refs)
            else:
                node = dataset_node(dataset)
                if node not in self.nodes:
                    self.new_node(
                        node,
                        {
                            "kind": "dataset",
                            "label": dataset.name,
                            "namespace": dataset.namespace,
                            "dataset": dataset,
                        },
                    )
                info = (node, refs)
            self.ds_info[key] = info
        return info

    def lineage_run(self, run: LineageRun) -> None:
        """An OpenLineage run: its node, job, parent run, reads and writes."""
        # The hot loop of the build (hundreds of thousands of runs): plain dict work only.
        rid = run.run_id
        node = "run:" + rid
        self.node(node, "run", f"{run.job.name}\n{run.state} · run {short_id(rid)}", record=run)
        job_key = (run.job.namespace, run.job.name)
        job = self.job_nodes.get(job_key)
        if job is None:
            job = self.node(f"job:{job_key[0]}:{job_key[1]}", "job", str(run.job))
            self.job_nodes[job_key] = job
        self.link(node, job, "run_of", _RUN_OF)
        if run.parent_run_id:
            parent = "run:" + run.parent_run_id
            if parent not in self.nodes:
                job_name = run.parent_job.name if run.parent_job else "?"
                self.new_node(
                    parent,
                    {
                        "kind": "run",
                        "missing": True,
                        "label": f"{job_name}\n(no events) run {short_id(run.parent_run_id)}",
                    },
                )
            self.link(parent, node, "parent_of", _PARENT_OF)
        self.reads(run, node)
        self.writes(run, node)

    def reads(self, run: LineageRun, node: str) -> None:
        """A run's inputs: read edges, the reader indexes, dataset version nodes."""
        lineage, link = self.lineage, self.link
        writes = {(u.dataset.namespace, u.dataset.name) for u in run.outputs}
        for use in run.inputs:
            ds, refs = self.dataset_info(use.dataset)
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
            lineage.readers[key].append(run)
            for version in refs:
                lineage.model_readers[version.key].append(run)
            if use.version and not refs:
                self.version_node(use, ds)

    def writes(self, run: LineageRun, node: str) -> None:
        """A run's outputs: wrote edges, the writer indexes, dataset version nodes."""
        lineage, link = self.lineage, self.link
        for use in run.outputs:
            ds, refs = self.dataset_info(use.dataset)
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
            lineage.writers[key].append(run)
            if use.version:
                lineage.writers_by_version[(*key, use.version)].append(run)
                if not refs:
                    self.version_node(use, ds)
            for version in refs:
                lineage.model_writers[version.key].append(run)

    def version_node(self, use: DatasetUse, ds: str) -> None:
        """The node of the dataset version a read or write names, linked to its dataset."""
        node = f"dsv:{use.dataset.namespace}:{use.dataset.name}@{use.version}"
        if node not in self.nodes:
            self.new_node(
                node,
                {
                    "kind": "dataset_version",
                    "label": f"{use.dataset.name}@{(use.version or '')[:12]}",
                },
            )
            self.link(node, ds, "version_of", _VERSION_OF)


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


def _compile_patterns(config: Config) -> tuple[re.Pattern[str], ...]:
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
    return tuple(patterns)
