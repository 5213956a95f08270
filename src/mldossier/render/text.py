"""The plain text the terminal prints: the ``check`` summary and findings, the ``validate`` summary.

Colour comes in through a :data:`Style` (see :meth:`mldossier.terminal.Terminal.style`): the
text itself is the same on a terminal, in a pipe and in a file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.formats.text import printable
from mldossier.intake.linking import Index
from mldossier.model import Evidence, FileRole
from mldossier.render.requests import root_causes
from mldossier.render.results_json import frameworks
from mldossier.status import STATUSES, Status

Style = Callable[[str, str], str]
"""Paints a piece of terminal text in the colour of a status: ``style(text, status)``."""


def plain(text: str, status: str) -> str:
    """The :data:`Style` that paints nothing (pipes, files, NO_COLOR)."""
    return text


OTHER_STATUSES = (
    Status.NOT_ASSESSED,
    Status.WAIVED,
    Status.NOT_YET_APPLICABLE,
    Status.NO_OCCURRENCE,
    Status.NO_EXCEPTION,
    Status.NOT_APPLICABLE,
)
"""What ``--verbose`` lists after the findings, in this order."""

ROOT_CAUSES_SHOWN = 10
"""How many shared root causes the summary names before the findings."""


def format_root_causes(results: Results, verbose: bool = False, style: Style = plain) -> list[str]:
    """The root causes that explain more than one finding, most severe first."""
    shared = [
        g
        for g in root_causes(results)
        if len(g.verdicts) > 1 and (verbose or g.status is not Status.OBSERVATION)
    ]
    if not shared:
        return []
    lines = [f"\nShared root causes ({len(shared)}; one problem, several findings):"]
    for g in shared[:ROOT_CAUSES_SHOWN]:
        controls = ", ".join(g.controls[:6]) + (" ..." if len(g.controls) > 6 else "")
        status = style(g.status.label.lower(), g.status)
        lines.append(f"  {len(g.verdicts)} findings, one cause ({status}): {printable(g.summary)}")
        where = printable(f"on {', '.join(g.subjects)}: {controls} ({', '.join(g.frameworks)})")
        lines.append(f"        {where}")
    if len(shared) > ROOT_CAUSES_SHOWN:
        lines.append(
            f"  ({len(shared) - ROOT_CAUSES_SHOWN} more: the site's Requests page lists them all)"
        )
    return lines


def format_findings(verdicts: Iterable[Verdict], style: Style = plain) -> list[str]:
    """A block per verdict: status, control, subject and title, then its reasons and fix."""
    lines = []
    shown = list(verdicts)
    width = max((len(Status(v.status).label) for v in shown), default=0)
    for v in shown:
        word = style(f"{Status(v.status).label:{width}}", v.status)
        # Each piece on its own line: a line break in evidence is shown, not followed.
        control = printable(f"{v.control.id} {v.control.reference} [{v.subject}] {v.control.title}")
        lines.append(f"  {word} {control}")
        if v.status != Status.NO_EXCEPTION:
            lines.extend(f"        - {printable(reason)}" for reason in v.reasons)
        if v.fix:
            lines.append(f"        fix: {printable(v.fix)}")
    return lines


def counts_line(counts: dict[str, int], style: Style = plain) -> str:
    """``3 no exception, 1 exception`` in the status order, statuses with no verdict left out."""
    return ", ".join(style(f"{counts[s]} {s.label.lower()}", s) for s in STATUSES if counts[s])


def format_terminal(results: Results, verbose: bool = False, style: Style = plain) -> str:
    """The summary ``check`` prints: per framework and system, then what failed and why.

    ``verbose`` lists every verdict: warnings among the findings, then the passes, manual,
    waived and not applicable verdicts.
    """
    lines = [
        f"Evaluated at {results.as_of.isoformat()} ({results.as_of_source}); evidence "
        f"manifest {results.manifest_sha256[:12]}"
    ]
    # The systems and the statuses in one pass, the counts from Results' one tally: a scan
    # per framework and system would grow with systems × verdicts.
    systems_of: dict[str, set[str]] = defaultdict(set)
    by_status: dict[str, list[Verdict]] = defaultdict(list)
    for v in results.verdicts:
        if v.system:
            systems_of[v.control.framework].add(v.system)
        by_status[v.status].append(v)
    for framework in frameworks(results):
        lines.append(
            f"\n{printable(framework)}: " + counts_line(results.counts(framework=framework), style)
        )
        systems = sorted(systems_of.get(framework, ()))
        for system in systems:
            lines.append(
                f"  {printable(system)}: "
                + counts_line(results.counts(framework=framework, system=system), style)
            )
        # Controls on the organisation (policies, sign-offs) belong to no system: without
        # this line the systems' counts would not add up to the framework's.
        whole = results.counts(framework=framework, system="")
        if any(whole.values()) and systems:
            lines.append("  organisation-wide: " + counts_line(whole, style))
    lines.extend(format_root_causes(results, verbose, style))
    failing = [v for v in results.failing if verbose or v.status != Status.OBSERVATION]
    if failing:
        lines.append("\nFindings (most severe first):")
        lines.extend(format_findings(failing, style))
    if verbose:
        others = [v for status in OTHER_STATUSES for v in by_status.get(status, ())]
        if others:
            lines.append("\nOther verdicts:")
            lines.extend(format_findings(others, style))
    observations = len(by_status.get(Status.OBSERVATION, ()))
    if observations and not verbose:
        lines.append(f"\n({observations} observation(s) not listed; --verbose lists them)")
    return "\n".join(lines)


def not_read_counts(evidence: Evidence) -> str:
    """``3 (2 ignored, 1 not evidence)``: how many files were not read, and why."""
    ignored = sum(1 for f in evidence.not_read if f.role is FileRole.IGNORED)
    other = len(evidence.not_read) - ignored
    parts = [f"{ignored} ignored"] * bool(ignored) + [f"{other} not evidence"] * bool(other)
    return f"{len(evidence.not_read)}" + (f" ({', '.join(parts)})" if parts else "")


def format_summary(evidence: Evidence, index: Index, files: bool = False) -> str:
    """The plain-text summary ``validate`` prints (with ``files``, every file and its importer)."""
    production = index.production_versions()
    kinds: dict[str, int] = {}
    for f in evidence.files:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    undated = sum(1 for r in evidence.reports if r.undated)
    lines = [
        f"Evidence: {printable(str(evidence.root))} ({len(evidence.files)} files: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + ")",
        f"  AI systems (registered models): {len(evidence.registered_models)}",
        f"  model versions:                 {len(evidence.model_versions)} "
        f"({len(production)} in production)",
        *_prompt_lines(evidence),
        f"  MLflow runs:                    {len(evidence.mlflow_runs)}",
        f"  logged models:                  {len(evidence.logged_models)}",
        f"  model signatures:               {len(evidence.signatures)}",
        f"  lineage runs:                   {len(evidence.lineage_runs)} "
        f"({sum(1 for r in evidence.lineage_runs if r.state == 'FAIL')} failed)",
        f"  lineage jobs:                   {len(evidence.lineage_jobs)}",
        f"  datasets:                       {len(evidence.datasets)}",
        f"  monitoring reports:             {len(evidence.reports)}"
        + (f" ({undated} undated)" if undated else ""),
        f"  sign-offs:                      {len(evidence.signoffs)}",
        f"  unlinked items:                 {len(evidence.unlinked)}",
    ]
    for item in evidence.unlinked:
        lines.append(printable(f"    - {item.kind} {item.key}: {item.reason} [{item.cite.file}]"))
    lines.append(f"  files not read:                 {not_read_counts(evidence)}")
    if evidence.export_errors:
        lines.append(
            f"  failed export calls:            {len(evidence.export_errors)} (see the warnings)"
        )
    if evidence.unavailable:
        lines.append(
            f"  unavailable in the export:      {len(evidence.unavailable)} (see the warnings)"
        )
    if files:
        lines.append(f"Files read ({len(evidence.files)}):")
        lines.extend(
            printable(
                f"  {f.path}: "
                + (f"{f.importer} importer" if f.importer else f"{f.kind}, hashed only")
            )
            for f in evidence.files
        )
        lines.append(f"Files not read ({len(evidence.not_read)}):")
        lines.extend(printable(f"  {f.path}: {f.role}, {f.reason}") for f in evidence.not_read)
    lines.append("All input is valid.")
    return "\n".join(lines)


def _prompt_lines(evidence: Evidence) -> list[str]:
    """MLflow prompts, when there are any: each named, to show it was seen and left out."""
    if not evidence.prompts:
        return []
    return [
        f"  prompts (not AI systems):       {len(evidence.prompts)}",
        *(
            f"    - {p.name} ({_versions(p.versions)}): an MLflow prompt, not an AI system: "
            "no control is assessed on it"
            + (f"; used by {', '.join(p.used_by)}" if p.used_by else "")
            + f" [{p.cite.file}]"
            for p in evidence.prompts
        ),
    ]


def _versions(numbers: tuple[str, ...]) -> str:
    """``version 1``, ``versions 1, 2``, or ``no version exported``."""
    if not numbers:
        return "no version exported"
    return ("version " if len(numbers) == 1 else "versions ") + ", ".join(numbers)
