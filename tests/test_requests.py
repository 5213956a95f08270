"""Findings by root cause and the evidence request list, on the demo evidence."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from conftest import REPO

from mldossier.config import load_config
from mldossier.evaluate.verdicts import Results
from mldossier.pipeline import analyse
from mldossier.render.requests import (
    REQUEST_COLUMNS,
    request_list,
    requests_csv,
    root_causes,
)

CONFIG = REPO / "mldossier.yaml"


def results_at(day: date) -> Results:
    return analyse(load_config(CONFIG), as_of=day).results


@pytest.fixture(scope="module")
def demo() -> Results:
    return results_at(date(2026, 12, 2))


def test_one_missing_link_is_one_finding_with_every_control_it_affects(demo: Results) -> None:
    groups = {g.cause: g for g in root_causes(demo)}
    # income-verifier@2's only report predates the version: one cause, many monitoring controls
    stale = groups["monitoring:income-verifier@2"]
    assert stale.status == "exception"
    assert {"EUAIA-72", "EUAIA-26-5", "SOC2-CC7-2", "SOC2-CC4-1"} <= set(stale.controls)
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
