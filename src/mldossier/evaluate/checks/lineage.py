"""The checks on a model version's lineage: what it was trained on, and how it is served."""

from __future__ import annotations

from typing import Any

from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NOT_EVIDENCED,
    OBSERVATION,
    CheckContext,
    Outcome,
    Subject,
    check,
)
from mldossier.intake.linking import is_production
from mldossier.lineage.provenance import Provenance, provenance
from mldossier.lineage.runs import serving_runs_of
from mldossier.lineage.skew import skew
from mldossier.model import Citation


@check("training_lineage_complete", "version")
def training_lineage_complete(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """Lineage reaches from the version through its MLflow run and OpenLineage training run to input datasets with schema and version."""
    version = subject.version
    assert version is not None
    prov = provenance(context.lineage_graph(), version)
    if not prov.training_runs:
        return _no_training_run(prov.gaps, prov.citations, version.key, context)
    if prov.gaps:
        # The training run is there; what is missing are its optional facets (schema,
        # dataset version) or the MLflow side of the export: supporting evidence.
        inputs = not any("records no input datasets" in g for g in prov.gaps)
        return Outcome(
            NOT_EVIDENCED if inputs else context.missing("openlineage"),
            (*prov.gaps, _linked(prov)),
            tuple(prov.citations),
            "emit the schema and datasetVersion facets on the training run's inputs",
            cause=f"lineage:facets:{version.key}",
        )
    roots = ", ".join(str(d) for d in prov.root_datasets) or "none"
    return Outcome(
        NO_EXCEPTION,
        (
            f"MLflow run {prov.mlflow_run_id} → {len(prov.training_runs)} "
            f"training run(s) → {len(prov.input_datasets)} input dataset(s); "
            f"root datasets: {roots}",
            _linked(prov),
        ),
        tuple(prov.citations),
    )


def _linked(prov: Provenance) -> str:
    """What the link from the version to its training runs rests on, one run per clause."""
    return "training run link: " + "; ".join(
        f"{x.job.name} run {x.lineage_run_id} by {x.basis} ({x.detail})"
        for x in prov.training_links
    )


def _no_training_run(
    gaps: list[str] | tuple[str, ...],
    cites: list[Citation] | tuple[Citation, ...],
    key: str,
    context: CheckContext,
) -> Outcome:
    """No OpenLineage run trained the version: an exception where OpenLineage is of record.

    Every lineage check of the version shares this root cause, so the findings show it once.
    """
    return Outcome(
        context.missing("openlineage"),
        tuple(gaps) or (f"no OpenLineage training run is recorded for {key}",),
        tuple(cites),
        "emit OpenLineage events for the training job and tag the runs "
        "(mlflow.run_id / openlineage.run_id; docs/formats.md, Linking conventions)",
        cause=f"lineage:no-training-run:{key}",
    )


@check("datasets_pinned", "version")
def datasets_pinned(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Every dataset the version was trained on is pinned to a version."""
    version = subject.version
    assert version is not None
    prov = provenance(context.lineage_graph(), version)
    if not prov.training_runs:
        return _no_training_run(prov.gaps, prov.citations, version.key, context)
    if not prov.input_datasets:
        return Outcome(
            context.missing("openlineage"),
            ("the training run records no input datasets",),
            tuple(prov.citations),
            "emit OpenLineage events with the training inputs",
            cause=f"lineage:no-inputs:{version.key}",
        )
    unpinned = [u for u in prov.input_datasets if not u.version]
    if unpinned:
        # datasetVersion is an optional facet: the store may keep versions the events omit.
        return Outcome(
            NOT_EVIDENCED,
            tuple(f"training input {u.dataset} was read without a version" for u in unpinned),
            tuple(u.cite for u in unpinned),
            "add the dataset version facet (a content hash or snapshot id)",
            cause=f"lineage:facets:{version.key}",
        )
    return Outcome(
        NO_EXCEPTION,
        (
            *(f"{u.dataset} at version {u.version}" for u in prov.input_datasets),
            _linked(prov),
        ),
        tuple(u.cite for u in prov.input_datasets),
    )


@check("data_quality_passed", "version")
def data_quality_passed(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """Data-quality assertions recorded on the training data (or upstream of it) all passed."""
    assert subject.version is not None
    prov = provenance(context.lineage_graph(), subject.version)
    uses = [
        u for run in prov.upstream_runs for u in (*run.inputs, *run.outputs) if u.quality_assertions
    ]
    uses += [u for u in prov.input_datasets if u.quality_assertions and u not in uses]
    if not uses:
        # dataQualityAssertions is an optional facet: supporting evidence, never an exception.
        return Outcome(
            NOT_EVIDENCED,
            ("no data-quality assertions are recorded for the training data",),
            tuple(prov.citations),
            "run data-quality checks in the pipeline and emit the dataQualityAssertions facet",
            cause=f"lineage:no-quality-assertions:{subject.version.key}",
        )
    failed = [(u, a) for u in uses for a in u.quality_assertions if not a.success]
    if failed:
        # A failed assertion shows the check worked; whether it was triaged is the concern
        # of anomalies_triaged.
        return Outcome(
            OBSERVATION,
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
        NO_EXCEPTION,
        (
            f"{count} data-quality assertion(s) passed on "
            + ", ".join(sorted({str(u.dataset) for u in uses})),
        ),
        tuple(u.cite for u in uses),
    )


@check("failed_runs_surfaced", "version")
def failed_runs_surfaced(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """No pipeline run upstream of the version ended in FAIL without a later successful attempt."""
    assert subject.version is not None
    prov = provenance(context.lineage_graph(), subject.version)
    if prov.failed_runs:
        return Outcome(
            EXCEPTION,
            tuple(
                f"run {r.run_id} of job {r.job.name} ended {r.state}"
                + (f": {r.error_message.splitlines()[0][:200]}" if r.error_message else "")
                for r in prov.failed_runs
            ),
            tuple(r.cite for r in prov.failed_runs),
            "re-run the failed job successfully, or show why the model does not depend on it",
        )
    if not prov.upstream_runs:
        return _no_training_run(
            ("no upstream pipeline runs recorded, so failures cannot be ruled out",),
            prov.citations,
            subject.version.key,
            context,
        )
    return Outcome(
        NO_EXCEPTION,
        (
            f"{len(prov.upstream_runs)} upstream run(s), none left failed",
            *([_linked(prov)] if prov.training_links else []),
        ),
        tuple(r.cite for r in prov.upstream_runs[:20]),
    )


@check("serving_skew_absent", "version")
def serving_skew_absent(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The serving job reads the features the model was trained on: no training-serving skew."""
    version = subject.version
    assert version is not None
    report = skew(context.lineage_graph(), version)
    if not report.serving_runs:
        return Outcome(
            NOT_EVIDENCED,
            (
                f"no serving job reading models:/{version.name}/{version.version} "
                "is recorded, so skew cannot be checked",
            ),
            (version.cite,),
            "emit OpenLineage events from the serving job (jobType SERVING)",
            cause=f"lineage:no-serving-run:{version.key}",
        )
    if not report.served:
        return Outcome(
            NOT_EVIDENCED,
            (
                "the serving job records no schema for the features it reads, so "
                "skew cannot be checked",
            ),
            tuple(report.citations),
            "emit the schema facet on the serving job's input datasets",
            cause=f"lineage:serving-schema:{version.key}",
        )
    if report.basis == "none":
        return Outcome(
            NOT_EVIDENCED,
            ("no signature or training schema to compare the served features with",),
            tuple(report.citations),
            "export the MLmodel signature, or emit the schema facet on the training inputs",
            cause=f"export:mlmodel:{version.key}",
        )
    if report.has_skew:
        reasons = []
        reasons += [f"renamed: {a} → {b}" for a, b in report.renamed]
        reasons += [f"retyped: {n} {a} → {b}" for n, a, b in report.retyped]
        reasons += [f"missing at serving: {n}" for n in report.removed]
        reasons += [f"extra at serving: {n}" for n in report.added]
        reasons += [
            f"dataset {d} trained on version {a}, served from {b}"
            for d, a, b in report.dataset_versions_differ
        ]
        return Outcome(
            EXCEPTION,
            tuple(reasons),
            tuple(report.citations),
            "align the serving feature pipeline with the training features, or "
            "retrain on what is served",
            cause=f"skew:{version.key}",
        )
    return Outcome(
        NO_EXCEPTION,
        (
            f"serving reads the {len(report.expected)} expected feature(s) "
            f"(compared with the {report.basis.replace('_', ' ')})",
        ),
        tuple(report.citations),
    )


@check("logging_evidence_present", "version")
def logging_evidence_present(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """Automatic event logs exist for the version: lineage events of its training and, in production, its serving."""
    version = subject.version
    assert version is not None
    graph = context.lineage_graph()
    prov = provenance(graph, version)
    reasons: list[str] = []
    cites: list[Citation] = []
    if prov.training_runs:
        events = sum(len(r.events) for r in prov.training_runs)
        reasons.append(f"{events} lineage event(s) logged for training")
        reasons.append(_linked(prov))
        cites += [r.cite for r in prov.training_runs]
    else:
        return _no_training_run(
            ("no lineage events logged for the training of this version",),
            (version.cite,),
            version.key,
            context,
        )
    if is_production(version, context.config):
        serving = serving_runs_of(graph, version)
        if not serving:
            # The serving platform may keep its own logs: a request, not an exception.
            return Outcome(
                NOT_EVIDENCED,
                (*reasons, "no serving events logged for this production version"),
                tuple(cites),
                "emit OpenLineage events from the serving job",
                cause=f"lineage:no-serving-run:{version.key}",
            )
        reasons.append(f"{sum(len(r.events) for r in serving)} event(s) logged for serving")
        cites += [r.cite for r in serving]
    return Outcome(NO_EXCEPTION, tuple(reasons), tuple(cites))


SIX_MONTHS_DAYS = 183
"""Arts 19(1) and 26(6): automatically generated logs are kept for at least six months."""


@check(
    "operating_logs_retained",
    "version",
    {"retention_days": "the retention the logs must reach back to, in days (default 183)"},
)
def operating_logs_retained(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The system's operating (per-use) logs are in the evidence and reach back far enough:
    the serving job's events for the version, their span against the retention period."""
    version = subject.version
    assert version is not None
    retention = int(params.get("retention_days") or SIX_MONTHS_DAYS)
    serving = serving_runs_of(context.lineage_graph(), version)
    times = [
        t
        for r in serving
        for t in (r.started, r.last_event, r.ended)
        if t is not None and t <= context.as_of
    ]
    if not times:
        return Outcome(
            context.missing("openlineage"),
            (
                f"no operating logs of {version.key} in the evidence: no serving job's "
                "events record its use",
            ),
            (version.cite,),
            "export the serving job's OpenLineage events, or an inference log, for the "
            f"last {retention} days",
            cause=f"lineage:no-serving-run:{version.key}",
        )
    first, last = min(times), max(times)
    cites = tuple(r.cite for r in serving)
    span = (context.as_of.date() - first.date()).days
    detail = (
        f"{len(serving)} serving run(s) log the use of {version.key} from "
        f"{first.date().isoformat()} to {last.date().isoformat()}: {span} day(s) back from "
        f"the evaluation date"
    )
    exists = (context.as_of.date() - version.created.date()).days if version.created else None
    if span < retention and exists is not None and exists > retention:
        # The version existed longer than the retention period, the logs reach back less.
        return Outcome(
            OBSERVATION,
            (
                f"{detail}; the version exists for {exists} days, so {retention} days of "
                "logs should be kept: the export reaches back less",
            ),
            cites,
            f"export the operating logs of the last {retention} days (or show where they are kept)",
        )
    return Outcome(
        NO_EXCEPTION,
        (f"{detail} (retention {retention} days)",),
        cites,
    )
