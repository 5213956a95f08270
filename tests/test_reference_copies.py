"""The copies in tests/reference are the shared reference material, byte for byte.

The suite reads its real-export fixtures from ``tests/reference`` so that a clone alone runs
it; when the originals sit beside the checkout (``../shared``), any difference fails here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import REFERENCE, REGULATION, SAMPLES, SHARED


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_copies_are_there() -> None:
    assert (SAMPLES / "README.md").is_file()
    assert len(_tree(SAMPLES)) > 50
    assert "EU AI Act — Regulation (EU) 2024/1689" in REGULATION.read_text("utf-8")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this checkout")
def test_the_copies_match_the_shared_originals() -> None:
    assert _tree(SAMPLES) == _tree(SHARED / "samples")
    assert REGULATION.read_bytes() == (SHARED / "reference" / "regulation.md").read_bytes()
    assert REFERENCE == SAMPLES.parent
