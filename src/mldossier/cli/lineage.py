"""``mldossier lineage``: where a model version comes from, or what a dataset feeds."""

from __future__ import annotations

from pathlib import Path

import click

from mldossier.cli.common import Context, evidence_option, reported
from mldossier.lineage.graph import build_graph
from mldossier.lineage.jobs import DATASET, JOB, find_node, job_graph
from mldossier.lineage.lookup import find_dataset, find_versions
from mldossier.pipeline import read
from mldossier.render.lineage import FORMATS, render_downstream, render_job_view, render_upstream
from mldossier.terminal import echo

ONE_TARGET = "give one of MODEL[@VERSION], --downstream DATASET, --job JOB or --dataset DATASET"


@click.command("lineage")
@click.argument("target", required=False, metavar="MODEL[@VERSION]")
@click.option(
    "--downstream",
    "dataset",
    metavar="DATASET",
    help="Show every model version and deployment a dataset (namespace:name) feeds.",
)
@click.option(
    "--job",
    "job",
    metavar="JOB",
    help="Show what an OpenLineage job (namespace:name) reads from and feeds, job to job "
    "(needs no MLflow evidence).",
)
@click.option(
    "--dataset",
    "around",
    metavar="DATASET",
    help="Show what a dataset (namespace:name) is made from and feeds, job to job "
    "(needs no MLflow evidence).",
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
    obj: Context,
    target: str | None,
    dataset: str | None,
    job: str | None,
    around: str | None,
    fmt: str,
    evidence_dir: Path | None,
) -> None:
    """Trace a model version upstream to its root datasets, or a dataset downstream.

    MODEL@VERSION traces one version; MODEL alone traces every version of it in production.
    --downstream DATASET lists every model version (and its serving runs) the dataset feeds,
    transitively. --job JOB and --dataset DATASET show a job's or dataset's upstream and
    downstream in OpenLineage terms, runs folded into their jobs, as Marquez draws it. Exit 0
    on success, 2 when the model, version, job or dataset is unknown.
    """
    if sum(x is not None for x in (target, dataset, job, around)) != 1:
        raise click.UsageError(ONE_TARGET)
    config = obj.config()
    # Lineage is a question about the graph: a folder of lineage events alone may answer it.
    intake = read(config, evidence_dir, require_system=False)
    if job is not None or around is not None:
        jobs = job_graph(intake.evidence.lineage_runs)
        kind, name = (JOB, job) if job is not None else (DATASET, around or "")
        echo(render_job_view(jobs, find_node(jobs, kind, name), fmt), nl=False)
        return
    graph = build_graph(intake.evidence, config, intake.index)
    if dataset is not None:
        ident = find_dataset(graph, dataset)
        echo(render_downstream(graph, ident, fmt), nl=False)
    else:
        assert target is not None
        versions = find_versions(graph, target)
        echo(render_upstream(graph, versions, fmt, target), nl=False)
