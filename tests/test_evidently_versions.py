"""Which Evidently versions' reports are read, on files the real old versions wrote
(``tests/reference/evidently-legacy``, made by ``scripts/make_legacy_evidently.py``).

What these tests pin is the state docs/formats.md describes: 0.7 is read (see
test_import_evidently.py); the 0.4–0.6 ``Report.json()`` and ``TestSuite.json()`` forms are not
read yet and are listed as files of no known shape, never silently counted as monitoring;
0.6's ``evidently.future`` ``json()`` (0.7's shape without the metrics' ``config``) is refused
as invalid. When a reader for them lands, these tests change with it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REFERENCE, SAMPLES
from test_cli import run

LEGACY = REFERENCE / "evidently-legacy"


def evidence_with(tmp_path: Path, *reports: Path) -> Path:
    """The real MLflow samples and the given reports under monitoring/<model>/<version>/."""
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLES / "mlflow" / "rest", evidence / "mlflow")
    for error in (evidence / "mlflow").glob("error_*"):
        error.unlink()
    folder = evidence / "monitoring" / "breast-cancer-classifier" / "2"
    folder.mkdir(parents=True)
    for report in reports:
        shutil.copy(report, folder / report.name)
    return evidence


def test_every_fixture_was_written_by_the_version_it_is_filed_under() -> None:
    for version in ("0.4.40", "0.6.7"):
        for path in sorted((LEGACY / version).glob("*.json")):
            data = json.loads(path.read_text())
            if "version" in data:  # the legacy API stamps the version that wrote it
                assert data["version"] == version, path


@pytest.mark.parametrize("version", ["0.4.40", "0.6.7"])
def test_legacy_reports_and_test_suites_are_listed_not_read(tmp_path: Path, version: str) -> None:
    reports = [
        LEGACY / version / n
        for n in ("drift_report.json", "classification_report.json", "test_suite.json")
    ]
    evidence = evidence_with(tmp_path, *reports)
    out = tmp_path / "r.json"
    code, _, stderr = run("check", "--evidence", str(evidence), "--json", str(out))
    assert code in (0, 1), stderr
    files = {f["path"]: f for f in json.loads(out.read_text())["evidence"]["files"]}
    for report in reports:
        entry = files[f"monitoring/breast-cancer-classifier/2/{report.name}"]
        assert (entry["role"], entry["reason"]) == ("not_evidence", "no importer reads its shape")
    # never counted as monitoring: the version has no report
    results = json.loads(out.read_text())["results"]
    fresh = [
        v
        for v in results
        if v["subject"] == "breast-cancer-classifier@2"
        and any(c["check"] == "monitoring_fresh" for c in v["checks"])
    ]
    assert fresh and all(v["status"] != "no_exception" for v in fresh)


def test_the_0_6_future_report_is_refused_for_its_missing_metric_config(tmp_path: Path) -> None:
    evidence = evidence_with(tmp_path, LEGACY / "0.6.7" / "future_drift_report.json")
    code, stdout, stderr = run("check", "--evidence", str(evidence))
    assert (code, stdout) == (2, "")
    where = "monitoring/breast-cancer-classifier/2/future_drift_report.json"
    assert stderr.splitlines()[0] == (
        f"error: {where}:/metrics/0: missing required field 'config' (add 'config')"
    )
