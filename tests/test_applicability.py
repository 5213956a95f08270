"""Which obligations apply to a system, and from when: profiles, scopes, dates, Art. 111(2).

The scoping is tested on a matrix of crafted systems against the bundled EU AI Act catalog's
own controls, and end to end on the demo: as of today the Annex III obligations are not yet
applicable, with what they would be; ``--readiness`` shows them as they will be.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import factories as f
import pytest
from conftest import REPO

from mldossier.config import Config, EuAiAct, Soc2, load_config
from mldossier.evaluate.applicability import Profile, profile_of
from mldossier.evaluate.catalog import Catalog, Control, default_catalog_paths, load_catalog
from mldossier.evaluate.verdicts import (
    ORGANISATION,
    Verdict,
    _scope_reason,
    dated,
    soc2_scope_reason,
)
from mldossier.model import ModelVersion
from mldossier.pipeline import analyse
from mldossier.status import Status

TODAY = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def eu() -> Catalog:
    return load_catalog(default_catalog_paths()[0])


def control(catalog: Catalog, cid: str) -> Control:
    return next(c for c in catalog.controls if c.id == cid)


DEFAULTS = Config()


def profile(
    config: Config = DEFAULTS, versions: tuple[ModelVersion, ...] = (), **tags: str | None
) -> Profile:
    clean = {k: v for k, v in tags.items() if v is not None}
    model = f.system(**clean)
    for key in [k for k, v in tags.items() if v is None]:
        model.tags.pop(key, None)
    return profile_of(model, list(versions), config)


CREDIT = {"eu_ai_act_category": "high-risk", "annex_iii_point": "5(b)"}
FRAUD = {"eu_ai_act_category": "not-high-risk", "annex_iii_point": None}
DEROGATION = {"eu_ai_act_category": "not-high-risk", "annex_iii_point": "4(a)"}
CHATBOT = {
    "eu_ai_act_category": "not-high-risk",
    "annex_iii_point": None,
    "eu_ai_act_flags": "interacts_with_persons, generates_synthetic_content",
}


@pytest.mark.parametrize(
    ("cid", "tags", "applies"),
    [
        # Arts 4 and 5 apply to every system, whatever its class
        ("EUAIA-4", CREDIT, True),
        ("EUAIA-4", FRAUD, True),
        ("EUAIA-5", FRAUD, True),
        ("EUAIA-5", {"eu_ai_act_category": "prohibited", "annex_iii_point": None}, True),
        # the social-scoring test is for credit scoring only
        ("EUAIA-5-1-C", CREDIT, True),
        ("EUAIA-5-1-C", FRAUD, False),
        # Art. 50 by flag
        ("EUAIA-50-1", CHATBOT, True),
        ("EUAIA-50-1", FRAUD, False),
        ("EUAIA-50-2", CHATBOT, True),
        ("EUAIA-5-1-BA", CHATBOT, True),
        ("EUAIA-5-1-BA", CREDIT, False),
        # high-risk obligations
        ("EUAIA-9", CREDIT, True),
        ("EUAIA-9", FRAUD, False),
        ("EUAIA-9", DEROGATION, False),
        # the Art. 6(3) derogation has its own registration
        ("EUAIA-49-2", DEROGATION, True),
        ("EUAIA-49-2", CREDIT, False),
        ("EUAIA-49", CREDIT, True),
        # FRIA and its notification: deployers of 5(b)/5(c) systems
        ("EUAIA-27-3", CREDIT, True),
        ("EUAIA-27-3", {**CREDIT, "annex_iii_point": "4(a)"}, False),
        # the financial-institution variants need the organisation flag
        ("EUAIA-17-4", CREDIT, False),
        # GPAI by flag
        ("EUAIA-53", CREDIT, False),
        ("EUAIA-53", {**FRAUD, "eu_ai_act_flags": "gpai_model"}, True),
        ("EUAIA-55", {**FRAUD, "eu_ai_act_flags": "gpai_model"}, False),
        ("EUAIA-4A", {**FRAUD, "eu_ai_act_flags": "special_category_data_for_bias"}, True),
        ("EUAIA-4A", CREDIT, False),
    ],
)
def test_each_control_s_scope_on_a_matrix_of_systems(
    eu: Catalog, cid: str, tags: dict[str, str | None], applies: bool
) -> None:
    reason = _scope_reason(control(eu, cid), profile(**tags))
    assert (reason is None) is applies, reason


def test_roles_and_organisation_flags_come_from_tags_and_config(eu: Catalog) -> None:
    deployer_only = profile(**CREDIT, eu_ai_act_roles="deployer")
    assert deployer_only.roles == ("deployer",)
    why = _scope_reason(control(eu, "EUAIA-16-B"), deployer_only)
    assert why == (
        "applies to the provider; for credit-default-scorer the organisation is deployer "
        "(tag 'eu_ai_act_roles')"
    )
    assert _scope_reason(control(eu, "EUAIA-26-9"), deployer_only) is None
    lender = Config(eu_ai_act=EuAiAct(flags=("financial_institution",)))
    assert _scope_reason(control(eu, "EUAIA-17-4"), profile(lender, **CREDIT)) is None
    # a per-system entry in the config overrides the tags
    entry = Config(eu_ai_act=EuAiAct(systems={"credit-default-scorer": {"roles": ["importer"]}}))
    assert profile(entry, **CREDIT, eu_ai_act_roles="provider").roles == ("importer",)
    # an unclassified system is not taken out of the high-risk obligations
    unclassified = profile(eu_ai_act_category=None, annex_iii_point=None)
    assert _scope_reason(control(eu, "EUAIA-9"), unclassified) is None


def verdict_of(c: Control, status: Status = Status.EXCEPTION) -> Verdict:
    return Verdict(
        c,
        "credit-default-scorer",
        "system",
        "credit-default-scorer",
        status,
        ("what the check found",),
        (),
        "fix it",
        (),
    )


def test_before_its_date_an_obligation_is_not_yet_applicable_with_what_it_would_be(
    eu: Catalog,
) -> None:
    risk = control(eu, "EUAIA-9")
    out = dated(verdict_of(risk), risk, profile(**CREDIT), Config(), TODAY, readiness=False)
    assert (out.status, out.readiness) == (Status.NOT_YET_APPLICABLE, Status.EXCEPTION)
    assert out.reasons[0] == (
        "applies from 2027-12-02 (Art. 113, third paragraph, point (c), as replaced by "
        "Regulation (EU) 2026/1744); as evaluated now it would be: exception"
    )
    assert out.reasons[1:] == ("what the check found",)
    # readiness: as if it applied, the date said first
    ready = dated(verdict_of(risk), risk, profile(**CREDIT), Config(), TODAY, readiness=True)
    assert ready.status is Status.EXCEPTION and ready.reasons[0].startswith(
        "readiness: applies from"
    )
    # on the date it applies
    on = dated(
        verdict_of(risk),
        risk,
        profile(**CREDIT),
        Config(),
        datetime(2027, 12, 2, tzinfo=UTC),
        readiness=False,
    )
    assert on.status is Status.EXCEPTION
    # an Annex I product gets the later date
    product = profile(**{**CREDIT, "annex_iii_point": None}, eu_ai_act_flags="annex_i_product")
    assert product.route == "annex_i"
    later = dated(
        verdict_of(risk),
        risk,
        product,
        Config(),
        datetime(2028, 1, 10, tzinfo=UTC),
        readiness=False,
    )
    assert later.status is Status.NOT_YET_APPLICABLE and "2028-08-02" in later.reasons[0]


def test_obligations_in_force_are_decided_today(eu: Catalog) -> None:
    for cid in ("EUAIA-4", "EUAIA-5", "EUAIA-50-1"):
        c = control(eu, cid)
        out = dated(verdict_of(c), c, profile(**CHATBOT), Config(), TODAY, readiness=False)
        assert out.status is Status.EXCEPTION, cid
    new_points = control(eu, "EUAIA-5-1-BA")
    day_before = datetime(2026, 12, 1, tzinfo=UTC)
    out = dated(verdict_of(new_points), new_points, profile(**CHATBOT), Config(), day_before, False)
    assert out.status is Status.NOT_YET_APPLICABLE and "2026-12-02" in out.reasons[0]


def test_a_reading_is_said_and_the_literal_reading_can_be_chosen(eu: Catalog) -> None:
    pmm = control(eu, "EUAIA-72")
    out = dated(verdict_of(pmm), pmm, profile(**CREDIT), Config(), TODAY, readiness=False)
    assert out.status is Status.NOT_YET_APPLICABLE
    assert "on a reading of an unsettled point" in out.reasons[0]
    literal = Config(eu_ai_act=EuAiAct(literal_readings=True))
    out = dated(verdict_of(pmm), pmm, profile(literal, **CREDIT), literal, TODAY, readiness=False)
    assert out.status is Status.EXCEPTION  # from 2026-08-02 on the literal reading


def test_art_111_2_a_legacy_system_is_caught_only_by_a_significant_design_change(
    eu: Catalog,
) -> None:
    risk = control(eu, "EUAIA-9")
    later = datetime(2028, 3, 1, tzinfo=UTC)
    legacy = profile(**CREDIT, placed_on_market="2027-06-01")
    out = dated(verdict_of(risk), risk, legacy, Config(), later, readiness=False)
    assert out.status is Status.NOT_APPLICABLE
    assert out.reasons[0].startswith(
        "Art. 111(2): credit-default-scorer was placed on the market on 2027-06-01"
    )
    changed = f.version(created="2028-01-15T10:00:00", significant_design_change="true")
    caught = profile(versions=(changed,), **CREDIT, placed_on_market="2027-06-01")
    assert caught.significant_change == date(2028, 1, 15)
    assert dated(verdict_of(risk), risk, caught, Config(), later, False).status is Status.EXCEPTION
    # placed on the market after the date: caught as any new system
    new = profile(**CREDIT, placed_on_market="2028-01-01")
    assert dated(verdict_of(risk), risk, new, Config(), later, False).status is Status.EXCEPTION
    # intended for public authorities: caught by 2030-08-02 in any case
    public = profile(
        **CREDIT, placed_on_market="2027-06-01", eu_ai_act_flags="intended_for_public_authorities"
    )
    assert (
        dated(verdict_of(risk), risk, public, Config(), later, False).status
        is Status.NOT_APPLICABLE
    )
    stop = datetime(2030, 8, 2, tzinfo=UTC)
    assert dated(verdict_of(risk), risk, public, Config(), stop, False).status is Status.EXCEPTION


def test_soc2_categories_and_boundary_come_from_the_config() -> None:
    soc2 = load_catalog(default_catalog_paths()[1])
    c = replace(soc2.controls[0], scope=replace(soc2.controls[0].scope, category="privacy"))
    assert soc2_scope_reason(c, Config(), None) == (
        "the Privacy category is not in the examination's scope (soc2.categories in "
        "mldossier.yaml: management's choice)"
    )
    assert soc2_scope_reason(c, Config(soc2=Soc2(categories=("security", "privacy"))), None) is None
    inside = replace(c, scope=replace(c.scope, category="security", boundary=True))
    bounded = Config(soc2=Soc2(boundary=("credit-default-scorer",)))
    assert soc2_scope_reason(inside, bounded, "credit-default-scorer") is None
    assert "outside the system boundary" in (soc2_scope_reason(inside, bounded, "churn") or "")


@pytest.fixture(scope="module")
def demo_today():  # type: ignore[no-untyped-def]
    return analyse(load_config(REPO / "mldossier.yaml"), as_of=date(2026, 12, 2)).results


def test_on_the_demo_annex_iii_obligations_are_readiness_and_arts_4_5_apply(demo_today) -> None:  # type: ignore[no-untyped-def]
    eu = [v for v in demo_today.verdicts if v.control.framework == "EU AI Act"]
    credit = [v for v in eu if v.system == "credit-default-scorer"]
    high = [
        v
        for v in credit
        if v.control.applicability and v.control.applicability.entry == "high-risk"
    ]
    high = [v for v in high if v.status is not Status.NOT_APPLICABLE]  # e.g. no workplace use
    assert high and {v.status for v in high} == {Status.NOT_YET_APPLICABLE}
    assert all(v.reasons[0].startswith("applies from 2027-12-02") for v in high)
    # no EU exception today: a readiness gap is not non-compliance
    assert not [v for v in eu if v.status in (Status.EXCEPTION, Status.FORMAL_NONCONFORMITY)]
    # Arts 4 and 5 are decided for every system, the minimal-risk one included
    for system in ("card-fraud-detector", "marketing-propensity", "credit-default-scorer"):
        for cid in ("EUAIA-4", "EUAIA-5"):
            v = next(x for x in eu if x.control.id == cid and x.subject == system)
            assert v.status not in (Status.NOT_APPLICABLE, Status.NOT_YET_APPLICABLE), (cid, system)
    # the lender's credit model shows the financial-institution variants
    fi = {v.control.id for v in credit if v.status is not Status.NOT_APPLICABLE}
    assert {"EUAIA-17-4", "EUAIA-26-5-FI", "EUAIA-72-4", "EUAIA-74-6"} <= fi
    marketing = next(
        v for v in eu if v.control.id == "EUAIA-17-4" and v.system == "marketing-propensity"
    )
    assert marketing.status is Status.NOT_APPLICABLE


def test_readiness_shows_the_high_risk_verdicts_as_they_will_be(demo_today) -> None:  # type: ignore[no-untyped-def]
    ready = analyse(
        load_config(REPO / "mldossier.yaml"), as_of=date(2026, 12, 2), readiness=True
    ).results
    assert ready.readiness and not demo_today.readiness
    now = {v.key: v for v in demo_today.verdicts}
    for v in ready.verdicts:
        before = now[v.key]
        if before.status is Status.NOT_YET_APPLICABLE:
            assert v.status == before.readiness, v.key
    # the formal items that are missing are formal nonconformities once they apply (the demo
    # files declarations of conformity, but no CE marking or registration record)
    formal = {v.control.id for v in ready.verdicts if v.status is Status.FORMAL_NONCONFORMITY}
    assert {"EUAIA-48", "EUAIA-49"} <= formal and "EUAIA-47" not in formal
    assert not [
        v
        for v in ready.verdicts
        if v.subject == ORGANISATION and v.status is Status.NOT_YET_APPLICABLE
    ]


def test_logging_is_judged_on_operating_logs_and_their_span() -> None:
    ready = analyse(
        load_config(REPO / "mldossier.yaml"), as_of=date(2026, 12, 2), readiness=True
    ).results
    by = {v.key: v for v in ready.verdicts}
    # v3 serves since October: its serving events are its operating logs, and cover its life
    v3 = by["EUAIA-12::credit-default-scorer@3"]
    assert v3.status is Status.NO_EXCEPTION
    assert "serving run(s) log the use of credit-default-scorer@3 from" in v3.reasons[1]
    # v2 exists for more than six months, its serving events reach back less: worth a look
    v2 = by["EUAIA-19::credit-default-scorer@2"]
    assert Status.OBSERVATION in {c.status for c in v2.checks}
    assert any("the export reaches back less" in r for r in v2.reasons)
    # Art. 12 no longer counts training lineage as operating logs
    assert {c.check for c in v3.checks} == {"operating_logs_retained"}


def test_a_criterion_outside_the_tool_s_coverage_is_not_assessed_never_not_applicable(
    demo_today,  # type: ignore[no-untyped-def]
) -> None:
    outside = [v for v in demo_today.verdicts if v.control.mode == "outside_tool_coverage"]
    assert {v.control.id for v in outside} >= {"SOC2-CC1-2"}
    common = [v for v in outside if v.control.reference.startswith("CC")]
    assert common and {v.status for v in common} == {Status.NOT_ASSESSED}
    assert all(v.reasons[0].startswith("outside the tool's coverage") for v in common)
    # a category out of the examination's scope is not applicable, with management's choice
    privacy = [v for v in demo_today.verdicts if v.control.scope.category == "privacy"]
    assert privacy and {v.status for v in privacy} == {Status.NOT_APPLICABLE}
    assert "management's choice" in privacy[0].reasons[0]
