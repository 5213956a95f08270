"""Sizes in mldossier.yaml are bounded by the schema: a huge one is a config error naming the
key, never an OverflowError (issue 23: ``limits.max_document_mb: 1.0e+15`` was exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO_EVIDENCE
from test_cli import run


@pytest.mark.parametrize(
    ("section", "key"),
    [("limits", "max_document_mb"), ("limits", "max_stream_mb"), ("cache", "max_mb")],
)
def test_a_size_beyond_a_tebibyte_is_a_config_error(tmp_path: Path, section: str, key: str) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text(f"evidence: {DEMO_EVIDENCE}\n{section}:\n  {key}: 1.0e+15\n")
    code, stdout, stderr = run("--config", str(config), "validate")
    assert (code, stdout) == (2, "")
    assert stderr.splitlines() == [
        f"error: mldossier.yaml:/{section}/{key}: 1000000000000000.0 is out of range (maximum "
        "1048576) (fix the value)",
        "mldossier: 1 problem(s) in the input; nothing was written",
    ]
