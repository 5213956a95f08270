"""``mldossier check``: evaluate every control, write the results where asked, gate CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mldossier.bundle.atomic import atomic_write_bytes, atomic_write_text
from mldossier.cli.common import (
    Context,
    build_cache,
    echo_lines,
    evidence_option,
    no_cache_option,
    reported,
)
from mldossier.errors import EXIT_FAILING
from mldossier.evaluate.baseline import compare, load_baseline
from mldossier.evaluate.verdicts import Results
from mldossier.pipeline import analyse
from mldossier.render.junit import to_junit
from mldossier.render.oscal import dumps_oscal, to_oscal
from mldossier.render.results_json import results_bytes, to_json
from mldossier.render.step_summary import STEP_SUMMARY_ENV, step_summary_markdown
from mldossier.render.text import format_findings, format_terminal
from mldossier.terminal import QUIET_AND_VERBOSE, Terminal, current

oscal_option = click.option(
    "--oscal",
    "oscal_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the verdicts as an OSCAL 1.1.3 assessment-results document (JSON).",
)
"""The ``check --oscal FILE`` option."""


@click.command()
@evidence_option
@click.option(
    "--controls",
    "control_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A control catalog (repeatable; default: the config's, else the bundled "
    "EU AI Act and SOC 2 catalogs).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the results as JSON (schema: results.schema.json).",
)
@click.option(
    "--junit",
    "junit_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write one JUnit test case per control and subject.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    show_default=True,
    help="Lowest status that makes the exit code 1.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List every verdict, not only failures (the global --verbose does the same).",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="An earlier results JSON (or bundle folder): show what changed, and gate "
    "only on regressions.",
)
@oscal_option
@no_cache_option
@click.pass_obj
@reported
def check(
    obj: Context,
    evidence_dir: Path | None,
    control_files: tuple[Path, ...],
    json_out: Path | None,
    junit_out: Path | None,
    fail_on: str,
    verbose: bool,
    baseline: Path | None,
    oscal_out: Path | None,
    no_cache: bool,
) -> None:
    """Evaluate every control on every AI system and version; the exit code gates CI.

    Exit 0 when no control fails, 1 when at least one fails (or warns, with
    --fail-on warn), 2 on invalid input or usage. With --quiet a passing check prints
    nothing and a failing one only the verdicts that fail it.
    """
    term = obj.terminal
    if verbose and term.quiet:
        raise click.UsageError(QUIET_AND_VERBOSE)
    fail_on_warn = fail_on == "warn"
    with term.stages() as stage:
        stage("reading the evidence and evaluating the controls")
        config = obj.config()
        analysis = analyse(config, evidence_dir, list(control_files), build_cache(config, no_cache))
    results = analysis.results
    obj.warn_all(results.evidence.warnings)
    if json_out:
        atomic_write_bytes(json_out, results_bytes(results))
    if junit_out:
        atomic_write_text(junit_out, to_junit(results, fail_on_warn=fail_on_warn))
    if oscal_out:
        write_oscal(results, oscal_out)
    append_step_summary(results, fail_on_warn=fail_on_warn)
    term.say(format_terminal(results, verbose or term.verbose, term.style))
    if baseline is not None:
        _gate_on_changes(term, results, baseline, fail_on_warn)
    elif gating := results.gating(fail_on_warn):
        if term.quiet:
            echo_lines(format_findings(gating, term.style))
        sys.exit(EXIT_FAILING)


def _gate_on_changes(term: Terminal, results: Results, baseline: Path, fail_on_warn: bool) -> None:
    """Show what changed since the baseline; exit 1 on what newly fails the gate."""
    changes = compare(load_baseline(baseline), to_json(results), str(baseline))
    term.say(f"\nChanges since {baseline} ({changes.baseline_as_of}):")
    term.say("\n".join(f"  {line}" for line in changes.lines()) or "  none")
    worse = changes.gating(fail_on_warn)
    if not worse:
        return
    if term.quiet:
        keys = {(f.control, f.subject) for f in worse}
        echo_lines(
            format_findings(
                [v for v in results.failing if (v.control.id, v.subject) in keys], term.style
            )
        )
    click.echo(f"{len(worse)} regression(s) since the baseline")
    sys.exit(EXIT_FAILING)


def evidence_prefix(evidence_root: Path, out: Path) -> str:
    """The path from the folder of ``out`` to the evidence root, so evidence links resolve."""
    rel = Path(os.path.relpath(evidence_root.resolve(), out.resolve().parent)).as_posix()
    return "" if rel == "." else rel + "/"


def write_oscal(results: Results, out: Path) -> None:
    """Write the OSCAL assessment results to ``out`` (atomically)."""
    prefix = evidence_prefix(Path(results.evidence.root), out)
    atomic_write_text(out, dumps_oscal(to_oscal(results, prefix)))


def append_step_summary(results: Results, fail_on_warn: bool = False) -> None:
    """On GitHub Actions, append the step summary to ``$GITHUB_STEP_SUMMARY``; else nothing."""
    target = os.environ.get(STEP_SUMMARY_ENV, "").strip()
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(step_summary_markdown(results, fail_on_warn))
    except OSError as exc:
        # The summary is a convenience: the verdicts and the exit code must not depend on it.
        current().warn(f"cannot append the step summary to {target}: {exc.strerror or exc}")
