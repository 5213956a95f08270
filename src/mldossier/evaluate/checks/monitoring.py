"""The checks on a model version's monitoring: it operated, and what it detected was triaged.

Monitoring is judged as monitoring: a report that finds drift shows the monitoring working
(``no_drift`` reports it as an observation with its numbers); what an assessor tests is
whether each detected anomaly was analysed and acted on (``anomalies_triaged``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NO_OCCURRENCE,
    NOT_EVIDENCED,
    OBSERVATION,
    CheckContext,
    Outcome,
    Subject,
    check,
)
from mldossier.lineage.provenance import provenance
from mldossier.lineage.skew import skew
from mldossier.model import Citation, ModelVersion, MonitoringReport

DEFAULT_MONITORING_AGE_DAYS = 30
DEFAULT_TRIAGE_DAYS = 14
"""House default: an anomaly is triaged within two weeks of its detection."""
TRIAGE_KINDS = ("anomaly_review", "incident_report")


def attributable(
    reports: list[MonitoringReport], version: ModelVersion, today: date
) -> tuple[list[MonitoringReport], list[str], list[Citation]]:
    """The reports that can monitor ``version`` as of ``today``, and why the others cannot.

    A report dated after the evaluation date is not counted (evidence from the future is
    never fresh), nor is one dated before the version existed: it cannot monitor it.
    """
    kept: list[MonitoringReport] = []
    notes: list[str] = []
    cites: list[Citation] = []
    created = version.created.date() if version.created else None
    for r in reports:
        if r.timestamp is None:
            kept.append(r)
            continue
        day = r.timestamp.date()
        if day > today:
            notes.append(
                f"report {r.cite.file} is dated {day.isoformat()}, after the evaluation "
                f"date {today.isoformat()}: not counted"
            )
            cites.append(r.cite)
        elif created is not None and day < created:
            notes.append(
                f"report {r.cite.file} is dated {day.isoformat()}, before {version.key} "
                f"was created ({created.isoformat()}): it cannot monitor this version"
            )
            cites.append(r.cite)
        else:
            kept.append(r)
    return kept, notes, cites


@check("monitoring_fresh", "version", {"max_age_days": "oldest acceptable report, in days"})
def monitoring_fresh(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Monitoring operated: a dated report, for this version and made after it existed, younger than the maximum age."""
    version = subject.version
    assert version is not None
    limit = int(params.get("max_age_days") or context.max_age_days or DEFAULT_MONITORING_AGE_DAYS)
    today = context.as_of.date()
    reports, notes, noted = attributable(context.index.reports_of(version), version, today)
    cause = f"monitoring:{version.key}"
    if not reports:
        misattributed = [n for n in notes if "cannot monitor" in n]
        return Outcome(
            EXCEPTION if misattributed else context.missing("evidently"),
            (f"no monitoring report for {version.key}", *notes),
            (version.cite, *noted),
            "run Evidently on production data and add the snapshot, with "
            "metadata model/model_version",
            cause=cause,
        )
    dated = [r for r in reports if r.timestamp is not None]
    if not dated:
        return Outcome(
            NOT_EVIDENCED,
            (f"{len(reports)} report(s), all undated: an undated report never counts as fresh",),
            tuple(r.cite for r in reports),
            "store full snapshots (with a timestamp) or put the date in the file name",
            cause=cause,
        )
    latest = max(dated, key=lambda r: r.timestamp or context.as_of)
    assert latest.timestamp is not None
    age = (today - latest.timestamp.date()).days
    stamp = latest.timestamp.date().isoformat()
    cites = (latest.cite, *noted)
    if age > limit:
        return Outcome(
            EXCEPTION,
            (f"latest report is from {stamp}, {age} days old; the limit is {limit} days", *notes),
            cites,
            "run the monitoring job again and add the new report",
            cause=cause,
        )
    # Flag ahead of going stale, by at most a quarter of the allowed age; evidence dated after
    # the evaluation date is flagged too.
    if notes or age > limit - min(context.expiry_warning_days, max(1, limit // 4)):
        soon = (
            (f"latest report is from {stamp}, {age} days old; it goes stale in {limit - age} days",)
            if age > limit - min(context.expiry_warning_days, max(1, limit // 4))
            else (f"latest report is from {stamp} ({age} days old, limit {limit})",)
        )
        return Outcome(
            OBSERVATION, (*soon, *notes), cites, "schedule the next monitoring run", cause=cause
        )
    return Outcome(
        NO_EXCEPTION, (f"latest report is from {stamp} ({age} days old, limit {limit})",), cites
    )


@check("no_drift", "version")
def no_drift(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The latest monitoring report's drift, with its numbers: drift found is an observation, not a failure."""
    version = subject.version
    assert version is not None
    reports, _, _ = attributable(context.index.reports_of(version), version, context.as_of.date())
    reports = [r for r in reports if r.dataset_drift is not None or r.column_drift]
    if not reports:
        return Outcome(
            NOT_EVIDENCED,
            (f"no drift report for {version.key}",),
            (version.cite,),
            "run an Evidently drift report (DataDriftPreset) on production data",
            cause=f"monitoring:{version.key}",
        )
    latest = reports[-1]
    drift = latest.dataset_drift
    columns = [c for c in latest.column_drift if c.drifted]
    when = latest.timestamp.date().isoformat() if latest.timestamp else "undated"
    named = ", ".join(f"{c.column} ({c.method} {c.score:.3g} vs {c.threshold:g})" for c in columns)
    if drift is not None and drift.drifted:
        return Outcome(
            OBSERVATION,
            (
                f"report of {when}: {drift.drifted_columns} column(s) drifted, "
                f"share {drift.share:.3f} ≥ threshold {drift.threshold:g} "
                f"(anomaly {drift_id(latest)})",
            )
            + ((f"drifted: {named}",) if named else ()),
            (drift.cite, *(c.cite for c in columns)),
            "triage the drift (an anomaly_review sign-off naming it); retrain or recalibrate",
            cause=f"drift:{latest.cite.file}",
        )
    if columns:
        share = f"share {drift.share:.3f} < {drift.threshold:g}; " if drift else ""
        return Outcome(
            OBSERVATION,
            (
                f"report of {when}: dataset drift within threshold ({share}"
                f"{len(columns)} column(s) drifted: {named})",
            ),
            tuple(c.cite for c in columns),
            "review the drifted columns before they push the share over the threshold",
            cause=f"drift:{latest.cite.file}",
        )
    cites = (drift.cite,) if drift else (latest.cite,)
    detail = (
        f"share {drift.share:.3f} < threshold {drift.threshold:g}" if drift else "no column drifted"
    )
    return Outcome(NO_EXCEPTION, (f"report of {when}: no drift ({detail})",), cites)


def drift_id(report: MonitoringReport) -> str:
    """The id of the drift a report detected, as a triage sign-off names it."""
    return f"drift:{report.cite.file}"


@dataclass(frozen=True)
class Anomaly:
    """Something monitoring or the pipeline detected that somebody must triage."""

    id: str
    what: str
    detected: date | None
    cite: Citation


def anomalies_of(
    version: ModelVersion, context: CheckContext, reports: list[MonitoringReport]
) -> list[Anomaly]:
    """Dataset drift over threshold in ``reports`` (the countable ones), training-serving skew, failed assertions."""
    found: list[Anomaly] = []
    for r in reports:
        if r.dataset_drift is not None and r.dataset_drift.drifted:
            day = r.timestamp.date() if r.timestamp else None
            found.append(
                Anomaly(
                    drift_id(r),
                    f"dataset drift (share {r.dataset_drift.share:.3f} ≥ "
                    f"{r.dataset_drift.threshold:g}) in the report of "
                    + (day.isoformat() if day else "an undated report"),
                    day,
                    r.dataset_drift.cite,
                )
            )
    if context.lineage is not None:
        report = skew(context.lineage, version)
        if report.has_skew:
            days = [r.last_event.date() for r in report.serving_runs if r.last_event]
            found.append(
                Anomaly(
                    f"skew:{version.key}",
                    "training-serving skew",
                    min(days) if days else None,
                    report.citations[0] if report.citations else version.cite,
                )
            )
        prov = provenance(context.lineage, version)
        for run in (*prov.upstream_runs, *prov.training_runs):
            for use in (*run.inputs, *run.outputs):
                for a in use.quality_assertions:
                    if not a.success:
                        found.append(
                            Anomaly(
                                f"quality:{use.dataset}:{a.assertion}"
                                + (f":{a.column}" if a.column else ""),
                                f"data-quality assertion {a.assertion!r} failed on {use.dataset}",
                                run.last_event.date() if run.last_event else None,
                                use.cite,
                            )
                        )
    return list({a.id: a for a in found}.values())


@check(
    "anomalies_triaged",
    "version",
    {"within_days": f"days allowed from detection to triage (default {DEFAULT_TRIAGE_DAYS})"},
)
def anomalies_triaged(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Each detected anomaly (drift over threshold, skew, failed data-quality assertion) was triaged in time: an anomaly_review or incident_report sign-off names it."""
    version = subject.version
    assert version is not None
    within = int(params.get("within_days") or DEFAULT_TRIAGE_DAYS)
    today = context.as_of.date()
    reports, _, _ = attributable(context.index.reports_of(version), version, today)
    anomalies = anomalies_of(version, context, reports)
    if not anomalies:
        # The population of anomalies comes from this version's monitoring and lineage: with
        # neither, nothing could have been detected, which is not the same as none occurring.
        traced = context.lineage is not None and bool(
            provenance(context.lineage, version).training_runs
        )
        if not reports and not traced:
            return Outcome(
                NOT_EVIDENCED,
                (f"no monitoring report or lineage of {version.key} to detect anomalies in",),
                (version.cite,),
                "export the monitoring reports and lineage events",
                cause=f"monitoring:{version.key}",
            )
        return Outcome(
            NO_OCCURRENCE,
            (f"no anomaly was detected for {version.key}: nothing to triage",),
            (version.cite,),
        )
    reviews = [
        s
        for s in context.index.signoffs_of(version.name, version.version)
        if s.kind in TRIAGE_KINDS and s.date <= today
    ]
    reasons: list[str] = []
    cites: list[Citation] = []
    late = pending = tardy = 0
    for a in anomalies:
        triage = [s for s in reviews if a.id in s.anomalies]
        cites.append(a.cite)
        if triage:
            first = min(triage, key=lambda s: (s.date, s.id))
            cites.append(first.cite)
            when = first.date.isoformat()
            if a.detected is not None and first.date.toordinal() > a.detected.toordinal() + within:
                tardy += 1
                reasons.append(
                    f"{a.what} ({a.id}): detected {a.detected.isoformat()}, triaged by "
                    f"{first.id} on {when}, later than {within} days"
                )
            else:
                reasons.append(f"{a.what} ({a.id}): triaged by {first.id} on {when}")
            continue
        if a.detected is None:
            pending += 1
            reasons.append(f"{a.what} ({a.id}): not triaged; its detection date is unknown")
            continue
        due = a.detected.toordinal() + within
        if today.toordinal() > due:
            late += 1
            reasons.append(
                f"{a.what} ({a.id}): detected {a.detected.isoformat()}, not triaged within "
                f"{within} days"
            )
        else:
            pending += 1
            reasons.append(
                f"{a.what} ({a.id}): detected {a.detected.isoformat()}, not triaged yet "
                f"({due - today.toordinal()} day(s) left)"
            )
    fix = (
        "file an anomaly_review sign-off for the version listing the anomaly ids under "
        "anomalies:, with the analysis and the decision"
    )
    if late:
        return Outcome(EXCEPTION, tuple(reasons), tuple(cites), fix, cause=f"triage:{version.key}")
    if pending or tardy:
        return Outcome(
            OBSERVATION, tuple(reasons), tuple(cites), fix, cause=f"triage:{version.key}"
        )
    return Outcome(NO_EXCEPTION, tuple(reasons), tuple(cites))
