"""Reading the evidence folder: strict JSON, safe YAML, limits, symlinks, encodings."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_EVIDENCE, REPO

from mldossier.config import DEFAULT_IGNORE, load_config
from mldossier.errors import InputError, Problem
from mldossier.formats.schema import load_schema
from mldossier.formats.yaml import parse_yaml_text
from mldossier.intake import read as intake
from mldossier.intake.files import Document, Limits, resolve_reference, scan
from mldossier.intake.ignore import IgnoreRules
from mldossier.model import FileRole, SourceFile


def problems_of(root: Path, limits: Limits | None = None) -> list[str]:
    _, problems = scan(root, limits or Limits())
    return [str(p) for p in problems]


def write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_json_document_is_parsed_and_hashed(tmp_path: Path) -> None:
    write(tmp_path, "a/x.json", '{"k": [1, 2]}')
    entries, problems = scan(tmp_path, Limits())
    assert problems == []
    (doc,) = entries
    assert isinstance(doc, Document)
    assert doc.file.path == "a/x.json"
    assert doc.data == {"k": [1, 2]}
    assert doc.file.size == 13


def test_sha256_is_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    write(tmp_path, "x.json", b'{"a": 1}')
    (doc,), _ = scan(tmp_path, Limits())
    assert doc.file.sha256 == hashlib.sha256(b'{"a": 1}').hexdigest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"a": 1,',
            "x.json:/: truncated JSON: Expecting property name enclosed in double quotes "
            "at line 1 column 9 (re-export the file; it must be one complete JSON document)",
        ),
        (
            "not json",
            "x.json:/: not valid JSON: Expecting value at line 1 column 1 (re-export the "
            "file; it must be one complete JSON document)",
        ),
        (
            '{"a": 1, "a": 2}',
            "x.json:/: duplicate key 'a' in an object (each key may appear once; "
            "remove the repeated one)",
        ),
        ("", "x.json:/: file is empty (remove it or replace it with a complete export)"),
    ],
)
def test_bad_json_gives_one_clear_problem(tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path, "x.json", content)
    assert problems_of(tmp_path) == [message]


def test_nan_and_infinity_are_read_as_floats_because_real_tools_write_them(tmp_path: Path) -> None:
    import math

    write(tmp_path, "x.json", '{"a": NaN, "b": Infinity}')
    (doc,), problems = scan(tmp_path, Limits())
    assert problems == []
    assert math.isnan(doc.data["a"]) and doc.data["b"] == math.inf


def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, "x.json", "[" * 100_000 + "]" * 100_000)
    (message,) = problems_of(tmp_path)
    assert message.startswith("x.json:/: ")
    assert "nested too deeply" in message or "not valid JSON" in message


def test_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, "x.json", b'{"name": "caf\xe9"}')
    assert problems_of(tmp_path) == [
        "x.json:/: file is not UTF-8 text (byte 13 cannot be decoded) (re-export it as UTF-8)"
    ]


def test_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "x.json", b'\xef\xbb\xbf{"a": 1}')
    (doc,), problems = scan(tmp_path, Limits())
    assert problems == [] and doc.data == {"a": 1}


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "big.json", '{"a": "' + "x" * 200 + '"}')
    assert problems_of(tmp_path, Limits(max_document_bytes=100)) == [
        "big.json:/: file is 209 bytes, over the limit of 100 (split it, or raise "
        "limits.max_document_mb / limits.max_stream_mb in mldossier.yaml)"
    ]


def test_symlink_outside_the_evidence_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "evidence"
    write(outside, "secret.json", '{"a": 1}')
    root.mkdir()
    os.symlink(outside / "secret.json", root / "link.json")
    os.symlink(outside, root / "linkdir")
    entries, problems = scan(root, Limits())
    assert entries == []
    assert sorted(str(p) for p in problems) == [
        "link.json:/: symlink leads outside the evidence folder (copy the file into the "
        "evidence folder instead of linking to it)",
        "linkdir:/: symlink leads outside the evidence folder (copy the files into the "
        "evidence folder instead of linking to them)",
    ]


def test_symlink_inside_is_read(tmp_path: Path) -> None:
    write(tmp_path, "real/a.json", '{"a": 1}')
    os.symlink(tmp_path / "real" / "a.json", tmp_path / "alias.json")
    entries, problems = scan(tmp_path, Limits())
    assert problems == []
    assert sorted(e.file.path for e in entries if isinstance(e, Document)) == [
        "alias.json",
        "real/a.json",
    ]


def test_empty_folder(tmp_path: Path) -> None:
    (message,) = problems_of(tmp_path)
    assert message.startswith("the evidence folder ")
    assert message.endswith(
        "holds no files (point --evidence at a folder of MLflow, "
        "OpenLineage, Evidently or sign-off files)"
    )


def test_hidden_files_are_skipped_and_others_are_attachments(tmp_path: Path) -> None:
    write(tmp_path, ".DS_Store", b"\x00")
    write(tmp_path, "report.pdf", b"%PDF-1.7")
    entries, problems = scan(tmp_path, Limits())
    assert problems == []
    (entry,) = entries
    assert entry.path == "report.pdf" and entry.kind == "attachment"  # type: ignore[union-attr]


def test_ndjson_is_streamed_and_bad_lines_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "e.ndjson", '{"a": 1}\n\n{"a": 2}\n{"a": \n')
    (doc,), problems = scan(tmp_path, Limits())
    assert problems == [] and doc.format == "ndjson" and doc.data == {"a": 1}
    rows = list(doc.records())
    assert [(n, v) for n, v, p in rows if p is None] == [(1, {"a": 1}), (3, {"a": 2})]
    (bad,) = [p for _, _, p in rows if p is not None]
    assert str(bad).startswith("e.ndjson:4:/: line is not valid JSON: ")


def test_ndjson_in_a_json_file_is_detected(tmp_path: Path) -> None:
    write(tmp_path, "e.json", '{"a": 1}\n{"a": 2}\n')
    (doc,), problems = scan(tmp_path, Limits())
    assert problems == [] and doc.format == "ndjson"


YAML_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
"""


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "s.yaml", YAML_BOMB)
    assert problems_of(tmp_path) == [
        "s.yaml:/: not valid YAML: YAML aliases (*name) are not accepted at line 2 column 8 "
        "(write the value out in full instead of an alias)"
    ]


def test_yaml_object_tags_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "s.yaml", "a: !!python/object/apply:os.system ['echo pwned']\n")
    assert problems_of(tmp_path) == [
        "s.yaml:/: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not accepted "
        "at line 1 column 4 (remove the tag; only plain YAML data is read)"
    ]


def test_yaml_duplicate_keys_and_dates_as_text() -> None:
    assert parse_yaml_text("date: 2026-10-01\nwhen: 2026-10-01T10:00:00Z\n") == {
        "date": "2026-10-01",
        "when": "2026-10-01T10:00:00Z",
    }
    with pytest.raises(Exception, match="duplicate key 'a'"):
        parse_yaml_text("a: 1\na: 2\n")


@pytest.mark.parametrize(
    "reference",
    ["../../x.txt", "/etc/passwd", "C:/x", "file:///etc/passwd", "a/../../../x.txt", ""],
)
def test_references_outside_the_root_are_refused(tmp_path: Path, reference: str) -> None:
    path, reason = resolve_reference(tmp_path, "signoffs/a.yaml", reference)
    assert path is None and reason


def test_reference_inside_the_root(tmp_path: Path) -> None:
    write(tmp_path, "signoffs/att/x.txt", "x")
    path, rel = resolve_reference(tmp_path, "signoffs/a.yaml", "att/x.txt")
    assert path == (tmp_path / "signoffs/att/x.txt").resolve() and rel == "signoffs/att/x.txt"


def test_problem_format() -> None:
    assert str(Problem("a.json", "/x/0", "bad", "fix it")) == "a.json:/x/0: bad (fix it)"
    assert (
        str(Problem("e.ndjson", "/eventTime", "missing", "", line=12))
        == "e.ndjson:12:/eventTime: missing"
    )


def test_a_released_document_is_parsed_again_from_the_same_bytes(tmp_path: Path) -> None:
    write(tmp_path, "a.json", '{"b": [1, 2.5, "c"]}')
    write(tmp_path, "b.yaml", "when: 2026-11-27\n")
    docs, _ = scan(tmp_path, Limits())
    for doc in docs:
        assert isinstance(doc, Document)
        before = doc.data
        doc.release()
        assert doc.data is None and doc.released
        assert doc.reload() is None
        assert doc.data == before and not doc.released


def test_a_document_changed_after_it_was_hashed_is_not_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", '{"b": 1}')
    (doc,), _ = scan(tmp_path, Limits())
    assert isinstance(doc, Document)
    doc.release()
    path.write_text('{"b": 2}', encoding="utf-8")
    assert str(doc.reload()) == (
        "a.json:/: file changed while mldossier was reading the "
        "evidence (run again once nothing writes to the evidence folder)"
    )
    assert doc.data is None


def test_ndjson_is_never_released(tmp_path: Path) -> None:
    write(tmp_path, "a.ndjson", '{"a": 1}\n{"a": 2}\n')
    (doc,), _ = scan(tmp_path, Limits())
    assert isinstance(doc, Document)
    doc.release()
    assert doc.data == {"a": 1} and doc.reload() is None


def test_scan_visits_each_entry_as_it_is_read(tmp_path: Path) -> None:
    write(tmp_path, "a.json", "{}")
    write(tmp_path, "b.bin", b"\x00")
    seen: list[str] = []
    found, _ = scan(
        tmp_path,
        Limits(),
        lambda entry: seen.append(entry.file.path if isinstance(entry, Document) else entry.path),
    )
    assert seen == ["a.json", "b.bin"] and len(found) == 2


def test_intake_reads_released_documents_as_it_reads_held_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load_config(REPO / "mldossier.yaml")
    held = intake.read_evidence(config, DEMO_EVIDENCE)
    monkeypatch.setattr(intake, "RELEASE_BYTES", 0)  # every document released, read again
    assert intake.read_evidence(config, DEMO_EVIDENCE) == held


def test_intake_refuses_a_file_changed_between_detection_and_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    monkeypatch.setattr(intake, "RELEASE_BYTES", 0)
    signoff = sorted((evidence / "signoffs").glob("*.yaml"))[0]
    scanned = intake.scan

    def scan_then_edit(*args: Any, **kwargs: Any) -> Any:
        found = scanned(*args, **kwargs)
        signoff.write_text(signoff.read_text("utf-8") + "# edited\n", encoding="utf-8")
        return found

    monkeypatch.setattr(intake, "scan", scan_then_edit)
    with pytest.raises(InputError) as caught:
        intake.read_evidence(load_config(REPO / "mldossier.yaml"), evidence)
    assert [str(p) for p in caught.value.problems] == [
        f"signoffs/{signoff.name}:/: file changed while mldossier was reading the evidence "
        "(run again once nothing writes to the evidence folder)"
    ]


def test_a_released_document_that_grew_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", '{"b": 1}')
    (doc,), _ = scan(tmp_path, Limits())
    assert isinstance(doc, Document)
    doc.release()
    with path.open("ab") as fh:
        fh.write(b" " * (8 * 1024 * 1024))
    assert "file changed while mldossier was reading" in str(doc.reload())


# ---------------------------------------------------------------- evidence.ignore


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("README.md", "*.md"),
        ("README", "README*"),
        ("mlflow/README-export.json", "README*"),
        ("notes/meeting.txt", "*.txt"),
        ("export.log", "*.log"),
        ("mlflow/_requests.json", "_*"),
        ("_scratch/registered_models_search.json", "_*"),
        (".DS_Store", ".*"),
        ("mlflow/.env", ".*"),
    ],
)
def test_the_default_patterns_ignore_notes_logs_and_underscore_names(
    path: str, pattern: str
) -> None:
    assert IgnoreRules().reason(path) == f"matches `{pattern}`, a default of evidence.ignore"


@pytest.mark.parametrize(
    "path",
    [
        "mlflow/registered_models_get__credit_default-scorer.json",
        "mlflow/artifacts/m-1/MLmodel",
        "openlineage/events.ndjson",
        "monitoring/credit-default-scorer/3/drift-2026-11-19.json",
        "signoffs/a_b.yaml",
        "signoffs/a_b.yaml.sig",
    ],
)
def test_the_default_patterns_leave_evidence_alone(path: str) -> None:
    assert IgnoreRules().reason(path) is None


def test_the_configs_patterns_come_after_the_defaults_and_bang_reads_a_file_again() -> None:
    rules = IgnoreRules(("exports/requests/", "!_keep.json", "!README-approval.yaml"))
    assert rules.reason("exports/requests/page1.json") == (
        "matches `exports/requests/`, listed in evidence.ignore"
    )
    assert rules.reason("_keep.json") is None
    assert rules.reason("mlflow/_keep.json") is None  # no slash: at any depth
    assert rules.reason("README-approval.yaml") is None
    assert rules.reason("_other.json") is not None  # the defaults still hold


def test_an_ignored_file_is_hashed_not_parsed_and_a_hidden_folder_not_walked(
    tmp_path: Path,
) -> None:
    write(tmp_path, "README.md", "# not JSON at all {")
    write(tmp_path, "_broken.json", "{ not json")
    write(tmp_path, ".hidden.json", "{")
    write(tmp_path, ".git/HEAD.json", "{")
    write(tmp_path, "a.json", "{}")
    entries, problems = scan(tmp_path, Limits(), ignored=IgnoreRules().reason)
    assert problems == []
    by_path = {(e.file if isinstance(e, Document) else e).path: e for e in entries}
    assert sorted(by_path) == [".hidden.json", "README.md", "_broken.json", "a.json"]
    ignored = by_path["_broken.json"]
    assert isinstance(ignored, SourceFile) and ignored.role is FileRole.IGNORED
    assert ignored.reason == "matches `_*`, a default of evidence.ignore"
    assert ignored.sha256 == hashlib.sha256(b"{ not json").hexdigest()
    assert isinstance(by_path["a.json"], Document)
    # Without rules, as before: hidden files skipped, every other file read, so parsed.
    _, problems = scan(tmp_path, Limits())
    assert [p.file for p in problems] == ["_broken.json"]


def test_an_ignored_symlink_to_nowhere_is_skipped_a_read_one_refused(tmp_path: Path) -> None:
    # Emacs leaves .#name links to no file while a file is edited.
    os.symlink("user@host.1234:1700000000", tmp_path / ".#a.json")
    os.symlink("user@host.1234:1700000000", tmp_path / "b.json")
    entries, problems = scan(tmp_path, Limits(), ignored=IgnoreRules().reason)
    assert entries == []
    assert [str(p) for p in problems] == [
        "b.json:/: symlink does not lead to a file (remove the link or point it at a file)"
    ]


def test_a_sign_off_attachment_is_read_whatever_the_patterns_say() -> None:
    evidence = intake.read_evidence(load_config(REPO / "mldossier.yaml"))
    files = {f.path: f for f in evidence.files}
    attachments = {a.path for s in evidence.signoffs for a in s.attachments}
    assert attachments and all(files[p].kind == "attachment" for p in attachments)
    assert {p.rsplit(".", 1)[-1] for p in attachments} == {"md", "txt"}
    assert [(f.path, f.role) for f in evidence.not_read] == [("README.md", FileRole.IGNORED)]


def test_evidence_is_a_folder_or_a_mapping_of_folder_and_patterns(tmp_path: Path) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text("evidence: exports\n")
    loaded = load_config(config)
    assert (loaded.evidence, loaded.evidence_ignore) == (tmp_path / "exports", ())
    config.write_text("evidence:\n  dir: exports\n  ignore: ['*.csv', '!keep.csv']\n")
    loaded = load_config(config)
    assert (loaded.evidence, loaded.evidence_ignore) == (
        tmp_path / "exports",
        ("*.csv", "!keep.csv"),
    )
    config.write_text("evidence:\n  ignore: ['*.csv']\n")
    assert load_config(config).evidence == tmp_path / "evidence"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("!", '"!" is not a gitignore pattern'),
        (" ", '" " matches nothing (it is blank, a comment or a lone /)'),
        ("#notes", '"#notes" matches nothing (it is blank, a comment or a lone /)'),
    ],
)
def test_an_ignore_pattern_that_cannot_work_is_an_error(
    tmp_path: Path, pattern: str, message: str
) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text(f"evidence:\n  ignore: ['*.csv', {json.dumps(pattern)}]\n")
    with pytest.raises(InputError) as refused:
        load_config(config)
    assert [str(p) for p in refused.value.problems] == [
        f"mldossier.yaml:/evidence/ignore/1: {message} (write a pattern as in .gitignore, "
        "such as notes/ or *.csv)"
    ]


def test_the_schema_names_the_default_patterns() -> None:
    described = load_schema("config")["properties"]["evidence"]["properties"]["ignore"]
    assert f"({' '.join(DEFAULT_IGNORE)})" in described["description"]
