"""Which Evidently versions' reports are read, on files the real old versions wrote
(``tests/reference/evidently-legacy``, made by ``scripts/make_legacy_evidently.py``).

What these tests pin is the state docs/formats.md describes: 0.7 is read (see
test_import_evidently.py); the 0.4–0.6 ``Report.json()`` and ``TestSuite.json()`` forms are not
read yet and are listed as files of no known shape, never silently counted as monitoring;
0.6's ``evidently.future`` ``json()`` (0.7's shape without the metrics' ``config``) is read,
each metric's config taken from the tests bound to it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REFERENCE, SAMPLES
from test_cli import run

from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.evidently import EvidentlyImporter, with_metric_configs

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


def test_the_0_6_future_report_is_read_with_the_config_its_tests_carry(tmp_path: Path) -> None:
    # 0.6's evidently.future json() is 0.7's snapshot.json() without each metric's config:
    # the config is in the tests bound to the metric (tests[].metric_config.params).
    source = LEGACY / "0.6.7" / "future_drift_report.json"
    data = json.loads(source.read_text())
    assert all("config" not in m for m in data["metrics"])
    shutil.copy(source, tmp_path / "r.json")
    found, _ = scan(tmp_path, Limits())
    importer = EvidentlyImporter(ImportContext(tmp_path))
    result = ImportResult()
    for doc in found:
        assert isinstance(doc, Document) and importer.detect(doc)
        importer.read(doc, result)
    importer.finish(result)
    assert result.problems == []
    (report,) = result.records["reports"]
    assert report.reference and report.dataset_drift is not None
    # The same data as the 0.4 and 0.6 legacy drift reports, the same findings.
    legacy = json.loads((LEGACY / "0.6.7" / "drift_report.json").read_text())
    table = next(m for m in legacy["metrics"] if m["metric"] == "DataDriftTable")["result"]
    assert report.dataset_drift.drifted_columns == table["number_of_drifted_columns"] == 5
    assert report.dataset_drift.share == table["share_of_drifted_columns"]
    by_column = {c.column: c for c in report.column_drift}
    assert {c: d.drifted for c, d in by_column.items()} == {
        c: d["drift_detected"] for c, d in table["drift_by_columns"].items()
    }
    assert by_column["mean radius"].cite.pointer == "/metrics/1"
    assert {d.threshold for d in by_column.values()} == {0.05}


def test_a_0_6_metric_no_test_is_bound_to_gets_its_class_and_column_from_its_id() -> None:
    data = json.loads((LEGACY / "0.6.7" / "future_drift_report.json").read_text())
    data["tests"] = []
    filled, where = with_metric_configs(data)
    assert filled["metrics"][1]["config"] == {
        "type": "evidently:metric_v2:ValueDrift",
        "column": "mean radius",
    }
    assert where[1] == "/metrics/1/metric_id"
    assert "config" not in data["metrics"][1]  # the file's data is left as read
