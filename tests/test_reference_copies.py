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


REVIEWED_REGULATION_SHA256 = "4527b0a041afc288a913f80b120a3c347be71e1c94b68031f0b93fdaab5e58b9"
"""The regulation.md the catalogs were last reviewed against: Regulation (EU) 2024/1689 as
amended by Regulation (EU) 2026/1744, status as of 2026-12-01 (the catalog issue moved the
catalogs and this copy to it)."""


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this checkout")
def test_the_samples_match_the_shared_originals() -> None:
    assert _tree(SAMPLES) == _tree(SHARED / "samples")
    assert REFERENCE == SAMPLES.parent


def test_the_regulation_copy_is_the_reviewed_one() -> None:
    assert hashlib.sha256(REGULATION.read_bytes()).hexdigest() == REVIEWED_REGULATION_SHA256


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this checkout")
def test_the_regulation_copy_is_the_shared_one() -> None:
    """A change of ../shared's text fails here: the catalogs must be reviewed against it."""
    assert (SHARED / "reference" / "regulation.md").read_bytes() == REGULATION.read_bytes()
