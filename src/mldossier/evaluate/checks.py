"""The check library: named, documented checks that catalogs pick by name with parameters.

A check looks at one subject (an AI system, or one model version) and returns an
:class:`Outcome`: a status, reasons in plain words and the citations they rest on. Checks
never reach outside services; they read only the evidence, the lineage graph and settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mldossier.config import Config
from mldossier.intake.linking import Index, is_production, version_sort_key
from mldossier.model import Citation, Evidence, ModelVersion, RegisteredModel, SignOff
from mldossier.status import Status

PASS, FAIL, WARN, MANUAL, NOT_APPLICABLE, ERROR, WAIVED = (
    Status.PASS,
    Status.FAIL,
    Status.WARN,
    Status.MANUAL,
    Status.NOT_APPLICABLE,
    Status.ERROR,
    Status.WAIVED,
)

EU_AI_ACT_CATEGORIES = ("high-risk", "not-high-risk", "limited-risk", "minimal-risk", "prohibited")
ANNEX_III_POINT = re.compile(r"^[1-8](\([a-d]\))?$")
DEFAULT_MONITORING_AGE_DAYS = 30
DEFAULT_EXPIRY_WARNING_DAYS = 14


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

    status: str
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...] = ()
    fix: str = ""


@dataclass
class CheckContext:
    """Everything a check may read."""

    evidence: Evidence
    index: Index
    config: Config
    as_of: datetime
    """The moment freshness is judged at (SOURCE_DATE_EPOCH or the newest evidence)."""
    lineage: Any = None
    """The :class:`mldossier.lineage.graph.LineageGraph`, when built."""
    max_age_days: int | None = None
    """The control's maximum evidence age, if it sets one."""
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS


CheckFunction = Callable[[Subject, CheckContext, dict[str, Any]], Outcome]


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


def check(
    name: str, subject: str, params: dict[str, str] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function in the library under ``name``."""

    def register(function: CheckFunction) -> CheckFunction:
        summary = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = CheckSpec(name, subject, summary, dict(params or {}), function)
        return function

    return register


def combine(outcomes: list[Outcome]) -> str:
    """The worst status of several outcomes (all not applicable: not applicable)."""
    if not outcomes:
        return NOT_APPLICABLE
    return min((Status(o.status) for o in outcomes), key=lambda s: s.rank)


# ---------------------------------------------------------------- helpers


def _tag(model: RegisteredModel | ModelVersion, key: str) -> str:
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


def _days(delta: timedelta) -> int:
    return delta.days


def _lineage(context: CheckContext) -> Any:
    if context.lineage is None:
        raise RuntimeError("the lineage graph was not built")
    return context.lineage


# ---------------------------------------------------------------- system checks


@check("owner_assigned", "system")
def owner_assigned(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """An accountable owner is named: the registered model carries the ``owner`` tag."""
    key = context.config.tags.owner
    owner = _tag(subject.system, key)
    cite = (subject.system.cite.at("tags"),)
    if owner:
        return Outcome(PASS, (f"owner is {owner!r} (tag {key})",), cite)
    return Outcome(
        FAIL,
        (f"registered model {subject.system.name} has no {key!r} tag",),
        cite,
        f"set the registered-model tag {key!r} to the accountable team or person",
    )


@check("intended_use_documented", "system")
def intended_use_documented(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The intended purpose is documented: the ``intended_use`` tag (or, weaker, a description)."""
    key = context.config.tags.intended_use
    use = _tag(subject.system, key)
    if use:
        return Outcome(
            PASS, (f"intended use: {use!r} (tag {key})",), (subject.system.cite.at("tags"),)
        )
    if subject.system.description.strip():
        return Outcome(
            WARN,
            (f"no {key!r} tag; only the model description says what it is for",),
            (subject.system.cite.at("description"),),
            f"state the intended purpose in the registered-model tag {key!r}",
        )
    return Outcome(
        FAIL,
        (f"registered model {subject.system.name} documents no intended use",),
        (subject.system.cite,),
        f"set the registered-model tag {key!r} (and a description)",
    )


@check("classification_consistent", "system")
def classification_consistent(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The EU AI Act classification is present and valid, and an Annex III point implies high-risk."""
    tags = context.config.tags
    category = _tag(subject.system, tags.eu_ai_act_category)
    point = _tag(subject.system, tags.annex_iii_point)
    cite = (subject.system.cite.at("tags"),)
    if not category:
        return Outcome(
            FAIL,
            (f"no {tags.eu_ai_act_category!r} tag: the system is not classified",),
            cite,
            f"set {tags.eu_ai_act_category!r} to one of " + ", ".join(EU_AI_ACT_CATEGORIES),
        )
    if category not in EU_AI_ACT_CATEGORIES:
        return Outcome(
            FAIL,
            (f"classification {category!r} is not one of " + ", ".join(EU_AI_ACT_CATEGORIES),),
            cite,
            "use one of the listed categories",
        )
    if point and not ANNEX_III_POINT.match(point):
        return Outcome(
            FAIL,
            (f"Annex III point {point!r} is not of the form 5(b)",),
            cite,
            "write the Annex III point as area and letter, e.g. 5(b)",
        )
    if point and category != "high-risk":
        assessed = [
            s
            for s in context.index.signoffs_of(subject.system.name)
            if s.kind == "classification_assessment"
        ]
        if assessed:
            return Outcome(
                WARN,
                (
                    f"Annex III point {point} but classified {category!r}; an "
                    "Art. 6(3) assessment is on file and must be reviewed",
                ),
                cite + tuple(s.cite for s in assessed),
            )
        return Outcome(
            FAIL,
            (
                f"Annex III point {point} implies high-risk, but the system is "
                f"classified {category!r}",
            ),
            cite,
            "classify it high-risk, or file a classification_assessment sign-off "
            "documenting the Art. 6(3) derogation",
        )
    if category == "high-risk" and not point:
        return Outcome(
            WARN,
            ("classified high-risk but no Annex III point recorded",),
            cite,
            f"set {tags.annex_iii_point!r} (or document the Annex I route)",
        )
    detail = f"classified {category!r}" + (f", Annex III point {point}" if point else "")
    return Outcome(PASS, (detail,), cite)


@check("version_history_recorded", "system")
def version_history_recorded(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The registry keeps a version history: versions with creation dates and stages or aliases."""
    versions = context.index.versions.get(subject.system.name, [])
    if not versions:
        return Outcome(
            FAIL,
            (f"no model versions of {subject.system.name} in the export",),
            (subject.system.cite,),
            "export model-versions/search for this model",
        )
    undated = [v.version for v in versions if v.created is None]
    cites = tuple(v.cite for v in versions)
    if undated:
        return Outcome(FAIL, ("versions without a creation time: " + ", ".join(undated),), cites)
    labelled = [v for v in versions if v.stage or v.aliases]
    summary = ", ".join(
        f"v{v.version} ({v.stage or 'no stage'}"
        + (f", aliases {', '.join(v.aliases)}" if v.aliases else "")
        + ")"
        for v in versions
    )
    if not labelled:
        return Outcome(
            WARN,
            (f"{len(versions)} version(s) but none has a stage or alias: " + summary,),
            cites,
            "mark the deployed version with an alias",
        )
    return Outcome(PASS, (f"{len(versions)} version(s): {summary}",), cites)


# ---------------------------------------------------------------- version checks


@check("production_version_approved", "version")
def production_version_approved(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The version itself records its approver and approval date, not before it was created, and the approver is not the run's author."""
    version = subject.version
    assert version is not None
    tags = context.config.tags
    approver = _tag(version, tags.approved_by)
    when_text = _tag(version, tags.approval_date)
    cite = (version.cite.at("tags"),)
    missing = [
        k for k, v in ((tags.approved_by, approver), (tags.approval_date, when_text)) if not v
    ]
    if missing:
        older = [
            v
            for v in context.index.versions.get(version.name, [])
            if v.version != version.version and _tag(v, tags.approved_by)
        ]
        reasons = [f"version {version.key} has no {' or '.join(repr(m) for m in missing)} tag"]
        if older:
            reasons.append(
                "approvals of other versions ("
                + ", ".join(f"v{v.version}" for v in older)
                + ") do not carry over to this one"
            )
        return Outcome(
            FAIL,
            tuple(reasons),
            cite,
            f"record the release approval on this version: tags {tags.approved_by!r} "
            f"and {tags.approval_date!r} (ISO date)",
        )
    parsed = parse_when(when_text)
    if parsed is None:
        return Outcome(
            FAIL,
            (f"approval date {when_text!r} is not an ISO date",),
            cite,
            "write the approval date as YYYY-MM-DD or an ISO date-time",
        )
    approved, date_only = parsed
    problems: list[str] = []
    if version.created is not None:
        created = version.created
        too_early = (approved.date() < created.date()) if date_only else approved < created
        if too_early:
            problems.append(
                f"approved on {when_text}, before the version was created "
                f"({created.isoformat(timespec='seconds')})"
            )
    run = context.index.mlflow_run_of(version)
    author = (run.user_id or run.tags.get("mlflow.user", "")) if run else ""
    if author and approver.casefold() == author.casefold():
        problems.append(
            f"approved by {approver!r}, who also ran the training run "
            f"{run.run_id if run else ''}: no segregation of duties"
        )
    if problems:
        return Outcome(
            FAIL,
            tuple(problems),
            cite + ((run.cite,) if run else ()),
            "have an independent approver sign off this version after it was created",
        )
    return Outcome(PASS, (f"approved by {approver!r} on {when_text}",), cite)


@check("training_lineage_complete", "version")
def training_lineage_complete(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """Lineage reaches from the version through its MLflow run and OpenLineage training run to input datasets with schema and version."""
    assert subject.version is not None
    prov = _lineage(context).provenance(subject.version)
    if prov.gaps:
        return Outcome(
            FAIL,
            tuple(prov.gaps),
            tuple(prov.citations),
            "emit OpenLineage events for the training job and tag the runs "
            "(mlflow.run_id / openlineage.run_id)",
        )
    roots = ", ".join(str(d) for d in prov.root_datasets) or "none"
    return Outcome(
        PASS,
        (
            f"MLflow run {prov.mlflow_run_id} → {len(prov.training_runs)} "
            f"training run(s) → {len(prov.input_datasets)} input dataset(s); "
            f"root datasets: {roots}",
        ),
        tuple(prov.citations),
    )


@check("datasets_pinned", "version")
def datasets_pinned(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Every dataset the version was trained on is pinned to a version."""
    assert subject.version is not None
    prov = _lineage(context).provenance(subject.version)
    if not prov.input_datasets:
        return Outcome(
            FAIL,
            ("no training input datasets are recorded in the lineage",),
            tuple(prov.citations),
            "emit OpenLineage events with the training inputs",
        )
    unpinned = [u for u in prov.input_datasets if not u.version]
    if unpinned:
        return Outcome(
            FAIL,
            tuple(f"training input {u.dataset} is read without a version" for u in unpinned),
            tuple(u.cite for u in unpinned),
            "add the dataset version facet (a content hash or snapshot id)",
        )
    return Outcome(
        PASS,
        tuple(f"{u.dataset} at version {u.version}" for u in prov.input_datasets),
        tuple(u.cite for u in prov.input_datasets),
    )


@check("data_quality_passed", "version")
def data_quality_passed(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Data-quality assertions recorded on the training data (or upstream of it) all passed."""
    assert subject.version is not None
    prov = _lineage(context).provenance(subject.version)
    uses = [
        u for run in prov.upstream_runs for u in (*run.inputs, *run.outputs) if u.quality_assertions
    ]
    uses += [u for u in prov.input_datasets if u.quality_assertions and u not in uses]
    if not uses:
        return Outcome(
            FAIL,
            ("no data-quality assertions are recorded for the training data",),
            tuple(prov.citations),
            "run data-quality checks in the pipeline and emit the dataQualityAssertions facet",
        )
    failed = [(u, a) for u in uses for a in u.quality_assertions if not a.success]
    if failed:
        return Outcome(
            FAIL,
            tuple(
                f"assertion {a.assertion!r}"
                + (f" on column {a.column!r}" if a.column else "")
                + f" failed for {u.dataset}"
                for u, a in failed
            ),
            tuple(u.cite for u, _ in failed),
            "fix the data or document why the failure is acceptable, then re-run",
        )
    count = sum(len(u.quality_assertions) for u in uses)
    return Outcome(
        PASS,
        (
            f"{count} data-quality assertion(s) passed on "
            + ", ".join(sorted({str(u.dataset) for u in uses})),
        ),
        tuple(u.cite for u in uses),
    )


@check("evaluation_metrics_logged", "version", {"metrics": "metric names that must be logged"})
def evaluation_metrics_logged(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The training run (or logged model) recorded evaluation metrics, including any required ones."""
    version = subject.version
    assert version is not None
    run = context.index.mlflow_run_of(version)
    logged = context.index.logged_models.get(version.logged_model_id or "")
    metrics: dict[str, float] = {}
    cites: list[Citation] = []
    if run is not None:
        metrics.update(run.metrics)
        cites.append(run.cite.at("data", "metrics"))
    if logged is not None and logged.metrics:
        metrics.update(logged.metrics)
        cites.append(logged.cite.at("data", "metrics"))
    if run is None and logged is None:
        return Outcome(
            FAIL,
            (f"the MLflow run of {version.key} is not in the export",),
            (version.cite,),
            "export runs/get for the version's run",
        )
    required = [str(m) for m in params.get("metrics", [])]
    missing = [m for m in required if m not in metrics]
    if not metrics:
        return Outcome(
            FAIL,
            ("the training run logged no metrics",),
            tuple(cites),
            "log evaluation metrics on a held-out set with mlflow.log_metric",
        )
    if missing:
        return Outcome(
            FAIL,
            ("required metrics not logged: " + ", ".join(missing),),
            tuple(cites),
            "log the listed metrics",
        )
    shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
    return Outcome(PASS, (f"metrics: {shown}",), tuple(cites))


@check("signature_present", "version")
def signature_present(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The version's model signature (its expected inputs and outputs) is in the export."""
    version = subject.version
    assert version is not None
    signature = context.index.signature_of(version)
    if signature is None:
        return Outcome(
            FAIL,
            (f"no MLmodel signature found for {version.key}",),
            (version.cite,),
            "log the model with a signature (infer_signature) and export its MLmodel artifact",
        )
    if not signature.inputs:
        return Outcome(FAIL, ("the MLmodel has a signature with no inputs",), (signature.cite,))
    return Outcome(
        PASS,
        (f"signature with {len(signature.inputs)} input(s), {len(signature.outputs)} output(s)",),
        (signature.cite,),
    )


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


@check("failed_runs_surfaced", "version")
def failed_runs_surfaced(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """No pipeline run upstream of the version ended in FAIL without a later successful attempt."""
    assert subject.version is not None
    prov = _lineage(context).provenance(subject.version)
    if prov.failed_runs:
        return Outcome(
            FAIL,
            tuple(
                f"run {r.run_id} of job {r.job.name} ended {r.state}"
                + (f": {r.error_message.splitlines()[0][:200]}" if r.error_message else "")
                for r in prov.failed_runs
            ),
            tuple(r.cite for r in prov.failed_runs),
            "re-run the failed job successfully, or show why the model does not depend on it",
        )
    if not prov.upstream_runs:
        return Outcome(
            WARN,
            ("no upstream pipeline runs recorded, so failures cannot be ruled out",),
            tuple(prov.citations),
        )
    return Outcome(
        PASS,
        (f"{len(prov.upstream_runs)} upstream run(s), none left failed",),
        tuple(r.cite for r in prov.upstream_runs[:20]),
    )


@check("serving_skew_absent", "version")
def serving_skew_absent(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The serving job reads the features the model was trained on: no training-serving skew."""
    version = subject.version
    assert version is not None
    skew = _lineage(context).skew(version)
    if not skew.serving_runs:
        return Outcome(
            WARN,
            (
                f"no serving job reading models:/{version.name}/{version.version} "
                "is recorded, so skew cannot be checked",
            ),
            (version.cite,),
            "emit OpenLineage events from the serving job (jobType SERVING)",
        )
    if not skew.served:
        return Outcome(
            WARN,
            (
                "the serving job records no schema for the features it reads, so "
                "skew cannot be checked",
            ),
            tuple(skew.citations),
            "emit the schema facet on the serving job's input datasets",
        )
    if skew.basis == "none":
        return Outcome(
            WARN,
            ("no signature or training schema to compare the served features with",),
            tuple(skew.citations),
        )
    if skew.has_skew:
        reasons = []
        reasons += [f"renamed: {a} → {b}" for a, b in skew.renamed]
        reasons += [f"retyped: {n} {a} → {b}" for n, a, b in skew.retyped]
        reasons += [f"missing at serving: {n}" for n in skew.removed]
        reasons += [f"extra at serving: {n}" for n in skew.added]
        reasons += [
            f"dataset {d} trained on version {a}, served from {b}"
            for d, a, b in skew.dataset_versions_differ
        ]
        return Outcome(
            FAIL,
            tuple(reasons),
            tuple(skew.citations),
            "align the serving feature pipeline with the training features, or "
            "retrain on what is served",
        )
    return Outcome(
        PASS,
        (
            f"serving reads the {len(skew.expected)} expected feature(s) "
            f"(compared with the {skew.basis.replace('_', ' ')})",
        ),
        tuple(skew.citations),
    )


@check("logging_evidence_present", "version")
def logging_evidence_present(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """Automatic event logs exist for the version: lineage events of its training and, in production, its serving."""
    version = subject.version
    assert version is not None
    graph = _lineage(context)
    prov = graph.provenance(version)
    reasons: list[str] = []
    cites: list[Citation] = []
    if prov.training_runs:
        events = sum(len(r.events) for r in prov.training_runs)
        reasons.append(f"{events} lineage event(s) logged for training")
        cites += [r.cite for r in prov.training_runs]
    else:
        return Outcome(
            FAIL,
            ("no lineage events logged for the training of this version",),
            (version.cite,),
            "emit OpenLineage events from the training pipeline",
        )
    if is_production(version, context.config):
        skew = graph.skew(version)
        if not skew.serving_runs:
            return Outcome(
                WARN,
                (*reasons, "no serving events logged for this production version"),
                tuple(cites),
                "emit OpenLineage events from the serving job",
            )
        reasons.append(
            f"{sum(len(r.events) for r in skew.serving_runs)} event(s) logged for serving"
        )
        cites += [r.cite for r in skew.serving_runs]
    return Outcome(PASS, tuple(reasons), tuple(cites))


# ---------------------------------------------------------------- sign-offs


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


def _judge_signoff(signoff: SignOff, today: date, limit: Any, warn_days: int) -> Outcome:
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


def library() -> dict[str, CheckSpec]:
    """Every check in the library, by name."""
    return dict(sorted(REGISTRY.items()))


def production_versions_of(index: Index, system: str) -> list[ModelVersion]:
    """A system's production versions, oldest first."""
    return [v for v in index.versions.get(system, []) if is_production(v, index.config)]


__all__ = [
    "REGISTRY",
    "CheckContext",
    "CheckSpec",
    "Outcome",
    "Subject",
    "combine",
    "library",
    "version_sort_key",
    "production_versions_of",
]
