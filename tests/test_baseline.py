"""``--baseline`` that is not a results JSON: a plain exit-2 message naming the place, read
before anything is written (issue 23: six malformed shapes and a FIFO used to end in exit 3
or block for ever)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO
from test_cli import run

CONFIG = REPO / "mldossier.yaml"
WRITTEN = "mldossier: 1 problem(s) in the input; nothing was written"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", ["mldossier: baseline {b} is not an mldossier results JSON (no results list)"]),
        ('{"results": 5}', ["mldossier: baseline {b} is not an mldossier results JSON (no results list)"]),
        ('{"results": [1]}', ["error: {b}:/results/0: expected object, got 1 (write an object here)", WRITTEN]),
        (
            '{"results": [{"control": "A", "subject": "s"}]}',
            ["error: {b}:/results/0: missing required field 'status' (add 'status')", WRITTEN],
        ),
        (
            '{"results": [], "subjects": [{"kind": "system"}]}',
            ["error: {b}:/subjects/0: missing required field 'name' (add 'name')", WRITTEN],
        ),
        (
            '{"results": [], "evidence": {"files": [{"path": "a", "sha256": 7}]}}',
            ["error: {b}:/evidence/files/0/sha256: expected string, got 7 (write a string here)", WRITTEN],
        ),
        (
            '{"results": [], "results": []}',
            [
                "error: {b}:/: duplicate key 'results' in an object (each key may appear once; "
                "remove the repeated one)",
                WRITTEN,
            ],
        ),
        (
            "[" * 100_000,
            [
                "error: {b}:/: JSON is nested too deeply to read (no real export nests this deep; "
                "check how the file was made)",
                WRITTEN,
            ],
        ),
    ],
    ids=["list", "results-not-list", "result-not-object", "no-status", "subject-no-name", "sha-not-string", "duplicate-key", "deep"],
)  # fmt: skip
def test_a_malformed_baseline_is_exit_2_and_nothing_is_written(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text(text)
    out = tmp_path / "r.json"
    code, stdout, stderr = run(
        "--config", str(CONFIG), "check", "--baseline", str(baseline), "--json", str(out)
    )
    assert (code, stdout) == (2, "")
    assert stderr.splitlines() == [line.format(b=baseline) for line in expected]
    assert not out.exists()


def test_a_fifo_baseline_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "b.json"
    os.mkfifo(fifo)
    code, stdout, stderr = run("--config", str(CONFIG), "check", "--baseline", str(fifo))
    assert (code, stdout) == (2, "")
    assert stderr.splitlines() == [
        f"mldossier: baseline {fifo} cannot be read: not a regular file (give a results JSON "
        "or a bundle folder)"
    ]
