"""The checks on a model version's monitoring: it operated, and what it detected was triaged.

Monitoring is judged as monitoring: a report that finds drift shows the monitoring working
(``no_drift`` reports it as an observation with its numbers); what an assessor tests is
whether each detected anomaly was analysed and acted on (``anomalies_triaged``). Accuracy
and data quality in operation are judged as requirements: a failed Evidently test on the
model's quality or on the data (``monitoring_tests_pass``), or production quality beyond
tolerance of the training run's (``production_quality_within_tolerance``), is an exception.
A summary of current data alone (no reference data, no quality metric) is not evidence of
drift or accuracy monitoring.
"""

from __future__ import annotations

import math
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
from mldossier.evaluate.checks.version import training_metrics
from mldossier.lineage.provenance import provenance
from mldossier.lineage.skew import skew
from mldossier.model import (
    Citation,
    ModelVersion,
    MonitoringReport,
    QualityMetric,
    TestArea,
    TestOutcome,
)
from mldossier.status import Status, worst

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
    summaries = [r for r in reports if not r.monitors]
    reports = [r for r in reports if r.monitors]
    if summaries and not reports:
        return Outcome(
            NOT_EVIDENCED,
            (
                f"{len(summaries)} report(s) for {version.key}, none evidence of drift or "
                "accuracy monitoring: no reference data to compare with and no model-quality "
                "metric (a summary of current data)",
                *(f"report {r.cite.file}: {_summary_of(r)}" for r in summaries),
                *notes,
            ),
            (*(r.cite for r in summaries), *noted),
            "run Evidently with reference data (DataDriftPreset) or with labels "
            "(ClassificationPreset, RegressionPreset) on production data",
            cause=cause,
        )
    # Shown, not held against the monitoring that did run.
    aside = tuple(
        f"report {r.cite.file} is a summary of current data (no reference, no quality "
        "metric): not counted as monitoring"
        for r in summaries
    )
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
            (
                f"{len(reports)} report(s), all undated: an undated report never counts as fresh",
                *aside,
            ),
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
            (
                f"latest report is from {stamp}, {age} days old; the limit is {limit} days",
                *notes,
                *aside,
            ),
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
            OBSERVATION,
            (*soon, *notes, *aside),
            cites,
            "schedule the next monitoring run",
            cause=cause,
        )
    return Outcome(
        NO_EXCEPTION,
        (f"latest report is from {stamp} ({age} days old, limit {limit})", *aside),
        cites,
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


def _summary_of(report: MonitoringReport) -> str:
    """What a report that is no monitoring evidence holds, in a few words."""
    parts = [f"{report.data_metrics} data metric(s)"] if report.data_metrics else []
    if report.tests:
        parts.append(f"{len(report.tests)} test(s) on current data only")
    return ", ".join(parts) or "no metric mldossier reads"


AREA_WORDS = {
    TestArea.DATA_QUALITY: "data-quality",
    TestArea.MODEL_QUALITY: "model-quality",
    TestArea.DRIFT: "drift",
    TestArea.OTHER: "other",
}
TEST_STATUS = {
    "SUCCESS": NO_EXCEPTION,
    "FAIL": EXCEPTION,
    "WARNING": OBSERVATION,
    "ERROR": NOT_EVIDENCED,
}
"""How an Evidently test outcome reads as an audit result. FAIL: a critical test's condition,
set in advance, did not hold in production (exception); WARNING: a non-critical test's did
not (observation); ERROR: the test could not be computed, so it shows nothing either way
(not evidenced). SKIPPED is listed and decides nothing."""
MAX_LISTED_TESTS = 20


@check(
    "monitoring_tests_pass",
    "version",
    {
        "areas": "what the tests must be about: data_quality, model_quality "
        "(default both); drift is judged by no_drift"
    },
)
def monitoring_tests_pass(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The Evidently tests of the latest report on each area (data quality, model quality) passed: FAIL is an exception, WARNING an observation.

    Per area, the latest attributable report holding tests on it decides. A test's area comes
    from the metric it tests: data quality (missing values, duplicates, constant or empty
    columns, value ranges, row and column counts, column statistics) or model quality
    (accuracy, precision, recall, F1, ROC AUC, log loss, TPR, TNR, FPR, FNR, RMSE, MAE,
    MAPE, R2...). FAIL (a critical test) is an exception, WARNING (a non-critical one) an
    observation, ERROR (not computed) not evidenced; SKIPPED decides nothing. Earlier
    failures are anomalies for ``anomalies_triaged``.
    """
    version = subject.version
    assert version is not None
    wanted = [TestArea(a) for a in params.get("areas") or ("data_quality", "model_quality")]
    reports, _, _ = attributable(context.index.reports_of(version), version, context.as_of.date())
    statuses: list[Status] = []
    reasons: list[str] = []
    cites: list[Citation] = []
    for area in wanted:
        holding = [r for r in reports if any(t.area is area for t in r.tests)]
        if not holding:
            statuses.append(NOT_EVIDENCED)
            reasons.append(f"no Evidently {AREA_WORDS[area]} test for {version.key}")
            cites.extend([r.cite for r in reports] or [version.cite])
            continue
        latest = holding[-1]
        tests = [t for t in latest.tests if t.area is area]
        status, lines, cited = _judge_tests(latest, area, tests)
        statuses.append(status)
        reasons.extend(lines)
        cites.extend(cited)
    status = worst(statuses)
    cites = list(dict.fromkeys(cites))
    if status is NO_EXCEPTION:
        return Outcome(status, tuple(reasons), tuple(cites))
    fix = {
        NOT_EVIDENCED: "add Evidently tests on the data (DataSummaryPreset, include_tests=True) "
        "and on the model's quality (ClassificationPreset or RegressionPreset) to the monitoring",
        OBSERVATION: "review the warnings; a non-critical test that keeps failing may need to "
        "be critical",
    }.get(
        status,
        "analyse the failed tests (an anomaly_review sign-off naming them), then retrain, "
        "fix the data feed or recalibrate",
    )
    return Outcome(
        status, tuple(reasons), tuple(cites), fix, cause=f"monitoring-tests:{version.key}"
    )


def _judge_tests(
    report: MonitoringReport, area: TestArea, tests: list[TestOutcome]
) -> tuple[Status, list[str], list[Citation]]:
    """The status of one report's tests on one area, a line per test that did not pass."""
    when = report.timestamp.date().isoformat() if report.timestamp else "undated"
    counts: dict[str, int] = {}
    for t in tests:
        counts[t.status] = counts.get(t.status, 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [
        f"report {report.cite.file} of {when}: {len(tests)} {AREA_WORDS[area]} test(s): {tally}"
    ]
    decided = [t for t in tests if t.status in TEST_STATUS]
    if not decided:
        return NOT_EVIDENCED, [*lines, "no test has an outcome (all skipped)"], [report.cite]
    bad = [t for t in decided if t.status != "SUCCESS"]
    shown = sorted(bad, key=lambda t: TEST_STATUS[t.status].rank)
    for t in shown[:MAX_LISTED_TESTS]:
        lines.append(
            f"{t.status}: {t.name}" + (f" ({t.description.strip()})" if t.description else "")
        )
    if len(shown) > MAX_LISTED_TESTS:
        lines.append(f"... and {len(shown) - MAX_LISTED_TESTS} more, each cited")
    status = worst(TEST_STATUS[t.status] for t in decided)
    return status, lines, [t.cite for t in shown] or [report.cite]


# Names MLflow runs log a metric under, by mldossier's name (sklearn's and mlflow.evaluate's
# spellings); each may carry an evaluation-split prefix. Training-set values (``train_``,
# ``training_``) are never compared: they say how well the model fits, not how it performs.
TRAINING_NAMES: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy", "accuracy_score"),
    "precision": ("precision", "precision_score"),
    "recall": ("recall", "recall_score"),
    "f1": ("f1", "f1_score"),
    "roc_auc": ("roc_auc", "roc_auc_score", "auc"),
    "log_loss": ("log_loss", "logloss"),
    "tpr": ("tpr", "true_positive_rate"),
    "tnr": ("tnr", "true_negative_rate", "specificity"),
    "fpr": ("fpr", "false_positive_rate"),
    "fnr": ("fnr", "false_negative_rate"),
    "rmse": ("rmse", "root_mean_squared_error"),
    "mae": ("mae", "mean_absolute_error"),
    "mape": ("mape", "mean_absolute_percentage_error"),
    "r2": ("r2", "r2_score"),
    "max_abs_error": ("max_abs_error", "max_error"),
}
EVALUATION_PREFIXES = ("", "test_", "val_", "validation_", "eval_", "evaluation_", "holdout_")


def training_value(name: str, metrics: dict[str, float]) -> tuple[str, float] | None:
    """The training run's metric of the same kind as ``name``: its key and value, or None."""
    for prefix in EVALUATION_PREFIXES:
        for key in TRAINING_NAMES.get(name, ()):
            if prefix + key in metrics:
                return prefix + key, metrics[prefix + key]
    return None


def quality_drop(metric: QualityMetric, trained: float) -> float:
    """How much worse production is than training, as a fraction of the training value
    (negative when better; infinite when training was exactly 0 and production is worse)."""
    worse = (trained - metric.value) if metric.higher_is_better else (metric.value - trained)
    if trained == 0:
        return math.inf if worse > 0 else 0.0
    return worse / abs(trained)


@check(
    "production_quality_within_tolerance",
    "version",
    {
        "max_drop": "largest drop from the training value, as a fraction "
        "(default monitoring.max_quality_drop)",
        "warning_drop": "a drop beyond this is an observation "
        "(default monitoring.quality_warning_drop)",
    },
)
def production_quality_within_tolerance(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The model's quality measured on production data is within tolerance of its training run's and within the configured limits.

    The latest attributable report with model-quality metrics (Evidently's Accuracy,
    Precision, Recall, F1Score, RocAuc, LogLoss, TPR, TNR, FPR, FNR, RMSE, MAE, MAPE,
    R2Score, AbsMaxError) is compared metric by metric with the same metric of the training
    run or logged model (``f1``, ``test_f1``, ``f1_score``...; never ``train_``/``training_``
    values) and with ``monitoring.quality_limits``. A drop beyond ``max_quality_drop`` (a
    fraction of the training value) or a value past its limit is an exception; a drop beyond
    ``quality_warning_drop`` an observation.
    """
    version = subject.version
    assert version is not None
    settings = context.config.monitoring
    max_drop = float(params.get("max_drop", settings.max_quality_drop))
    warn_drop = float(params.get("warning_drop", settings.quality_warning_drop))
    reports, _, _ = attributable(context.index.reports_of(version), version, context.as_of.date())
    measured = [r for r in reports if r.quality]
    cause = f"quality:{version.key}"
    if not measured:
        held = f" ({len(reports)} report(s), none with a quality metric)" if reports else ""
        return Outcome(
            NOT_EVIDENCED,
            (f"no model-quality metric measured on production data for {version.key}{held}",),
            (version.cite, *(r.cite for r in reports)),
            "run Evidently's ClassificationPreset or RegressionPreset on labelled production data",
            cause=cause,
        )
    latest = measured[-1]
    when = latest.timestamp.date().isoformat() if latest.timestamp else "undated"
    trained, trained_cites, _ = training_metrics(version, context)
    statuses: list[Status] = []
    reasons = [f"report {latest.cite.file} of {when}"]
    cites: list[Citation] = []
    unmatched: list[str] = []
    seen: set[str] = set()
    for metric in latest.quality:
        if metric.name in seen:
            continue
        seen.add(metric.name)
        status, lines = _judge_quality(
            metric, trained, settings.quality_limits.get(metric.name), max_drop, warn_drop
        )
        if status is None:
            unmatched.append(f"{metric.name} {metric.value:.4g}")
            continue
        statuses.append(status)
        reasons.extend(lines)
        cites.append(metric.cite)
    if not statuses:
        return Outcome(
            NOT_EVIDENCED,
            (
                *reasons,
                "measured in production: " + ", ".join(unmatched) + "; the training run "
                "logged none of these and monitoring.quality_limits sets no limit for them",
            ),
            (*(m.cite for m in latest.quality), *trained_cites, version.cite),
            "log the same metrics on the evaluation set in the training run, or set "
            "monitoring.quality_limits",
            cause=cause,
        )
    if unmatched:
        reasons.append("not compared (nothing to compare with): " + ", ".join(unmatched))
    status = worst(statuses)
    cites.extend(trained_cites)
    if status is NO_EXCEPTION:
        return Outcome(status, tuple(reasons), tuple(cites))
    return Outcome(
        status,
        tuple(reasons),
        tuple(cites),
        "analyse the drop (an anomaly_review sign-off), then retrain or recalibrate the model",
        cause=cause,
    )


def _judge_quality(
    metric: QualityMetric,
    trained: dict[str, float],
    limit: float | None,
    max_drop: float,
    warn_drop: float,
) -> tuple[Status | None, list[str]]:
    """One metric against its training value and its limit; None when neither exists."""
    statuses: list[Status] = []
    lines: list[str] = []
    at_training = training_value(metric.name, trained)
    if at_training is not None:
        key, value = at_training
        drop = quality_drop(metric, value)
        if drop == 0:
            change = "the same"
        else:
            size = "∞" if math.isinf(drop) else f"{abs(drop) * 100:.1f} %"
            change = f"{size} {'worse' if drop > 0 else 'better'}"
        line = (
            f"{metric.name} {metric.value:.4g} in production, {value:.4g} at training "
            f"({key}): {change}"
        )
        if drop > max_drop:
            statuses.append(EXCEPTION)
            line += f", beyond the {max_drop * 100:g} % tolerance"
        elif drop > warn_drop:
            statuses.append(OBSERVATION)
            line += f", within the {max_drop * 100:g} % tolerance but past {warn_drop * 100:g} %"
        else:
            statuses.append(NO_EXCEPTION)
        lines.append(line)
    if limit is not None:
        past = metric.value < limit if metric.higher_is_better else metric.value > limit
        bound = "minimum" if metric.higher_is_better else "maximum"
        statuses.append(EXCEPTION if past else NO_EXCEPTION)
        lines.append(
            f"{metric.name} {metric.value:.4g} in production "
            + ("is past" if past else "is within")
            + f" the configured {bound} {limit:g}"
        )
    if not statuses:
        return None, []
    return worst(statuses), lines


def drift_id(report: MonitoringReport) -> str:
    """The id of the drift a report detected, as a triage sign-off names it."""
    return f"drift:{report.cite.file}"


def tests_id(report: MonitoringReport) -> str:
    """The id of a report's failed data- or model-quality tests, as a triage sign-off names it."""
    return f"tests:{report.cite.file}"


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
    """Dataset drift over threshold and failed data- or model-quality tests in ``reports``
    (the countable ones), training-serving skew, failed assertions."""
    found: list[Anomaly] = []
    for r in reports:
        failed = [
            t
            for t in r.tests
            if t.status == "FAIL" and t.area in (TestArea.DATA_QUALITY, TestArea.MODEL_QUALITY)
        ]
        if failed:
            day = r.timestamp.date() if r.timestamp else None
            names = ", ".join(t.name for t in failed[:3]) + (
                f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            )
            found.append(
                Anomaly(
                    tests_id(r),
                    f"{len(failed)} failed Evidently test(s) ({names}) in the report of "
                    + (day.isoformat() if day else "an undated report"),
                    day,
                    failed[0].cite,
                )
            )
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
    """Each detected anomaly (drift over threshold, failed Evidently data- or model-quality tests, skew, failed data-quality assertion) was triaged in time: an anomaly_review or incident_report sign-off names it."""
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
