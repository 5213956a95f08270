"""Two builds of the same inputs give byte-identical bundles, and verify catches tampering."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_EVIDENCE, REPO

CONFIG = REPO / "mldossier.yaml"


def build(out: Path, cwd: Path, tz: str, lang: str) -> None:
    env = {**os.environ, "TZ": tz, "LANG": lang, "LC_ALL": lang}
    env.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mldossier.cli",
            "--config",
            str(CONFIG),
            "build",
            "--evidence",
            str(DEMO_EVIDENCE),
            "--out",
            str(out),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("repro")
    (base / "one").mkdir()
    (base / "two" / "deeper").mkdir(parents=True)
    first, second = base / "one" / "site", base / "two" / "deeper" / "bundle"
    build(first, base / "one", "UTC", "C.UTF-8")
    build(second, base / "two" / "deeper", "Pacific/Kiritimati", "de_DE.UTF-8")
    return first, second


@pytest.mark.slow
def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = (files(p) for p in two_builds)
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
    assert {"index.html", "report.pdf", "results.json", "manifest.json"} <= set(first)


@pytest.mark.slow
def test_the_report_id_is_shown_in_the_site_and_the_pdf(two_builds: tuple[Path, Path]) -> None:
    bundle = two_builds[0]
    report_id = json.loads((bundle / "manifest.json").read_text())["report_id"]
    assert report_id[:12] in (bundle / "index.html").read_text()
    text = subprocess.run(
        ["pdftotext", str(bundle / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert pages and all(f"Report {report_id[:12]}" in page for page in pages)


@pytest.mark.slow
@pytest.mark.parametrize(
    "victim",
    [
        "evidence-files/mlflow/registered_models_get__income-verifier.json",
        "index.html",
        "report.pdf",
    ],
)
def test_verify_names_a_flipped_byte_in_a_real_bundle(
    two_builds: tuple[Path, Path], tmp_path: Path, victim: str
) -> None:
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(two_builds[0], bundle)
    path = bundle / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    result = subprocess.run(
        [sys.executable, "-m", "mldossier.cli", "verify", str(bundle)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"modified: {victim}" in result.stdout.splitlines()
    clean = subprocess.run(
        [sys.executable, "-m", "mldossier.cli", "verify", str(two_builds[1])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.returncode == 0 and "intact" in clean.stdout


def test_results_json_written_verdict_by_verdict_is_the_same_bytes() -> None:
    from mldossier.config import load_config
    from mldossier.pipeline import analyse
    from mldossier.render.results_json import dumps, results_bytes, to_json

    results = analyse(load_config(CONFIG), DEMO_EVIDENCE).results
    text = results_bytes(results)
    assert text == dumps(to_json(results)).encode()
    assert len(json.loads(text)["results"]) == len(results.verdicts) > 100
    # Nothing to write verdict by verdict, and what orjson cannot write: json's text.
    empty = dataclasses.replace(results, verdicts=())
    assert results_bytes(empty) == dumps(to_json(empty)).encode()
    first = results.verdicts[0]
    huge = dataclasses.replace(
        results, verdicts=(dataclasses.replace(first, reasons=(*first.reasons, 2**70)),)
    )  # type: ignore[arg-type]
    assert results_bytes(huge) == dumps(to_json(huge)).encode()
