"""The checks on a model version's monitoring: a fresh report, and no drift in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mldossier.evaluate.checks.registry import (
    FAIL,
    PASS,
    WARN,
    CheckContext,
    Outcome,
    Subject,
    check,
)

DEFAULT_MONITORING_AGE_DAYS = 30


def _days(delta: timedelta) -> int:
    return delta.days


@check("monitoring_fresh", "version", {"max_age_days": "oldest acceptable report, in days"})
def monitoring_fresh(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """A dated monitoring report exists for the version and is younger than the maximum age."""
    version = subject.version
    assert version is not None
    limit = int(params.get("max_age_days") or context.max_age_days or DEFAULT_MONITORING_AGE_DAYS)
    reports = context.index.reports_of(version)
    if not reports:
        return Outcome(
            FAIL,
            (f"no monitoring report for {version.key}",),
            (version.cite,),
            "run Evidently on production data and add the snapshot, with "
            "metadata model/model_version",
        )
    dated = [r for r in reports if r.timestamp is not None]
    if not dated:
        return Outcome(
            FAIL,
            (f"{len(reports)} report(s), all undated: an undated report never counts as fresh",),
            tuple(r.cite for r in reports),
            "store full snapshots (with a timestamp) or put the date in the file name",
        )
    latest = max(dated, key=lambda r: r.timestamp or context.as_of)
    assert latest.timestamp is not None
    age = _days(context.as_of - latest.timestamp)
    stamp = latest.timestamp.date().isoformat()
    if age > limit:
        return Outcome(
            FAIL,
            (f"latest report is from {stamp}, {age} days old; the limit is {limit} days",),
            (latest.cite,),
            "run the monitoring job again and add the new report",
        )
    # Warn ahead of going stale, by at most a quarter of the allowed age.
    if age > limit - min(context.expiry_warning_days, max(1, limit // 4)):
        return Outcome(
            WARN,
            (
                f"latest report is from {stamp}, {age} days old; it goes stale "
                f"in {limit - age} days",
            ),
            (latest.cite,),
            "schedule the next monitoring run",
        )
    return Outcome(
        PASS, (f"latest report is from {stamp} ({age} days old, limit {limit})",), (latest.cite,)
    )


@check("no_drift", "version")
def no_drift(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The latest monitoring report shows no dataset drift beyond its threshold."""
    version = subject.version
    assert version is not None
    reports = [
        r
        for r in context.index.reports_of(version)
        if r.dataset_drift is not None or r.column_drift
    ]
    if not reports:
        return Outcome(
            FAIL,
            (f"no drift report for {version.key}",),
            (version.cite,),
            "run an Evidently drift report (DataDriftPreset) on production data",
        )
    latest = reports[-1]
    drift = latest.dataset_drift
    columns = [c for c in latest.column_drift if c.drifted]
    when = latest.timestamp.date().isoformat() if latest.timestamp else "undated"
    named = ", ".join(f"{c.column} ({c.method} {c.score:.3g} vs {c.threshold:g})" for c in columns)
    if drift is not None and drift.drifted:
        return Outcome(
            FAIL,
            (
                f"report of {when}: {drift.drifted_columns} column(s) drifted, "
                f"share {drift.share:.3f} ≥ threshold {drift.threshold:g}",
            )
            + ((f"drifted: {named}",) if named else ()),
            (drift.cite, *(c.cite for c in columns)),
            "investigate the drift; retrain or recalibrate and record the decision",
        )
    if columns:
        share = f"share {drift.share:.3f} < {drift.threshold:g}; " if drift else ""
        return Outcome(
            WARN,
            (
                f"report of {when}: dataset drift within threshold ({share}"
                f"{len(columns)} column(s) drifted: {named})",
            ),
            tuple(c.cite for c in columns),
            "review the drifted columns before they push the share over the threshold",
        )
    cites = (drift.cite,) if drift else (latest.cite,)
    detail = (
        f"share {drift.share:.3f} < threshold {drift.threshold:g}" if drift else "no column drifted"
    )
    return Outcome(PASS, (f"report of {when}: no drift ({detail})",), cites)
