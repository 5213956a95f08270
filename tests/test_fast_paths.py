"""The fast paths give the same answers as the slow ones they stand in for.

Two speed-ups read bulk evidence: libyaml (C) parses YAML that cannot hold an alias, and
jsonschema-rs checks bulk evidence schemas first. Both only answer "valid" early (what
jsonschema-rs accepts, jsonschema must accept too); anything
else goes to PyYAML's pure-Python loader and to ``jsonschema``, whose messages are pinned.
These tests run every YAML and JSON file of the demo evidence, the real samples and the
hostile corpus (generated in memory by tests/hostile/make_corpus.py) through both sides
and compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_EVIDENCE, HOSTILE, REPO, SAMPLES, make_hostile_corpus

from mldossier.formats import InputProblem
from mldossier.formats import yaml as safe_yaml
from mldossier.formats.json import parse_json_text
from mldossier.formats.schema import FAST_SCHEMAS, fast_validator, validator
from mldossier.formats.yaml import parse_yaml_text

FOLDERS = (DEMO_EVIDENCE, SAMPLES, HOSTILE)
HOSTILE_CORPUS = f"{REPO.name}/tests/hostile"
"""The name the generated corpus files go by here, as if they were in tests/hostile/."""


def _utf8(data: bytes) -> bool:
    """Files that are not UTF-8 are refused before any parser sees them."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _all_files() -> list[tuple[str, bytes]]:
    """Every file to compare: name (relative to the checkout's parent) and bytes."""
    found = [
        (str(path.relative_to(REPO.parent)), path.read_bytes())
        for folder in FOLDERS
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]
    found += [
        (f"{HOSTILE_CORPUS}/{rel}", data) for rel, data in sorted(make_hostile_corpus().items())
    ]
    return sorted(found)


def _files(files: list[tuple[str, bytes]], *suffixes: str) -> list[tuple[str, bytes]]:
    return [
        (name, data)
        for name, data in files
        if (Path(name).suffix in suffixes or (".yaml" in suffixes and Path(name).name == "MLmodel"))
        and len(data) <= 1024 * 1024
        and _utf8(data)
    ]


_ALL = _all_files()
YAML_FILES = _files(_ALL, ".yaml", ".yml")
JSON_FILES = _files(_ALL, ".json")
del _ALL


def _outcome(text: str) -> tuple[str, Any]:
    try:
        return "value", parse_yaml_text(text)
    except InputProblem as exc:
        return "problem", (exc.pointer, exc.message, exc.fix)


def test_there_are_enough_files_to_compare() -> None:
    assert len(YAML_FILES) > 100, len(YAML_FILES)
    assert len(JSON_FILES) > 200, len(JSON_FILES)


@pytest.mark.parametrize("data", [pytest.param(data, id=name) for name, data in YAML_FILES])
def test_libyaml_reads_what_the_pure_loader_reads(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    fast = _outcome(text)
    monkeypatch.setattr(safe_yaml, "_FastYamlLoader", None)
    assert _outcome(text) == fast


def _documents() -> list[tuple[str, Any]]:
    docs = []
    for name, data in JSON_FILES:
        try:
            docs.append((name, parse_json_text(data.decode("utf-8"))))
        except (InputProblem, UnicodeDecodeError):
            continue
    for name, data in YAML_FILES:
        try:
            docs.append((name, parse_yaml_text(data.decode("utf-8"))))
        except (InputProblem, UnicodeDecodeError):
            continue
    return docs


@pytest.mark.parametrize("schema", sorted(FAST_SCHEMAS))
def test_jsonschema_rs_and_jsonschema_agree_on_every_file(schema: str) -> None:
    fast, slow = fast_validator(schema), validator(schema)
    assert fast is not None, "jsonschema-rs is a dependency; the fast path must be in use"
    disagree, valid, stricter = [], 0, 0
    for name, data in _documents():
        try:
            fast_valid = fast.is_valid(data)
        except (ValueError, TypeError, OverflowError):
            continue  # the fast path steps aside; jsonschema alone decides
        slow_valid = not any(True for _ in slow.iter_errors(data))
        valid += slow_valid
        stricter += slow_valid and not fast_valid
        # The fast path only ever answers "valid"; a "not valid" goes to jsonschema, which
        # decides (jsonschema-rs refuses NaN and checks date-time without optional packages).
        if fast_valid and not slow_valid:
            disagree.append((name, fast_valid, json.dumps(data, default=str)[:200]))
    assert not disagree, disagree
    assert valid > stricter, f"few files are valid under {schema}: the comparison proves little"
