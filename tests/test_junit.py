"""JUnit XML: valid by the schema Jenkins' xunit plugin reads, well-formed whatever the evidence
holds, and the same bytes for the same inputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date

import pytest
import xmlschema
from conftest import DEMO_EVIDENCE, EVALUATION_DATE, REFERENCE

from mldossier.config import Config
from mldossier.evaluate.catalog import default_catalog_paths
from mldossier.evaluate.verdicts import Results
from mldossier.pipeline import analyse
from mldossier.render.junit import TIME, to_junit
from mldossier.status import STATUSES, STRICT_GATE

JENKINS_XSD = REFERENCE / "junit" / "junit-10.xsd"
"""Jenkins xunit plugin's JUnit schema (see tests/reference/README.md)."""


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(JENKINS_XSD))


@pytest.fixture(scope="module")
def results() -> Results:
    as_of = date.fromisoformat(EVALUATION_DATE)
    return analyse(Config(), DEMO_EVIDENCE, default_catalog_paths(), as_of=as_of).results


def errors(schema: xmlschema.XMLSchema, text: str) -> list[str]:
    return [str(e.reason) + " at " + str(e.path) for e in schema.iter_errors(text)]


def test_the_demo_is_valid_by_jenkins_schema(schema: xmlschema.XMLSchema, results: Results) -> None:
    text = to_junit(results)
    assert errors(schema, text) == []
    root = ET.fromstring(text)
    assert root.get("time") == TIME and root.get("skipped") is None
    for suite in root.findall("testsuite"):
        assert suite.get("time") == TIME
        assert suite.get("timestamp") == f"{EVALUATION_DATE}T00:00:00"
        assert all(case.get("time") == TIME for case in suite.findall("testcase"))


def test_the_schema_is_not_blind(schema: xmlschema.XMLSchema, results: Results) -> None:
    # What mldossier 0.x wrote: skipped on <testsuites>, which Jenkins' schema refuses.
    root = ET.fromstring(to_junit(results))
    root.set("skipped", "3")
    assert errors(schema, ET.tostring(root, encoding="unicode"))


def test_every_status_and_gate_stays_valid(schema: xmlschema.XMLSchema, results: Results) -> None:
    verdicts = list(results.verdicts)
    for i, status in enumerate(STATUSES):
        verdicts[i] = replace(verdicts[i], status=status)
    every = replace(results, verdicts=tuple(verdicts))
    for gate in (None, STRICT_GATE):
        text = to_junit(every) if gate is None else to_junit(every, gate)
        assert errors(schema, text) == []


def test_control_characters_in_the_evidence_keep_the_document_well_formed(
    schema: xmlschema.XMLSchema, results: Results
) -> None:
    hostile = "model\x1b[31m\x07\x00\x0b\u202eevil\x85"
    first = results.verdicts[0]
    verdicts = list(results.verdicts)
    verdicts[0] = replace(
        first,
        subject=hostile,
        reasons=(f"reason with {hostile}", "second line"),
        fix=f"fix {hostile}",
    )
    text = to_junit(replace(results, verdicts=tuple(verdicts)))
    root = ET.fromstring(text)  # well-formed: ElementTree would write the controls raw
    assert errors(schema, text) == []
    case = root.find("./testsuite/testcase")
    assert case is not None
    assert "model\\x1b[31m\\x07\\x00\\x0b\\u202eevil\\x85" in case.get("name", "")
    body = "".join(case.itertext())
    assert "\x1b" not in text and "\u202e" not in text
    assert "second line" in body  # line breaks in the body are kept


def test_same_inputs_same_bytes(results: Results) -> None:
    as_of = date.fromisoformat(EVALUATION_DATE)
    again = analyse(Config(), DEMO_EVIDENCE, default_catalog_paths(), as_of=as_of).results
    assert to_junit(again) == to_junit(results)
