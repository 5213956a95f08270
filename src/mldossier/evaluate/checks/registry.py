"""What a check is: its subject, what it may read, what it returns, and the library it joins.

A check is a function ``(subject, context, params) -> Outcome`` registered with the
:func:`check` decorator under the name catalogs pick it by; its docstring is its
documentation (``docs/checks.md`` is generated from it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from mldossier.config import Config
from mldossier.intake.linking import Index
from mldossier.lineage.graph import LineageGraph
from mldossier.model import Citation, Evidence, ModelVersion, RegisteredModel
from mldossier.status import Status, worst

NO_EXCEPTION = Status.NO_EXCEPTION
EXCEPTION = Status.EXCEPTION
NOT_EVIDENCED = Status.NOT_EVIDENCED
NO_OCCURRENCE = Status.NO_OCCURRENCE
OBSERVATION = Status.OBSERVATION
NOT_ASSESSED = Status.NOT_ASSESSED
NOT_APPLICABLE = Status.NOT_APPLICABLE
ERROR = Status.ERROR
WAIVED = Status.WAIVED

DEFAULT_EXPIRY_WARNING_DAYS = Config.warn_days


@dataclass(frozen=True)
class Subject:
    """What a verdict is about: an AI system, or one version of it."""

    system: RegisteredModel
    version: ModelVersion | None = None

    @property
    def name(self) -> str:
        """``system`` or ``system@version``."""
        return self.system.name if self.version is None else self.version.key

    @property
    def kind(self) -> str:
        """``system`` or ``version``."""
        return "system" if self.version is None else "version"


@dataclass(frozen=True)
class Outcome:
    """What one check found about one subject."""

    status: Status
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...] = ()
    fix: str = ""
    cause: str = ""
    """The root cause, as a key shared by every outcome it explains (``"lineage:no-training-run:credit@3"``):
    findings group verdicts by it, so one missing link reads as one problem."""
    strength: str = ""
    """How strong the evidence is where that matters (``asserted`` or ``authenticated``)."""


@dataclass
class CheckContext:
    """Everything a check may read."""

    evidence: Evidence
    index: Index
    config: Config
    as_of: datetime
    """The evaluation date (``--as-of``, ``SOURCE_DATE_EPOCH`` or today, UTC): ages count from it."""
    lineage: LineageGraph | None = None
    """The lineage graph, when built (the checks that need it use :meth:`lineage_graph`)."""
    max_age_days: int | None = None
    """The control's maximum evidence age, if it sets one."""
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    sources: frozenset[str] = frozenset()
    """The kinds of source in the evidence folder (``mlflow``, ``openlineage``, ``evidently``,
    ``signoff``): a kind that is present is the system of record for what it covers."""

    def of_record(self, kind: str) -> bool:
        """Whether ``kind`` of evidence is the system of record, so its silence is evidence:
        as ``evidence.systems_of_record`` says, else whether it was exported at all."""
        declared = self.config.systems_of_record.get(kind)
        return kind in self.sources if declared is None else declared

    def missing(self, kind: str) -> Status:
        """The status of an item the source ``kind`` should hold but does not.

        Where the source was exported it is the system of record, and the gap is an
        exception; where it was not exported at all, the evidence is simply not here.
        """
        return EXCEPTION if self.of_record(kind) else NOT_EVIDENCED

    def lineage_graph(self) -> LineageGraph:
        """The lineage graph; a check that needs it and runs without one is an error."""
        if self.lineage is None:
            raise RuntimeError("the lineage graph was not built")
        return self.lineage


CheckFunction = Callable[[Subject, CheckContext, dict[str, Any]], Outcome]
"""A check: ``params`` are the catalog's (over the config's ``checks:``), as YAML gave them."""


@dataclass(frozen=True)
class CheckSpec:
    """A check in the library: its name, subject kind, documentation and parameters."""

    name: str
    subject: str
    """``system``, ``version`` or ``any``."""
    summary: str
    params: dict[str, str]
    """Parameter name to its description."""
    function: CheckFunction = field(repr=False, compare=False)

    def run(self, subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
        """Run the check on a subject it fits; a version check on a system is not applicable."""
        if self.subject == "version" and subject.version is None:
            return Outcome(NOT_APPLICABLE, (f"check {self.name} applies to model versions",))
        return self.function(subject, context, params)


REGISTRY: dict[str, CheckSpec] = {}
"""Every registered check by name, in the order registered (:func:`library` sorts them)."""


def check(
    name: str, subject: str, params: dict[str, str] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function in the library under ``name``."""

    def register(function: CheckFunction) -> CheckFunction:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = CheckSpec(name, subject, summary, dict(params or {}), function)
        return function

    return register


def library() -> dict[str, CheckSpec]:
    """Every check in the library, by name."""
    return dict(sorted(REGISTRY.items()))


def combine(outcomes: list[Outcome]) -> Status:
    """The worst status of several outcomes (all not applicable: not applicable)."""
    return worst(o.status for o in outcomes)


# ---------------------------------------------------------------- helpers of the checks


def tag_of(model: RegisteredModel | ModelVersion, key: str) -> str:
    """The value of a registry tag, stripped (empty when the tag is missing)."""
    return (model.tags.get(key) or "").strip()


def parse_when(text: str) -> tuple[datetime, bool] | None:
    """An ISO date or date-time as UTC; the flag says whether only a date was given."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC), True
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False
