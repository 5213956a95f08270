"""Smoke runs of the scale benchmark (XS, and S as issue 10 asks), so it cannot rot.

No timing is asserted: the times are measured and written down in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mldossier.config import load_config
from mldossier.intake.linking import Index, is_production
from mldossier.intake.read import read_evidence
from mldossier.lineage.graph import build_graph
from mldossier.lineage.runs import serving_runs_of, training_runs_of

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "generation.json"
    }


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _module("generate")


def test_generator_is_deterministic(generate: ModuleType, tmp_path: Path) -> None:
    first = generate.generate("XS", tmp_path / "a")
    second = generate.generate("XS", tmp_path / "b")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    other_seed = generate.generate("XS", tmp_path / "c", seed=1)
    assert _digests(tmp_path / "a") != _digests(tmp_path / "c")
    for summary in (first, second, other_seed):
        assert summary["events"] == generate.SIZES["XS"].events
    lines = (tmp_path / "a" / "evidence" / "openlineage" / "events.ndjson").read_bytes()
    assert lines.count(b"\n") == generate.SIZES["XS"].events
    assert first["ndjson_bytes"] == len(lines)


def test_generated_evidence_is_valid_and_linked(generate: ModuleType, tmp_path: Path) -> None:
    generate.generate("XS", tmp_path)
    config = load_config(tmp_path / "mldossier.yaml")
    evidence = read_evidence(config, tmp_path / "evidence")  # raises on any invalid input
    size = generate.SIZES["XS"]
    assert len(evidence.registered_models) == size.systems
    assert len(evidence.model_versions) == size.versions
    assert len(evidence.mlflow_runs) == len(evidence.logged_models) == size.versions
    assert len(evidence.signatures) == size.versions
    assert len(evidence.reports) == size.reports
    assert all(r.model_name and r.model_version for r in evidence.reports)
    assert evidence.unlinked == ()
    graph = build_graph(evidence, config, Index(evidence, config))
    untrained = sorted(v.key for v in evidence.model_versions if not training_runs_of(graph, v))
    # The planted gap: the training events of the first version of system 3 were "lost".
    assert untrained == ["marketing-propensity-0003@1"]
    production = [v for v in evidence.model_versions if is_production(v, config)]
    assert sorted(v.name for v in production) == sorted(m.name for m in evidence.registered_models)
    assert all(serving_runs_of(graph, v) for v in production)
    assert sum(1 for r in evidence.lineage_runs if r.state == "FAIL") > 0


def test_changed_signoff_stays_valid(generate: ModuleType, tmp_path: Path) -> None:
    run = _module("run")
    generate.generate("XS", tmp_path)
    target, original = run.change_one_file(tmp_path / "evidence")
    assert target.read_bytes() != original
    evidence = read_evidence(load_config(tmp_path / "mldossier.yaml"), tmp_path / "evidence")
    changed = [
        s
        for s in evidence.signoffs
        if s.cite.file == target.relative_to(tmp_path / "evidence").as_posix()
    ]
    assert len(changed) == 1 and changed[0].statement.startswith("(Reviewed again.)")


def test_a_sweep_size_grows_every_system_alike(generate: ModuleType, tmp_path: Path) -> None:
    size = generate.size_named("sweep-3", events_per_system=400)
    assert size == generate.Size(systems=3, versions=12, events=1_200, reports=12)
    assert generate.size_named("XS") == generate.SIZES["XS"]
    with pytest.raises(ValueError, match="unknown size 'sweep-x': choose from XS, S, M, L or"):
        generate.size_named("sweep-x")
    summary = generate.generate("sweep-3", tmp_path, size=size)
    assert (summary["systems"], summary["events"], summary["events_per_system"]) == (3, 1_200, 400)
    lines = (tmp_path / "evidence" / "openlineage" / "events.ndjson").read_bytes()
    assert lines.count(b"\n") == 1_200
    evidence = read_evidence(load_config(tmp_path / "mldossier.yaml"), tmp_path / "evidence")
    assert len(evidence.registered_models) == 3 and len(evidence.model_versions) == 12


def test_the_systems_sweep_measures_each_number_of_systems(tmp_path: Path) -> None:
    """``run.py --sweep`` at two tiny sizes: generate, floor and a cold check of each."""
    raw = run_benchmark(tmp_path, None, "--sweep", "4,2", "--events-per-system", "100", "--clean")
    assert "sizes" in raw and raw["sizes"] == {}  # the sweep alone: no size was run
    sweep = raw["sweep"]
    assert sweep["events_per_system"] == 100 and sorted(sweep["points"]) == ["2", "4"]
    assert sweep["machine"]["nproc"] >= 1
    for count, point in sweep["points"].items():
        runs = point["runs"]
        assert [runs[n]["exit_code"] for n in ("generate", "floor", "check")] == [0, 0, 1]
        assert point["generation"]["systems"] == int(count)
        assert point["generation"]["events"] == 100 * int(count)
        assert "--no-cache" in runs["check"]["command"]
    text = (tmp_path / "RESULTS.md").read_text()
    assert "<!-- sweep:start" in text and "<!-- sweep:end -->" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 2 |", "| 4 |"))]
    assert [r.split(" | ")[0] for r in rows] == ["| 2", "| 4"]  # fewest systems first
    assert rows[0].endswith("| – | – |") and not rows[1].endswith("| – | – |")
    assert not (tmp_path / "data" / "sweep-2").exists()  # --clean


def run_benchmark(tmp_path: Path, size: str | None, *options: str) -> dict[str, Any]:
    """``run.py`` at one size (None: none) into ``tmp_path`` (data/, RESULTS.md); its raw
    results."""
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            *(["--sizes", size] if size is not None else []),
            "--data",
            str(tmp_path / "data"),
            "--results",
            str(tmp_path / "RESULTS.md"),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((tmp_path / "results.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_benchmark_run_writes_sane_results(tmp_path: Path) -> None:
    data, results = tmp_path / "data", tmp_path / "RESULTS.md"
    raw = run_benchmark(tmp_path, "XS", "--no-rebuild", "--clean")
    record = raw["sizes"]["XS"]
    runs = record["runs"]
    assert set(runs) == {"generate", "floor", "check", "build"}
    assert runs["generate"]["exit_code"] == runs["floor"]["exit_code"] == 0
    assert runs["check"]["exit_code"] == 1  # the planted gaps fail controls
    assert runs["build"]["exit_code"] == 0
    assert all(r["wall_s"] > 0 and r["rss_mb"] > 0 for r in runs.values())
    site = record["site"]
    assert site["html_pages"] > 4 + 10  # overview, systems, controls, ... and 4 systems
    if shutil.which("pdfinfo"):
        assert site["pdf_pages"] > 0
    assert site["pdf_bytes"] > 0
    assert raw["machine"]["nproc"] >= 1 and raw["machine"]["libraries"]["orjson"]
    text = results.read_text()
    assert "<!-- measurements:start" in text and "<!-- measurements:end -->" in text
    assert "| | XS |" in text and "orjson floor" in text
    assert not (data / "XS").exists()  # --clean removed the generated evidence


@pytest.mark.slow
def test_benchmark_rebuild_starts_cold_and_rebuilds_warm(tmp_path: Path) -> None:
    """The build is measured from an empty cache; the rebuild and a check find it filled."""
    data, results = tmp_path / "data", tmp_path / "RESULTS.md"
    record = run_benchmark(tmp_path, "XS", "--no-pdf")["sizes"]["XS"]
    runs = record["runs"]
    assert set(runs) == {"generate", "floor", "check", "build", "rebuild", "check, warm"}
    assert [runs[n]["exit_code"] for n in ("build", "rebuild", "check", "check, warm")] == [
        0,
        0,
        1,
        1,
    ]
    assert record["cache"] is True and record["cache_bytes"] > 0
    assert (data / "XS" / ".mldossier-cache").is_dir()
    # The changed sign-off was put back: the evidence is as generated.
    generated = _module("generate")
    generated.generate("XS", tmp_path / "again")
    assert _digests(data / "XS" / "evidence") == _digests(tmp_path / "again" / "evidence")
    text = results.read_text()
    assert "| rebuild, 1 file changed (warm cache): wall · CPU · peak RSS (load) |" in text
    assert "| rebuild ÷ build (wall / CPU) |" in text


@pytest.mark.slow
def test_benchmark_runs_at_size_s(tmp_path: Path) -> None:
    """Size S (20 systems, 10,000 events) end to end: generate, floor, check and build."""
    record = run_benchmark(tmp_path, "S", "--no-rebuild", "--clean")["sizes"]["S"]
    runs = record["runs"]
    assert [runs[n]["exit_code"] for n in ("generate", "floor", "check", "build")] == [0, 0, 1, 0]
    size = _module("generate").SIZES["S"]
    assert record["generation"]["events"] == size.events == 10_000
    assert record["site"]["html_pages"] > size.systems * 5
    assert record["site"]["pdf_bytes"] > 0
    assert "| | S |" in (tmp_path / "RESULTS.md").read_text()
    assert not (tmp_path / "data" / "S").exists()
