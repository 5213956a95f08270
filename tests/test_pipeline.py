"""The pipeline: the stages in order, sharing one index of the evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from mldossier import pipeline
from mldossier.config import load_config
from mldossier.intake import linking

ROOT = Path(__file__).resolve().parents[1]


def test_one_index_is_built_per_run_and_shared_by_every_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[linking.Index] = []
    original = linking.Index.__init__

    def counting(self: linking.Index, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        built.append(self)

    monkeypatch.setattr(linking.Index, "__init__", counting)
    analysis = pipeline.analyse(load_config(ROOT / "mldossier.yaml"))
    assert built == [analysis.index]
    assert analysis.lineage.index is analysis.index
    # The index reads the evidence the later stages see, linked and with its warnings.
    assert analysis.index.evidence is analysis.results.evidence
    assert analysis.results.evidence.unlinked  # the demo has an unlinked report: linked evidence
