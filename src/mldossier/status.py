"""The verdict vocabulary of audit practice: every status, its order, label, class and the CI gate.

Every stage that decides, counts, sorts, shows or gates on a status reads it from here, so a
change to the vocabulary is a change to this file (and the catalogs), not to every renderer.
The statuses follow what assessors conclude (``docs/outputs.md`` gives each one's audit
analogue): an exception is a contradiction or a gap in the evidence of record, while
evidence that is simply not in the export is ``not_evidenced``, a request to the client,
never a failed control.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """What a check or a control concluded; the value is what results.json writes."""

    NO_EXCEPTION = "no_exception"
    """Every in-population item conforms (the auditor's "no exceptions noted")."""
    EXCEPTION = "exception"
    """The evidence of record contradicts the control, or lacks it for an in-population item."""
    FORMAL_NONCONFORMITY = "formal_nonconformity"
    """A formal requirement that applies now is missing (declaration, registration, CE marking)."""
    NOT_EVIDENCED = "not_evidenced"
    """What the control needs is not in the evidence: a request on the evidence request list."""
    NO_OCCURRENCE = "no_occurrence"
    """An event-driven control whose population is empty, its source present and complete."""
    OBSERVATION = "observation"
    """Within tolerance but worth a look, or a house rule missed where no requirement is."""
    NOT_ASSESSED = "not_assessed"
    """Needs inquiry, observation or judgement (a person decides): listed with its owner."""
    NOT_YET_APPLICABLE = "not_yet_applicable"
    """The obligation applies from a date after the evaluation date (readiness)."""
    NOT_APPLICABLE = "not_applicable"
    """Out of scope, with the recorded reason."""
    WAIVED = "waived"
    """Covered by an unexpired waiver."""
    ERROR = "error"
    """Not an audit conclusion: the tool could not evaluate (a check crashed). Always gates."""

    @property
    def rank(self) -> int:
        """Position from the worst (``error``, 0) to the least telling (``not_applicable``)."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """The words shown in the terminal, the site and the PDF (``NO EXCEPTION``, ``N/A``)."""
        return _LABELS.get(self, self.value.replace("_", " ").upper())

    @property
    def short(self) -> str:
        """An abbreviation for narrow table cells (the PDF's control matrix), e.g. ``EXC``."""
        return _SHORT[self]

    @property
    def css_class(self) -> str:
        """The site's and PDF's CSS class of the status badge (``no-exception``, ``na``)."""
        return "na" if self is Status.NOT_APPLICABLE else self.value.replace("_", "-")


_LABELS = {Status.NOT_APPLICABLE: "N/A", Status.FORMAL_NONCONFORMITY: "FORMAL NONCONFORMITY"}
_SHORT = {
    Status.NO_EXCEPTION: "NOEX",
    Status.EXCEPTION: "EXC",
    Status.FORMAL_NONCONFORMITY: "FNC",
    Status.NOT_EVIDENCED: "NEV",
    Status.NO_OCCURRENCE: "NOCC",
    Status.OBSERVATION: "OBS",
    Status.NOT_ASSESSED: "NAS",
    Status.NOT_YET_APPLICABLE: "NYA",
    Status.NOT_APPLICABLE: "N/A",
    Status.WAIVED: "WVD",
    Status.ERROR: "ERR",
}

STATUSES: tuple[Status, ...] = tuple(Status)
"""Every status in the order counts are reported (no exception first, error last)."""
_VALUES = frozenset(s.value for s in STATUSES)

BY_SEVERITY: tuple[Status, ...] = (
    Status.ERROR,
    Status.EXCEPTION,
    Status.FORMAL_NONCONFORMITY,
    Status.NOT_EVIDENCED,
    Status.OBSERVATION,
    Status.NOT_ASSESSED,
    Status.WAIVED,
    Status.NOT_YET_APPLICABLE,
    Status.NO_OCCURRENCE,
    Status.NO_EXCEPTION,
    Status.NOT_APPLICABLE,
)
"""Worst first: combining outcomes keeps the worst, so an exception or an observation is never
masked by ``not_assessed``; lists of verdicts are sorted this way."""

_RANK = {status: i for i, status in enumerate(BY_SEVERITY)}

SKIPPED: frozenset[Status] = frozenset(
    {
        Status.NOT_ASSESSED,
        Status.NOT_APPLICABLE,
        Status.NOT_YET_APPLICABLE,
        Status.WAIVED,
        Status.NOT_EVIDENCED,
        Status.NO_OCCURRENCE,
    }
)
"""Statuses a test report (JUnit) shows as skipped when they do not gate: nothing was tested."""

REQUESTED: frozenset[Status] = frozenset({Status.NOT_EVIDENCED, Status.NOT_ASSESSED})
"""Statuses that become a row of the evidence request list (what auditors call a PBC list)."""


def worst(statuses: Iterable[str]) -> Status:
    """The worst of several statuses, ignoring not-applicable ones (none left: not applicable)."""
    relevant = [Status(s) for s in statuses if s != Status.NOT_APPLICABLE]
    return min(relevant, key=_RANK.__getitem__) if relevant else Status.NOT_APPLICABLE


DEFAULT_GATE: frozenset[Status] = frozenset(
    {Status.EXCEPTION, Status.FORMAL_NONCONFORMITY, Status.ERROR}
)
"""What fails CI by default: what an auditor would report, and the tool's own errors."""

STRICT_GATE: frozenset[Status] = DEFAULT_GATE | {Status.NOT_EVIDENCED}
"""``--strict``: evidence missing from the export fails too."""


def gate(strict: bool = False, fail_on: Iterable[str] = ()) -> frozenset[Status]:
    """The statuses that fail the CI gate: the default, ``--strict``, plus any ``--fail-on``."""
    base = STRICT_GATE if strict else DEFAULT_GATE
    extra = frozenset(Status(s) for s in fail_on)
    return base | extra if extra else base


def fails_gate(status: str, statuses: frozenset[Status] = DEFAULT_GATE) -> bool:
    """Whether one verdict's status fails the CI gate (the exit code 1 of ``check``)."""
    return status in statuses


def got_worse(before: str, after: str, statuses: frozenset[Status] = DEFAULT_GATE) -> bool:
    """A regression against a baseline: the status is now worse, and gates or is not evidenced."""
    now = Status(after)
    if now not in statuses and now is not Status.NOT_EVIDENCED:
        return False
    was = LEGACY.get(before, before)
    if was not in _VALUES:  # a new verdict: it regresses if it gates (or is not evidenced)
        return True
    return now.rank < Status(was).rank


LEGACY: dict[str, str] = {
    "pass": Status.NO_EXCEPTION,
    "fail": Status.EXCEPTION,
    "warn": Status.OBSERVATION,
    "manual": Status.NOT_ASSESSED,
}
"""The statuses of mldossier 0.x results, read from an old baseline as their nearest new one."""
