"""Findings by root cause, and the evidence request list (an auditor's PBC list).

One missing link fans out into many verdicts (every lineage control of a version rests on
its training run): :func:`root_causes` groups the verdicts that share a cause into one
finding listing every control and framework it affects. :func:`request_list` turns each
``not_evidenced`` and ``not_assessed`` verdict into a pre-filled row of what to ask the
client for, with an id that is stable across runs (a digest of control, subject and cause).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any

from mldossier.evaluate.verdicts import (
    Results,
    Verdict,
    finding_order,
    severity_tier,
    verdict_order,
)
from mldossier.status import REQUESTED, STRICT_GATE, Status

REQUESTS_CSV = "requests.csv"
REQUESTS_JSON = "requests.json"
REQUEST_COLUMNS = (
    "id",
    "control",
    "reference",
    "framework",
    "system",
    "version",
    "needed",
    "why",
    "owner",
    "status",
    "verdict",
)


@dataclass(frozen=True)
class RootCause:
    """One problem and every verdict it explains."""

    cause: str
    status: Status
    """The worst status the cause was found with (its verdicts may be worse, for other
    reasons)."""
    verdicts: tuple[Verdict, ...]

    @property
    def controls(self) -> tuple[str, ...]:
        """The controls it affects, by id."""
        return tuple(dict.fromkeys(v.control.id for v in self.verdicts))

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The frameworks it affects."""
        return tuple(sorted({v.control.framework for v in self.verdicts}))

    @property
    def systems(self) -> tuple[str, ...]:
        """The AI systems it affects ("" for the organisation)."""
        return tuple(sorted({v.system for v in self.verdicts}))

    @property
    def subjects(self) -> tuple[str, ...]:
        """The subjects it affects."""
        return tuple(sorted({v.subject for v in self.verdicts}))

    @property
    def summary(self) -> str:
        """What the problem is, in words: the first reason the cause was recorded with (in
        its worst verdict), else that verdict's first reason."""
        for v in self.verdicts:
            for c in v.checks:
                if c.cause == self.cause and c.reasons:
                    return c.reasons[0]
        first = self.verdicts[0]
        return first.reasons[0] if first.reasons else first.status


def root_causes(results: Results) -> list[RootCause]:
    """The findings grouped by root cause, most severe first (the order of
    :func:`~mldossier.evaluate.verdicts.finding_order`), then by how many verdicts they explain.

    A verdict with several causes counts under each; one without a recorded cause is its own
    group (keyed by control and subject).
    """
    groups: dict[str, list[Verdict]] = {}
    for v in results.verdicts:
        if v.status not in STRICT_GATE and v.status is not Status.OBSERVATION:
            continue
        for cause in v.causes or (f"{v.control.id}::{v.subject}",):
            groups.setdefault(cause, []).append(v)

    def order(v: Verdict) -> tuple[int, int, int, str, str]:
        return finding_order(v, results.priority)

    found = [
        RootCause(cause, _cause_status(cause, vs), tuple(sorted(vs, key=order)))
        for cause, vs in groups.items()
    ]

    def rank(g: RootCause) -> tuple[int, int, int, str]:
        # The cause's own status, in the tiers of finding_order.
        tier = severity_tier(g.status, any(v.system in results.priority for v in g.verdicts))
        return (tier, g.status.rank, -len(g.verdicts), g.cause)

    return sorted(found, key=rank)


def _cause_status(cause: str, verdicts: list[Verdict]) -> Status:
    """The worst status the cause itself was found with (a missing optional facet stays
    ``not_evidenced`` though the verdicts it is part of are exceptions for other reasons)."""
    own = [Status(c.status) for v in verdicts for c in v.checks if c.cause == cause]
    return min(own or [Status(v.status) for v in verdicts], key=lambda s: s.rank)


def request_id(v: Verdict) -> str:
    """A stable id: the same control, subject and cause give the same id in every run.

    The causes are the request's own, those of the checks that made the verdict what it is:
    an observation that comes and goes beside a missing piece of evidence (a report nearing
    its age limit) does not change the request for that evidence.
    """
    own = {c.cause for c in v.checks if c.status == v.status and c.cause}
    causes = [cause for cause in v.causes if cause in own] or list(v.causes)
    basis = "\x1f".join((v.control.id, v.subject, *causes))
    return "REQ-" + hashlib.sha256(basis.encode()).hexdigest()[:10].upper()


def request_list(results: Results, owner_tag: str = "owner") -> list[dict[str, str]]:
    """One row per ``not_evidenced`` or ``not_assessed`` verdict, worst first.

    The owner is the registered model's ``owner`` tag (``owner_tag``), where it has one.
    """
    owners = request_owners(results, owner_tag)
    rows: list[dict[str, str]] = []
    for v in sorted(results.verdicts, key=verdict_order):
        if v.status not in REQUESTED:
            continue
        version = v.subject.split("@", 1)[1] if v.subject_kind == "version" else ""
        rows.append(
            {
                "id": request_id(v),
                "control": v.control.id,
                "reference": v.control.reference,
                "framework": v.control.framework,
                "system": v.system or "(organisation)",
                "version": version,
                "needed": v.fix or f"evidence for: {v.control.requirement}",
                "why": "; ".join(v.reasons),
                "owner": owners.get(v.system, "not recorded"),
                "status": "open",
                "verdict": v.status,
            }
        )
    return rows


def request_owners(results: Results, owner_tag: str = "owner") -> dict[str, str]:
    """Each AI system's owner: its registered model's ``owner_tag`` tag, where it has one."""
    owners = {}
    for model in results.evidence.registered_models:
        owner = (model.tags.get(owner_tag) or "").strip()
        if owner:
            owners[model.name] = owner
    return owners


def requests_csv(rows: list[dict[str, str]]) -> str:
    """The request list as CSV (RFC 4180, CRLF line ends, a header row)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=REQUEST_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
        writer.writerow({k: ("'" + v if v[:1] in "=+-@" else v) for k, v in row.items()})
    return out.getvalue()


def requests_json(rows: list[dict[str, str]], results: Results) -> dict[str, Any]:
    """The request list as JSON, with the evaluation date it was drawn up at."""
    return {"as_of": results.as_of.isoformat(), "columns": list(REQUEST_COLUMNS), "requests": rows}
