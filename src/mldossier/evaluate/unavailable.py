"""Objects the export could not get, said on the checks that needed them: ``not_evidenced``.

A collection log records a run purged by ``mlflow gc``, a logged model or an MLmodel the
server could not read as *unavailable*, with the model versions that needed it
(:class:`~mldossier.model.Unavailable`). Nothing passes on nothing: each check of such a
version that reads that kind of record (:data:`NEEDS`) is at least ``not_evidenced``, with the
server's answer as its reason and the log entry (file, JSON Pointer, SHA-256) among its
citations and its cause (findings group by it); a check that found an exception in what was
collected keeps it, and says what is missing besides; a not-applicable check stays as it is. An object that came into the folder some other way after all (a
``runs/search`` page, an MLmodel copied by hand) is not missing.
"""

from __future__ import annotations

from dataclasses import replace

from mldossier.evaluate.checks.registry import CheckContext, Outcome, Subject
from mldossier.model import Unavailable
from mldossier.status import Status

RUN_AND_LOGGED_MODEL = frozenset({"run", "logged_model"})
NEEDS: dict[str, frozenset[str]] = {
    "production_version_approved": frozenset({"run"}),
    "evaluation_metrics_logged": RUN_AND_LOGGED_MODEL,
    "signature_present": frozenset({"mlmodel"}),
    "training_lineage_complete": RUN_AND_LOGGED_MODEL,
    "datasets_pinned": RUN_AND_LOGGED_MODEL,
    "data_quality_passed": RUN_AND_LOGGED_MODEL,
    "failed_runs_surfaced": RUN_AND_LOGGED_MODEL,
    "logging_evidence_present": RUN_AND_LOGGED_MODEL,
    "serving_skew_absent": frozenset({"mlmodel", "run", "logged_model"}),
}
"""Check -> the kinds of unavailable object it reads: the approval the run's author (for
segregation of duties), the metrics the run and logged model, the signature the MLmodel,
the lineage checks the run and logged model that tie a version to its training run."""
WORSE: frozenset[Status] = frozenset({Status.ERROR, Status.EXCEPTION, Status.FORMAL_NONCONFORMITY})
"""Statuses an unavailable object leaves as they are, adding its reason and citation: what
was collected already contradicts the control."""
UNTOUCHED: frozenset[Status] = frozenset(
    {Status.NOT_APPLICABLE, Status.NOT_YET_APPLICABLE, Status.WAIVED}
)
"""Statuses that do not rest on the evidence, so a missing object changes nothing."""
FIX = (
    "collect again if the server's failure was passing; a purged run or a lost artifact "
    "cannot be collected again: restore it, or waive the control for this version with the "
    "reason it is gone"
)


def gaps_of(check: str, subject: Subject, context: CheckContext) -> list[Unavailable]:
    """The unavailable objects ``check`` would have read for the subject's version."""
    kinds = NEEDS.get(check)
    version = subject.version
    if not kinds or version is None:
        return []
    index = context.index
    return [
        gap
        for gap in index.unavailable_of(version)
        if gap.kind in kinds
        and not (gap.kind == "run" and gap.id in index.runs)
        and not (gap.kind == "logged_model" and gap.id in index.logged_models)
        and not (gap.kind == "mlmodel" and index.signature_of(version) is not None)
    ]


def with_gaps(outcome: Outcome, gaps: list[Unavailable]) -> Outcome:
    """``outcome`` with what the export could not get: ``not_evidenced`` unless it found worse."""
    if not gaps:
        return outcome
    said = tuple(
        f"{gap.label} is unavailable: the export's call {gap.call} answered {gap.code} "
        f"({gap.message})"
        for gap in gaps
    )
    cites = tuple(dict.fromkeys((*outcome.citations, *(gap.cite for gap in gaps))))
    if outcome.status in UNTOUCHED:
        return outcome
    if outcome.status in WORSE:
        return replace(outcome, reasons=(*outcome.reasons, *said), citations=cites)
    return Outcome(
        Status.NOT_EVIDENCED,
        (*said, *outcome.reasons),
        cites,
        FIX,
        cause=f"unavailable:{gaps[0].kind}:{gaps[0].id}",
        strength=outcome.strength,
    )
