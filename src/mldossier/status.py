"""The verdict vocabulary: every status, its order, label and CSS class, and the CI gate.

Every stage that decides, counts, sorts, shows or gates on a status reads it from here, so a
change to the vocabulary is a change to this file (and the catalogs), not to every renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """What a check or a control concluded; the value is what results.json writes."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    MANUAL = "manual"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Position from the worst (``error``, 0) to the least telling (``not_applicable``)."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """The word shown in the terminal, the site and the PDF (``PASS``, ``N/A``)."""
        return "N/A" if self is Status.NOT_APPLICABLE else self.value.upper()

    @property
    def css_class(self) -> str:
        """The site's CSS class of the status badge (``pass``, ``na``)."""
        return "na" if self is Status.NOT_APPLICABLE else self.value


STATUSES: tuple[Status, ...] = tuple(Status)
"""Every status in the order counts are reported (pass, fail, warn, manual, waived, n/a, error)."""

BY_SEVERITY: tuple[Status, ...] = (
    Status.ERROR,
    Status.FAIL,
    Status.MANUAL,
    Status.WARN,
    Status.WAIVED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)
"""Worst first: combining outcomes keeps the worst, lists of verdicts are sorted this way."""

_RANK = {status: i for i, status in enumerate(BY_SEVERITY)}

SKIPPED: frozenset[Status] = frozenset({Status.MANUAL, Status.NOT_APPLICABLE, Status.WAIVED})
"""Statuses that a test report (JUnit) shows as skipped: nothing was tested automatically."""


def worst(statuses: Iterable[str]) -> Status:
    """The worst of several statuses, ignoring not-applicable ones (none left: not applicable)."""
    relevant = [Status(s) for s in statuses if s != Status.NOT_APPLICABLE]
    return min(relevant, key=_RANK.__getitem__) if relevant else Status.NOT_APPLICABLE


_GATE = frozenset({Status.FAIL, Status.ERROR})
_GATE_WITH_WARN = _GATE | {Status.WARN}


def failing(fail_on_warn: bool = False) -> frozenset[Status]:
    """The statuses that fail a CI gate: fail and error, and warn with ``--fail-on warn``."""
    return _GATE_WITH_WARN if fail_on_warn else _GATE


def fails_gate(status: str, fail_on_warn: bool = False) -> bool:
    """Whether one verdict's status fails the CI gate (the exit code 1 of ``check``)."""
    return status in failing(fail_on_warn)
