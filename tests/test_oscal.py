"""OSCAL assessment results: accepted unchanged by a real OSCAL consumer, deterministic, citing."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from trestle.oscal.assessment_results import AssessmentResults

from mldossier.cli import main
from mldossier.cli.check import evidence_prefix, write_oscal
from mldossier.config import Config
from mldossier.evaluate.catalog import default_catalog_paths
from mldossier.evaluate.verdicts import Results
from mldossier.model import Citation, SourceFile, Waiver
from mldossier.pipeline import analyse
from mldossier.render.oscal import NAMESPACE, OSCAL_VERSION, dumps_oscal, evidence_href, to_oscal
from mldossier.render.requests import root_causes
from mldossier.status import STATUSES, Status

UUID5 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def evidence_from_samples(root: Path) -> Path:
    """The real MLflow, OpenLineage and Evidently exports, as one evidence folder."""
    (root / "mlflow").mkdir(parents=True)
    for path in sorted((SAMPLES / "mlflow" / "rest").glob("*.json")):
        if not path.name.startswith("error_"):  # error bodies are refused by design
            shutil.copy(path, root / "mlflow" / path.name)
    shutil.copytree(SAMPLES / "openlineage", root / "openlineage")
    shutil.copytree(SAMPLES / "evidently", root / "evidently")
    return root


AS_OF = date(2026, 11, 27)
"""The evaluation date: the day of the newest evidence in the samples."""


def evaluate_folder(root: Path) -> Results:
    """Read, link and evaluate a folder against the bundled catalogs, as of :data:`AS_OF`."""
    return analyse(Config(), root, default_catalog_paths(), as_of=AS_OF).results


@pytest.fixture(scope="module")
def evidence_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return evidence_from_samples(tmp_path_factory.mktemp("oscal") / "evidence")


@pytest.fixture(scope="module")
def results(evidence_root: Path) -> Results:
    return evaluate_folder(evidence_root)


@pytest.fixture(scope="module")
def document(results: Results) -> dict[str, Any]:
    return to_oscal(results)


def body(document: dict[str, Any]) -> dict[str, Any]:
    ar: dict[str, Any] = document["assessment-results"]
    return ar


def test_trestle_accepts_the_document_unchanged(document: dict[str, Any], tmp_path: Path) -> None:
    model = AssessmentResults.parse_obj(body(document))
    # Nothing was dropped, renamed or reformatted on the way in and out.
    assert json.loads(model.oscal_serialize_json()) == document
    path = tmp_path / "assessment-results.json"
    path.write_text(dumps_oscal(document))
    read = AssessmentResults.oscal_read(path)
    assert read is not None and read.uuid == body(document)["uuid"]


def test_reruns_give_identical_bytes(results: Results, evidence_root: Path) -> None:
    again = evaluate_folder(evidence_root)
    assert dumps_oscal(to_oscal(again)) == dumps_oscal(to_oscal(results))


def test_times_come_from_the_evaluation_never_the_clock(results: Results) -> None:
    assert (results.as_of, results.as_of_source) == (
        datetime(2026, 11, 27, tzinfo=UTC),
        "--as-of",
    )
    moment = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    doc = body(to_oscal(replace(results, as_of=moment)))
    assert doc["metadata"]["last-modified"] == "2027-01-31T12:00:00+00:00"
    assert doc["metadata"]["oscal-version"] == OSCAL_VERSION == "1.1.3"
    result = doc["results"][0]
    assert result["start"] == result["end"] == "2027-01-31T12:00:00+00:00"
    assert {o["collected"] for o in result["observations"]} == {"2027-01-31T12:00:00+00:00"}


def test_every_verdict_is_a_finding_on_its_control(
    results: Results, document: dict[str, Any]
) -> None:
    findings = body(document)["results"][0]["findings"]
    assert len(findings) == len(results.verdicts) == 360
    for verdict, finding in zip(results.verdicts, findings, strict=True):
        assert finding["target"]["type"] == "objective-id"
        assert finding["target"]["target-id"] == verdict.control.id
        props = {p["name"]: p["value"] for p in finding["props"]}
        assert props["mldossier-status"] == verdict.status
        assert props["subject"] == verdict.subject
        assert all(p["ns"] == NAMESPACE for p in finding["props"])


OBJECTIVES: dict[str, dict[str, str] | None] = {
    "no_exception": {"state": "satisfied", "reason": "pass"},
    "observation": {"state": "satisfied", "reason": "other"},
    "exception": {"state": "not-satisfied", "reason": "fail"},
    "formal_nonconformity": {"state": "not-satisfied", "reason": "fail"},
    "error": {"state": "not-satisfied", "reason": "other"},
    "waived": {"state": "not-satisfied", "reason": "other"},
    "not_evidenced": None,
    "not_assessed": None,
    "no_occurrence": None,
    "not_yet_applicable": None,
    "not_applicable": None,
}
"""Each mldossier status's OSCAL objective status (None: OSCAL has none for it)."""


def test_statuses_map_to_objective_status(results: Results, document: dict[str, Any]) -> None:
    assert set(OBJECTIVES) == {s.value for s in STATUSES}
    findings = body(document)["results"][0]["findings"]
    seen = set()
    for verdict, finding in zip(results.verdicts, findings, strict=True):
        seen.add(verdict.status)
        assert finding["target"].get("status") == OBJECTIVES[verdict.status]
        if verdict.status == "not_applicable":
            assert finding["target"]["implementation-status"] == {"state": "not-applicable"}
        else:
            assert "implementation-status" not in finding["target"]
    assert seen == {
        "no_exception",
        "observation",
        "exception",
        "not_evidenced",
        "not_assessed",
        "not_yet_applicable",
        "not_applicable",
    }


def test_every_status_maps_in_a_document_trestle_accepts(results: Results) -> None:
    # The samples give only some statuses: give the first verdicts every one of them.
    verdicts = list(results.verdicts)
    for i, status in enumerate(STATUSES):
        verdicts[i] = replace(verdicts[i], status=status)
    doc = to_oscal(replace(results, verdicts=tuple(verdicts)))
    AssessmentResults.parse_obj(body(doc))
    findings = body(doc)["results"][0]["findings"]
    for status, finding in zip(STATUSES, findings, strict=False):
        props = {p["name"]: p["value"] for p in finding["props"]}
        assert props["mldossier-status"] == status
        assert finding["target"].get("status") == OBJECTIVES[status], status


def test_a_failing_finding_reads_like_the_terminal(
    results: Results, document: dict[str, Any]
) -> None:
    index = next(
        i
        for i, v in enumerate(results.verdicts)
        if v.control.id == "EUAIA-6" and v.subject == "diabetes-progression-regressor"
    )
    finding = body(document)["results"][0]["findings"][index]
    assert finding["title"] == (
        "EUAIA-6 Risk category recorded and consistent [diabetes-progression-regressor]: "
        "not_evidenced"
    )
    assert finding["description"] == (
        "no 'eu_ai_act_category' tag: the system's classification is not recorded"
    )
    assert finding["target"]["title"] == "Art. 6 Risk category recorded and consistent"
    assert finding["remarks"] == (
        "To fix: set 'eu_ai_act_category' to one of prohibited, high-risk, not-high-risk"
    )


def test_observations_cite_the_evidence_by_hash(
    results: Results, document: dict[str, Any], evidence_root: Path
) -> None:
    doc = body(document)
    observations = {o["uuid"]: o for o in doc["results"][0]["observations"]}
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    cited = 0
    for verdict, finding in zip(results.verdicts, doc["results"][0]["findings"], strict=True):
        if not verdict.citations:
            continue
        (related,) = finding["related-observations"]
        evidence = observations[related["observation-uuid"]]["relevant-evidence"]
        assert len(evidence) == len(verdict.citations)
        for citation, item in zip(verdict.citations, evidence, strict=True):
            props = {p["name"]: p["value"] for p in item["props"]}
            assert props["sha256"] == citation.sha256
            assert props.get("json-pointer", "") == citation.pointer
            assert unquote(item["href"]) == citation.file + (
                f"#{citation.pointer}" if citation.pointer else ""
            )
            (link,) = item["links"]
            (rlink,) = resources[link["href"][1:]]["rlinks"]
            assert rlink["hashes"] == [{"algorithm": "SHA-256", "value": citation.sha256}]
            # The hash is the file's real SHA-256.
            data = (evidence_root / unquote(rlink["href"])).read_bytes()
            assert hashlib.sha256(data).hexdigest() == citation.sha256
            cited += 1
    assert cited > 100


def test_ndjson_citations_carry_their_line(results: Results) -> None:
    index = next(i for i, v in enumerate(results.verdicts) if v.citations)
    event = Citation("openlineage/events.ndjson", "/run/facets/tags", "b" * 64, 9)
    verdicts = list(results.verdicts)
    verdicts[index] = replace(verdicts[index], citations=(event,))
    doc = body(to_oscal(replace(results, verdicts=tuple(verdicts))))
    uuid = doc["results"][0]["findings"][index]["related-observations"][0]["observation-uuid"]
    (observation,) = [o for o in doc["results"][0]["observations"] if o["uuid"] == uuid]
    assert observation["relevant-evidence"] == [
        {
            "href": "openlineage/events.ndjson#/run/facets/tags",
            "description": "openlineage/events.ndjson:9:/run/facets/tags (sha256 bbbbbbbbbbbb)",
            "props": [
                {"name": "sha256", "ns": NAMESPACE, "value": "b" * 64},
                {"name": "json-pointer", "ns": NAMESPACE, "value": "/run/facets/tags"},
                {"name": "line", "ns": NAMESPACE, "value": "9"},
            ],
            "links": [
                {
                    "href": "#"
                    + next(
                        r["uuid"]
                        for r in doc["back-matter"]["resources"]
                        if r["title"] == "Evidence file openlineage/events.ndjson"
                    ),
                    "rel": "reference",
                }
            ],
        }
    ]


def test_every_control_is_reviewed_and_every_file_is_a_resource(
    results: Results, document: dict[str, Any]
) -> None:
    doc = body(document)
    selections = doc["results"][0]["reviewed-controls"]["control-selections"]
    assert [[c["control-id"] for c in s["include-controls"]] for s in selections] == [
        [c.id for c in catalog.controls] for catalog in results.catalogs
    ]
    resources = doc["back-matter"]["resources"]
    files = [r for r in resources if r["title"].startswith("Evidence file ")]
    assert [r["rlinks"][0]["href"] for r in files] == [f.path for f in results.evidence.files]
    catalogs = [r for r in resources if r["title"].startswith("Control catalog ")]
    assert [r["rlinks"][0]["hashes"][0]["value"] for r in catalogs] == [
        c.sha256 for c in results.catalogs
    ]
    assert doc["import-ap"]["href"] == f"#{resources[0]['uuid']}"


def test_subjects_are_inventory_items(results: Results, document: dict[str, Any]) -> None:
    result = body(document)["results"][0]
    items = {i["uuid"]: i for i in result["local-definitions"]["inventory-items"]}
    names = sorted({v.subject for v in results.verdicts if v.subject_kind in ("system", "version")})
    assert (
        sorted(p["value"] for i in items.values() for p in i["props"] if p["name"] == "asset-id")
        == names
    )
    for observation in result["observations"]:
        for subject in observation.get("subjects", []):
            assert subject["type"] == "inventory-item" and subject["subject-uuid"] in items
    (tool,) = result["local-definitions"]["components"]
    actors = {
        a["actor-uuid"] for f in result["findings"] for o in f["origins"] for a in o["actors"]
    }
    assert actors == {tool["uuid"]}


def test_uuids_are_unique_version_5_and_findings_keep_theirs(
    results: Results, document: dict[str, Any]
) -> None:
    text = dumps_oscal(document)
    defined = re.findall(r'"uuid": "([^"]+)"', text)
    assert len(defined) == len(set(defined))
    assert all(UUID5.match(u) for u in defined)
    later = body(to_oscal(replace(results, as_of=datetime(2027, 6, 1, tzinfo=UTC))))
    before = body(document)
    assert [f["uuid"] for f in later["results"][0]["findings"]] == [
        f["uuid"] for f in before["results"][0]["findings"]
    ]
    assert later["results"][0]["uuid"] != before["results"][0]["uuid"]
    assert later["uuid"] != before["uuid"]


def test_a_waived_verdict_is_not_satisfied_and_names_the_waiver(results: Results) -> None:
    index, failing = next((i, v) for i, v in enumerate(results.verdicts) if v.status == "exception")
    waiver = Waiver(
        "W-7",
        failing.control.id,
        failing.subject,
        "accepted until retraining",
        "ml-team",
        "CRO",
        "manual review",
        date(2026, 10, 1),
        date(2027, 1, 31),
        Citation("waivers.yaml", "/waivers/0", "a" * 64),
    )
    verdicts = list(results.verdicts)
    verdicts[index] = replace(failing, status=Status.WAIVED, waiver=waiver)
    doc = to_oscal(replace(results, verdicts=tuple(verdicts)))
    AssessmentResults.parse_obj(body(doc))
    target = body(doc)["results"][0]["findings"][index]["target"]
    assert target["status"] == {"state": "not-satisfied", "reason": "other"}
    assert target["remarks"] == (
        "mldossier status: waived\nWaiver W-7: approved by CRO, owner ml-team, until "
        "2027-01-31: accepted until retraining (compensating control: manual review)"
    )


def test_hrefs_are_uri_references_with_the_pointer_as_fragment() -> None:
    citation = Citation("reports/a b/x%.json", "/metrics/0/config/a~1b c", "0" * 64, None)
    assert evidence_href(citation) == "reports/a%20b/x%25.json#/metrics/0/config/a~1b%20c"
    assert evidence_href(citation, "../evidence/") == (
        "../evidence/reports/a%20b/x%25.json#/metrics/0/config/a~1b%20c"
    )
    assert evidence_href(Citation("m.json", "", "0" * 64)) == "m.json"
    assert evidence_href(SourceFile("a b.json", 1, "0" * 64)) == "a%20b.json"


def test_evidence_links_resolve_from_where_the_document_is_written(
    tmp_path: Path, results: Results, evidence_root: Path
) -> None:
    assert evidence_prefix(evidence_root, evidence_root / "ar.json") == ""
    out = tmp_path / "out" / "assessment-results.json"
    write_oscal(results, out)
    doc = body(json.loads(out.read_text()))
    for resource in doc["back-matter"]["resources"]:
        if resource["title"].startswith("Evidence file "):
            href = resource["rlinks"][0]["href"]
            assert (out.parent / unquote(href)).resolve().is_file(), href


def test_check_oscal_writes_the_document(
    tmp_path: Path, evidence_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no mldossier.yaml here: the defaults apply
    out = tmp_path / "assessment-results.json"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--evidence",
            str(evidence_root),
            "--as-of",
            AS_OF.isoformat(),
            "--oscal",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output  # the samples have exceptions
    doc = json.loads(out.read_text())
    AssessmentResults.parse_obj(doc["assessment-results"])
    assert len(doc["assessment-results"]["results"][0]["findings"]) == 360
    # The same document as the one made in-process: the same evaluation date, the same bytes.
    write_oscal(evaluate_folder(evidence_root), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == out.read_text()


def test_each_gated_root_cause_is_one_open_risk_its_findings_point_to(
    results: Results, document: dict[str, Any]
) -> None:
    result = body(document)["results"][0]
    risks = {r["uuid"]: r for r in result.get("risks", [])}
    gated = [g for g in root_causes(results) if g.status in ("exception", "formal_nonconformity")]
    assert len(risks) == len(gated) > 0
    for risk in risks.values():
        assert risk["status"] == "open"
        assert risk["title"] and risk["statement"] and risk["description"]
        props = {p["name"]: p["value"] for p in risk["props"]}
        assert props["mldossier-status"] in ("exception", "formal_nonconformity", "error")
    # a finding names the risks of its causes, and only risks that exist
    pointed = {r["risk-uuid"] for f in result["findings"] for r in f.get("related-risks", [])}
    assert pointed == set(risks)
    by_cause = {
        next(p["value"] for p in r["props"] if p["name"] == "mldossier-cause"): u
        for u, r in risks.items()
    }
    findings = {f["uuid"]: f for f in result["findings"]}
    for g in gated:
        for v in g.verdicts:
            finding = next(
                f
                for f in findings.values()
                if {"name": "subject", "ns": NAMESPACE, "value": v.subject} in f["props"]
                and f["target"]["target-id"] == v.control.id
            )
            assert {"risk-uuid": by_cause[g.cause]} in finding["related-risks"]
    # no risk for what is only missing evidence or an observation
    assert not any(
        p["value"] in ("not_evidenced", "observation")
        for r in risks.values()
        for p in r["props"]
        if p["name"] == "mldossier-status"
    )
