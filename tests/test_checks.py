"""The check library on crafted evidence: each check on passing and failing input."""

from __future__ import annotations

from datetime import UTC, datetime

import factories as f
import pytest

from mldossier.config import Config
from mldossier.evaluate.checks import CheckContext, Outcome, Subject, combine, library
from mldossier.intake.linking import Index
from mldossier.model import Evidence

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def run_check(name: str, evidence: Evidence, subject: Subject, **params: object) -> Outcome:
    context = CheckContext(evidence, Index(evidence, Config()), Config(), AS_OF)
    return library()[name].run(subject, context, dict(params))


def bundle(**records: object) -> Evidence:
    return Evidence(root="evidence", files=(), **records)  # type: ignore[arg-type]


SYS = f.system()


def test_owner_assigned_pass_and_fail() -> None:
    ok = run_check("owner_assigned", bundle(registered_models=(SYS,)), Subject(SYS))
    assert ok.status == "pass" and ok.reasons == ("owner is 'risk-analytics' (tag owner)",)
    assert ok.citations[0].pointer == "/registered_model/tags"
    bare = f.system(owner=None)  # type: ignore[arg-type]
    bad = run_check("owner_assigned", bundle(registered_models=(bare,)), Subject(bare))
    assert bad.status == "fail"
    assert bad.reasons == ("registered model credit-default-scorer has no 'owner' tag",)


def test_intended_use_falls_back_to_description_as_a_warning() -> None:
    model = f.system(intended_use=None)  # type: ignore[arg-type]
    outcome = run_check("intended_use_documented", bundle(), Subject(model))
    assert outcome.status == "warn"


@pytest.mark.parametrize(
    ("tags", "status", "reason"),
    [
        ({}, "pass", "classified 'high-risk', Annex III point 5(b)"),
        (
            {"eu_ai_act_category": None},
            "fail",
            "no 'eu_ai_act_category' tag: the system is not classified",
        ),
        (
            {"eu_ai_act_category": "risky"},
            "fail",
            "classification 'risky' is not one of high-risk, not-high-risk, limited-risk, "
            "minimal-risk, prohibited",
        ),
        (
            {"eu_ai_act_category": "minimal-risk"},
            "fail",
            "Annex III point 5(b) implies high-risk, but the system is classified 'minimal-risk'",
        ),
        ({"annex_iii_point": "five-b"}, "fail", "Annex III point 'five-b' is not of the form 5(b)"),
        (
            {"eu_ai_act_category": "not-high-risk", "annex_iii_point": None},
            "pass",
            "classified 'not-high-risk'",
        ),
    ],
)
def test_classification_consistent(tags: dict[str, str | None], status: str, reason: str) -> None:
    model = f.system(**tags)  # type: ignore[arg-type]
    outcome = run_check("classification_consistent", bundle(), Subject(model))
    assert (outcome.status, outcome.reasons[0]) == (status, reason)


def approval_case(**tags: str) -> Outcome:
    v = f.version(**tags)
    ev = bundle(registered_models=(SYS,), model_versions=(v,), mlflow_runs=(f.run(),))
    return run_check("production_version_approved", ev, Subject(SYS, v))


def test_approval_on_the_version_passes() -> None:
    outcome = approval_case(approved_by="model-risk-committee", approval_date="2026-06-01")
    # a date without a time counts as the whole day: same day as creation is fine
    assert outcome.status == "pass"
    assert outcome.reasons == ("approved by 'model-risk-committee' on 2026-06-01",)


def test_approval_before_creation_fails() -> None:
    outcome = approval_case(approved_by="mrc", approval_date="2026-06-01T09:00:00Z")
    assert outcome.status == "fail"
    assert outcome.reasons == (
        "approved on 2026-06-01T09:00:00Z, before the version was "
        "created (2026-06-01T10:00:00+00:00)",
    )


def test_approver_who_ran_the_training_fails() -> None:
    outcome = approval_case(approved_by="Alice", approval_date="2026-06-02")
    assert outcome.status == "fail"
    assert "who also ran the training run run1: no segregation of duties" in outcome.reasons[0]


def test_approval_is_not_inherited_from_an_older_version() -> None:
    old = f.version(number="2", approved_by="mrc", approval_date="2026-01-01")
    new = f.version(number="3")
    ev = bundle(registered_models=(SYS,), model_versions=(old, new))
    outcome = run_check("production_version_approved", ev, Subject(SYS, new))
    assert outcome.status == "fail"
    assert outcome.reasons == (
        "version credit-default-scorer@3 has no 'approved_by' or 'approval_date' tag",
        "approvals of other versions (v2) do not carry over to this one",
    )


def test_approval_date_not_a_date() -> None:
    outcome = approval_case(approved_by="mrc", approval_date="last tuesday")
    assert outcome.reasons == ("approval date 'last tuesday' is not an ISO date",)


def test_evaluation_metrics() -> None:
    v = f.version()
    ev = bundle(model_versions=(v,), mlflow_runs=(f.run(metrics={"roc_auc": 0.91}),))
    assert run_check("evaluation_metrics_logged", ev, Subject(SYS, v)).status == "pass"
    missing = run_check("evaluation_metrics_logged", ev, Subject(SYS, v), metrics=["f1"])
    assert missing.reasons == ("required metrics not logged: f1",)
    none = run_check(
        "evaluation_metrics_logged",
        bundle(model_versions=(v,), mlflow_runs=(f.run(),)),
        Subject(SYS, v),
    )
    assert none.reasons == ("the training run logged no metrics",)


def test_signature_present() -> None:
    v = f.version()
    ok = run_check(
        "signature_present",
        bundle(model_versions=(v,), signatures=(f.signature(),)),
        Subject(SYS, v),
    )
    assert ok.status == "pass" and ok.citations[0].file == "mlflow/artifacts/m-1/MLmodel"
    bad = run_check("signature_present", bundle(model_versions=(v,)), Subject(SYS, v))
    assert bad.reasons == ("no MLmodel signature found for credit-default-scorer@3",)


@pytest.mark.parametrize(
    ("timestamp", "status", "reason"),
    [
        ("2026-11-01T00:00:00", "pass", "latest report is from 2026-11-01 (19 days old, limit 30)"),
        (
            "2026-10-25T00:00:00",
            "warn",
            "latest report is from 2026-10-25, 26 days old; it goes stale in 4 days",
        ),
        (
            "2026-05-11T00:00:00",
            "fail",
            "latest report is from 2026-05-11, 193 days old; the limit is 30 days",
        ),
        (None, "fail", "1 report(s), all undated: an undated report never counts as fresh"),
    ],
)
def test_monitoring_fresh(timestamp: str | None, status: str, reason: str) -> None:
    v = f.version()
    ev = bundle(model_versions=(v,), reports=(f.report(timestamp=timestamp),))
    outcome = run_check("monitoring_fresh", ev, Subject(SYS, v))
    assert (outcome.status, outcome.reasons) == (status, (reason,))


def test_monitoring_missing() -> None:
    v = f.version()
    outcome = run_check("monitoring_fresh", bundle(model_versions=(v,)), Subject(SYS, v))
    assert outcome.reasons == ("no monitoring report for credit-default-scorer@3",)


def test_no_drift() -> None:
    v = f.version()
    calm = run_check("no_drift", bundle(reports=(f.report(),)), Subject(SYS, v))
    assert calm.status == "pass"
    some = run_check(
        "no_drift", bundle(reports=(f.report(drifted_columns=("income",)),)), Subject(SYS, v)
    )
    assert some.status == "warn"
    assert some.reasons == (
        "report of 2026-11-01: dataset drift within threshold (share 0.100 "
        "< 0.5; 1 column(s) drifted: income (K-S p_value 0.001 vs 0.05))",
    )
    drifted = run_check(
        "no_drift",
        bundle(reports=(f.report(share=0.6, drifted_columns=("income", "debt")),)),
        Subject(SYS, v),
    )
    assert drifted.status == "fail"
    assert drifted.reasons[0] == (
        "report of 2026-11-01: 2 column(s) drifted, share 0.600 ≥ threshold 0.5"
    )


@pytest.mark.parametrize(
    ("signed", "expires", "status", "reason_end"),
    [
        ("2026-10-01", "2027-10-01", "pass", "on 2026-10-01"),
        ("2025-10-01", "2026-10-01", "fail", "expired on 2026-10-01"),
        ("2026-10-01", "2026-11-25", "warn", "expires on 2026-11-25"),
        ("2026-12-01", None, "fail", "dated in the future"),
    ],
)
def test_signoff_present(signed: str, expires: str | None, status: str, reason_end: str) -> None:
    ev = bundle(registered_models=(SYS,), signoffs=(f.signoff(signed=signed, expires=expires),))
    outcome = run_check("signoff_present", ev, Subject(SYS), kind="risk_assessment")
    assert outcome.status == status and outcome.reasons[0].endswith(reason_end)


def test_missing_signoff_is_manual() -> None:
    outcome = run_check("signoff_present", bundle(), Subject(SYS), kind="human_oversight_plan")
    assert outcome.status == "manual"
    assert outcome.reasons == ("no human oversight plan sign-off for credit-default-scorer",)


def test_signoff_max_age() -> None:
    ev = bundle(signoffs=(f.signoff(signed="2025-01-01", expires=None),))
    outcome = run_check(
        "signoff_present", ev, Subject(SYS), kind="risk_assessment", max_age_days=365
    )
    assert outcome.status == "fail" and "688 days old, over the 365-day limit" in outcome.reasons[0]


def test_version_check_on_a_system_is_not_applicable() -> None:
    assert run_check("signature_present", bundle(), Subject(SYS)).status == "not_applicable"


def test_combine_keeps_the_worst() -> None:
    assert combine([Outcome("pass", ()), Outcome("warn", ()), Outcome("manual", ())]) == "manual"
    assert combine([Outcome("pass", ()), Outcome("fail", ())]) == "fail"
    assert combine([]) == "not_applicable"


def test_every_check_is_documented() -> None:
    for name, spec in library().items():
        assert spec.summary, f"check {name} has no docstring"
        assert spec.subject in {"system", "version", "any"}


def test_expiry_warning_days_come_from_the_config() -> None:
    from dataclasses import replace as dc_replace

    ev = bundle(registered_models=(SYS,), signoffs=(f.signoff(expires="2026-12-10"),))
    config = dc_replace(Config(), warn_days=30)
    context = CheckContext(ev, Index(ev, config), config, AS_OF, expiry_warning_days=30)
    outcome = library()["signoff_present"].run(Subject(SYS), context, {"kind": "risk_assessment"})
    assert outcome.status == "warn"
    context.expiry_warning_days = 14
    outcome = library()["signoff_present"].run(Subject(SYS), context, {"kind": "risk_assessment"})
    assert outcome.status == "pass"
