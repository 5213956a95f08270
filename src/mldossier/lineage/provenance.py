"""Provenance: what a model version rests on, upstream down to the root datasets."""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from mldossier.intake.linking import ambiguity
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.runs import (
    FAILED_STATES,
    mlflow_inputs,
    run_json,
    run_order,
    superseded,
    training_links_of,
    unique_cites,
    use_json,
    writers_of,
)
from mldossier.model import (
    LINK_BASES,
    Citation,
    DatasetUse,
    LineageRun,
    MlflowRun,
    ModelVersion,
    QualifiedName,
    RunLink,
)


@dataclass(frozen=True)
class Provenance:
    """What a model version rests on, upstream down to the root datasets."""

    version_key: str
    mlflow_run_id: str | None
    training_runs: tuple[LineageRun, ...]
    """OpenLineage runs that trained it: linked to its MLflow run (by tag, output or
    dataset+time), or, with no MLflow run linked, that wrote its model."""
    training_links: tuple[RunLink, ...]
    """How each training run is linked, in the same order: its basis and what matched."""
    upstream_runs: tuple[LineageRun, ...]
    """Every OpenLineage run upstream of the version (training runs included), writers first."""
    input_datasets: tuple[DatasetUse, ...]
    """Datasets the training runs read, as read; MLflow dataset inputs the OpenLineage runs
    do not name are added with the MLflow digest as version."""
    root_datasets: tuple[QualifiedName, ...]
    """Upstream datasets no known run wrote before they were read."""
    failed_runs: tuple[LineageRun, ...]
    """Upstream runs that ended FAIL/ABORT and no later COMPLETE run of their job superseded."""
    gaps: tuple[str, ...]
    citations: tuple[Citation, ...]

    @property
    def linked_by(self) -> str:
        """The bases of the training runs' links in words, strongest first ("" with none)."""
        bases = {x.basis for x in self.training_links}
        return " and ".join(str(b) for b in LINK_BASES if b in bases)

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
            "training_runs": [
                {**run_json(r), "link": {"basis": str(x.basis), "detail": x.detail}}
                for r, x in zip(self.training_runs, self.training_links, strict=True)
            ],
            "upstream_runs": [run_json(r) for r in self.upstream_runs],
            "input_datasets": [use_json(u) for u in self.input_datasets],
            "root_datasets": [str(d) for d in self.root_datasets],
            "failed_runs": [run_json(r) for r in self.failed_runs],
            "gaps": list(self.gaps),
            "citations": [c.to_json() for c in self.citations],
        }


def provenance(lineage: LineageGraph, version: ModelVersion) -> Provenance:
    """Everything upstream of a model version, with what is missing in plain words."""
    found = lineage.memo.provenance.get(version.key)
    if found is None:
        found = lineage.memo.provenance[version.key] = _provenance(lineage, version)
    return found


def _provenance(lineage: LineageGraph, version: ModelVersion) -> Provenance:
    gaps: list[str] = []
    cites: list[Citation] = [version.cite]
    run_id = lineage.index.run_id_of(version)
    mrun = lineage.index.runs.get(run_id) if run_id else None
    if run_id is None:
        gaps.append("no MLflow run recorded for the version")
    elif mrun is None:
        gaps.append(f"MLflow run {run_id} is not in the MLflow export")
    else:
        cites.append(mrun.cite)
    links = training_links_of(lineage, version)
    training = [lineage.index.lineage_runs[x.lineage_run_id] for x in links]
    if not training:
        gaps.append(_no_training_gap(lineage, version, run_id))
    inputs: dict[QualifiedName, DatasetUse] = {}
    for run in training:
        for use in run.inputs:
            if use.dataset not in inputs or (use.version and not inputs[use.dataset].version):
                inputs[use.dataset] = use
    extra_uses = list(
        {u.dataset: u for u in mlflow_inputs(lineage, run_id) if u.dataset not in inputs}.values()
    )
    trace = _trace(lineage, training, extra_uses, mrun)
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
    upstream = _topological(trace)
    cites.extend(r.cite for r in upstream)
    failed = [r for r in upstream if r.state in FAILED_STATES and not superseded(lineage, r)]
    return Provenance(
        version_key=version.key,
        mlflow_run_id=run_id,
        training_runs=tuple(training),
        training_links=tuple(links),
        upstream_runs=tuple(upstream),
        input_datasets=tuple(inputs[d] for d in sorted(inputs)),
        root_datasets=tuple(sorted(trace.roots)),
        failed_runs=tuple(failed),
        gaps=tuple(gaps),
        citations=unique_cites(cites),
    )


def _no_training_gap(lineage: LineageGraph, version: ModelVersion, run_id: str | None) -> str:
    """The gap of a version no OpenLineage run is known to have trained."""
    if not run_id:
        return f"no OpenLineage run wrote models:/{version.name}/{version.version}"
    linking = lineage.config.linking
    matches = lineage.index.ambiguous_links_of(run_id)
    if matches:
        return ambiguity(run_id, matches, lineage.config)
    return (
        f"MLflow run {run_id} has no OpenLineage training run (no tag "
        f"{linking.openlineage_mlflow_run_tag} or {linking.mlflow_openlineage_run_tag}, no run "
        "that wrote the model, none that read its datasets while it ran)"
    )


@dataclass
class _Trace:
    """Working state of one upstream walk."""

    runs: dict[str, LineageRun] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)
    roots: set[QualifiedName] = field(default_factory=set)


def _trace(
    lineage: LineageGraph,
    start: list[LineageRun],
    extra: list[DatasetUse],
    extra_reader: MlflowRun | None,
) -> _Trace:
    """Walk upstream from runs (and loose dataset reads), never visiting a run twice."""
    trace = _Trace()
    queue: deque[LineageRun] = deque()
    for run in start:
        if run.run_id not in trace.runs:
            trace.runs[run.run_id] = run
            queue.append(run)

    def follow(reader: LineageRun | MlflowRun | None, use: DatasetUse) -> None:
        writers = writers_of(lineage, reader, use)
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


def _topological(trace: _Trace) -> list[LineageRun]:
    """Upstream runs with writers before readers; ties (and cycles) in time order."""
    key = {rid: run_order(r) for rid, r in trace.runs.items()}
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
