"""The pipeline: the stages in order, sharing one index of the evidence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import factories as f
import pytest

from mldossier import pipeline
from mldossier.config import Config, load_config
from mldossier.evaluate.verdicts import Results
from mldossier.intake import linking
from mldossier.model import Evidence
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


def test_signoffs_of_is_the_filter_of_the_sign_offs_for_every_system_and_version(
    demo: pipeline.Analysis,
) -> None:
    index = demo.index
    signoffs = index.evidence.signoffs
    assert any(s.version is not None for s in signoffs) and any(s.version is None for s in signoffs)
    names = sorted({s.system for s in signoffs} | set(index.systems)) + ["no-such-system"]
    for name in names:
        numbers = {s.version for s in signoffs if s.system == name and s.version is not None}
        numbers |= {v.version for v in index.versions.get(name, [])}
        for number in [None, *sorted(numbers), "999"]:
            expected = [
                s
                for s in signoffs
                if s.system == name and (s.version is None or s.version == number)
            ]
            assert index.signoffs_of(name, number) == expected, (name, number)


def test_a_versions_sign_offs_come_with_its_systems_in_evidence_order_from_one_walk() -> None:
    own = f.signoff("risk_assessment", id_="OWN-1"), f.signoff("fria", id_="OWN-2")
    v3 = (
        f.signoff("change_approval", version_="3", id_="V3-1"),
        f.signoff("x", version_="3", id_="V3-2"),
    )
    v2 = f.signoff("anomaly_review", version_="2", id_="V2")
    other = f.signoff("change_approval", "fraud-detector", version_="3", id_="OTHER")
    evidence = Evidence(
        root="evidence", files=(), signoffs=Walks((v3[0], own[0], v2, other, v3[1], own[1]))
    )
    index = linking.Index(evidence, Config())

    def ids(system: str, version: str | None = None) -> list[str]:
        return [s.id for s in index.signoffs_of(system, version)]

    assert ids("credit-default-scorer") == ["OWN-1", "OWN-2"]
    assert ids("credit-default-scorer", "3") == ["V3-1", "OWN-1", "V3-2", "OWN-2"]
    assert ids("credit-default-scorer", "2") == ["OWN-1", "V2", "OWN-2"]
    assert ids("credit-default-scorer", "9") == ["OWN-1", "OWN-2"]
    assert ids("fraud-detector", "3") == ["OTHER"]
    assert ids("fraud-detector") == ids("unknown") == []
    assert evidence.signoffs.walks == 1  # type: ignore[attr-defined]
