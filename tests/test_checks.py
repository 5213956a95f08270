"""The check library on crafted evidence: each check on conforming and nonconforming input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

import factories as f
import pytest

from mldossier.config import Config
from mldossier.evaluate.checks import CheckContext, Outcome, Subject, combine, library
from mldossier.evaluate.unavailable import with_gaps
from mldossier.intake.linking import Index
from mldossier.lineage.graph import build_graph
from mldossier.model import (
    Citation,
    Evidence,
    MonitoringReport,
    SignOff,
    SourceFile,
    Unavailable,
)
from mldossier.status import Status

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def run_check(
    name: str,
    evidence: Evidence,
    subject: Subject,
    *,
    sources: Iterable[str] = (),
    config: Config | None = None,
    **params: object,
) -> Outcome:
    config = config or Config()
    index = Index(evidence, config)
    context = CheckContext(
        evidence,
        index,
        config,
        AS_OF,
        sources=frozenset(sources),
        lineage=build_graph(evidence, config, index) if evidence.lineage_runs else None,
    )
    return library()[name].run(subject, context, dict(params))


def bundle(**records: object) -> Evidence:
    return Evidence(root="evidence", files=(), **records)  # type: ignore[arg-type]


SYS = f.system()


def test_owner_assigned_or_not_evidenced() -> None:
    ok = run_check("owner_assigned", bundle(registered_models=(SYS,)), Subject(SYS))
    assert ok.status == "no_exception" and ok.reasons == ("owner is 'risk-analytics' (tag owner)",)
    assert ok.citations[0].pointer == "/registered_model/tags"
    bare = f.system(owner=None)  # type: ignore[arg-type]
    bad = run_check("owner_assigned", bundle(registered_models=(bare,)), Subject(bare))
    # The owner may be recorded elsewhere: a request for evidence, not an exception.
    assert bad.status == "not_evidenced"
    assert bad.reasons == ("registered model credit-default-scorer has no 'owner' tag",)


def test_data_classified_reads_the_data_classification_tag() -> None:
    model = f.system(data_classification="confidential-personal")
    ok = run_check("data_classified", bundle(registered_models=(model,)), Subject(model))
    assert ok.status == "no_exception"
    assert ok.reasons == ("data classified 'confidential-personal' (tag data_classification)",)
    assert ok.citations[0].pointer == "/registered_model/tags"
    # The classification may be kept in a data catalogue: a request, not an exception.
    bad = run_check("data_classified", bundle(registered_models=(SYS,)), Subject(SYS))
    assert bad.status == "not_evidenced"
    assert bad.reasons == (
        "registered model credit-default-scorer has no 'data_classification' tag",
    )
    assert bad.fix.startswith("set the registered-model tag 'data_classification'")


def test_intended_use_falls_back_to_description_as_an_observation() -> None:
    model = f.system(intended_use=None)  # type: ignore[arg-type]
    outcome = run_check("intended_use_documented", bundle(), Subject(model))
    assert outcome.status == "observation"
    assert outcome.reasons == (
        "no 'intended_use' tag; only the model description says what it is for",
    )
    assert outcome.citations[0].pointer == "/registered_model/description"


@pytest.mark.parametrize(
    ("tags", "status", "reason"),
    [
        (
            {},
            "no_exception",
            "classified 'high-risk', Annex III point 5(b) (Essential services: creditworthiness "
            "or credit scoring of natural persons)",
        ),
        (
            {"eu_ai_act_category": None},
            "not_evidenced",
            "no 'eu_ai_act_category' tag: the system's classification is not recorded",
        ),
        (
            {"eu_ai_act_category": "risky"},
            "exception",
            "classification 'risky' is not one of prohibited, high-risk, not-high-risk, "
            "limited-risk, minimal-risk",
        ),
        (
            {"eu_ai_act_category": "minimal-risk"},
            "exception",
            "Annex III point 5(b) implies high-risk, but the system is classified 'minimal-risk'",
        ),
        ({"annex_iii_point": "five-b"}, "exception", "Annex III has no point 'five-b'"),
        # Annex III has a point 6(e) but no 2(a): the list is the Annex's, not a pattern
        ({"annex_iii_point": "2(a)"}, "exception", "Annex III has no point '2(a)'"),
        (
            {"annex_iii_point": "6(e)"},
            "no_exception",
            "classified 'high-risk', Annex III point 6(e) (Law enforcement: profiling in "
            "detection, investigation or prosecution)",
        ),
        (
            {"eu_ai_act_category": "not-high-risk", "annex_iii_point": None},
            "no_exception",
            "classified 'not-high-risk'",
        ),
        (
            {"eu_ai_act_category": "minimal-risk", "annex_iii_point": None},
            "observation",
            "classified 'minimal-risk', which is not a category of the Act's operative text: "
            "read as not high-risk",
        ),
    ],
)
def test_classification_consistent(tags: dict[str, str | None], status: str, reason: str) -> None:
    model = f.system(**tags)  # type: ignore[arg-type]
    outcome = run_check("classification_consistent", bundle(), Subject(model))
    assert (outcome.status, outcome.reasons[0]) == (status, reason)


def test_a_wrong_annex_iii_point_is_refused_with_the_valid_points() -> None:
    outcome = run_check(
        "classification_consistent", bundle(), Subject(f.system(annex_iii_point="2(a)"))
    )
    assert "6(e)" in outcome.fix and "2(a)" not in outcome.fix and "5(b)" in outcome.fix


@pytest.mark.parametrize(
    ("category", "status"),
    [("prohibited", "exception"), ("high-risk", "no_exception"), (None, "no_exception")],
)
def test_a_prohibited_system_never_passes(category: str | None, status: str) -> None:
    outcome = run_check(
        "not_prohibited",
        bundle(),
        Subject(f.system(eu_ai_act_category=category)),  # type: ignore[arg-type]
    )
    assert outcome.status == status
    if status == "exception":
        assert "Art. 5 forbids" in outcome.reasons[0]


def approval_case(**tags: str) -> Outcome:
    v = f.version(**tags)
    ev = bundle(registered_models=(SYS,), model_versions=(v,), mlflow_runs=(f.run(),))
    return run_check("production_version_approved", ev, Subject(SYS, v))


def test_approval_on_the_version_is_no_exception() -> None:
    outcome = approval_case(approved_by="model-risk-committee", approval_date="2026-06-01")
    # a date without a time counts as the whole day: same day as creation is fine
    assert outcome.status == "no_exception"
    assert outcome.reasons == (
        "approved by 'model-risk-committee' on 2026-06-01 (asserted: a registry tag)",
        "segregation of duties is not established: the approver and the author are "
        "asserted names, not authenticated identities",
        "no validation report is named: on what evidence was it approved?",
    )
    assert outcome.strength == "asserted"


def test_approval_before_creation_is_an_exception() -> None:
    outcome = approval_case(approved_by="mrc", approval_date="2026-06-01T09:00:00Z")
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "approved on 2026-06-01T09:00:00Z, before the version was "
        "created (2026-06-01T10:00:00+00:00)",
    )


def test_approver_who_ran_the_training_is_an_exception() -> None:
    outcome = approval_case(approved_by="Alice", approval_date="2026-06-02")
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "approved by 'Alice', who also ran the training run run1: no segregation of duties",
    )


def signed_approval_case(identity: str, **tags: str) -> Outcome:
    v = f.version(**tags)
    approval = replace(
        f.signoff("change_approval", version_=v.version, signed="2026-06-03", expires=None),
        evidence_strength="authenticated",
        identity=identity,
    )
    ev = bundle(
        registered_models=(SYS,), model_versions=(v,), mlflow_runs=(f.run(),), signoffs=(approval,)
    )
    return run_check("production_version_approved", ev, Subject(SYS, v))


def test_an_authenticated_approval_compares_identities() -> None:
    good = signed_approval_case("dana@northwind.example")
    assert (good.status, good.strength) == ("no_exception", "authenticated")
    assert good.reasons[:2] == (
        "approved in change approval S-1 on 2026-06-03, signed by dana@northwind.example "
        "(authenticated: SSH signature by a trusted key)",
        "the approver is not the training run's author (alice)",
    )
    # the same person as the run's author, authenticated: an exception
    own = signed_approval_case("alice")
    assert (own.status, own.strength) == ("exception", "authenticated")
    assert own.reasons == (
        "change approval S-1 is signed by alice, who also ran the training run run1: "
        "no segregation of duties",
    )
    # an asserted (unsigned) change approval does not authenticate anything: the tags decide
    v = f.version()
    unsigned = f.signoff("change_approval", version_=v.version, signed="2026-06-03")
    ev = bundle(registered_models=(SYS,), model_versions=(v,), signoffs=(unsigned,))
    assert run_check("production_version_approved", ev, Subject(SYS, v)).status == "exception"


def test_approval_is_not_inherited_from_an_older_version() -> None:
    old = f.version(number="2", approved_by="mrc", approval_date="2026-01-01")
    new = f.version(number="3")
    ev = bundle(registered_models=(SYS,), model_versions=(old, new))
    outcome = run_check("production_version_approved", ev, Subject(SYS, new))
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "version credit-default-scorer@3 has no 'approved_by' or 'approval_date' tag",
        "approvals of other versions (v2) do not carry over to this one",
    )


def test_a_named_validation_report_is_cited_where_it_is_a_file_of_the_evidence() -> None:
    report = SourceFile("reports/validation.pdf", 10, "ab" * 32, kind="attachment")
    other = SourceFile("reports/other.pdf", 10, "cd" * 32, kind="attachment")
    v = f.version(
        approved_by="mrc", approval_date="2026-06-02", validation_report="./reports/validation.pdf"
    )
    records = {"registered_models": (SYS,), "model_versions": (v,), "mlflow_runs": (f.run(),)}
    found = run_check(
        "production_version_approved",
        Evidence(root="evidence", files=(other, report), **records),  # type: ignore[arg-type]
        Subject(SYS, v),
    )
    assert found.reasons[-1] == "validation report './reports/validation.pdf' is in the evidence"
    assert found.citations[-1] == Citation("reports/validation.pdf", "", "ab" * 32)
    absent = run_check(
        "production_version_approved",
        Evidence(root="evidence", files=(other,), **records),  # type: ignore[arg-type]
        Subject(SYS, v),
    )
    assert absent.reasons[-1] == (
        "validation report './reports/validation.pdf' (not a file in the evidence)"
    )
    assert absent.citations == (v.cite.at("tags"),)


def test_approval_date_not_a_date() -> None:
    outcome = approval_case(approved_by="mrc", approval_date="last tuesday")
    assert outcome.status == "exception"
    assert outcome.reasons == ("approval date 'last tuesday' is not an ISO date",)


def test_evaluation_metrics() -> None:
    v = f.version()
    ev = bundle(model_versions=(v,), mlflow_runs=(f.run(metrics={"roc_auc": 0.91}),))
    assert run_check("evaluation_metrics_logged", ev, Subject(SYS, v)).status == "no_exception"
    missing = run_check("evaluation_metrics_logged", ev, Subject(SYS, v), metrics=["f1"])
    assert missing.status == "exception"
    assert missing.reasons == ("required metrics not logged: f1",)
    none = run_check(
        "evaluation_metrics_logged",
        bundle(model_versions=(v,), mlflow_runs=(f.run(),)),
        Subject(SYS, v),
    )
    assert none.status == "exception"
    assert none.reasons == ("the training run logged no metrics",)
    no_run = run_check("evaluation_metrics_logged", bundle(model_versions=(v,)), Subject(SYS, v))
    assert no_run.status == "not_evidenced"
    assert no_run.reasons == ("the MLflow run of credit-default-scorer@3 is not in the export",)


def test_signature_present() -> None:
    v = f.version()
    ok = run_check(
        "signature_present",
        bundle(model_versions=(v,), signatures=(f.signature(),)),
        Subject(SYS, v),
    )
    assert ok.status == "no_exception" and ok.citations[0].file == "mlflow/artifacts/m-1/MLmodel"
    bad = run_check("signature_present", bundle(model_versions=(v,)), Subject(SYS, v))
    # The MLmodel is an artifact: an export without it says nothing either way.
    assert bad.status == "not_evidenced"
    assert bad.reasons == ("no MLmodel signature found for credit-default-scorer@3",)


@pytest.mark.parametrize(
    ("timestamp", "status", "reason"),
    [
        (
            "2026-11-01T00:00:00",
            "no_exception",
            "latest report is from 2026-11-01 (19 days old, limit 30)",
        ),
        (
            "2026-10-25T00:00:00",
            "observation",
            "latest report is from 2026-10-25, 26 days old; it goes stale in 4 days",
        ),
        (
            "2026-06-11T00:00:00",
            "exception",
            "latest report is from 2026-06-11, 162 days old; the limit is 30 days",
        ),
        (
            None,
            "not_evidenced",
            "1 report(s), all undated: an undated report never counts as fresh",
        ),
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
    assert outcome.status == "not_evidenced"
    assert outcome.reasons == ("no monitoring report for credit-default-scorer@3",)
    # Where Evidently reports were exported, they are of record: the gap is an exception.
    of_record = run_check(
        "monitoring_fresh", bundle(model_versions=(v,)), Subject(SYS, v), sources={"evidently"}
    )
    assert of_record.status == "exception"
    assert of_record.reasons == outcome.reasons


def test_the_config_says_which_sources_are_of_record() -> None:
    v = f.version()
    ev = bundle(model_versions=(v,))
    # exported, but declared not the system of record (monitoring is kept elsewhere)
    elsewhere = Config(systems_of_record={"evidently": False})
    out = run_check(
        "monitoring_fresh", ev, Subject(SYS, v), sources={"evidently"}, config=elsewhere
    )
    assert out.status == "not_evidenced"
    # not exported, but declared the system of record: its silence is an exception
    of_record = Config(systems_of_record={"evidently": True})
    assert (
        run_check("monitoring_fresh", ev, Subject(SYS, v), config=of_record).status == "exception"
    )


def test_a_report_dated_after_the_evaluation_date_is_not_counted() -> None:
    v = f.version()
    later = f.report(timestamp="2026-11-25T00:00:00")
    later = replace(later, cite=f.cite("monitoring/credit-default-scorer/3/later.json"))
    alone = run_check(
        "monitoring_fresh",
        bundle(model_versions=(v,), reports=(later,)),
        Subject(SYS, v),
        sources={"evidently"},
    )
    note = (
        "report monitoring/credit-default-scorer/3/later.json is dated 2026-11-25, after the "
        "evaluation date 2026-11-20: not counted"
    )
    assert alone.status == "exception"
    assert alone.reasons == ("no monitoring report for credit-default-scorer@3", note)
    # Beside a fresh report it does not make the monitoring fresher, and it is flagged.
    both = run_check(
        "monitoring_fresh",
        bundle(model_versions=(v,), reports=(f.report(), later)),
        Subject(SYS, v),
        sources={"evidently"},
    )
    assert both.status == "observation"
    assert both.reasons == ("latest report is from 2026-11-01 (19 days old, limit 30)", note)


def test_a_report_dated_before_the_version_was_created_is_not_counted() -> None:
    v = f.version()  # created 2026-06-01
    early = f.report(timestamp="2026-05-11T00:00:00")
    outcome = run_check(
        "monitoring_fresh", bundle(model_versions=(v,), reports=(early,)), Subject(SYS, v)
    )
    # It cannot monitor this version: an exception that names both dates, evidence of
    # record or not.
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "no monitoring report for credit-default-scorer@3",
        "report monitoring/credit-default-scorer/3/r.json is dated 2026-05-11, before "
        "credit-default-scorer@3 was created (2026-06-01): it cannot monitor this version",
    )
    assert outcome.citations == (v.cite, early.cite)
    drifted = f.report(timestamp="2026-05-11T00:00:00", share=0.9)
    drift = run_check("no_drift", bundle(reports=(drifted,)), Subject(SYS, v))
    assert drift.status == "not_evidenced"
    assert drift.reasons == ("no drift report for credit-default-scorer@3",)


def test_no_drift_reports_drift_as_an_observation() -> None:
    v = f.version()
    calm = run_check("no_drift", bundle(reports=(f.report(),)), Subject(SYS, v))
    assert calm.status == "no_exception"
    assert calm.reasons == ("report of 2026-11-01: no drift (share 0.100 < threshold 0.5)",)
    some = run_check(
        "no_drift", bundle(reports=(f.report(drifted_columns=("income",)),)), Subject(SYS, v)
    )
    assert some.status == "observation"
    assert some.reasons == (
        "report of 2026-11-01: dataset drift within threshold (share 0.100 "
        "< 0.5; 1 column(s) drifted: income (K-S p_value 0.001 vs 0.05))",
    )
    drifted = run_check(
        "no_drift",
        bundle(reports=(f.report(share=0.6, drifted_columns=("income", "debt")),)),
        Subject(SYS, v),
    )
    # Drift found shows the monitoring working; whether it was triaged is anomalies_triaged's.
    assert drifted.status == "observation"
    assert drifted.reasons == (
        "report of 2026-11-01: 2 column(s) drifted, share 0.600 ≥ threshold 0.5 "
        "(anomaly drift:monitoring/credit-default-scorer/3/r.json)",
        "drifted: income (K-S p_value 0.001 vs 0.05), debt (K-S p_value 0.001 vs 0.05)",
    )


DRIFT_ID = "drift:monitoring/credit-default-scorer/3/r.json"
DRIFT = "dataset drift (share 0.600 ≥ 0.5) in the report of"


def triage_case(
    *reports: MonitoringReport,
    signoffs: tuple[SignOff, ...] = (),
    sources: Iterable[str] = ("evidently",),
) -> Outcome:
    v = f.version()
    ev = bundle(model_versions=(v,), reports=reports, signoffs=signoffs)
    return run_check("anomalies_triaged", ev, Subject(SYS, v), sources=sources)


def review(signed: str, *anomalies: str, kind: str = "anomaly_review") -> SignOff:
    return replace(
        f.signoff(kind, version_="3", signed=signed, expires=None, id_="AR-1"),
        anomalies=anomalies,
    )


def test_no_anomaly_is_no_occurrence_where_monitoring_is_of_record() -> None:
    for sources in ({"evidently"}, {"openlineage"}, {"mlflow", "openlineage", "evidently"}):
        outcome = triage_case(f.report(), sources=sources)
        assert outcome.status == "no_occurrence", sources
        assert outcome.reasons == (
            "no anomaly was detected for credit-default-scorer@3: nothing to triage",
        )
    # Without a report or lineage of the version nothing could have been detected, even
    # where other versions are monitored.
    for sources in ({"mlflow"}, {"mlflow", "evidently"}):
        blind = triage_case(sources=sources)
        assert blind.status == "not_evidenced"
        assert blind.reasons == (
            "no monitoring report or lineage of credit-default-scorer@3 to detect anomalies in",
        )


def test_a_triage_later_than_the_deadline_is_an_observation() -> None:
    outcome = triage_case(f.report(share=0.6), signoffs=(review("2026-11-19", DRIFT_ID),))
    assert outcome.status == "observation"
    assert outcome.reasons == (
        f"{DRIFT} 2026-11-01 ({DRIFT_ID}): detected 2026-11-01, triaged by AR-1 on "
        "2026-11-19, later than 14 days",
    )


def test_drift_not_yet_triaged_within_the_deadline_is_an_observation() -> None:
    outcome = triage_case(f.report(timestamp="2026-11-10T00:00:00", share=0.6))
    assert outcome.status == "observation"
    assert outcome.reasons == (
        f"{DRIFT} 2026-11-10 ({DRIFT_ID}): detected 2026-11-10, not triaged yet (4 day(s) left)",
    )


def test_drift_untriaged_past_the_deadline_is_an_exception() -> None:
    outcome = triage_case(f.report(share=0.6))  # detected 2026-11-01, 19 days before
    assert outcome.status == "exception"
    assert outcome.reasons == (
        f"{DRIFT} 2026-11-01 ({DRIFT_ID}): detected 2026-11-01, not triaged within 14 days",
    )
    assert outcome.fix.startswith("file an anomaly_review sign-off for the version")
    v = f.version()
    ev = bundle(model_versions=(v,), reports=(f.report(share=0.6),))
    relaxed = run_check(
        "anomalies_triaged", ev, Subject(SYS, v), sources={"evidently"}, within_days=30
    )
    assert relaxed.status == "observation"


def test_a_review_naming_the_anomaly_triages_it() -> None:
    outcome = triage_case(f.report(share=0.6), signoffs=(review("2026-11-05", DRIFT_ID),))
    assert outcome.status == "no_exception"
    assert outcome.reasons == (f"{DRIFT} 2026-11-01 ({DRIFT_ID}): triaged by AR-1 on 2026-11-05",)
    assert outcome.citations[-1].file == "signoffs/s.yaml"


@pytest.mark.parametrize(
    "signoff",
    [
        review("2026-11-05", "drift:monitoring/another.json"),
        review("2026-11-05", DRIFT_ID, kind="risk_assessment"),
        review("2026-11-25", DRIFT_ID),  # after the evaluation date
    ],
    ids=["other-anomaly", "other-kind", "dated-ahead"],
)
def test_a_signoff_that_is_no_current_review_of_it_does_not_triage_it(signoff: SignOff) -> None:
    outcome = triage_case(f.report(share=0.6), signoffs=(signoff,))
    assert outcome.status == "exception"


@pytest.mark.parametrize(
    ("signed", "expires", "status", "reasons"),
    [
        (
            "2026-10-01",
            "2027-10-01",
            "no_exception",
            ("risk assessment S-1 signed by Dana (CRO) on 2026-10-01",),
        ),
        (
            "2025-10-01",
            "2026-10-01",
            "exception",
            ("risk assessment S-1 signed by Dana (CRO) on 2025-10-01: expired on 2026-10-01",),
        ),
        (
            "2026-10-01",
            "2026-11-25",
            "observation",
            ("risk assessment S-1 signed by Dana (CRO) on 2026-10-01: expires on 2026-11-25",),
        ),
        (
            "2026-12-01",
            None,
            "not_assessed",
            (
                "no risk assessment sign-off for credit-default-scorer",
                "sign-off S-1 (signoffs/s.yaml) is dated 2026-12-01, after the evaluation "
                "date 2026-11-20: not counted",
            ),
        ),
    ],
    ids=["current", "expired", "expiring", "dated-ahead"],
)
def test_signoff_present(
    signed: str, expires: str | None, status: str, reasons: tuple[str, ...]
) -> None:
    ev = bundle(registered_models=(SYS,), signoffs=(f.signoff(signed=signed, expires=expires),))
    outcome = run_check("signoff_present", ev, Subject(SYS), kind="risk_assessment")
    assert (outcome.status, outcome.reasons) == (status, reasons)


def test_a_signoff_dated_ahead_is_flagged_beside_a_current_one() -> None:
    current = f.signoff(signed="2026-10-01")
    ahead = f.signoff(signed="2026-12-01", id_="S-2")
    ev = bundle(registered_models=(SYS,), signoffs=(current, ahead))
    outcome = run_check("signoff_present", ev, Subject(SYS), kind="risk_assessment")
    assert outcome.status == "observation"
    assert outcome.reasons == (
        "risk assessment S-1 signed by Dana (CRO) on 2026-10-01",
        "sign-off S-2 (signoffs/s.yaml) is dated 2026-12-01, after the evaluation "
        "date 2026-11-20: not counted",
    )
    assert outcome.fix == "correct the date"


def test_missing_signoff_is_not_assessed() -> None:
    outcome = run_check("signoff_present", bundle(), Subject(SYS), kind="human_oversight_plan")
    assert outcome.status == "not_assessed"
    assert outcome.reasons == ("no human oversight plan sign-off for credit-default-scorer",)


def test_signoff_max_age() -> None:
    ev = bundle(signoffs=(f.signoff(signed="2025-01-01", expires=None),))
    outcome = run_check(
        "signoff_present", ev, Subject(SYS), kind="risk_assessment", max_age_days=365
    )
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "risk assessment S-1 signed by Dana (CRO) on 2025-01-01: 688 days old, "
        "over the 365-day limit",
    )


def test_version_check_on_a_system_is_not_applicable() -> None:
    assert run_check("signature_present", bundle(), Subject(SYS)).status == "not_applicable"


def test_combine_keeps_the_worst() -> None:
    def of(*statuses: Status) -> Status:
        return combine([Outcome(s, ()) for s in statuses])

    # An observation is never masked by not_assessed.
    assert of("no_exception", Status.OBSERVATION, Status.NOT_ASSESSED) == "observation"
    assert of("no_exception", Status.NOT_ASSESSED) == "not_assessed"
    assert of("no_exception", Status.EXCEPTION) == "exception"
    assert of(Status.OBSERVATION, "not_evidenced", Status.EXCEPTION) == "exception"
    assert of(Status.EXCEPTION, Status.ERROR) == "error"
    assert of(Status.NOT_APPLICABLE, "no_exception") == "no_exception"
    assert of() == "not_applicable"


def test_every_check_is_documented() -> None:
    for name, spec in library().items():
        assert spec.summary, f"check {name} has no docstring"
        assert spec.subject in {"system", "version", "any"}


def test_expiry_warning_days_come_from_the_config() -> None:
    ev = bundle(registered_models=(SYS,), signoffs=(f.signoff(expires="2026-12-10"),))
    config = replace(Config(), warn_days=30)
    context = CheckContext(ev, Index(ev, config), config, AS_OF, expiry_warning_days=30)
    outcome = library()["signoff_present"].run(Subject(SYS), context, {"kind": "risk_assessment"})
    assert outcome.status == "observation"
    context.expiry_warning_days = 14
    outcome = library()["signoff_present"].run(Subject(SYS), context, {"kind": "risk_assessment"})
    assert outcome.status == "no_exception"


def _lineage_case(*runs: object) -> Outcome:
    evidence = bundle(
        registered_models=(SYS,),
        model_versions=(f.version(),),
        mlflow_runs=(f.run(inputs=(f.dataset_input("/data/train.parquet"),)),),
        lineage_runs=runs,
    )
    return run_check("training_lineage_complete", evidence, Subject(SYS, f.version()))


def test_training_lineage_names_the_basis_of_its_link() -> None:
    outcome = _lineage_case(f.lineage_run("a", reads=("/data/train.parquet",)))
    assert outcome.status == "no_exception"
    assert outcome.reasons[-1] == (
        "training run link: train_a run a by dataset+time (read file:/data/train.parquet; "
        "MLflow run 2026-06-01T09:00:00+00:00 to 2026-06-01T09:30:00+00:00 inside "
        "OpenLineage run 2026-06-01T08:55:00+00:00 to 2026-06-01T09:35:00+00:00)"
    )


def test_training_lineage_says_why_two_matching_runs_give_no_link() -> None:
    outcome = _lineage_case(
        f.lineage_run("a", reads=("/data/train.parquet",)),
        f.lineage_run("b", reads=("/data/train.parquet",), start="2026-06-01T08:00:00"),
    )
    assert outcome.status == "not_evidenced"
    assert outcome.reasons[0] == (
        "MLflow run run1 matches 2 OpenLineage runs alike by dataset+time (train_a a, train_b b), "
        "so none is linked: tag the training run (mlflow.run_id or openlineage.run_id)"
    )


def test_training_lineage_by_the_model_the_run_wrote() -> None:
    outcome = _lineage_case(
        f.lineage_run("w", reads=("/data/x.parquet",), writes=("/models/credit",)),
    )
    assert outcome.status == "not_evidenced"  # the version's source is models:/m-1
    evidence = bundle(
        registered_models=(SYS,),
        model_versions=(replace(f.version(), source="file:///models/credit"),),
        mlflow_runs=(f.run(),),
        lineage_runs=(f.lineage_run("w", reads=("/data/x.parquet",), writes=("/models/credit",)),),
    )
    outcome = run_check("training_lineage_complete", evidence, Subject(SYS, f.version()))
    assert outcome.status == "no_exception"
    assert outcome.reasons[-1] == (
        "training run link: train_w run w by output (wrote file:/models/credit)"
    )


# ---------------------------------------------------------------- unavailable objects

LOG_ENTRY = Citation("mlflow/collection-log.json", "/calls/7", "ab" * 32)
PURGED = Unavailable(
    "run",
    "r1",
    ("credit@1",),
    "HTTP 404",
    "RESOURCE_DOES_NOT_EXIST: Run with id=r1 not found",
    "GET http://mlflow/api/2.0/mlflow/runs/get?run_id=r1",
    LOG_ENTRY,
)
SAID = (
    "MLflow run r1 is unavailable: the export's call GET "
    "http://mlflow/api/2.0/mlflow/runs/get?run_id=r1 answered HTTP 404 "
    "(RESOURCE_DOES_NOT_EXIST: Run with id=r1 not found)"
)


def test_an_unavailable_record_makes_a_passing_check_not_evidenced_and_cites_the_log() -> None:
    passing = Outcome(Status.NO_EXCEPTION, ("approved by 'ana'",), (f.cite("a.json"),))
    got = with_gaps("production_version_approved", passing, [PURGED])
    assert (got.status, got.reasons) == (Status.NOT_EVIDENCED, (SAID, "approved by 'ana'"))
    assert got.citations == (f.cite("a.json"), LOG_ENTRY)
    assert got.cause == "unavailable:run:r1"


def test_an_exception_in_what_was_collected_stays_one_an_absence_does_not() -> None:
    found = Outcome(Status.EXCEPTION, ("approved before the version was created",), (), cause="x")
    kept = with_gaps("production_version_approved", found, [PURGED])
    assert kept.status is Status.EXCEPTION
    assert kept.reasons == ("approved before the version was created", SAID)
    assert kept.citations == (LOG_ENTRY,)
    absent = Outcome(Status.EXCEPTION, ("the training run logged no metrics",))
    capped = with_gaps("evaluation_metrics_logged", absent, [PURGED])
    assert capped.status is Status.NOT_EVIDENCED
    assert capped.reasons == (SAID, "without it: the training run logged no metrics")
    no_run = Outcome(Status.EXCEPTION, ("no training run",), cause="lineage:no-training-run:c@1")
    assert with_gaps("training_lineage_complete", no_run, [PURGED]).status is (Status.NOT_EVIDENCED)
    na = Outcome(Status.NOT_APPLICABLE, ("not served",))
    assert with_gaps("serving_skew_absent", na, [PURGED]) is na
