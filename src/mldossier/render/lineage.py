"""The lineage of a model version or a dataset in the ``lineage`` command's output formats.

Text (an indented tree), JSON, and the lineage subgraph as DOT, GraphML or SVG: upstream from
model versions (their provenance) or downstream from a dataset (what it feeds).
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx

from mldossier.intake.linking import is_production
from mldossier.lineage.diagram import graph_dot, graph_svg
from mldossier.lineage.graph import LineageGraph, short_id
from mldossier.lineage.impact import downstream
from mldossier.lineage.jobs import JobGraph, view_json, view_subgraph, view_text
from mldossier.lineage.provenance import provenance
from mldossier.lineage.runs import mlflow_inputs, writers_of
from mldossier.lineage.views import downstream_subgraph, subgraph, version_nodes
from mldossier.model import DatasetUse, LineageRun, ModelVersion, QualifiedName

FORMATS = ("text", "json", "dot", "graphml", "svg")
"""The output formats, in the order ``--format`` lists them."""


def render_upstream(graph: LineageGraph, versions: list[ModelVersion], fmt: str, title: str) -> str:
    """The provenance of versions in one output format."""
    if fmt == "text":
        return "\n".join(provenance_text(graph, v) for v in versions)
    if fmt == "json":
        return terminal_json({"versions": [provenance(graph, v).to_json() for v in versions]})
    nodes: set[str] = set()
    for version in versions:
        nodes |= version_nodes(graph, version)
    return _render_graph(subgraph(graph, nodes), fmt, f"Lineage of {title}")


def render_downstream(graph: LineageGraph, dataset: QualifiedName, fmt: str) -> str:
    """What a dataset feeds, in one output format."""
    if fmt == "text":
        return downstream_text(graph, dataset)
    if fmt == "json":
        return terminal_json(
            {"dataset": str(dataset), "impacts": [i.to_json() for i in downstream(graph, dataset)]}
        )
    return _render_graph(downstream_subgraph(graph, dataset), fmt, f"What {dataset} feeds")


def render_job_view(jobs: JobGraph, start: str, fmt: str) -> str:
    """A job's or dataset's upstream and downstream, job to job, in one output format."""
    if fmt == "text":
        return view_text(jobs, start)
    if fmt == "json":
        return terminal_json(view_json(jobs, start))
    kind, name = jobs.kind(start), jobs.names[start]
    return _render_graph(view_subgraph(jobs, start), fmt, f"Lineage around {kind} {name}")


def terminal_json(data: Any) -> str:
    """Indented JSON in ASCII: non-ASCII text as ``\\u`` escapes, so that the terminal's
    escaping of control and bidi characters (the same escapes) keeps it valid JSON."""
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def _render_graph(sub: nx.MultiDiGraph, fmt: str, title: str) -> str:
    if fmt == "dot":
        return graph_dot(sub, title)
    if fmt == "svg":
        return graph_svg(sub, title)
    return "\n".join(nx.generate_graphml(portable_graph(sub))) + "\n"


def portable_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with only text attributes (GraphML holds no Python objects), in sorted order."""
    out = nx.MultiDiGraph()
    for node in sorted(graph.nodes):
        attrs = graph.nodes[node]
        data = {"kind": str(attrs.get("kind", "")), "label": str(attrs.get("label", ""))}
        record = attrs.get("record")
        if isinstance(record, LineageRun):
            data.update(
                run_id=record.run_id,
                job=str(record.job),
                state=record.state,
                started=record.started.isoformat() if record.started else "",
            )
        elif isinstance(record, ModelVersion):
            data.update(
                name=record.name,
                version=record.version,
                stage=record.stage or "",
                production=str(bool(attrs.get("production"))).lower(),
            )
        if isinstance(attrs.get("dataset"), QualifiedName):
            data.update(namespace=attrs["dataset"].namespace, name=attrs["dataset"].name)
        if attrs.get("missing"):
            data["missing"] = "true"
        out.add_node(node, **data)
    for u, v, key, attrs in sorted(
        graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])
    ):
        data = {"kind": str(attrs.get("kind", key))}
        if isinstance(attrs.get("version"), str):
            data["version"] = attrs["version"]
        if isinstance(attrs.get("basis"), str):
            data["basis"] = attrs["basis"]
        out.add_edge(u, v, key=key, **data)
    return out


def provenance_text(graph: LineageGraph, version: ModelVersion) -> str:
    """An indented tree: version, MLflow run, training runs, datasets, upstream runs, roots."""
    prov = provenance(graph, version)
    lines = [f"{version.key}{_deployment(graph, version)}"]
    mrun = graph.index.runs.get(prov.mlflow_run_id or "")
    if prov.mlflow_run_id is None:
        lines.append("  MLflow run: none recorded")
    else:
        name = f" ({mrun.run_name})" if mrun and mrun.run_name else ""
        missing = "" if mrun else " (not in the MLflow export)"
        lines.append(f"  MLflow run {prov.mlflow_run_id}{name}{missing}")
    depth = 2 if prov.mlflow_run_id else 1
    shown: set[str] = set()
    for run, link in zip(prov.training_runs, prov.training_links, strict=True):
        role = f"training run (linked by {link.basis}: {link.detail})"
        _run_tree(graph, run, depth, role, lines, shown)
    trained_on = {u.dataset for r in prov.training_runs for u in r.inputs}
    for use in mlflow_inputs(graph, prov.mlflow_run_id):
        if use.dataset in trained_on:
            continue
        context = use.context or "no context"
        writers = writers_of(graph, mrun, use)
        lines.append(
            f"{'  ' * depth}MLflow input {use.dataset}{_at(use)} ({context})"
            + ("  [root]" if not writers else "")
        )
        for writer in writers:
            _run_tree(graph, writer, depth + 1, "written by", lines, shown)
    roots = ", ".join(str(d) for d in prov.root_datasets) or "none"
    lines.append(f"  root datasets: {roots}")
    if prov.failed_runs:
        lines.append("  failed upstream runs (never superseded):")
        lines.extend(
            f"    - run {r.run_id} of {r.job}: {r.state}"
            + (f" ({r.error_message.splitlines()[0][:160]})" if r.error_message else "")
            for r in prov.failed_runs
        )
    else:
        lines.append("  failed upstream runs: none")
    if prov.gaps:
        lines.append("  gaps:")
        lines.extend(f"    - {gap}" for gap in prov.gaps)
    else:
        lines.append("  gaps: none (the chain is complete)")
    return "\n".join(lines) + "\n"


def _run_tree(
    graph: LineageGraph, start: LineageRun, depth: int, role: str, lines: list[str], shown: set[str]
) -> None:
    """A run and, below it, what it read and who wrote that, down to the roots."""
    stack: list[tuple[int, str, LineageRun | DatasetUse, LineageRun | None]] = [
        (depth, role, start, None)
    ]
    while stack:
        level, what, item, reader = stack.pop()
        pad = _pad(level)
        if isinstance(item, LineageRun):
            again = item.run_id in shown
            lines.append(
                f"{pad}{what} {item.job} run {item.run_id} {item.state}"
                + ("  (see above)" if again else "")
            )
            if again:
                continue
            shown.add(item.run_id)
            for use in sorted(item.inputs, key=lambda u: u.dataset, reverse=True):
                stack.append((level + 1, "reads", use, item))
        else:
            writers = writers_of(graph, reader, item)
            lines.append(
                f"{pad}{what} {item.dataset}{_at(item)}" + ("  [root]" if not writers else "")
            )
            for writer in reversed(writers):
                stack.append((level + 1, "written by", writer, None))


MAX_INDENT = 40
"""Deepest indentation of the text tree; deeper levels say their depth instead, so a long
chain prints in linear, not quadratic, space."""


def _pad(level: int) -> str:
    if level <= MAX_INDENT:
        return "  " * level
    return "  " * MAX_INDENT + f"[depth {level}] "


def _at(use: DatasetUse) -> str:
    return f" @ {use.version[:12]}" if use.version else " (no version)"


def _deployment(graph: LineageGraph, version: ModelVersion) -> str:
    parts = []
    if version.stage and version.stage != "None":
        parts.append(f"stage {version.stage}")
    parts.extend(f"alias {a}" for a in sorted(version.aliases))
    state = "in production" if is_production(version, graph.config) else "not in production"
    return f"  [{state}{': ' + ', '.join(parts) if parts else ''}]"


def downstream_text(graph: LineageGraph, dataset: QualifiedName) -> str:
    """What a dataset feeds: each model version, how, and where it is served."""
    impacts = downstream(graph, dataset)
    if not impacts:
        return f"{dataset} feeds no registered model version\n"
    lines = [f"{dataset} feeds {len(impacts)} model version(s):"]
    for impact in impacts:
        version = graph.index.version_by_key[impact.version_key]
        lines.append(f"  {impact.version_key}{_deployment(graph, version)}")
        if impact.via:
            lines.append(f"    via: {' -> '.join(impact.via)}")
        if impact.serving_runs:
            lines.extend(
                f"    served by {r.job} run {short_id(r.run_id)} {r.state}"
                for r in impact.serving_runs
            )
        else:
            lines.append("    served by: no serving run recorded")
    return "\n".join(lines) + "\n"
