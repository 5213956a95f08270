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

import jsonschema_rs
import pytest
from click.testing import CliRunner
from conftest import REFERENCE, SAMPLES
from trestle.oscal.assessment_results import AssessmentResults

from mldossier.cli import main
from mldossier.cli.check import evidence_prefix, write_oscal
from mldossier.config import Config
from mldossier.evaluate.catalog import default_catalog_paths
from mldossier.evaluate.verdicts import Results
from mldossier.model import Citation, SourceFile, Waiver
from mldossier.pipeline import analyse
from mldossier.render.oscal import NAMESPACE, OSCAL_VERSION, dumps_oscal, evidence_href, to_oscal
from mldossier.render.requests import request_list, root_causes
from mldossier.status import STATUSES, Status

NIST_SCHEMA = REFERENCE / "oscal" / "oscal_complete_schema-1.1.3.json"
"""NIST's OSCAL 1.1.3 complete JSON schema (see tests/reference/README.md for the copy)."""
NIST_SCHEMA_SHA256 = "078848cb4000024a65679110f6ee2d99b300b06471a33fc536b19b670b65aa51"
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


@pytest.fixture(scope="module")
def nist() -> Any:
    """A validator of NIST's schema, every format checked (jsonschema-rs: the schema's
    patterns use ``\\p{L}``, which Python's ``re`` cannot compile)."""
    return jsonschema_rs.validator_for(json.loads(NIST_SCHEMA.read_text()), validate_formats=True)


def nist_errors(validator: Any, document: dict[str, Any]) -> list[str]:
    """What NIST's schema says is wrong with the document (the oneOf's assessment-results
    branch, so the messages name the field, not the whole document)."""
    if validator.is_valid(document):
        return []
    schema = json.loads(NIST_SCHEMA.read_text())
    schema.pop("oneOf")
    schema.update(
        {
            "properties": {
                "assessment-results": {
                    "$ref": "#/definitions/oscal-complete-oscal-ar:assessment-results"
                }
            },
            "required": ["assessment-results"],
        }
    )
    branch = jsonschema_rs.validator_for(schema, validate_formats=True)
    return [
        f"/{'/'.join(map(str, e.instance_path))}: {e.message}" for e in branch.iter_errors(document)
    ] or ["invalid, but not on the assessment-results branch"]


def props_of(item: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("props", [])}


def placed(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Findings or observations by (control id, subject)."""
    out = {}
    for item in items:
        props = props_of(item)
        control = item["target"]["target-id"] if "target" in item else props["control"]
        out[(control, props["subject"])] = item
    return out


def excluded_controls(result: dict[str, Any]) -> set[str]:
    return {
        c["control-id"]
        for s in result["reviewed-controls"]["control-selections"]
        for c in s.get("exclude-controls", [])
    }


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


# ------------------------------------------------------------ NIST's own schema


def test_nist_schema_is_the_pinned_release_copy() -> None:
    data = NIST_SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == NIST_SCHEMA_SHA256
    assert json.loads(data)["$id"] == (
        "http://csrc.nist.gov/ns/oscal/1.0/1.1.3/oscal-complete-schema.json"
    )


def test_nist_schema_accepts_the_document(nist: Any, document: dict[str, Any]) -> None:
    assert nist_errors(nist, document) == []


def test_nist_schema_refuses_a_finding_without_an_objective_status(
    nist: Any, document: dict[str, Any]
) -> None:
    # What the trestle models let through and the 0.x output had: the validator is not blind.
    broken = json.loads(json.dumps(document))
    del body(broken)["results"][0]["findings"][0]["target"]["status"]
    assert any("status" in e for e in nist_errors(nist, broken))


def test_nist_schema_accepts_every_status_and_absolute_hrefs(nist: Any, results: Results) -> None:
    verdicts = list(results.verdicts)
    for i, status in enumerate(STATUSES):
        verdicts[i] = replace(verdicts[i], status=status)
    every = replace(results, verdicts=tuple(verdicts))
    for prefix in ("", "../evidence/", "https://ci.example/job/7/artifact/ev%20idence/"):
        doc = to_oscal(every, prefix)
        assert nist_errors(nist, doc) == [], prefix
        AssessmentResults.parse_obj(body(doc))


# ---------------------------------------------------- where each verdict goes


def test_every_verdict_is_placed_once_where_oscal_puts_it(
    results: Results, document: dict[str, Any]
) -> None:
    result = body(document)["results"][0]
    findings = placed(result["findings"])
    observations = placed(result["observations"])
    excluded = excluded_controls(result)
    assert len(findings) == len(result["findings"])  # one finding per control and subject
    for v in results.verdicts:
        key = (v.control.id, v.subject)
        if v.control.id in excluded:
            assert v.status == "not_applicable"
            assert key not in findings and key not in observations
        elif v.status in OBJECTIVES:
            assert props_of(findings[key])["mldossier-status"] == v.status
            assert findings[key]["target"]["target-id"] == v.control.id
        else:
            assert key not in findings
            assert props_of(observations[key])["status"] == v.status
    decided = [v for v in results.verdicts if v.status in OBJECTIVES]
    assert len(result["findings"]) == len(decided) > 0
    assert {p["ns"] for f in result["findings"] for p in f["props"]} == {NAMESPACE}


OBJECTIVES: dict[str, dict[str, str]] = {
    "no_exception": {"state": "satisfied", "reason": "pass"},
    "observation": {"state": "satisfied", "reason": "other"},
    "exception": {"state": "not-satisfied", "reason": "fail"},
    "formal_nonconformity": {"state": "not-satisfied", "reason": "fail"},
    "waived": {"state": "not-satisfied", "reason": "other"},
}
"""The statuses that are audit conclusions (findings), with their OSCAL objective status."""
NOT_FINDINGS = {"not_evidenced", "not_assessed", "no_occurrence", "not_yet_applicable", "error"}
"""Observations only (what was looked at, no conclusion); not_applicable is excluded or one."""


def test_statuses_map_to_objective_status(results: Results) -> None:
    assert set(OBJECTIVES) | NOT_FINDINGS | {"not_applicable"} == {s.value for s in STATUSES}
    verdicts = list(results.verdicts)
    for i, status in enumerate(STATUSES):
        verdicts[i] = replace(verdicts[i], status=status)
    doc = to_oscal(replace(results, verdicts=tuple(verdicts)))
    result = body(doc)["results"][0]
    findings, observations = placed(result["findings"]), placed(result["observations"])
    for status, v in zip(STATUSES, verdicts, strict=False):
        key = (v.control.id, v.subject)
        if status in OBJECTIVES:
            assert findings[key]["target"]["status"] == OBJECTIVES[status], status
            assert "implementation-status" not in findings[key]["target"]
        else:
            assert key not in findings, status
            assert props_of(observations[key])["status"] == status


def test_requests_are_tasks_with_their_id_and_owner(
    results: Results, document: dict[str, Any]
) -> None:
    result = body(document)["results"][0]
    tasks = result["local-definitions"]["tasks"]
    observations = {o["uuid"]: o for o in result["observations"]}
    rows = {r["id"]: r for r in request_list(results)}
    assert len(tasks) == len(rows) > 0
    for task in tasks:
        props = props_of(task)
        row = rows[props["request-id"]]
        assert task["type"] == "action"
        assert props["owner"] == row["owner"]
        assert props["mldossier-status"] == row["verdict"]
        assert task["description"] == row["needed"]
        (link,) = task["links"]
        seen = props_of(observations[link["href"][1:]])
        assert (seen["control"], seen["status"]) == (row["control"], row["verdict"])
    items = {i["uuid"] for i in result["local-definitions"]["inventory-items"]}
    assert {
        s["subject-uuid"]
        for t in tasks
        for a in t.get("subjects", [])
        for s in a["include-subjects"]
    } <= items


def test_a_missing_record_reads_like_the_terminal(document: dict[str, Any]) -> None:
    result = body(document)["results"][0]
    key = ("EUAIA-6", "diabetes-progression-regressor")
    assert key not in placed(result["findings"])  # missing evidence is not a failed control
    observation = placed(result["observations"])[key]
    assert observation["title"] == "EUAIA-6 on diabetes-progression-regressor"
    assert observation["description"] == (
        "no 'eu_ai_act_category' tag: the system's classification is not recorded"
    )
    assert props_of(observation)["status"] == "not_evidenced"
    (task,) = [
        t
        for t in result["local-definitions"]["tasks"]
        if t["links"] == [{"href": f"#{observation['uuid']}", "rel": "related"}]
    ]
    assert task["title"].endswith(
        ": Provide the evidence for EUAIA-6 on diabetes-progression-regressor"
    )
    assert task["description"] == (
        "set 'eu_ai_act_category' to one of prohibited, high-risk, not-high-risk"
    )


def test_a_failing_finding_reads_like_the_terminal(
    results: Results, document: dict[str, Any]
) -> None:
    failing = next(v for v in results.verdicts if v.status == "exception" and v.fix)
    finding = placed(body(document)["results"][0]["findings"])[
        (failing.control.id, failing.subject)
    ]
    assert finding["title"] == (
        f"{failing.control.id} {failing.control.title} [{failing.subject}]: exception"
    )
    assert finding["description"] == "\n".join(failing.reasons)
    assert finding["target"]["title"] == (f"{failing.control.reference} {failing.control.title}")
    assert finding["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert finding["remarks"] == f"To fix: {failing.fix}"


def test_observations_cite_the_evidence_by_hash(
    results: Results, document: dict[str, Any], evidence_root: Path
) -> None:
    doc = body(document)
    observations = placed(doc["results"][0]["observations"])
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    findings = placed(doc["results"][0]["findings"])
    cited = 0
    for verdict in results.verdicts:
        key = (verdict.control.id, verdict.subject)
        if not verdict.citations or key not in observations:
            continue
        observation = observations[key]
        if key in findings:
            (related,) = findings[key]["related-observations"]
            assert related["observation-uuid"] == observation["uuid"]
        evidence = observation["relevant-evidence"]
        assert len(evidence) == len(verdict.citations)
        for citation, item in zip(verdict.citations, evidence, strict=True):
            props = props_of(item)
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
    index, chosen = next(
        (i, v) for i, v in enumerate(results.verdicts) if v.citations and v.status in OBJECTIVES
    )
    event = Citation("openlineage/events.ndjson", "/run/facets/tags", "b" * 64, 9)
    verdicts = list(results.verdicts)
    verdicts[index] = replace(chosen, citations=(event,))
    doc = body(to_oscal(replace(results, verdicts=tuple(verdicts))))
    observation = placed(doc["results"][0]["observations"])[(chosen.control.id, chosen.subject)]
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
    verdicts_of: dict[str, list[str]] = {}
    for v in results.verdicts:
        verdicts_of.setdefault(v.control.id, []).append(v.status)
    for selection, catalog in zip(selections, results.catalogs, strict=True):
        included = [c["control-id"] for c in selection.get("include-controls", [])]
        out = [c["control-id"] for c in selection.get("exclude-controls", [])]
        assert sorted(included + out) == sorted(c.id for c in catalog.controls)
        # excluded: not applicable to every subject, each with its reason in the remarks
        for control in catalog.controls:
            statuses = verdicts_of.get(control.id, [])
            wholly = bool(statuses) and set(statuses) == {"not_applicable"}
            assert (control.id in out) == wholly, control.id
            if wholly:
                assert (
                    f"{control.id} ({control.reference}) is not applicable: "
                    in (selection["remarks"])
                )
    assert any("exclude-controls" in s for s in selections)
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
    target = placed(body(doc)["results"][0]["findings"])[(failing.control.id, failing.subject)][
        "target"
    ]
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
    result = doc["assessment-results"]["results"][0]
    assert len(result["findings"]) == 24  # the decided verdicts of the samples
    assert len(result["observations"]) + len(excluded_controls(result)) > 200
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
    findings = placed(result["findings"])
    observations = placed(result["observations"])
    for g in gated:
        for v in g.verdicts:
            key = (v.control.id, v.subject)
            if key in findings:
                assert {"risk-uuid": by_cause[g.cause]} in findings[key]["related-risks"]
            else:  # a verdict that is no finding (missing evidence): its observation
                assert {"observation-uuid": observations[key]["uuid"]} in risks[by_cause[g.cause]][
                    "related-observations"
                ]
    # no risk for what is only missing evidence or an observation
    assert not any(
        p["value"] in ("not_evidenced", "observation")
        for r in risks.values()
        for p in r["props"]
        if p["name"] == "mldossier-status"
    )


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (
            "https://ci.example/job/7/artifact/evidence",
            "https://ci.example/job/7/artifact/evidence/",
        ),
        ("file", None),
    ],
)
def test_check_oscal_evidence_base_makes_links_absolute(
    tmp_path: Path,
    evidence_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    nist: Any,
    base: str,
    expected: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere" / "ar.json"
    out.parent.mkdir()
    args = ["check", "--evidence", str(evidence_root), "--as-of", AS_OF.isoformat()]
    result = CliRunner().invoke(main, [*args, "--oscal", str(out), "--oscal-evidence-base", base])
    assert result.exit_code == 1, result.output
    doc = json.loads(out.read_text())
    assert nist_errors(nist, doc) == []
    prefix = expected or evidence_root.resolve().as_uri() + "/"
    hrefs = [
        r["rlinks"][0]["href"]
        for r in body(doc)["back-matter"]["resources"]
        if r["title"].startswith("Evidence file ")
    ]
    assert hrefs and all(h.startswith(prefix) for h in hrefs)
    if base == "file":  # they resolve to the real files, wherever the document is read
        for href in hrefs:
            assert Path(unquote(href.removeprefix("file://"))).is_file(), href


@pytest.mark.parametrize(
    "base", ["evidence/", "ftp:/nohost/", "https://ci.example/a b/", "https://ci.example/?q=1"]
)
def test_check_oscal_evidence_base_must_be_an_absolute_url(
    tmp_path: Path, evidence_root: Path, base: str
) -> None:
    out = tmp_path / "ar.json"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--evidence",
            str(evidence_root),
            "--oscal",
            str(out),
            "--oscal-evidence-base",
            base,
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--oscal-evidence-base" in result.output
    assert not out.exists()
