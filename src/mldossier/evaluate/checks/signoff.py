"""The sign-off check: a human decision on file, signed, current and not about to expire."""

from __future__ import annotations

from datetime import date
from typing import Any

from mldossier.evaluate.checks.registry import (
    FAIL,
    MANUAL,
    PASS,
    WARN,
    CheckContext,
    Outcome,
    Subject,
    check,
)
from mldossier.model import SignOff


@check(
    "signoff_present",
    "any",
    {"kind": "sign-off kind required", "max_age_days": "oldest acceptable sign-off, in days"},
)
def signoff_present(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """A signed, unexpired sign-off of the given kind covers the subject (system-wide or this version)."""
    kind = str(params.get("kind", ""))
    limit = params.get("max_age_days") or context.max_age_days
    version = subject.version.version if subject.version else None
    found = [s for s in context.index.signoffs_of(subject.system.name, version) if s.kind == kind]
    if not found:
        return Outcome(
            MANUAL,
            (f"no {kind.replace('_', ' ')} sign-off for {subject.name}",),
            (),
            f"file a {kind} sign-off (mldossier: signoff/v1) for {subject.name}",
        )
    today = context.as_of.date()
    best = max(found, key=lambda s: (s.date, s.id))
    return _judge_signoff(best, today, limit, context.expiry_warning_days)


def _judge_signoff(
    signoff: SignOff, today: date, limit: int | str | None, warn_days: int
) -> Outcome:
    """The best sign-off on file, judged: not dated ahead, not expired, not too old, not expiring."""
    label = (
        f"{signoff.kind.replace('_', ' ')} {signoff.id} signed by {signoff.signed_by} "
        f"({signoff.role}) on {signoff.date.isoformat()}"
    )
    cite = (signoff.cite,)
    if signoff.date > today:
        return Outcome(FAIL, (f"{label}: dated in the future",), cite, "correct the date")
    if signoff.expires is not None and signoff.expires < today:
        return Outcome(
            FAIL,
            (f"{label}: expired on {signoff.expires.isoformat()}",),
            cite,
            "review it and file a renewed sign-off",
        )
    if limit and (today - signoff.date).days > int(limit):
        return Outcome(
            FAIL,
            (f"{label}: {(today - signoff.date).days} days old, over the {limit}-day limit",),
            cite,
            "review it and file a renewed one",
        )
    if signoff.expires is not None and (signoff.expires - today).days <= warn_days:
        return Outcome(
            WARN,
            (f"{label}: expires on {signoff.expires.isoformat()}",),
            cite,
            "schedule its renewal",
        )
    return Outcome(PASS, (label,), cite)
