"""The bundled ISO/IEC 42001 and NIST AI RMF catalogs: schema, completeness, crosswalks, demo run.

The id lists come from section E of the reference list (``regulation.md``), parsed here, so
a catalog cannot drop a control or cite one the reference does not list. The crosswalk of
all four bundled catalogs is shown on both sides whichever side lists a pair.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from functools import cache
from typing import Any

import pytest
from test_catalogs import (
    CHECK_LIBRARY,
    DASH,
    REPO,
    _compact_line,
    reference_problem,
    regulation_text,
    valid_references,
)
from test_catalogs import catalog as eu_or_soc2_catalog

from mldossier.config import DEFAULT_CATALOGS, bundled_catalogs, load_config
from mldossier.evaluate.catalog import load_catalog
from mldossier.evaluate.checks import library
from mldossier.evaluate.verdicts import Results
from mldossier.formats.schema import schema_problems
from mldossier.formats.yaml import parse_yaml_text
from mldossier.pipeline import analyse
from mldossier.render.dossier import build_dossier
from mldossier.render.results_json import crosswalk
from mldossier.render.site.pages import SiteIndex
from mldossier.status import Status

FILES = {
    "iso-42001": REPO / "controls" / "iso-42001.yaml",
    "nist-ai-rmf": REPO / "controls" / "nist-ai-rmf.yaml",
}
PREFIXES = {"iso-42001": "ISO42001-", "nist-ai-rmf": "NISTRMF-"}
ALL_FOUR = ("eu-ai-act", "soc2", "iso-42001", "nist-ai-rmf")
ISO_REF = re.compile(r"A\.\d+(?:\.\d+)+")
NIST_REF = re.compile(r"(?:GOVERN|MAP|MEASURE|MANAGE) \d+")


# ---------------------------------------------------------------- reading section E


def _iso_ids(body: str) -> set[str]:
    """``A.2.2–A.2.4, A.6.1.2–A.6.1.3`` as the individual control ids."""
    ids: set[str] = set()
    for item in (part.strip() for part in body.split(",")):
        match = re.fullmatch(rf"(A(?:\.\d+)+)\.(\d+)(?:{DASH}\1\.(\d+))?", item)
        assert match, f"unreadable ISO/IEC 42001 list item {item!r}"
        stem, first, last = match.group(1), int(match.group(2)), match.group(3)
        ids.update(f"{stem}.{n}" for n in range(first, int(last or first) + 1))
    return ids


def _nist_ids(body: str) -> set[str]:
    """``GOVERN 1–6, MAP 1–5`` as the individual category ids."""
    ids: set[str] = set()
    for item in (part.strip() for part in body.split(",")):
        match = re.fullmatch(rf"([A-Z]+) (\d+)(?:{DASH}(\d+))?", item)
        assert match, f"unreadable NIST AI RMF list item {item!r}"
        function, first, last = match.group(1), int(match.group(2)), match.group(3)
        ids.update(f"{function} {n}" for n in range(first, int(last or first) + 1))
    return ids


@cache
def iso_ids() -> frozenset[str]:
    """The 38 Annex A ids regulation.md section E lists."""
    return frozenset(_iso_ids(_compact_line(regulation_text(), "ISO/IEC 42001 Annex A (38)")))


@cache
def nist_ids() -> frozenset[str]:
    """The 19 category ids regulation.md section E lists."""
    return frozenset(_nist_ids(_compact_line(regulation_text(), "NIST AI RMF categories (19)")))


def citation_problem(reference: str) -> str | None:
    """Why ``reference`` is no valid citation in any of the four frameworks (None: it is)."""
    if ISO_REF.fullmatch(reference):
        return None if reference in iso_ids() else "not one of the 38 Annex A controls"
    if NIST_REF.fullmatch(reference):
        return None if reference in nist_ids() else "not one of the 19 categories"
    return reference_problem(reference, valid_references(regulation_text()))


def framework_of(reference: str) -> str:
    """Which bundled catalog a reference belongs to, by its form."""
    if ISO_REF.fullmatch(reference):
        return "iso-42001"
    if NIST_REF.fullmatch(reference):
        return "nist-ai-rmf"
    if reference.startswith(("Art. ", "Annex ")):
        return "eu-ai-act"
    return "soc2"


# ---------------------------------------------------------------- the catalogs


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = parse_yaml_text(FILES[name].read_text("utf-8"))
    return data


def catalog(name: str) -> dict[str, Any]:
    """Any of the four bundled catalogs, parsed the way mldossier reads YAML."""
    return _load(name) if name in FILES else eu_or_soc2_catalog(name)


def controls(*names: str) -> list[tuple[str, dict[str, Any]]]:
    """The controls of the named catalogs (default: ISO and NIST), with their catalog id."""
    return [(n, c) for n in names or tuple(FILES) for c in catalog(n)["controls"]]


def references(name: str) -> set[str]:
    """The references a catalog's controls implement."""
    return {c["reference"] for c in catalog(name)["controls"]}


def test_section_e_parses_into_38_and_19_ids() -> None:
    assert len(iso_ids()) == 38
    assert {"A.2.2", "A.6.1.3", "A.6.2.8", "A.10.4"} <= iso_ids()
    assert "A.6.2.1" not in iso_ids() and "A.2.1" not in iso_ids()
    assert len(nist_ids()) == 19
    assert {"GOVERN 6", "MAP 5", "MEASURE 4", "MANAGE 4"} <= nist_ids()
    assert "GOVERN 7" not in nist_ids()


@pytest.mark.parametrize("name", sorted(FILES))
def test_catalog_validates_and_loads_with_the_check_library(name: str) -> None:
    data = catalog(name)
    assert [str(p) for p in schema_problems("catalog", data, f"controls/{name}.yaml")] == []
    assert data["catalog"]["id"] == name
    loaded = load_catalog(FILES[name], {n: spec.subject for n, spec in library().items()})
    assert loaded.id == name and len(loaded.controls) == len(data["controls"])


def test_both_ship_as_bundled_catalogs_but_are_not_defaults() -> None:
    bundled = bundled_catalogs()
    assert {"iso-42001", "nist-ai-rmf"} <= set(bundled)
    assert bundled["iso-42001"].read_bytes() == FILES["iso-42001"].read_bytes()
    assert DEFAULT_CATALOGS == ("eu-ai-act", "soc2")


def test_iso_lists_exactly_the_38_annex_a_controls_once_each() -> None:
    cited = [c["reference"] for c in catalog("iso-42001")["controls"]]
    assert sorted(cited) == sorted(iso_ids())


def test_nist_lists_exactly_the_19_categories_once_each() -> None:
    cited = [c["reference"] for c in catalog("nist-ai-rmf")["controls"]]
    assert sorted(cited) == sorted(nist_ids())


def test_control_ids_name_their_catalog_and_reference() -> None:
    for name, control in controls():
        assert control["id"].startswith(PREFIXES[name]), control["id"]
        tail = re.sub(r"[. ]", "-", control["reference"]).upper()
        assert control["id"] == PREFIXES[name] + tail, control["id"]


def test_control_ids_are_unique_across_all_four_catalogs() -> None:
    ids = [c["id"] for _, c in controls(*ALL_FOUR)]
    assert len(ids) == len(set(ids))


def test_every_crosswalk_entry_exists_in_the_reference_list_and_another_framework() -> None:
    wrong = []
    for name, control in controls():
        for cited in control.get("crosswalk", []):
            why = citation_problem(cited)
            if why is None and framework_of(cited) == name:
                why = "names the control's own framework"
            elif why is None and cited not in references(framework_of(cited)):
                why = f"no control of {framework_of(cited)} implements it"
            if why:
                wrong.append(f"{control['id']}: {cited!r}: {why}")
    assert wrong == []


def test_iso_and_nist_crosswalks_are_filled_both_ways() -> None:
    listed = {
        (c["reference"], target)
        for _, c in controls()
        for target in c.get("crosswalk", [])
        if framework_of(target) in FILES
    }
    assert listed and [(a, b) for a, b in sorted(listed) if (b, a) not in listed] == []


def test_every_check_is_in_the_library_and_fits_the_subject() -> None:
    wrong = []
    for _, control in controls():
        subject = control["applies_to"]["subject"]
        for check in control.get("checks", []):
            kind = CHECK_LIBRARY.get(check["check"])
            if kind not in {subject, "either"}:
                wrong.append(f"{control['id']}: {check['check']} ({kind}) on a {subject}")
    assert wrong == []


def test_version_controls_evaluate_the_production_population() -> None:
    wrong = [
        c["id"]
        for _, c in controls()
        if c["applies_to"]["subject"] == "version" and c["applies_to"].get("stage") != "production"
    ]
    assert wrong == []


def test_modes_are_consistent_with_checks_signoffs_and_rationales() -> None:
    wrong = []
    for _, c in controls():
        mode = c["mode"]
        if mode == "outside_tool_coverage" and (c.get("checks") or "signoff" in c):
            wrong.append(f"{c['id']}: outside the tool's coverage but names evidence")
        if mode in {"outside_tool_coverage", "manual"} and not c.get("rationale"):
            wrong.append(f"{c['id']}: {mode} without a rationale")
        if mode == "manual" and (c.get("checks") or "signoff" not in c):
            wrong.append(f"{c['id']}: manual controls here are decided by a sign-off")
        if mode == "out_of_scope":
            wrong.append(f"{c['id']}: every Annex A control and RMF category applies")
    assert wrong == []


def test_every_control_says_how_it_is_tested_and_how_often() -> None:
    assert [
        c["id"] for _, c in controls() if "test_procedure" not in c or "frequency" not in c
    ] == []


def test_house_rules_are_marked_as_such() -> None:
    policies = [c["policy"] for _, c in controls() if "policy" in c]
    assert policies and all(p.startswith("House rule") for p in policies)


def test_ages_are_realistic() -> None:
    ages = [
        check["params"]["max_age_days"]
        for _, c in controls()
        for check in c.get("checks", [])
        if check["check"] == "monitoring_fresh"
    ]
    assert ages and all(30 <= age <= 90 for age in ages)
    assert {
        c.get("max_evidence_age_days")
        for _, c in controls()
        if c.get("signoff") == "risk_assessment"
    } == {365}


@pytest.mark.parametrize(
    ("reference", "checks"),
    [
        ("A.6.2.4", {"evaluation_metrics_logged"}),
        ("A.6.2.5", {"production_version_approved"}),
        ("A.6.2.6", {"monitoring_fresh", "anomalies_triaged"}),
        ("A.6.2.8", {"logging_evidence_present"}),
        ("A.7.4", {"data_quality_passed"}),
        ("A.7.5", {"training_lineage_complete", "datasets_pinned"}),
        ("A.9.4", {"intended_use_documented"}),
        ("MEASURE 2", {"monitoring_fresh", "evaluation_metrics_logged"}),
        ("MANAGE 4", {"monitoring_fresh", "anomalies_triaged"}),
    ],
)
def test_controls_with_ml_evidence_are_automated(reference: str, checks: set[str]) -> None:
    (control,) = [c for _, c in controls() if c["reference"] == reference]
    assert control["mode"] == "automated"
    assert checks <= {check["check"] for check in control["checks"]}


def test_iso_information_and_use_controls_ask_for_their_signoffs() -> None:
    signoffs = {c["reference"]: c.get("signoff") for c in catalog("iso-42001")["controls"]}
    assert signoffs["A.8.2"] == "instructions_for_use"
    assert signoffs["A.9.2"] == "human_oversight_plan"
    assert signoffs["A.5.3"] == "risk_assessment"


# ---------------------------------------------------------------- all four on the demo


@pytest.fixture(scope="module")
def four() -> tuple[Results, SiteIndex]:
    config = load_config(REPO / "mldossier.yaml")
    bundled = bundled_catalogs()
    config = dataclasses.replace(config, catalogs=tuple(bundled[n] for n in ALL_FOUR))
    analysis = analyse(config, as_of=date(2026, 12, 2))
    dossier = build_dossier(analysis.results, config, index=analysis.index)
    return analysis.results, SiteIndex(dossier)


def _pair_refs(results: Results) -> set[tuple[str, str]]:
    """The crosswalk as reference pairs, both ways round."""
    pairs = crosswalk(results)
    return {(p["left"]["reference"], p["right"]["reference"]) for p in pairs} | {
        (p["right"]["reference"], p["left"]["reference"]) for p in pairs
    }


def test_all_four_catalogs_evaluate_on_the_demo_without_errors(
    four: tuple[Results, SiteIndex],
) -> None:
    results, _ = four
    assert [c.id for c in results.catalogs] == list(ALL_FOUR)
    assert [v.key for v in results.verdicts if v.status == Status.ERROR] == []
    iso = [v for v in results.verdicts if v.control.catalog == "iso-42001"]
    assert {v.control.reference for v in iso} == set(iso_ids())
    outside = {v.status for v in iso if v.control.mode == "outside_tool_coverage"}
    assert outside == {Status.NOT_ASSESSED}


def test_the_crosswalk_joins_a_6_2_6_with_cc7_2_art_72_and_measure_2(
    four: tuple[Results, SiteIndex],
) -> None:
    pairs = _pair_refs(four[0])
    for other in ("CC7.2", "Art. 72", "MEASURE 2", "MANAGE 4"):
        assert ("A.6.2.6", other) in pairs
    assert ("CC7.2", "Art. 72") in pairs  # and the EU-SOC 2 pair is still there


def test_a_pair_listed_on_one_side_shows_on_both(four: tuple[Results, SiteIndex]) -> None:
    results, site = four
    # SOC 2's CC7.3 and the EU's Art. 72 name no ISO control; ISO's A.6.2.6 names them.
    soc2 = {c["reference"]: c for c in catalog("soc2")["controls"]}
    assert not any(ISO_REF.fullmatch(r) for r in soc2["CC7.3"].get("crosswalk", []))
    for control in ("SOC2-CC7-3", "EUAIA-72"):
        assert "ISO42001-A-6-2-6" in {p["control"] for p in site.related(control)}
    assert "SOC2-CC7-3" in {p["control"] for p in site.related("ISO42001-A-6-2-6")}
    # every pair shows on both of its controls' pages
    for pair in crosswalk(results):
        left, right = pair["left"]["control"], pair["right"]["control"]
        assert right in {p["control"] for p in site.related(left)}
        assert left in {p["control"] for p in site.related(right)}


def test_the_crosswalk_is_sorted_and_keeps_the_eu_soc2_pairs(
    four: tuple[Results, SiteIndex],
) -> None:
    pairs = crosswalk(four[0])
    keys = [(p["left"]["control"], p["right"]["control"]) for p in pairs]
    assert keys == sorted(set(keys))
    assert all(p["left"]["framework"] < p["right"]["framework"] for p in pairs)
    default = analyse(load_config(REPO / "mldossier.yaml"), as_of=date(2026, 12, 2)).results
    eu_soc2 = [
        p
        for p in pairs
        if {p["left"]["framework"], p["right"]["framework"]} == {"EU AI Act", "SOC 2"}
    ]
    assert eu_soc2 == crosswalk(default)


# ---------------------------------------------------------------- documentation


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_catalog_has_a_page_that_says_how_to_enable_it(name: str) -> None:
    page = (REPO / "docs" / f"{name}.md").read_text("utf-8")
    assert f"- {name}" in page and "catalogs:" in page
    for mode in ("automated", "manual", "outside_tool_coverage"):
        assert mode in page
    nav = (REPO / "mkdocs-docs.yml").read_text("utf-8")
    assert f"{name}.md" in nav


def test_the_docs_count_the_modes_as_the_catalogs_do() -> None:
    for name in FILES:
        page = (REPO / "docs" / f"{name}.md").read_text("utf-8")
        for mode in ("automated", "manual", "outside_tool_coverage"):
            count = sum(c["mode"] == mode for _, c in controls(name))
            assert f"{count} {mode}" in page.replace("`", ""), (name, mode, count)


def test_changelog_mentions_both_catalogs() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text("utf-8")
    unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]
    assert "iso-42001" in unreleased and "nist-ai-rmf" in unreleased
