"""Objects the export could not get, said on the checks that needed them: ``not_evidenced``.

A collection log records a run purged by ``mlflow gc``, a logged model or an MLmodel the
server could not read as *unavailable*, with the model versions that needed it
(:class:`~mldossier.model.Unavailable`). Nothing passes on nothing: each check of such a
version that reads that kind of record (:data:`NEEDS`) is at least ``not_evidenced``, with the
server's answer as its reason and the log entry (file, JSON Pointer, SHA-256) among its
citations and its cause (findings group by it). A check that found an exception in what was
collected keeps it, and says what is missing besides, unless the exception is only an
absence the missing record could fill (no metrics logged, no training run found:
:data:`ABSENCE_CHECKS`, :data:`ABSENCE_CAUSES`); a not-applicable check stays as it is. An object that came into the folder some other way after all (a
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
ABSENCE_CHECKS = frozenset({"evaluation_metrics_logged"})
"""Checks whose every exception is an absence (no metrics, a required metric missing): with
the record that would hold it unavailable, the absence is not established."""
ABSENCE_CAUSES = ("lineage:no-training-run:", "lineage:no-inputs:")
"""Causes of lineage exceptions that are an absence (no training run found, no inputs): the
unavailable run or logged model may be the link that would have found them."""
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


def with_gaps(check: str, outcome: Outcome, gaps: list[Unavailable]) -> Outcome:
    """``outcome`` of ``check`` with what the export could not get: ``not_evidenced`` unless
    what was collected shows worse on its own (an exception that is only an absence of what
    the missing record would hold is not)."""
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
    absence = outcome.status is Status.EXCEPTION and (
        check in ABSENCE_CHECKS or outcome.cause.startswith(ABSENCE_CAUSES)
    )
    if outcome.status in WORSE and not absence:
        return replace(outcome, reasons=(*outcome.reasons, *said), citations=cites)
    found = tuple(f"without it: {r}" for r in outcome.reasons) if absence else outcome.reasons
    return Outcome(
        Status.NOT_EVIDENCED,
        (*said, *found),
        cites,
        FIX,
        cause=f"unavailable:{gaps[0].kind}:{gaps[0].id}",
        strength=outcome.strength,
    )
