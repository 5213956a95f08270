"""Command-line pieces for the ecosystem: ``init``, ``check --oscal`` and the CI step summary.

``cli.py`` adds :data:`init_command` to the group and calls :func:`write_oscal` and
:func:`append_step_summary` from ``check``; this module only parses and calls the library.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

import click

from mldossier.bundle.atomic import atomic_write_text
from mldossier.errors import EXIT_INVALID, UsageError
from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.render.oscal import dumps_oscal, to_oscal
from mldossier.render.results_json import frameworks
from mldossier.scaffold import init_project
from mldossier.status import STATUSES, Status
from mldossier.terminal import current

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
MAX_SUMMARY_ROWS = 200
"""GitHub caps a step summary at 1 MiB; past this many rows the table says how many more."""
MAX_CITATIONS = 5


@click.command("init")
@click.argument(
    "directory", required=False, default=Path("."), type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--with-catalogs",
    is_flag=True,
    help="Copy the bundled catalogs into DIRECTORY/controls/ to edit, and list the copies.",
)
def init_command(directory: Path, force: bool, with_catalogs: bool) -> None:
    """Start a project: a commented mldossier.yaml and an example evidence folder.

    Writes DIRECTORY/mldossier.yaml (every key with its default), the JSON Schemas editors
    complete it with, and evidence/ with one tiny example of each input kind. Refuses to
    overwrite existing files (exit 2, naming them) unless --force. The config lists the
    bundled catalogs by id; --with-catalogs copies them into controls/ to edit instead. With
    --quiet it prints nothing.
    """
    try:
        written = init_project(directory, force, with_catalogs)
    except UsageError as exc:
        click.echo(f"mldossier: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    except OSError as exc:
        click.echo(
            f"mldossier: cannot write into {directory}: {exc.strerror or exc} "
            "(choose a folder you can write to)",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    term = current()
    term.say(f"Wrote {len(written)} files into {directory}:")
    for path in written:
        term.say(f"  {path.relative_to(directory).as_posix()}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    # Not "check && build": check exits 1 when a control fails, which the examples do.
    term.say(
        "Next: replace evidence/ with your own exports, then run\n"
        f"  {where}mldossier validate && mldossier check; mldossier build"
    )


oscal_option = click.option(
    "--oscal",
    "oscal_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the verdicts as an OSCAL 1.1.3 assessment-results document (JSON).",
)
"""The ``check --oscal FILE`` option."""


def evidence_prefix(evidence_root: Path, out: Path) -> str:
    """The path from the folder of ``out`` to the evidence root, so evidence links resolve."""
    rel = Path(os.path.relpath(evidence_root.resolve(), out.resolve().parent)).as_posix()
    return "" if rel == "." else rel + "/"


def write_oscal(results: Results, out: Path) -> None:
    """Write the OSCAL assessment results to ``out`` (atomically)."""
    prefix = evidence_prefix(Path(results.evidence.root), out)
    atomic_write_text(out, dumps_oscal(to_oscal(results, prefix)))


# ---------------------------------------------------------------- GitHub step summary

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no HTML, no pipes, no line breaks."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return "<br>".join(line.strip() for line in text.splitlines() if line.strip()) or " "


def _evidence_cell(v: Verdict) -> str:
    cites = [str(c) for c in v.citations[:MAX_CITATIONS]]
    more = len(v.citations) - len(cites)
    return (
        "<br>".join([md_cell(c) for c in cites] + ([f"and {more} more"] if more > 0 else []))
        or "none"
    )


def step_summary_markdown(results: Results, fail_on_warn: bool = False) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY``: counts per framework, what failed."""
    failing = results.gating(fail_on_warn)
    heading = f"{len(failing)} failing verdict(s)" if failing else "no failing controls"
    lines = [
        f"## mldossier check: {heading}",
        "",
        f"Evaluated at {results.as_of.isoformat()} ({md_cell(results.as_of_source)}); "
        f"evidence manifest SHA-256 `{results.manifest_sha256[:12]}`.",
        "",
        "| framework | " + " | ".join(s.label.lower() for s in STATUSES) + " |",
        "| --- | " + " | ".join("---:" for _ in STATUSES) + " |",
    ]
    for framework in frameworks(results):
        counts = results.counts(framework=framework)
        lines.append(
            f"| {md_cell(framework)} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |"
        )
    if failing:
        lines += [
            "",
            "### Failing controls",
            "",
            "| status | control | subject | title | why | fix | evidence |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for v in failing[:MAX_SUMMARY_ROWS]:
            lines.append(
                f"| {Status(v.status).label} | {md_cell(v.control.id)} "
                f"({md_cell(v.control.reference)}) | {md_cell(v.subject)} | "
                f"{md_cell(v.control.title)} | {md_cell(chr(10).join(v.reasons))} | "
                f"{md_cell(v.fix)} | {_evidence_cell(v)} |"
            )
        if len(failing) > MAX_SUMMARY_ROWS:
            lines.append(
                f"\n{len(failing) - MAX_SUMMARY_ROWS} more not shown: see the "
                "results JSON or JUnit report."
            )
    warns = sum(1 for v in results.verdicts if v.status == Status.WARN)
    if warns and not fail_on_warn:
        lines += ["", f"{warns} warning(s) not listed (`--fail-on warn` gates on them)."]
    return "\n".join(lines) + "\n"


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
