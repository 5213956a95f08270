"""Shared fixtures: the real sample exports in ../shared/samples and the demo evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
DEMO_EVIDENCE = REPO / "evidence"


@pytest.fixture(scope="session")
def samples() -> Path:
    """The folder of real exports written by MLflow, OpenLineage and Evidently."""
    assert SAMPLES.is_dir(), f"the real sample exports are expected at {SAMPLES}"
    return SAMPLES
