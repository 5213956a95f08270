"""``mldossier lineage``: where a model version comes from, or what a dataset feeds."""

from __future__ import annotations

from pathlib import Path

import click

from mldossier.cli.common import Context, evidence_option, reported
from mldossier.lineage.graph import build_graph
from mldossier.lineage.lookup import find_dataset, find_versions
from mldossier.pipeline import read
from mldossier.render.lineage import FORMATS, render_downstream, render_upstream
from mldossier.terminal import echo


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
@evidence_option
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
    # Lineage is a question about the graph: a folder of lineage events alone may answer it.
    intake = read(config, evidence_dir, require_system=False)
    graph = build_graph(intake.evidence, config, intake.index)
    if dataset is not None:
        ident = find_dataset(graph, dataset)
        echo(render_downstream(graph, ident, fmt), nl=False)
    else:
        assert target is not None
        versions = find_versions(graph, target)
        echo(render_upstream(graph, versions, fmt, target), nl=False)
