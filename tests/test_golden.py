"""The demo's verdicts, pinned: one line per ``control · subject · status``.

A refactor that changes a verdict shows it here and in the diff of
``tests/golden/demo-verdicts.txt``. When a change of verdict is intended, regenerate the file
with ``MLDOSSIER_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EVALUATION_DATE

from mldossier.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests/golden/demo-verdicts.txt"


def verdict_table(results: dict[str, object]) -> str:
    """``control · subject · status`` per verdict, in the results' own order."""
    rows = results["results"]
    assert isinstance(rows, list)
    return "".join(f"{r['control']} · {r['subject']} · {r['status']}\n" for r in rows)


def test_the_demo_verdicts_match_the_golden_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "results.json"
    # The tests' evaluation date, not today: ages, freshness and triage deadlines move with it.
    args = ["check", "--no-cache", "--as-of", EVALUATION_DATE, "--json", str(out)]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 1, done.output  # the demo has planted gaps
    table = verdict_table(json.loads(out.read_text()))
    if os.environ.get("MLDOSSIER_UPDATE_GOLDEN"):
        GOLDEN.write_text(table, encoding="utf-8")
    assert table == GOLDEN.read_text(encoding="utf-8")
