"""The GitHub Actions step summary of ``check``: counts per framework and what failed, in Markdown.

On GitHub Actions ``check`` appends it to the file ``$GITHUB_STEP_SUMMARY`` names; anywhere
else nothing is written.
"""

from __future__ import annotations

import html
import re

from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.formats.text import printable
from mldossier.render.results_json import frameworks
from mldossier.status import DEFAULT_GATE, STATUSES, Status

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
MAX_SUMMARY_ROWS = 200
"""GitHub caps a step summary at 1 MiB; past this many rows the table says how many more."""
MAX_CITATIONS = 5

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")
# What GitHub turns into links or notifications in plain text: URLs (``https://``, ``www.``),
# @user and @org/team mentions and e-mail addresses, #123 issue references, ~~strikethrough~~.
# One character of each becomes an entity: shown the same, but nothing left to link.
_LINKING = re.compile(r"@|~|#(?=\d)|:(?=//)|(?<=www)\.", re.IGNORECASE)
_ENTITY = {"@": "&#64;", "~": "&#126;", "#": "&#35;", ":": "&#58;", ".": "&#46;"}


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no HTML, no pipes, no line breaks, no links,
    mentions, issue references or strikethrough, every control character shown escaped."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    text = _LINKING.sub(lambda m: _ENTITY[m.group()], text)
    lines = (printable(line.strip()) for line in text.splitlines() if line.strip())
    return "<br>".join(lines) or " "


def _evidence_cell(v: Verdict) -> str:
    cites = [str(c) for c in v.citations[:MAX_CITATIONS]]
    more = len(v.citations) - len(cites)
    return (
        "<br>".join([md_cell(c) for c in cites] + ([f"and {more} more"] if more > 0 else []))
        or "none"
    )


def step_summary_markdown(results: Results, statuses: frozenset[Status] = DEFAULT_GATE) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY``: counts per framework, what failed."""
    failing = results.gating(statuses)
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
    missing = sum(1 for v in results.verdicts if v.status == Status.NOT_EVIDENCED)
    if missing and Status.NOT_EVIDENCED not in statuses:
        lines += [
            "",
            f"{missing} not-evidenced verdict(s) not listed: they are on the evidence request "
            "list (`--strict` gates on them).",
        ]
    return "\n".join(lines) + "\n"
