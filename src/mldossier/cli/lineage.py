"""``mldossier lineage``: where a model version comes from, or what a dataset feeds.

This module does not import :mod:`mldossier.cli` at load time: ``cli.py`` imports this module
at its bottom to register the command, so the shared helpers are imported when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import networkx as nx

from mldossier.cli.common import Context, reported
from mldossier.errors import UsageError
from mldossier.intake.linking import is_production
from mldossier.lineage.graph import LineageGraph, build_graph, short_id
from mldossier.lineage.impact import downstream
from mldossier.lineage.provenance import provenance
from mldossier.lineage.runs import mlflow_inputs, writers_of
from mldossier.lineage.views import dataset_ids, downstream_subgraph, subgraph, version_nodes
from mldossier.model import DatasetUse, LineageRun, ModelVersion, QualifiedName
from mldossier.pipeline import read

FORMATS = ("text", "json", "dot", "graphml", "svg")
LISTED = 20
"""How many known names an error message lists before saying how many more exist."""


@click.command("lineage")
@click.argument("target", required=False, metavar="MODEL[@VERSION]")
@click.option(
    "--downstream",
    "dataset",
    metavar="DATASET",
    help="Show every model version and deployment a dataset (namespace:name) feeds.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: an indented tree; json; dot, graphml, svg: the lineage subgraph.",
)
# The same option as cli.evidence_option, repeated so this module loads without cli.py.
@click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Evidence folder (default: `evidence:` in mldossier.yaml, else ./evidence).",
)
@click.pass_obj
@reported
def lineage(
    obj: Context, target: str | None, dataset: str | None, fmt: str, evidence_dir: Path | None
) -> None:
    """Trace a model version upstream to its root datasets, or a dataset downstream.

    MODEL@VERSION traces one version; MODEL alone traces every version of it in production.
    --downstream DATASET lists every model version (and its serving runs) the dataset feeds,
    transitively. Exit 0 on success, 2 when the model, version or dataset is unknown.
    """
    if (target is None) == (dataset is None):
        raise click.UsageError("give either MODEL[@VERSION] or --downstream DATASET")
    config = obj.config()
    intake = read(config, evidence_dir)
    graph = build_graph(intake.evidence, config, intake.index)
    if dataset is not None:
        ident = find_dataset(graph, dataset)
        click.echo(render_downstream(graph, ident, fmt), nl=False)
    else:
        assert target is not None
        versions = find_versions(graph, target)
        click.echo(render_upstream(graph, versions, fmt, target), nl=False)


# ---------------------------------------------------------------- finding what was named


def find_versions(graph: LineageGraph, target: str) -> list[ModelVersion]:
    """The versions ``MODEL@VERSION`` or ``MODEL`` names (its production versions)."""
    name, _, number = target.rpartition("@") if "@" in target else (target, "", "")
    index = graph.index
    known = sorted(set(index.versions) | set(index.systems))
    if name not in known:
        raise UsageError(f"unknown model {name!r}: " + _listing("registered models", known))
    versions = index.versions.get(name, [])
    if number:
        version = index.version_by_key.get(f"{name}@{number}")
        if version is None:
            raise UsageError(
                f"unknown model version {name}@{number}: "
                + _listing(f"versions of {name}", [v.version for v in versions])
            )
        return [version]
    production = [v for v in versions if is_production(v, graph.config)]
    if not production:
        rules = graph.config.production
        raise UsageError(
            f"{name} has no version in production (stages {', '.join(rules.stages)}; aliases "
            f"{', '.join(rules.aliases)}): name one as {name}@VERSION; "
            + _listing(f"versions of {name}", [v.version for v in versions])
        )
    return production


def find_dataset(graph: LineageGraph, text: str) -> QualifiedName:
    """The dataset ``namespace:name`` names (namespaces may hold colons, e.g. ``s3://b``)."""
    known = dataset_ids(graph)
    wanted = set(known)
    for i, char in enumerate(text):
        if char == ":" and QualifiedName(text[:i], text[i + 1 :]) in wanted:
            return QualifiedName(text[:i], text[i + 1 :])
    raise UsageError(
        f"unknown dataset {text!r} (give it as namespace:name): "
        + _listing("datasets", [str(d) for d in known])
    )


def _listing(what: str, names: list[str]) -> str:
    if not names:
        return f"the evidence has no {what}"
    shown = ", ".join(names[:LISTED])
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return f"known {what}: {shown}{more}"


# ---------------------------------------------------------------- rendering


def render_upstream(graph: LineageGraph, versions: list[ModelVersion], fmt: str, title: str) -> str:
    """The provenance of versions in one output format."""
    if fmt == "text":
        return "\n".join(provenance_text(graph, v) for v in versions)
    if fmt == "json":
        return _json({"versions": [provenance(graph, v).to_json() for v in versions]})
    nodes: set[str] = set()
    for version in versions:
        nodes |= version_nodes(graph, version)
    return _render_graph(subgraph(graph, nodes), fmt, f"Lineage of {title}")


def render_downstream(graph: LineageGraph, dataset: QualifiedName, fmt: str) -> str:
    """What a dataset feeds, in one output format."""
    if fmt == "text":
        return downstream_text(graph, dataset)
    if fmt == "json":
        return _json(
            {"dataset": str(dataset), "impacts": [i.to_json() for i in downstream(graph, dataset)]}
        )
    return _render_graph(downstream_subgraph(graph, dataset), fmt, f"What {dataset} feeds")


def _render_graph(sub: nx.MultiDiGraph, fmt: str, title: str) -> str:
    from mldossier.lineage.diagram import graph_dot, graph_svg

    if fmt == "dot":
        return graph_dot(sub, title)
    if fmt == "svg":
        return graph_svg(sub, title)
    return "\n".join(nx.generate_graphml(portable_graph(sub))) + "\n"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
    for run in prov.training_runs:
        _run_tree(graph, run, depth, "training run", lines, shown)
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
