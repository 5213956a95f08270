"""The sign-off check: a human decision on file, signed, current and not about to expire."""

from __future__ import annotations

from datetime import date
from typing import Any

from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NOT_ASSESSED,
    OBSERVATION,
    CheckContext,
    Outcome,
    Subject,
    check,
)
from mldossier.model import SignOff


@check(
    "signoff_present",
    "any",
    {
        "kind": "sign-off kind required",
        "max_age_days": "oldest acceptable sign-off, in days",
        "covers": "words its title or statement must contain, e.g. the Art. 5 points answered",
    },
)
def signoff_present(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """A signed, unexpired sign-off of the given kind covers the subject (system-wide or this version)."""
    kind = str(params.get("kind", ""))
    limit = params.get("max_age_days") or context.max_age_days
    version = subject.version.version if subject.version else None
    today = context.as_of.date()
    found = [s for s in context.index.signoffs_of(subject.system.name, version) if s.kind == kind]
    # A sign-off dated after the evaluation date is flagged and never counted.
    ahead = [s for s in found if s.date > today]
    found = [s for s in found if s.date <= today]
    notes = tuple(
        f"sign-off {s.id} ({s.cite.file}) is dated {s.date.isoformat()}, after the evaluation "
        f"date {today.isoformat()}: not counted"
        for s in ahead
    )
    if not found:
        # The human part: a person decides, and the decision is not on file yet.
        return Outcome(
            NOT_ASSESSED,
            (f"no {kind.replace('_', ' ')} sign-off for {subject.name}", *notes),
            tuple(s.cite for s in ahead),
            f"file a {kind} sign-off (mldossier: signoff/v1) for {subject.name}",
            cause=f"signoff:{kind}:{subject.name}",
        )
    best = max(found, key=lambda s: (s.date, s.id))
    outcome = _judge_signoff(best, today, limit, context.expiry_warning_days)
    covers = [str(c) for c in params.get("covers", ())]
    text = f"{best.title}\n{best.statement}".lower()
    uncovered = [c for c in covers if c.lower() not in text]
    if uncovered and outcome.status == NO_EXCEPTION:
        return Outcome(
            EXCEPTION,
            (
                f"{best.kind.replace('_', ' ')} {best.id} does not record "
                + ", ".join(repr(c) for c in uncovered),
            ),
            (best.cite,),
            "record a reasoned answer on " + ", ".join(uncovered) + f" in {best.id}",
            cause=f"signoff:{kind}:{subject.name}:covers",
        )
    if notes and outcome.status == NO_EXCEPTION:
        return Outcome(OBSERVATION, outcome.reasons + notes, outcome.citations, "correct the date")
    return outcome


def _judge_signoff(
    signoff: SignOff, today: date, limit: int | str | None, warn_days: int
) -> Outcome:
    """The best sign-off on file, judged: not dated ahead, not expired, not too old, not expiring."""
    label = (
        f"{signoff.kind.replace('_', ' ')} {signoff.id} signed by {signoff.signed_by} "
        f"({signoff.role}) on {signoff.date.isoformat()}"
    )
    cite = (signoff.cite,)
    cause = f"signoff:{signoff.kind}:{signoff.subject}"
    if signoff.expires is not None and signoff.expires < today:
        return Outcome(
            EXCEPTION,
            (f"{label}: expired on {signoff.expires.isoformat()}",),
            cite,
            "review it and file a renewed sign-off",
            cause=cause,
        )
    if limit and (today - signoff.date).days > int(limit):
        return Outcome(
            EXCEPTION,
            (f"{label}: {(today - signoff.date).days} days old, over the {limit}-day limit",),
            cite,
            "review it and file a renewed one",
            cause=cause,
        )
    if signoff.expires is not None and (signoff.expires - today).days <= warn_days:
        return Outcome(
            OBSERVATION,
            (f"{label}: expires on {signoff.expires.isoformat()}",),
            cite,
            "schedule its renewal",
            cause=cause,
        )
    return Outcome(NO_EXCEPTION, (label,), cite)
