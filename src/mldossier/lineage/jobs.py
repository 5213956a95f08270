"""The job and dataset view: what a job or dataset reads from and feeds, job to job.

Runs of the same job are folded into the job, as Marquez draws lineage: a job reads the
datasets any of its runs read and writes those any of them wrote. The view is built from the
OpenLineage runs alone, so it answers with no MLflow evidence at all; ``models:/...``
datasets appear as datasets under their own names.

Upstream of a node is everything with a path to it (what it was made from), downstream
everything it has a path to (what it feeds); each node is placed at its shortest distance.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx

from mldossier.errors import UsageError
from mldossier.formats.text import printable
from mldossier.model import LineageRun, QualifiedName

JOB, DATASET = "job", "dataset"
LISTED = 20
"""How many known names an unknown-name error lists."""


def node_id(kind: str, name: QualifiedName) -> str:
    """The id of a job or dataset node (``job:ns:name``, ``dataset:ns:name``)."""
    return f"{kind}:{name.namespace}:{name.name}"


@dataclass
class JobSummary:
    """What the runs of one job say about it."""

    runs: int = 0
    last_state: str = ""
    last_time: datetime | None = None
    job_type: str = ""

    def add(self, run: LineageRun) -> None:
        """Count a run; the latest by its last event is the job's last state."""
        self.runs += 1
        when = run.last_event or run.ended or run.started
        if when is not None and (self.last_time is None or when >= self.last_time):
            self.last_time, self.last_state = when, run.state
        elif self.last_time is None:
            self.last_state = run.state
        if run.job_type:
            self.job_type = run.job_type

    def words(self) -> str:
        """``[3 runs, last COMPLETE 2026-11-27T10:10:07+00:00, TRAINING]``."""
        runs = f"{self.runs} run{'s' if self.runs != 1 else ''}"
        last = f", last {self.last_state}" if self.last_state else ""
        when = f" {self.last_time.isoformat()}" if self.last_time else ""
        kind = f", {self.job_type}" if self.job_type else ""
        return f"[{runs}{last}{when}{kind}]"


@dataclass
class JobGraph:
    """Jobs and datasets, ``dataset -read-> job -wrote-> dataset``."""

    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    names: dict[str, QualifiedName] = field(default_factory=dict)
    jobs: dict[str, JobSummary] = field(default_factory=dict)

    def kind(self, node: str) -> str:
        """``job`` or ``dataset``."""
        return str(self.graph.nodes[node]["kind"])


def job_graph(runs: Iterable[LineageRun]) -> JobGraph:
    """The job-level lineage of every run."""
    out = JobGraph()
    for run in runs:
        job = _node(out, JOB, run.job)
        out.jobs.setdefault(job, JobSummary()).add(run)
        for use in run.inputs:
            out.graph.add_edge(_node(out, DATASET, use.dataset), job, kind="read")
        for use in run.outputs:
            out.graph.add_edge(job, _node(out, DATASET, use.dataset), kind="wrote")
    return out


def _node(out: JobGraph, kind: str, name: QualifiedName) -> str:
    ident = node_id(kind, name)
    if ident not in out.names:
        out.names[ident] = name
        out.graph.add_node(ident, kind=kind, label=str(name))
    return ident


def find_node(jobs: JobGraph, kind: str, text: str) -> str:
    """The job or dataset ``namespace:name`` names (namespaces may hold colons)."""
    known = sorted(n for n in jobs.names if jobs.kind(n) == kind)
    wanted = set(known)
    for i, char in enumerate(text):
        if char == ":":
            ident = node_id(kind, QualifiedName(text[:i], text[i + 1 :]))
            if ident in wanted:
                return ident
    names = [printable(str(jobs.names[n])) for n in known]
    if not names:
        listing = f"the evidence has no OpenLineage {kind}s"
    else:
        more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
        listing = f"known {kind}s: {', '.join(names[:LISTED])}{more}"
    raise UsageError(
        f"unknown {kind} {printable(repr(text))} (give it as namespace:name): {listing}"
    )


def levels(jobs: JobGraph, start: str, upstream: bool) -> list[tuple[int, str]]:
    """Every node upstream (or downstream) of ``start`` with its shortest distance, in
    breadth-first order (by distance, then by id)."""
    step = jobs.graph.predecessors if upstream else jobs.graph.successors
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(step(node)):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return sorted((d, n) for n, d in seen.items() if n != start)


def view_subgraph(jobs: JobGraph, start: str) -> nx.MultiDiGraph:
    """The target, everything upstream and downstream of it, and the edges between them."""
    nodes = {start}
    nodes.update(n for _, n in levels(jobs, start, upstream=True))
    nodes.update(n for _, n in levels(jobs, start, upstream=False))
    out = nx.MultiDiGraph()
    for node in sorted(nodes):
        attrs = dict(jobs.graph.nodes[node])
        summary = jobs.jobs.get(node)
        if summary is not None:
            attrs["label"] = f"{attrs['label']}\n{summary.words()}"
        out.add_node(node, **attrs)
    for u, v, attrs in sorted(jobs.graph.subgraph(nodes).edges(data=True)):
        out.add_edge(u, v, key=attrs["kind"], kind=attrs["kind"])
    return out


def view_text(jobs: JobGraph, start: str) -> str:
    """The target, then upstream and downstream level by level, each node with the nodes of
    the level before it that it connects to."""
    lines = [f"{jobs.kind(start)} {printable(str(jobs.names[start]))}{_about(jobs, start)}"]
    for upstream in (True, False):
        found = levels(jobs, start, upstream)
        jobs_n = sum(1 for _, n in found if jobs.kind(n) == JOB)
        lines.append(
            f"{'upstream' if upstream else 'downstream'}: "
            + (f"{jobs_n} job(s), {len(found) - jobs_n} dataset(s)" if found else "nothing")
        )
        distance = {start: 0, **{n: d for d, n in found}}
        for d, node in found:
            near = jobs.graph.successors(node) if upstream else jobs.graph.predecessors(node)
            links = sorted(printable(str(jobs.names[n])) for n in near if distance.get(n) == d - 1)
            verb = _verb(jobs.kind(node), upstream)
            lines.append(
                f"  {d}. {jobs.kind(node)} {printable(str(jobs.names[node]))} "
                f"({verb} {', '.join(links)})" + _about(jobs, node, upstream)
            )
    return "\n".join(lines) + "\n"


def _verb(kind: str, upstream: bool) -> str:
    if kind == JOB:
        return "writes" if upstream else "reads"
    return "read by" if upstream else "written by"


def _about(jobs: JobGraph, node: str, upstream: bool | None = None) -> str:
    summary = jobs.jobs.get(node)
    if summary is not None:
        return "  " + summary.words()
    if upstream and not any(True for _ in jobs.graph.predecessors(node)):
        return "  [root: no job writes it]"
    return ""


def view_json(jobs: JobGraph, start: str) -> dict[str, object]:
    """The view as JSON: the target, each node with its level, and the edges among them."""

    def entry(node: str, level: int) -> dict[str, object]:
        name = jobs.names[node]
        item: dict[str, object] = {
            "id": node,
            "kind": jobs.kind(node),
            "namespace": name.namespace,
            "name": name.name,
            "level": level,
        }
        summary = jobs.jobs.get(node)
        if summary is not None:
            item.update(
                runs=summary.runs,
                last_state=summary.last_state or None,
                last_time=summary.last_time.isoformat() if summary.last_time else None,
                job_type=summary.job_type or None,
            )
        return item

    sub = view_subgraph(jobs, start)
    return {
        "target": entry(start, 0),
        "upstream": [entry(n, d) for d, n in levels(jobs, start, upstream=True)],
        "downstream": [entry(n, d) for d, n in levels(jobs, start, upstream=False)],
        "edges": [{"from": u, "to": v, "kind": k} for u, v, k in sorted(sub.edges(keys=True))],
    }
