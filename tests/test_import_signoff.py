"""The sign-off importer: valid documents, every refusal, and the exact messages."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import pytest

from mldossier.formats.schema import load_schema
from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.signoff import SignOffImporter
from mldossier.model import Attachment, SignOff

VALID = """\
mldossier: signoff/v1
id: RA-2026-014
kind: risk_assessment
title: Risk assessment, credit-default-scorer
subject:
  system: credit-default-scorer
  version: "3"
statement: >-
  Residual risks reviewed and accepted for production use.
signed_by: Dana Whitfield
role: Chief Risk Officer
date: 2026-10-01
expires: 2027-10-01
attachments:
  - attachments/risk-assessment-2026.pdf
"""
PDF = b"%PDF-1.7\n% risk assessment\n"
KIND_LIST = ", ".join(f'"{k}"' for k in load_schema("signoff")["properties"]["kind"]["enum"])
"""The kinds as the schema's error message lists them (docs/signoff-format.md names each)."""
OUTSIDE_FIX = "(put the file inside the evidence folder and refer to it by a relative path)"


def write(root: Path, rel: str, text: str | bytes) -> Path:
    """Write a file into the evidence folder."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def variant(old: str, new: str, text: str = VALID) -> str:
    """The valid document with one line changed."""
    assert old in text
    return text.replace(old, new)


def import_folder(root: Path) -> ImportResult:
    """Scan a folder and run the sign-off importer over what it claims, as the pipeline does."""
    found, problems = scan(root, Limits())
    importer = SignOffImporter(ImportContext(root))
    result = ImportResult(problems=list(problems))
    for entry in found:
        if isinstance(entry, Document) and importer.detect(entry):
            importer.read(entry, result)
    importer.finish(result)
    return result


def messages(result: ImportResult) -> list[str]:
    return [str(p) for p in result.problems]


def signoffs(result: ImportResult) -> list[SignOff]:
    return list(result.records.get("signoffs", []))


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    write(root, "signoffs/attachments/risk-assessment-2026.pdf", PDF)
    return root


# ---------------------------------------------------------------- valid documents


def test_valid_signoff_becomes_a_record_with_its_attachment_hashed(evidence: Path):
    write(evidence, "signoffs/ra.yaml", VALID)
    result = import_folder(evidence)
    assert messages(result) == []
    [signoff] = signoffs(result)
    assert signoff.id == "RA-2026-014"
    assert signoff.kind == "risk_assessment"
    assert (signoff.system, signoff.version, signoff.subject) == (
        "credit-default-scorer",
        "3",
        "credit-default-scorer@3",
    )
    assert signoff.title == "Risk assessment, credit-default-scorer"
    assert signoff.statement == "Residual risks reviewed and accepted for production use."
    assert (signoff.signed_by, signoff.role) == ("Dana Whitfield", "Chief Risk Officer")
    assert signoff.date == date(2026, 10, 1) and type(signoff.date) is date
    assert signoff.expires == date(2027, 10, 1)
    assert signoff.attachments == (
        Attachment(
            "signoffs/attachments/risk-assessment-2026.pdf",
            len(PDF),
            hashlib.sha256(PDF).hexdigest(),
        ),
    )
    assert signoff.cite.file == "signoffs/ra.yaml"
    assert signoff.cite.pointer == ""
    assert signoff.cite.sha256 == hashlib.sha256(VALID.encode()).hexdigest()


def test_whole_system_signoff_without_version_expiry_or_attachments(evidence: Path):
    text = VALID.split("attachments:")[0]
    text = variant('  version: "3"\n', "", text)
    text = variant("expires: 2027-10-01\n", "", text)
    write(evidence, "signoffs/oversight.yml", text)
    [signoff] = signoffs(import_folder(evidence))
    assert (signoff.version, signoff.expires, signoff.attachments) == (None, None, ())
    assert signoff.subject == "credit-default-scorer"


def test_json_signoff_is_read_too(evidence: Path):
    doc = {
        "mldossier": "signoff/v1",
        "id": "MV-1",
        "kind": "model_validation",
        "title": "Validation",
        "subject": {"system": "credit-default-scorer"},
        "statement": "Validated.",
        "signed_by": "A",
        "role": "Validator",
        "date": "2026-10-01T23:30:00-02:00",
    }
    write(evidence, "signoffs/mv.json", json.dumps(doc))
    [signoff] = signoffs(import_folder(evidence))
    # A date-time with a zone counts as its UTC day.
    assert signoff.date == date(2026, 10, 2)


def test_hostile_strings_are_kept_verbatim_as_data(evidence: Path):
    hostile = "<script>alert('x')</script> {{ 7*7 }} ]]> & </td>"
    write(
        evidence,
        "signoffs/ra.yaml",
        variant("signed_by: Dana Whitfield", f"signed_by: {json.dumps(hostile)}"),
    )
    [signoff] = signoffs(import_folder(evidence))
    assert signoff.signed_by == hostile


def test_signoffs_are_sorted_by_subject_date_and_id(evidence: Path):
    write(evidence, "signoffs/b.yaml", variant("id: RA-2026-014", "id: B"))
    write(
        evidence,
        "signoffs/a.yaml",
        variant("date: 2026-10-01", "date: 2026-11-01", variant("id: RA-2026-014", "id: A")),
    )
    write(
        evidence,
        "signoffs/c.yaml",
        variant('version: "3"', 'version: "2"', variant("id: RA-2026-014", "id: C")),
    )
    assert [s.id for s in signoffs(import_folder(evidence))] == ["C", "B", "A"]


# ---------------------------------------------------------------- schema refusals


def test_unknown_kind(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("kind: risk_assessment", "kind: risk_asessment"))
    result = import_folder(evidence)
    assert messages(result) == [
        f'signoffs/ra.yaml:/kind: "risk_asessment" is not one of {KIND_LIST} '
        "(use one of the listed values)"
    ]
    assert signoffs(result) == []


def test_missing_field(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("role: Chief Risk Officer\n", ""))
    result = import_folder(evidence)
    assert messages(result) == ["signoffs/ra.yaml:/: missing required field 'role' (add 'role')"]
    assert signoffs(result) == []


def test_unknown_key_is_an_error(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("expires:", "expiry:"))
    assert messages(import_folder(evidence)) == [
        "signoffs/ra.yaml:/: unknown field 'expiry' (remove it or check its spelling)"
    ]


def test_unquoted_version_number_is_refused(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant('version: "3"', "version: 3.10"))
    assert messages(import_folder(evidence)) == [
        "signoffs/ra.yaml:/subject/version: expected string, got 3.1 (write a string here)"
    ]


def test_other_format_version_is_claimed_and_refused(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("signoff/v1", "signoff/v2"))
    assert messages(import_folder(evidence)) == [
        'signoffs/ra.yaml:/mldossier: expected "signoff/v1", got "signoff/v2" (write "signoff/v1")'
    ]


@pytest.mark.parametrize("written", ["2026-13-01", "01/10/2026", "2026-10-01T25:00"])
def test_invalid_date(evidence: Path, written: str):
    write(evidence, "signoffs/ra.yaml", variant("date: 2026-10-01", f'date: "{written}"'))
    assert messages(import_folder(evidence)) == [
        f'signoffs/ra.yaml:/date: date "{written}" is not a valid ISO date or date-time '
        "(write an ISO date such as 2026-10-01, or a date-time such as 2026-10-01T14:30:00Z)"
    ]


def test_expires_before_date(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("expires: 2027-10-01", "expires: 2025-01-01"))
    result = import_folder(evidence)
    assert messages(result) == [
        "signoffs/ra.yaml:/expires: expires (2025-01-01) is before date (2026-10-01) "
        "(correct one of the dates)"
    ]
    assert signoffs(result) == []


# ---------------------------------------------------------------- attachments


@pytest.mark.parametrize(
    "ref, reason",
    [
        ("../../etc/passwd", "a path outside the evidence folder"),
        ("../../../outside.pdf", "a path outside the evidence folder"),
        ("/etc/passwd", "an absolute path or URL"),
        ("C:/Windows/win.ini", "an absolute path or URL"),
        ("https://example.com/ra.pdf", "an absolute path or URL"),
    ],
)
def test_attachment_outside_the_evidence_folder_is_refused(evidence: Path, ref: str, reason: str):
    write(evidence.parent, "outside.pdf", PDF)
    write(
        evidence,
        "signoffs/ra.yaml",
        variant("attachments/risk-assessment-2026.pdf", json.dumps(ref)),
    )
    result = import_folder(evidence)
    assert messages(result) == [
        f'signoffs/ra.yaml:/attachments/0: attachment "{ref}" is {reason} {OUTSIDE_FIX}'
    ]
    assert signoffs(result) == []


def test_attachment_symlink_leading_out_is_refused(evidence: Path):
    secret = write(evidence.parent, "secret/ra.pdf", PDF)
    os.symlink(secret, evidence / "signoffs/attachments/link.pdf")
    write(evidence, "signoffs/ra.yaml", variant("risk-assessment-2026.pdf", "link.pdf"))
    result = import_folder(evidence)
    assert messages(result) == [
        # The scan refuses the link itself; the sign-off refuses to point through it.
        "signoffs/attachments/link.pdf:/: symlink leads outside the evidence folder "
        "(copy the file into the evidence folder instead of linking to it)",
        'signoffs/ra.yaml:/attachments/0: attachment "attachments/link.pdf" is a path '
        f"outside the evidence folder {OUTSIDE_FIX}",
    ]
    assert signoffs(result) == []


def test_attachment_symlink_inside_is_followed_and_hashed(evidence: Path):
    os.symlink(
        evidence / "signoffs/attachments/risk-assessment-2026.pdf",
        evidence / "signoffs/attachments/current.pdf",
    )
    write(evidence, "signoffs/ra.yaml", variant("risk-assessment-2026.pdf", "current.pdf"))
    result = import_folder(evidence)
    assert messages(result) == []
    [signoff] = signoffs(result)
    assert signoff.attachments[0].path == "signoffs/attachments/risk-assessment-2026.pdf"
    assert signoff.attachments[0].sha256 == hashlib.sha256(PDF).hexdigest()


def test_missing_attachment(evidence: Path):
    write(evidence, "signoffs/ra.yaml", variant("risk-assessment-2026.pdf", "missing.pdf"))
    result = import_folder(evidence)
    assert messages(result) == [
        'signoffs/ra.yaml:/attachments/0: attachment "attachments/missing.pdf" does not exist: '
        "there is no file signoffs/attachments/missing.pdf (add the file there or correct the path)"
    ]
    assert signoffs(result) == []


def test_attachment_that_is_a_folder(evidence: Path):
    write(
        evidence, "signoffs/ra.yaml", variant("attachments/risk-assessment-2026.pdf", "attachments")
    )
    assert messages(import_folder(evidence)) == [
        'signoffs/ra.yaml:/attachments/0: attachment "attachments" is a folder, not a file '
        "(name the file itself)"
    ]


def test_every_problem_in_one_file_is_reported(evidence: Path):
    text = variant("expires: 2027-10-01", "expires: 2025-01-01")
    text = variant(
        "  - attachments/risk-assessment-2026.pdf",
        "  - ../x.pdf\n  - attachments/missing.pdf",
        text,
    )
    write(evidence, "signoffs/ra.yaml", text)
    assert len(messages(import_folder(evidence))) == 3


# ---------------------------------------------------------------- across files


def test_duplicate_id_names_both_files(evidence: Path):
    write(evidence, "signoffs/a.yaml", VALID)
    write(evidence, "signoffs/b.yaml", variant("kind: risk_assessment", "kind: other"))
    result = import_folder(evidence)
    assert messages(result) == [
        "signoffs/b.yaml:/id: sign-off id 'RA-2026-014' is already used in signoffs/a.yaml "
        "(give each sign-off its own id)"
    ]
    assert [s.cite.file for s in signoffs(result)] == ["signoffs/a.yaml"]


def test_yaml_alias_is_refused_through_scan(evidence: Path):
    text = variant("signed_by: Dana Whitfield", "signed_by: &who Dana Whitfield")
    text = variant("role: Chief Risk Officer", "role: *who", text)
    write(evidence, "signoffs/ra.yaml", text)
    result = import_folder(evidence)
    assert messages(result) == [
        "signoffs/ra.yaml:/: not valid YAML: YAML aliases (*name) are not accepted at line 11 "
        "column 7 (write the value out in full instead of an alias)"
    ]
    assert signoffs(result) == []


def test_only_signoff_documents_are_claimed(evidence: Path):
    write(evidence, "mldossier-notes.yaml", "title: not a sign-off\n")
    write(evidence, "other.yaml", "mldossier: catalog/v1\n")
    write(evidence, "list.yaml", "- mldossier: signoff/v1\n")
    write(evidence, "signoffs/ra.yaml", VALID)
    found, _ = scan(evidence, Limits())
    importer = SignOffImporter(ImportContext(evidence))
    claimed = [d.file.path for d in found if isinstance(d, Document) and importer.detect(d)]
    assert claimed == ["signoffs/ra.yaml"]
