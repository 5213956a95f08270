"""``mldossier collect``: fetch evidence live from MLflow or an Evidently workspace."""

from __future__ import annotations

import os
from pathlib import Path

import click

from mldossier.bundle.out_folder import refuse_overlap
from mldossier.cli.common import config_of, inputs_of, reported
from mldossier.collect import MlflowOptions, collect_evidently, collect_mlflow
from mldossier.collect.http import DEFAULT_TOTAL_TIMEOUT, HttpSettings
from mldossier.collect.mlflow import MAX_PAGE_SIZE
from mldossier.collect.staging import COLLECTION
from mldossier.formats import MIB
from mldossier.terminal import current

out_option = click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to collect into: new, empty or an earlier collection (nothing else is "
    "replaced). It is replaced as a whole, and only when the collection completed; a "
    "failed collection leaves it as it was.",
)


@click.group()
def collect() -> None:
    """Collect evidence live from a running MLflow server or an Evidently workspace.

    Each collection is written into a new folder next to --out and swapped in when
    complete, with collection-log.json recording every call (URL, time, SHA-256).
    Exit codes: 0 collected (an object the server would not give, such as a purged run,
    is recorded as unavailable with a warning, and the rest collected), 2 the source
    refused or failed as a whole, or a bound was reached (the message names the call and
    the bound), 3 internal error. A progress bar shows on stderr on a terminal (not in CI, not with
    --quiet); --quiet also drops the closing summary line.
    """


@collect.command("mlflow")
@click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    required=True,
    help="Base URL of the MLflow tracking server (default: $MLFLOW_TRACKING_URI).",
)
@out_option
@click.option(
    "--page-size",
    type=click.IntRange(1, MAX_PAGE_SIZE),
    default=100,
    show_default=True,
    help="max_results of every paged search.",
)
@click.option(
    "--production-stage",
    "stages",
    multiple=True,
    help="A stage that means production (repeatable; default: the config's "
    "production.stages, else Production).",
)
@click.option(
    "--production-alias",
    "aliases",
    multiple=True,
    help="An alias that means production (repeatable; default: the config's "
    "production.aliases, else champion).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a connection or for each read.",
)
@click.option(
    "--total-timeout",
    type=click.FloatRange(0, min_open=True),
    default=DEFAULT_TOTAL_TIMEOUT,
    show_default=True,
    help="Seconds one answer may take as a whole, redirects included, from connecting to "
    "its last byte (not retried when reached).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1, 1_000_000),
    help="Pages followed per paged search; a server still paging after them stops the "
    "collection (default: collect.max_pages in the config, else 1000).",
)
@click.option(
    "--max-response-mb",
    type=click.FloatRange(0, 1_048_576, min_open=True),
    help="Largest response body read, in MiB; a larger one stops the collection "
    "(default: collect.max_response_mb in the config, else 64).",
)
@click.option(
    "--max-tries",
    type=click.IntRange(1, 20),
    default=5,
    show_default=True,
    help="Tries per call on 429, 5xx, timeouts and broken connections.",
)
@click.option(
    "--backoff",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds before the first retry, doubled before each next one "
    "(a Retry-After header wins).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Do not verify the server's TLS certificate (as MLFLOW_TRACKING_INSECURE_TLS=true does).",
)
@click.pass_context
@reported
def collect_mlflow_command(
    ctx: click.Context,
    tracking_uri: str,
    out_dir: Path,
    page_size: int,
    stages: tuple[str, ...],
    aliases: tuple[str, ...],
    timeout: float,
    total_timeout: float,
    max_pages: int | None,
    max_response_mb: float | None,
    max_tries: int,
    backoff: float,
    insecure: bool,
) -> None:
    """Collect the model registry, its runs, logged models and production MLmodel files.

    Credentials come from MLFLOW_TRACKING_TOKEN (Bearer) or MLFLOW_TRACKING_USERNAME and
    MLFLOW_TRACKING_PASSWORD (Basic), as for MLflow's own client; a CA bundle from
    MLFLOW_TRACKING_SERVER_CERT_PATH.
    """
    config = config_of(ctx)
    refuse_overlap(out_dir, COLLECTION, inputs_of(config, None))
    production = config.production
    options = MlflowOptions(
        tracking_uri=tracking_uri,
        page_size=page_size,
        production_stages=stages or production.stages,
        production_aliases=aliases or production.aliases,
        max_pages=max_pages or config.collect.max_pages,
    )
    settings = HttpSettings.from_env(
        os.environ,
        timeout=timeout,
        max_tries=max_tries,
        backoff=backoff,
        insecure=insecure,
        total_timeout=total_timeout,
        max_response_bytes=(
            config.collect.max_response_bytes
            if max_response_mb is None
            else max(1, int(max_response_mb * MIB))
        ),
    )
    term = current()
    summary = collect_mlflow(options, settings, out_dir, term.progress())
    for gap in summary.unavailable:
        term.warn(gap)
    term.say(summary.line())


@collect.command("evidently")
@click.option(
    "--workspace",
    required=True,
    type=click.Path(path_type=Path),
    help="The Evidently workspace folder (the path given to Workspace(...)).",
)
@out_option
@click.option(
    "--project",
    "projects",
    multiple=True,
    help="Only this project, by name or id (repeatable; default: all).",
)
@click.pass_context
@reported
def collect_evidently_command(
    ctx: click.Context, workspace: Path, out_dir: Path, projects: tuple[str, ...]
) -> None:
    """Copy every snapshot of a local Evidently workspace, grouped by project."""
    inputs = [*inputs_of(config_of(ctx), None), ("workspace", workspace)]
    refuse_overlap(out_dir, COLLECTION, inputs)
    term = current()
    summary = collect_evidently(workspace, out_dir, projects, term.progress(unit=""))
    for warning in summary.warnings:
        term.warn(warning)
    term.say(summary.line())
