"""The checks on a model version's registry record: its approval, metrics and signature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NOT_EVIDENCED,
    CheckContext,
    Outcome,
    Subject,
    check,
    parse_when,
    tag_of,
)
from mldossier.model import Citation, MlflowRun, ModelVersion, SignOff


@check("production_version_approved", "version")
def production_version_approved(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The version itself records its approver and approval date, not before it was created, and the approver is not the run's author.

    A registry tag is *asserted* evidence: anyone with edit rights can set it, so the verdict
    says so (``evidence_strength: asserted``) and segregation of duties is not established by
    two names that differ; the same name for approver and author is an exception.
    """
    version = subject.version
    assert version is not None
    tags = context.config.tags
    approver = tag_of(version, tags.approved_by)
    when_text = tag_of(version, tags.approval_date)
    cite = (version.cite.at("tags"),)
    missing = [
        k for k, v in ((tags.approved_by, approver), (tags.approval_date, when_text)) if not v
    ]
    run = context.index.mlflow_run_of(version)
    signed = _authenticated_approval(version, context)
    if signed is not None:
        return _judge_authenticated(version, signed, run, context)
    if missing:
        return _unapproved(version, missing, context)
    parsed = parse_when(when_text)
    if parsed is None:
        return Outcome(
            EXCEPTION,
            (f"approval date {when_text!r} is not an ISO date",),
            cite,
            "write the approval date as YYYY-MM-DD or an ISO date-time",
            cause=f"approval:{version.key}",
        )
    problems = _approval_problems(version, approver, when_text, parsed, run)
    if problems:
        return Outcome(
            EXCEPTION,
            tuple(problems),
            cite + ((run.cite,) if run else ()),
            "have an independent approver sign off this version after it was created",
            cause=f"approval:{version.key}",
            strength="asserted",
        )
    reasons = [f"approved by {approver!r} on {when_text} (asserted: a registry tag)"]
    reasons.append(
        "segregation of duties is not established: the approver and the author are "
        "asserted names, not authenticated identities"
    )
    cites = cite + _validation_report(version, context, reasons)
    return Outcome(NO_EXCEPTION, tuple(reasons), cites, strength="asserted")


def run_author(run: MlflowRun | None) -> str:
    """Who ran the training run, as MLflow recorded it ("" without a run or a user)."""
    return (run.user_id or run.tags.get("mlflow.user", "")) if run else ""


def _authenticated_approval(version: ModelVersion, context: CheckContext) -> SignOff | None:
    """The version's own change approval signed with a trusted key, dated by the as-of date."""
    today = context.as_of.date()
    signed = [
        s
        for s in context.index.signoffs_of(version.name, version.version)
        if s.kind == "change_approval"
        and s.version == version.version
        and s.evidence_strength == "authenticated"
        and s.date <= today
    ]
    return max(signed, key=lambda s: (s.date, s.id)) if signed else None


def _judge_authenticated(
    version: ModelVersion, signed: SignOff, run: MlflowRun | None, context: CheckContext
) -> Outcome:
    """An authenticated approval: segregation of duties compares the authenticated identity."""
    who = signed.identity or signed.signed_by
    cites: tuple[Citation, ...] = (signed.cite,) + ((signed.signature,) if signed.signature else ())
    problems: list[str] = []
    if version.created is not None and signed.date < version.created.date():
        problems.append(
            f"change approval {signed.id} is dated {signed.date.isoformat()}, before the "
            f"version was created ({version.created.date().isoformat()})"
        )
    author = run_author(run)
    if author and who.casefold() == author.casefold():
        problems.append(
            f"change approval {signed.id} is signed by {who}, who also ran the training run "
            f"{run.run_id if run else ''}: no segregation of duties"
        )
    if problems:
        return Outcome(
            EXCEPTION,
            tuple(problems),
            cites,
            "have an independent approver sign off this version after it was created",
            cause=f"approval:{version.key}",
            strength="authenticated",
        )
    reasons = [
        f"approved in change approval {signed.id} on {signed.date.isoformat()}, signed by "
        f"{who} (authenticated: SSH signature by a trusted key)"
    ]
    if author:
        reasons.append(f"the approver is not the training run's author ({author})")
    cites += _validation_report(version, context, reasons)
    return Outcome(NO_EXCEPTION, tuple(reasons), cites, strength="authenticated")


def _validation_report(
    version: ModelVersion, context: CheckContext, reasons: list[str]
) -> tuple[Citation, ...]:
    """The approval's ``validation_report`` tag: shown, and cited where it names a file here."""
    report = tag_of(version, context.config.tags.validation_report)
    if not report:
        reasons.append("no validation report is named: on what evidence was it approved?")
        return ()
    f = context.index.files_by_path.get(report.removeprefix("./"))
    if f is not None:
        reasons.append(f"validation report {report!r} is in the evidence")
        return (Citation(f.path, "", f.sha256),)
    reasons.append(f"validation report {report!r} (not a file in the evidence)")
    return ()


def _unapproved(version: ModelVersion, missing: list[str], context: CheckContext) -> Outcome:
    """A version without its own approval tags; other versions' approvals do not count."""
    tags = context.config.tags
    older = [
        v
        for v in context.index.versions.get(version.name, [])
        if v.version != version.version and tag_of(v, tags.approved_by)
    ]
    reasons = [f"version {version.key} has no {' or '.join(repr(m) for m in missing)} tag"]
    if older:
        reasons.append(
            "approvals of other versions ("
            + ", ".join(f"v{v.version}" for v in older)
            + ") do not carry over to this one"
        )
    return Outcome(
        EXCEPTION,
        tuple(reasons),
        (version.cite.at("tags"),),
        f"record the release approval on this version: tags {tags.approved_by!r} "
        f"and {tags.approval_date!r} (ISO date)",
        cause=f"approval:{version.key}",
    )


def _approval_problems(
    version: ModelVersion,
    approver: str,
    when_text: str,
    when: tuple[datetime, bool],
    run: MlflowRun | None,
) -> list[str]:
    """What is wrong with a recorded approval: too early, or by the training run's author."""
    approved, date_only = when
    problems: list[str] = []
    if version.created is not None:
        created = version.created
        too_early = (approved.date() < created.date()) if date_only else approved < created
        if too_early:
            problems.append(
                f"approved on {when_text}, before the version was created "
                f"({created.isoformat(timespec='seconds')})"
            )
    author = run_author(run)
    if author and approver.casefold() == author.casefold():
        problems.append(
            f"approved by {approver!r}, who also ran the training run "
            f"{run.run_id if run else ''}: no segregation of duties"
        )
    return problems


def training_metrics(
    version: ModelVersion, context: CheckContext
) -> tuple[dict[str, float], list[Citation], bool]:
    """The metrics the version's training run and logged model recorded, where they are
    cited, and whether either record is in the export (the logged model's win on a clash)."""
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
    return metrics, cites, run is not None or logged is not None


@check("evaluation_metrics_logged", "version", {"metrics": "metric names that must be logged"})
def evaluation_metrics_logged(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The training run (or logged model) recorded evaluation metrics, including any required ones."""
    version = subject.version
    assert version is not None
    metrics, cites, found = training_metrics(version, context)
    if not found:
        return Outcome(
            NOT_EVIDENCED,
            (f"the MLflow run of {version.key} is not in the export",),
            (version.cite,),
            "export runs/get for the version's run",
            cause=f"export:run:{version.key}",
        )
    required = [str(m) for m in params.get("metrics", [])]
    missing = [m for m in required if m not in metrics]
    if not metrics:
        return Outcome(
            EXCEPTION,
            ("the training run logged no metrics",),
            tuple(cites),
            "log evaluation metrics on a held-out set with mlflow.log_metric",
        )
    if missing:
        return Outcome(
            EXCEPTION,
            ("required metrics not logged: " + ", ".join(missing),),
            tuple(cites),
            "log the listed metrics",
        )
    shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
    return Outcome(NO_EXCEPTION, (f"metrics: {shown}",), tuple(cites))


@check("signature_present", "version")
def signature_present(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The version's model signature (its expected inputs and outputs) is in the export."""
    version = subject.version
    assert version is not None
    signature = context.index.signature_of(version)
    if signature is None:
        # The MLmodel file is an artifact: an export without it says nothing either way.
        return Outcome(
            NOT_EVIDENCED,
            (f"no MLmodel signature found for {version.key}",),
            (version.cite,),
            "log the model with a signature (infer_signature) and export its MLmodel artifact",
            cause=f"export:mlmodel:{version.key}",
        )
    if not signature.inputs:
        return Outcome(
            EXCEPTION, ("the MLmodel has a signature with no inputs",), (signature.cite,)
        )
    return Outcome(
        NO_EXCEPTION,
        (f"signature with {len(signature.inputs)} input(s), {len(signature.outputs)} output(s)",),
        (signature.cite,),
    )
