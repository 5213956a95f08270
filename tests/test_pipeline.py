"""The pipeline: the stages in order, sharing one index of the evidence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mldossier import pipeline
from mldossier.config import load_config
from mldossier.evaluate.verdicts import Results
from mldossier.intake import linking
from mldossier.render.text import format_terminal
from mldossier.status import STATUSES

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


# ---------------------------------------------------------------- look-ups that stay linear


class Walks(tuple):  # type: ignore[type-arg]
    """A tuple that counts how often it is walked (iterated) from start to end."""

    walks: int

    def __new__(cls, items: Iterable[object]) -> Walks:
        made = super().__new__(cls, items)
        made.walks = 0
        return made

    def __iter__(self) -> Iterator[Any]:
        self.walks += 1
        return super().__iter__()


@pytest.fixture(scope="module")
def demo() -> pipeline.Analysis:
    return pipeline.analyse(load_config(ROOT / "mldossier.yaml"))


def selections(results: Results) -> list[tuple[str | None, str | None]]:
    """Every (framework, system) counts() can be asked for, "any", "organisation" and unknowns."""
    frameworks = [None, *sorted({v.control.framework for v in results.verdicts}), "no such"]
    systems = [None, "", *sorted({v.system for v in results.verdicts if v.system}), "no such"]
    return [(fw, system) for fw in frameworks for system in systems]


def test_counts_agree_with_a_count_of_the_verdicts_for_every_framework_and_system(
    demo: pipeline.Analysis,
) -> None:
    results = demo.results
    for framework, system in selections(results):
        expected = dict.fromkeys((s.value for s in STATUSES), 0)
        for v in results.verdicts:
            if framework in (None, v.control.framework) and system in (None, v.system):
                expected[v.status] += 1
        got = results.counts(framework=framework, system=system)
        assert got == expected, (framework, system)
        # Every status, in the status order, under plain strings (results.json's keys).
        assert [(type(k), k) for k in got] == [(str, s.value) for s in STATUSES]
    assert sum(results.counts().values()) == len(results.verdicts)


def test_counts_walk_the_verdicts_once_however_often_they_are_asked(
    demo: pipeline.Analysis,
) -> None:
    results = replace(demo.results, verdicts=Walks(demo.results.verdicts))
    asked = selections(results)
    walked_to_list_them = results.verdicts.walks
    for framework, system in asked * 2:
        results.counts(framework=framework, system=system)
    assert len(asked) > 20
    assert results.verdicts.walks - walked_to_list_them == 1


def test_the_terminal_summary_walks_the_verdicts_a_fixed_number_of_times(
    demo: pipeline.Analysis,
) -> None:
    """Not once per framework and system: the summary stays linear in systems × verdicts."""
    for verbose in (False, True):
        text = format_terminal(demo.results, verbose=verbose)
        results = replace(demo.results, verdicts=Walks(demo.results.verdicts))
        assert format_terminal(results, verbose=verbose) == text
        # the tally of counts(), the systems and statuses, the findings, the root causes
        assert results.verdicts.walks == 4
