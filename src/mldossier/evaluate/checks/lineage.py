"""The checks on a model version's lineage: what it was trained on, and how it is served."""

from __future__ import annotations

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
from mldossier.intake.linking import is_production
from mldossier.lineage.provenance import provenance
from mldossier.lineage.runs import serving_runs_of
from mldossier.lineage.skew import skew
from mldossier.model import Citation


@check("training_lineage_complete", "version")
def training_lineage_complete(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """Lineage reaches from the version through its MLflow run and OpenLineage training run to input datasets with schema and version."""
    assert subject.version is not None
    prov = provenance(context.lineage_graph(), subject.version)
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
    prov = provenance(context.lineage_graph(), subject.version)
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
    prov = provenance(context.lineage_graph(), subject.version)
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


@check("failed_runs_surfaced", "version")
def failed_runs_surfaced(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """No pipeline run upstream of the version ended in FAIL without a later successful attempt."""
    assert subject.version is not None
    prov = provenance(context.lineage_graph(), subject.version)
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
    report = skew(context.lineage_graph(), version)
    if not report.serving_runs:
        return Outcome(
            WARN,
            (
                f"no serving job reading models:/{version.name}/{version.version} "
                "is recorded, so skew cannot be checked",
            ),
            (version.cite,),
            "emit OpenLineage events from the serving job (jobType SERVING)",
        )
    if not report.served:
        return Outcome(
            WARN,
            (
                "the serving job records no schema for the features it reads, so "
                "skew cannot be checked",
            ),
            tuple(report.citations),
            "emit the schema facet on the serving job's input datasets",
        )
    if report.basis == "none":
        return Outcome(
            WARN,
            ("no signature or training schema to compare the served features with",),
            tuple(report.citations),
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
            FAIL,
            tuple(reasons),
            tuple(report.citations),
            "align the serving feature pipeline with the training features, or "
            "retrain on what is served",
        )
    return Outcome(
        PASS,
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
        cites += [r.cite for r in prov.training_runs]
    else:
        return Outcome(
            FAIL,
            ("no lineage events logged for the training of this version",),
            (version.cite,),
            "emit OpenLineage events from the training pipeline",
        )
    if is_production(version, context.config):
        serving = serving_runs_of(graph, version)
        if not serving:
            return Outcome(
                WARN,
                (*reasons, "no serving events logged for this production version"),
                tuple(cites),
                "emit OpenLineage events from the serving job",
            )
        reasons.append(f"{sum(len(r.events) for r in serving)} event(s) logged for serving")
        cites += [r.cite for r in serving]
    return Outcome(PASS, tuple(reasons), tuple(cites))
