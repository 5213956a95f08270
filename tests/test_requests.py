"""Findings by root cause and the evidence request list, on the demo evidence."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from conftest import REPO

from mldossier.config import load_config
from mldossier.evaluate.verdicts import Results, finding_order
from mldossier.pipeline import analyse
from mldossier.render.requests import (
    REQUEST_COLUMNS,
    request_list,
    requests_csv,
    root_causes,
)
from mldossier.status import Status

CONFIG = REPO / "mldossier.yaml"


def results_at(day: date, readiness: bool = True) -> Results:
    return analyse(load_config(CONFIG), as_of=day, readiness=readiness).results


@pytest.fixture(scope="module")
def demo() -> Results:
    """The demo in readiness mode: the EU high-risk obligations evaluated as they will apply,
    so one root cause reaches across both frameworks."""
    return results_at(date(2026, 12, 2))


def test_one_missing_link_is_one_finding_with_every_control_it_affects(demo: Results) -> None:
    groups = {g.cause: g for g in root_causes(demo)}
    # income-verifier@2's only report predates the version: one cause, many monitoring controls
    stale = groups["monitoring:income-verifier@2"]
    assert stale.status == "exception"
    assert {"EUAIA-72", "EUAIA-26-5", "SOC2-CC7-2", "SOC2-PI1-4"} <= set(stale.controls)
    assert stale.frameworks == ("EU AI Act", "SOC 2")
    assert stale.subjects == ("income-verifier@2",)
    # every verdict that names the cause is in the group, and no other
    named = [v for v in demo.verdicts if "monitoring:income-verifier@2" in v.causes]
    assert len(stale.verdicts) == len(named) > 4
    # worst first
    ranks = [g.status.rank for g in root_causes(demo)]
    assert ranks == sorted(ranks)


def test_a_verdict_gives_a_reason_once_per_cause(demo: Results) -> None:
    for v in demo.verdicts:
        assert len(v.reasons) == len(set(v.reasons)), v.key
        assert len(v.causes) == len(set(v.causes)), v.key


def test_the_request_list_has_a_row_per_missing_evidence_and_judgement(demo: Results) -> None:
    rows = request_list(demo)
    wanted = [v for v in demo.verdicts if v.status in ("not_evidenced", "not_assessed")]
    assert len(rows) == len(wanted) > 0
    assert {r["verdict"] for r in rows} == {"not_evidenced", "not_assessed"}
    assert len({r["id"] for r in rows}) == len(rows)
    owner = next(r for r in rows if r["system"] == "income-verifier")
    assert owner["owner"] == "onboarding-analytics@northwind.example"
    assert all(r["status"] == "open" and r["needed"] for r in rows)


def test_request_ids_are_stable_across_runs_and_dates(demo: Results) -> None:
    later = results_at(date(2026, 12, 9))
    ids = {(r["control"], r["system"], r["version"]): r["id"] for r in request_list(demo)}
    again = {(r["control"], r["system"], r["version"]): r["id"] for r in request_list(later)}
    shared = ids.keys() & again.keys()
    assert shared and all(ids[k] == again[k] for k in shared)
    assert request_list(results_at(date(2026, 12, 2))) == request_list(demo)


def test_the_csv_has_the_columns_and_defuses_formulas(demo: Results) -> None:
    rows = request_list(demo)
    rows[0] = {**rows[0], "why": "=HYPERLINK(1)"}
    text = requests_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(parsed[0]) == REQUEST_COLUMNS
    assert len(parsed) == len(rows)
    assert parsed[0]["why"] == "'=HYPERLINK(1)"


def test_findings_lead_with_exceptions_on_production_high_risk_systems(demo: Results) -> None:
    # credit-default-scorer and income-verifier are high-risk 5(b) with versions in production
    assert demo.priority == {"credit-default-scorer", "income-verifier"}
    tiers = [finding_order(v, demo.priority)[0] for v in demo.failing]
    assert tiers == sorted(tiers)
    lead = [v for v in demo.failing if finding_order(v, demo.priority)[0] == 0]
    assert lead and demo.failing[: len(lead)] == lead
    assert all(v.status == "exception" and v.system in demo.priority for v in lead)
    # formal nonconformities come next (the demo files no declaration, marking or registration)
    formal = [v for v in demo.failing if v.status == "formal_nonconformity"]
    assert formal and demo.failing[len(lead) : len(lead) + len(formal)] == formal
    # an exception on the minimal-risk marketing model comes after every high-risk exception
    marketing = [v for v in demo.failing if v.system == "marketing-propensity"]
    assert marketing and all(v.status == "exception" for v in marketing[:1])
    assert demo.failing.index(marketing[0]) >= len(
        [v for v in demo.failing if v.status == "exception" and v.system in demo.priority]
    )


def test_a_formal_nonconformity_comes_before_other_exceptions() -> None:
    demo = results_at(date(2026, 12, 2))
    exc = next(v for v in demo.failing if v.system == "marketing-propensity")
    fnc = replace(exc, status=Status.FORMAL_NONCONFORMITY, subject="x")
    prio = next(v for v in demo.failing if v.system in demo.priority)
    ordered = sorted([exc, fnc, prio], key=lambda v: finding_order(v, demo.priority))
    assert ordered == [prio, fnc, exc]


def test_a_root_cause_has_its_own_status_and_reason(demo: Results) -> None:
    groups = {g.cause: g for g in root_causes(demo)}
    # the missing data-quality facet is supporting evidence: not evidenced, though the
    # verdicts it is part of are exceptions because of the renamed serving column
    facet = groups["lineage:no-quality-assertions:income-verifier@2"]
    assert facet.status == "not_evidenced"
    assert any(v.status == "exception" for v in facet.verdicts)
    assert facet.summary == "no data-quality assertions are recorded for the training data"
    # the summary is the cause's own reason, not the first reason of the verdict
    stale = groups["monitoring:income-verifier@2"]
    assert stale.summary == "latest report is from 2026-05-11, 205 days old; the limit is 30 days"
    assert stale.verdicts[0].reasons[0] != stale.summary
