"""``mldossier check``: evaluate every control, write the results where asked, gate CI."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from mldossier.bundle.atomic import atomic_write_bytes, atomic_write_text
from mldossier.cli.common import (
    Context,
    as_of_option,
    build_cache,
    echo_lines,
    evidence_option,
    no_cache_option,
    quarantine_option,
    readiness_option,
    reported,
    strict_gate_option,
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
from mldossier.status import DEFAULT_GATE, STATUSES, Status, gate
from mldossier.terminal import QUIET_AND_VERBOSE, Terminal, current, echo


def _fail_on(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--fail-on`` statuses, repeatable or comma-separated, each one of the vocabulary."""
    names = [n.strip() for v in value for n in v.split(",") if n.strip()]
    known = {s.value for s in STATUSES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown status {', '.join(map(repr, unknown))} (use "
            + ", ".join(sorted(known))
            + "; the statuses of mldossier 0.x, such as 'warn', are gone: see the CHANGELOG)"
        )
    return tuple(names)


oscal_option = click.option(
    "--oscal",
    "oscal_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the verdicts as an OSCAL 1.1.3 assessment-results document (JSON).",
)
"""The ``check --oscal FILE`` option."""

OSCAL_BASE_SCHEMES = ("http", "https", "file", "s3", "gs")


def oscal_evidence_base(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """``--oscal-evidence-base``: ``file`` or an absolute http(s)/file/s3/gs URL, ending in /."""
    if value is None or value == "file":
        return value
    parts = urlsplit(value)
    if parts.scheme not in OSCAL_BASE_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise click.BadParameter(
            f"{value!r} is not an absolute URL (give the URL the evidence folder is published "
            "at, e.g. https://ci.example/job/1/artifact/evidence/, or `file` for file:// URIs "
            "of this evidence folder)"
        )
    if any(c.isspace() or not c.isprintable() or c in '<>"{}|\\^`' for c in value):
        raise click.BadParameter(
            f"{value!r} has characters a URL cannot hold (percent-encode them, e.g. %20)"
        )
    if parts.query or parts.fragment:
        raise click.BadParameter(f"{value!r} has a query or fragment (give the folder's URL)")
    return value if value.endswith("/") else value + "/"


oscal_base_option = click.option(
    "--oscal-evidence-base",
    "oscal_base",
    metavar="URL|file",
    callback=oscal_evidence_base,
    help="Make the OSCAL evidence links absolute: the URL the evidence folder is published at "
    "(each file's path is added to it), or `file` for file:// URIs of the evidence folder. "
    "Default: relative to the OSCAL file.",
)


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
    "fail_on",
    multiple=True,
    metavar="STATUS[,STATUS]",
    callback=_fail_on,
    help="Statuses that fail the gate besides exception, formal_nonconformity and error "
    "(repeatable or comma-separated, e.g. observation,not_assessed).",
)
@strict_gate_option
@as_of_option
@readiness_option
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
@oscal_base_option
@quarantine_option
@no_cache_option
@click.pass_obj
@reported
def check(
    obj: Context,
    evidence_dir: Path | None,
    control_files: tuple[Path, ...],
    json_out: Path | None,
    junit_out: Path | None,
    fail_on: tuple[str, ...],
    strict: bool,
    as_of: date | None,
    readiness: bool,
    verbose: bool,
    baseline: Path | None,
    oscal_out: Path | None,
    oscal_base: str | None,
    quarantine: bool,
    no_cache: bool,
) -> None:
    """Evaluate every control on every AI system and version; the exit code gates CI.

    Exit 0 when no verdict fails the gate, 1 when one does (by default an exception, a
    formal nonconformity or a check that could not run; --strict adds not_evidenced,
    --fail-on adds any status) or when the export recorded a failed call (a run or MLmodel
    a collection could not get is not one: its checks are not_evidenced), 2 on invalid
    input or usage (a folder that yields no AI system is invalid input; with --strict so
    is a file that is not evidence, or a failed export call). With --quiet a passing check
    prints nothing and a failing one only the verdicts that fail it.
    """
    term = obj.terminal
    if verbose and term.quiet:
        raise click.UsageError(QUIET_AND_VERBOSE)
    statuses = gate(strict, fail_on)
    # Read first: a baseline that is not one stops the run before anything is written.
    earlier = load_baseline(baseline) if baseline is not None else None
    with term.stages() as stage:
        stage("reading the evidence and evaluating the controls")
        config = obj.config()
        analysis = analyse(
            config,
            evidence_dir,
            list(control_files),
            build_cache(config, no_cache),
            as_of,
            readiness=readiness,
            strict=strict,
            quarantine=quarantine,
        )
    results = analysis.results
    obj.warn_all(results.evidence.warnings)
    obj.show_quarantine(results.evidence.quarantined)
    if json_out:
        atomic_write_bytes(json_out, results_bytes(results))
    if junit_out:
        atomic_write_text(junit_out, to_junit(results, statuses))
    if oscal_out:
        write_oscal(results, oscal_out, oscal_base, config.tags.owner)
    append_step_summary(results, statuses)
    term.say(format_terminal(results, verbose or term.verbose, term.style))
    if baseline is not None and earlier is not None:
        _gate_on_changes(term, results, baseline, earlier, statuses)
    elif gating := results.gating(statuses):
        if term.quiet:
            echo_lines(format_findings(gating, term.style))
        sys.exit(EXIT_FAILING)
    _gate_on_export(results)
    obj.exit_quarantined(results.evidence.quarantined)


def _gate_on_export(results: Results) -> None:
    """Exit 1 when the export itself recorded failed calls: a failed export never passes."""
    failed = results.evidence.export_errors
    if failed:
        echo(
            f"{len(failed)} call(s) of the export failed (see the warnings): the evidence is "
            "incomplete, so the check fails (collect or export again)"
        )
        sys.exit(EXIT_FAILING)


def _gate_on_changes(
    term: Terminal,
    results: Results,
    baseline: Path,
    earlier: dict[str, Any],
    statuses: frozenset[Status],
) -> None:
    """Show what changed since the baseline; exit 1 on what newly fails the gate."""
    changes = compare(earlier, to_json(results), str(baseline))
    term.say(f"\nChanges since {baseline} ({changes.baseline_as_of}):")
    term.say("\n".join(f"  {line}" for line in changes.lines()) or "  none")
    worse = changes.gating(statuses)
    if not worse:
        return
    if term.quiet:
        keys = {(f.control, f.subject) for f in worse}
        echo_lines(
            format_findings(
                [v for v in results.failing if (v.control.id, v.subject) in keys], term.style
            )
        )
    echo(f"{len(worse)} regression(s) since the baseline")
    sys.exit(EXIT_FAILING)


def evidence_prefix(evidence_root: Path, out: Path) -> str:
    """The path from the folder of ``out`` to the evidence root, so evidence links resolve."""
    rel = Path(os.path.relpath(evidence_root.resolve(), out.resolve().parent)).as_posix()
    return "" if rel == "." else rel + "/"


def write_oscal(
    results: Results, out: Path, base: str | None = None, owner_tag: str = "owner"
) -> None:
    """Write the OSCAL assessment results to ``out`` (atomically).

    Evidence links are relative to ``out`` by default; ``base`` makes them absolute: a URL
    the evidence folder is published at, or ``file`` for file:// URIs of the folder.
    """
    if base is None:
        prefix = evidence_prefix(Path(results.evidence.root), out)
    elif base == "file":
        prefix = Path(results.evidence.root).resolve().as_uri().rstrip("/") + "/"
    else:
        prefix = base
    atomic_write_text(out, dumps_oscal(to_oscal(results, prefix, owner_tag)))


def append_step_summary(results: Results, statuses: frozenset[Status] = DEFAULT_GATE) -> None:
    """On GitHub Actions, append the step summary to ``$GITHUB_STEP_SUMMARY``; else nothing."""
    target = os.environ.get(STEP_SUMMARY_ENV, "").strip()
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(step_summary_markdown(results, statuses))
    except OSError as exc:
        # The summary is a convenience: the verdicts and the exit code must not depend on it.
        current().warn(f"cannot append the step summary to {target}: {exc.strerror or exc}")
