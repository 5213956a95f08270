"""The Evidently importer on the real Evidently 0.7.23 exports, and on edited copies of them."""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.evidently import (
    EvidentlyImporter,
    drifted_by_method,
    method_direction,
)
from mldossier.model import MonitoringReport

SAMPLE_FILES = [
    "classification_report.full_snapshot.json",
    "classification_report.json",
    "combined_report.json",
    "data_drift_report.full_snapshot.json",
    "data_drift_report.json",
]
DRIFTED = {"mean_radius", "mean_texture", "worst_area", "clinic_site"}
SHARE_METRIC = "15e89f895b482f9b84ba7274ed18a106"


def evidently_sample(samples: Path, name: str) -> Path:
    """One real Evidently export."""
    return samples / "evidently" / name


def load(samples: Path, name: str) -> dict[str, Any]:
    """A real export, parsed, to edit."""
    data: dict[str, Any] = json.loads(evidently_sample(samples, name).read_text("utf-8"))
    return data


def put(root: Path, rel: str, content: dict[str, Any] | Path) -> None:
    """Write a JSON document (or copy a file) into the evidence folder."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Path):
        shutil.copyfile(content, target)
    else:
        target.write_text(json.dumps(content), "utf-8")


def import_folder(root: Path, naive_warnings: bool = False) -> ImportResult:
    """Scan a folder and run the Evidently importer over what it claims, as the pipeline does
    (``naive_warnings``: keep the warning about timestamps without a time zone)."""
    found, problems = scan(root, Limits())
    importer = EvidentlyImporter(ImportContext(root))
    result = ImportResult(problems=list(problems))
    for entry in found:
        if isinstance(entry, Document) and importer.detect(entry):
            importer.read(entry, result)
    importer.finish(result)
    # Real snapshots carry Evidently's naive local timestamps: each gets the warning that
    # test_a_timestamp_without_a_zone_is_utc_with_a_warning pins; the other tests look past it.
    if not naive_warnings:
        result.problems = [p for p in result.problems if NAIVE_TIME not in p.message]
    return result


NAIVE_TIME = "have a timestamp without a time zone, read as UTC"


def reports(result: ImportResult) -> list[MonitoringReport]:
    return list(result.records.get("reports", []))


def only_report(root: Path) -> MonitoringReport:
    result = import_folder(root)
    assert [str(p) for p in result.problems] == []
    [report] = reports(result)
    return report


def value_drift(
    metric_id: str, column: str, method: str | None, threshold: float | None, score: float
) -> dict[str, Any]:
    """A ValueDrift metric entry shaped like Evidently's snapshot.json()."""
    return {
        "id": metric_id,
        "metric_name": f"ValueDrift(column={column},method={method},threshold={threshold})",
        "config": {
            "type": "evidently:metric_v2:ValueDrift",
            "column": column,
            "method": method,
            "threshold": threshold,
        },
        "value": score,
    }


def drift_test(metric_id: str, status: str, description: str = "") -> dict[str, Any]:
    """The ValueDriftTest Evidently binds to a ValueDrift metric."""
    return {
        "id": "drift",
        "name": "Value Drift",
        "description": description,
        "metric_config": {"metric_id": metric_id, "params": {}},
        "test_config": {},
        "status": status,
        "bound_test": {
            "type": "evidently:bound_test:ValueDriftBoundTest",
            "test": {"type": "evidently:test_v2:ValueDriftTest", "is_critical": True},
            "metric_fingerprint": metric_id,
        },
    }


# ---------------------------------------------------------------- the real samples


def test_every_real_sample_is_claimed_and_read_without_problems(samples: Path, tmp_path: Path):
    for name in SAMPLE_FILES:
        put(tmp_path, name, evidently_sample(samples, name))
    result = import_folder(tmp_path)
    assert result.problems == []
    got = {r.cite.file: r.form for r in reports(result)}
    assert got == {
        "classification_report.full_snapshot.json": "full",
        "classification_report.json": "snapshot",
        "combined_report.json": "snapshot",
        "data_drift_report.full_snapshot.json": "full",
        "data_drift_report.json": "snapshot",
    }


@pytest.mark.parametrize(
    "name, share_pointer",
    [
        ("data_drift_report.json", "/metrics/0"),
        ("data_drift_report.full_snapshot.json", f"/metric_results/{SHARE_METRIC}"),
        ("combined_report.json", "/metrics/0"),
    ],
)
def test_real_drift_report_4_of_31_columns_drift_but_the_dataset_does_not(
    samples: Path, tmp_path: Path, name: str, share_pointer: str
):
    put(tmp_path, name, evidently_sample(samples, name))
    report = only_report(tmp_path)
    drift = report.dataset_drift
    assert drift is not None
    assert (drift.drifted_columns, drift.threshold, drift.drifted) == (4, 0.5, False)
    assert drift.share == pytest.approx(4 / 31)
    assert drift.cite.pointer == share_pointer
    assert len(report.column_drift) == 31
    assert {c.column for c in report.column_drift if c.drifted} == DRIFTED
    assert {c.decided_by for c in report.column_drift} == {"test"}
    clinic = next(c for c in report.column_drift if c.column == "clinic_site")
    assert (clinic.method, clinic.threshold) == ("chi-square p_value", 0.05)
    assert clinic.score == pytest.approx(3.769751066976319e-48)


def test_drift_scores_are_cited_at_their_metric(samples: Path, tmp_path: Path):
    put(tmp_path, "data_drift_report.json", evidently_sample(samples, "data_drift_report.json"))
    report = only_report(tmp_path)
    radius = next(c for c in report.column_drift if c.column == "mean_radius")
    assert radius.cite.pointer == "/metrics/1"
    assert radius.cite.file == "data_drift_report.json"
    data = load(samples, "data_drift_report.json")
    assert data["metrics"][1]["value"] == radius.score


def test_the_method_direction_agrees_with_every_real_drift_test(samples: Path):
    data = load(samples, "data_drift_report.json")
    status = {t["metric_config"]["metric_id"]: t["status"] for t in data["tests"]}
    checked = 0
    for metric in data["metrics"]:
        config = metric["config"]
        if config["type"] != "evidently:metric_v2:ValueDrift":
            continue
        direction = method_direction(config["method"])
        assert direction is not None
        by_method = drifted_by_method(direction, metric["value"], config["threshold"])
        assert by_method == (status[metric["id"]] == "FAIL"), config["column"]
        checked += 1
    assert checked == 31


def test_real_classification_report_keeps_every_test(samples: Path, tmp_path: Path):
    put(
        tmp_path,
        "classification_report.json",
        evidently_sample(samples, "classification_report.json"),
    )
    report = only_report(tmp_path)
    assert report.dataset_drift is None and report.column_drift == ()
    statuses = [t.status for t in report.tests]
    assert (statuses.count("SUCCESS"), statuses.count("FAIL")) == (7, 3)
    # Every test has the short id "eq": none may be lost to a key collision.
    assert len({t.cite.pointer for t in report.tests}) == 10
    logloss = report.tests[5]
    assert logloss.name == "LogLoss metric: Equal 0.084 ± 0.017"
    assert logloss.status == "FAIL"
    assert logloss.metric_id == "275d2d67f1d9d892b74d8d9bdc07c233"
    assert logloss.cite.pointer == "/tests/5"
    assert logloss.description.startswith("LogLoss metric: Actual value 0.109")


def test_real_full_snapshot_tests_are_found_inside_metric_results(samples: Path, tmp_path: Path):
    put(tmp_path, "c.json", evidently_sample(samples, "classification_report.full_snapshot.json"))
    report = only_report(tmp_path)
    assert report.name == "breast-cancer classification quality"
    assert report.timestamp == datetime(2026, 11, 27, 10, 11, 39, 399025, tzinfo=UTC)
    assert report.timestamp_source == "snapshot"
    assert (report.model_name, report.model_version, report.linked_by) == (
        "breast-cancer-classifier",
        None,
        "metadata",
    )
    assert len(report.tests) == 10
    first = report.tests[0]
    assert first.cite.pointer == "/metric_results/e4f2ea2dab7ab3a65b16ef5124d02db4/tests/0"
    assert first.metric_id == "e4f2ea2dab7ab3a65b16ef5124d02db4"
    assert [t.status for t in report.tests].count("FAIL") == 3


def test_real_full_drift_snapshot_is_linked_by_its_metadata(samples: Path, tmp_path: Path):
    put(
        tmp_path,
        "monitoring/other/9/d.json",
        evidently_sample(samples, "data_drift_report.full_snapshot.json"),
    )
    report = only_report(tmp_path)
    assert (report.model_name, report.model_version, report.linked_by) == (
        "breast-cancer-classifier",
        "demo-logreg",
        "metadata",
    )
    assert report.tags == ("drift", "breast-cancer")
    assert report.name == "breast-cancer drift (injected)"
    assert len(report.tests) == 32


def test_combined_report_holds_drift_and_classification(samples: Path, tmp_path: Path):
    put(tmp_path, "combined_report.json", evidently_sample(samples, "combined_report.json"))
    report = only_report(tmp_path)
    assert len(report.tests) == 42
    assert sum(t.status == "FAIL" for t in report.tests) == 7
    assert len(report.column_drift) == 31


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "rel, expected, source",
    [
        ("drift-2026-05-11.json", datetime(2026, 5, 11, tzinfo=UTC), "filename"),
        ("2026-05-11T08-00-00.json", datetime(2026, 5, 11, 8, 0, 0, tzinfo=UTC), "filename"),
        ("reports/2026-05-11_08-30.json", datetime(2026, 5, 11, 8, 30, tzinfo=UTC), "filename"),
        ("data_drift_report.json", None, "none"),
        ("drift-2026-13-45.json", None, "none"),
        # The date must be in the file name; a dated folder says nothing about this file.
        ("2026-05-11/drift.json", None, "none"),
    ],
)
def test_snapshot_json_is_dated_by_its_file_name_or_undated(
    samples: Path, tmp_path: Path, rel: str, expected: datetime | None, source: str
):
    put(tmp_path, rel, evidently_sample(samples, "data_drift_report.json"))
    report = only_report(tmp_path)
    assert report.timestamp == expected
    assert report.timestamp_source == source
    assert report.undated is (expected is None)


def test_full_snapshot_timestamp_wins_over_the_file_name_and_is_utc(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["timestamp"] = "2026-05-11T10:00:00+02:00"
    put(tmp_path, "drift-2020-01-01.json", data)
    report = only_report(tmp_path)
    assert report.timestamp == datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    assert report.timestamp_source == "snapshot"


def test_impossible_snapshot_timestamp_is_a_problem(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["timestamp"] = "2026-02-30T10:00:00"
    put(tmp_path, "s.json", data)
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "s.json:/timestamp: '2026-02-30T10:00:00' is not a valid date and time "
        "(write an ISO 8601 date-time such as 2026-05-11T08:00:00)"
    ]
    assert reports(result) == []


# ---------------------------------------------------------------- linking


def test_folder_layout_links_a_snapshot_json(samples: Path, tmp_path: Path):
    put(
        tmp_path,
        "monitoring/credit-scorer/3/drift-2026-05-11.json",
        evidently_sample(samples, "data_drift_report.json"),
    )
    report = only_report(tmp_path)
    assert (report.model_name, report.model_version, report.linked_by) == (
        "credit-scorer",
        "3",
        "folder",
    )
    assert report.timestamp == datetime(2026, 5, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "rel",
    [
        "drift.json",
        "monitoring/drift.json",
        "credit-scorer/3/drift.json",
        # An Evidently workspace folder names a project and a snapshot, not a model version.
        "workspace/0196a1b2-project/snapshots/0196a1b3-snapshot.json",
    ],
)
def test_too_shallow_a_report_is_kept_unlinked(samples: Path, tmp_path: Path, rel: str):
    put(tmp_path, rel, evidently_sample(samples, "data_drift_report.json"))
    report = only_report(tmp_path)
    assert (report.model_name, report.model_version, report.linked_by) == (None, None, "")


def test_full_snapshot_without_model_metadata_falls_back_to_the_folder(
    samples: Path, tmp_path: Path
):
    data = load(samples, "classification_report.full_snapshot.json")
    data["metadata"] = {"batch_size": "daily"}
    put(tmp_path, "monitoring/credit-scorer/4/quality.json", data)
    report = only_report(tmp_path)
    assert (report.model_name, report.model_version, report.linked_by) == (
        "credit-scorer",
        "4",
        "folder",
    )


def test_model_name_metadata_key_is_read_too(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["metadata"] = {"model_name": "credit-scorer", "model_version": "7"}
    put(tmp_path, "q.json", data)
    report = only_report(tmp_path)
    assert (report.model_name, report.model_version, report.linked_by) == (
        "credit-scorer",
        "7",
        "metadata",
    )


# ---------------------------------------------------------------- drift decisions


def test_distance_methods_drift_at_or_above_the_threshold_without_a_test(tmp_path: Path):
    put(
        tmp_path,
        "r.json",
        {
            "metrics": [
                value_drift("a", "age", "Wasserstein distance (normed)", 0.1, 0.1),
                value_drift("b", "income", "PSI", 0.1, 0.05),
                value_drift("c", "city", "Jensen-Shannon distance", 0.1, 0.4),
                value_drift("d", "score", "Kullback-Leibler divergence", 0.1, 0.09),
                value_drift("e", "bmi", "Hellinger distance", 0.1, 0.2),
                value_drift("f", "height", "Energy-distance", 0.1, 0.1),
            ],
            "tests": [],
        },
    )
    report = only_report(tmp_path)
    got = {c.column: (c.drifted, c.decided_by) for c in report.column_drift}
    assert got == {
        "age": (True, "method"),
        "income": (False, "method"),
        "city": (True, "method"),
        "score": (False, "method"),
        "bmi": (True, "method"),
        # Evidently's energy distance drifts only strictly above the threshold.
        "height": (False, "method"),
    }


def test_p_value_methods_drift_below_the_threshold_without_a_test(tmp_path: Path):
    put(
        tmp_path,
        "r.json",
        {
            "metrics": [
                value_drift("a", "age", "K-S p_value", 0.05, 0.01),
                value_drift("b", "city", "chi-square p_value", 0.05, 0.05),
                # Named like a distance, but Evidently's TVD returns a permutation p-value.
                value_drift("c", "region", "Total-Variation-Distance", 0.1, 0.02),
                value_drift("d", "sex", "Fisher's Exact test", 0.1, 0.5),
                value_drift("e", "bmi", "Mann-Whitney U-rank test", 0.05, 0.001),
            ],
            "tests": [],
        },
    )
    report = only_report(tmp_path)
    got = {c.column: c.drifted for c in report.column_drift}
    assert got == {"age": True, "city": False, "region": True, "sex": False, "bmi": True}


def test_the_linked_drift_test_decides_over_the_method(tmp_path: Path):
    put(
        tmp_path,
        "r.json",
        {
            "metrics": [
                # By the method this p-value is no drift, but the report's own test failed.
                value_drift("m1", "age", "K-S p_value", 0.05, 0.5),
                value_drift("m2", "city", "PSI", 0.1, 0.9),
                value_drift("m3", "bmi", "K-S p_value", 0.05, 0.01),
            ],
            "tests": [
                drift_test("m1", "FAIL"),
                drift_test("m2", "SUCCESS"),
                # A test on the score that is not Evidently's drift test does not decide.
                {
                    "id": "lt",
                    "name": "Less 0.3",
                    "status": "FAIL",
                    "metric_config": {"metric_id": "m3"},
                    "test_config": {
                        "type": "evidently:test_v2:LessThanMetricTest",
                        "threshold": 0.3,
                    },
                },
            ],
        },
    )
    report = only_report(tmp_path)
    got = {c.column: (c.drifted, c.decided_by) for c in report.column_drift}
    assert got == {"age": (True, "test"), "city": (False, "test"), "bmi": (True, "method")}
    assert [t.metric_id for t in report.tests] == ["m1", "m2", "m3"]


def test_method_and_threshold_chosen_by_evidently_are_read_from_the_test(tmp_path: Path):
    description = (
        "Drift score is 0.19. The drift detection method is K-S p_value. "
        "The drift threshold is 0.05."
    )
    put(
        tmp_path,
        "r.json",
        {
            "metrics": [value_drift("m1", "age", None, None, 0.19)],
            "tests": [drift_test("m1", "SUCCESS", description)],
        },
    )
    [column] = only_report(tmp_path).column_drift
    assert (column.method, column.threshold, column.drifted, column.decided_by) == (
        "K-S p_value",
        0.05,
        False,
        "test",
    )


def test_unknown_method_without_a_test_is_undecided_and_warned(tmp_path: Path):
    put(
        tmp_path,
        "r.json",
        {
            "metrics": [value_drift("m1", "age", "custom function 'my_test'", 0.3, 0.4)],
            "tests": [],
        },
    )
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "r.json:/metrics/0/config/method: column 'age': drift method \"custom function "
        "'my_test'\" is not one mldossier knows and no drift test is linked, so whether the "
        "column drifted cannot be decided (use a built-in Evidently drift method, or keep the "
        "drift test in the report)"
    ]
    assert [p.severity for p in result.problems] == ["warning"]
    [column] = reports(result)[0].column_drift
    assert (column.drifted, column.decided_by) == (False, "unknown")


def test_missing_threshold_without_a_test_is_undecided_and_warned(tmp_path: Path):
    put(tmp_path, "r.json", {"metrics": [value_drift("m1", "age", "PSI", None, 0.4)], "tests": []})
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "r.json:/metrics/0/config/threshold: column 'age': no drift threshold is given and no "
        "drift test is linked, so whether the column drifted cannot be decided (set threshold "
        "on the ValueDrift metric, or keep its drift test in the report)"
    ]
    [column] = reports(result)[0].column_drift
    assert column.decided_by == "unknown" and math.isnan(column.threshold)


def dataset_drift_report(share: float, tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metrics": [
            {
                "id": "d",
                "metric_name": "DriftedColumnsCount(drift_share=0.5)",
                "config": {"type": "evidently:metric_v2:DriftedColumnsCount", "drift_share": 0.5},
                "value": {"count": share * 10, "share": share},
            }
        ],
        "tests": tests,
    }


def less_than_test(status: str) -> dict[str, Any]:
    return {
        "id": "lt",
        "name": "Share of Drifted Columns: Less 0.500",
        "status": status,
        "metric_config": {"metric_id": "d"},
        "test_config": {"type": "evidently:test_v2:LessThanMetricTest", "threshold": 0.5},
    }


@pytest.mark.parametrize(
    "share, tests, drifted",
    [
        (0.4, [], False),
        # Evidently's test is share < drift_share, so exactly the share is drift.
        (0.5, [], True),
        (0.6, [], True),
        (0.6, [less_than_test("SUCCESS")], False),
        (0.1, [less_than_test("FAIL")], True),
        (0.1, [less_than_test("WARNING")], True),
    ],
)
def test_dataset_drift_follows_the_share_test(
    tmp_path: Path, share: float, tests: list[dict[str, Any]], drifted: bool
):
    put(tmp_path, "r.json", dataset_drift_report(share, tests))
    drift = only_report(tmp_path).dataset_drift
    assert drift is not None and drift.drifted is drifted


# ---------------------------------------------------------------- bad input


def test_wrong_metric_value_type_is_one_problem_and_no_report(samples: Path, tmp_path: Path):
    data = load(samples, "data_drift_report.json")
    data["metrics"][3]["value"] = "abc"
    put(tmp_path, "monitoring/x.json", data)
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        'monitoring/x.json:/metrics/3/value: expected number or object, got "abc" '
        "(write a number or object here)"
    ]
    assert reports(result) == []


def test_every_schema_problem_is_reported(samples: Path, tmp_path: Path):
    data = load(samples, "data_drift_report.json")
    data["metrics"][0]["value"]["share"] = "lots"
    data["metrics"][5]["config"]["column"] = 7
    data["tests"][2]["status"] = "PASSED"
    put(tmp_path, "x.json", data)
    assert [str(p) for p in import_folder(tmp_path).problems] == [
        'x.json:/metrics/0/value/share: expected number, got "lots" (write a number here)',
        "x.json:/metrics/5/config/column: expected string, got 7 (write a string here)",
        'x.json:/tests/2/status: "PASSED" is not one of "SUCCESS", "FAIL", "WARNING", "ERROR", '
        '"SKIPPED" (use one of the listed values)',
    ]


def test_full_snapshot_field_types_are_checked(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["metadata"]["model_version"] = 3
    data["tags"] = "prod"
    put(tmp_path, "s.json", data)
    assert [str(p) for p in import_folder(tmp_path).problems] == [
        "s.json:/metadata/model_version: expected string, got 3 (write a string here)",
        's.json:/tags: expected array, got "prod" (write an array here)',
    ]


def test_top_level_metric_missing_from_results_is_a_problem(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["top_level_metrics"].insert(1, "0000")
    put(tmp_path, "s.json", data)
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "s.json:/top_level_metrics/1: metric '0000' is listed but has no entry in "
        "metric_results (re-export the snapshot; this one is incomplete)"
    ]


def test_hostile_strings_are_kept_verbatim_as_data(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    hostile = "<script>alert('x')</script> & {{ config }}"
    data["name"] = hostile
    data["tags"] = [hostile]
    put(tmp_path, "s.json", data)
    report = only_report(tmp_path)
    assert report.name == hostile
    assert report.tags == (hostile,)


# ---------------------------------------------------------------- detection and order


def test_only_evidently_documents_are_claimed(samples: Path, tmp_path: Path):
    put(tmp_path, "history.json", {"metrics": [{"key": "loss", "value": 0.1}]})
    put(tmp_path, "other.json", {"metrics": [], "tests": [], "extra": 1})
    (tmp_path / "r.yaml").write_text("metrics: []\ntests: []\n", "utf-8")
    put(tmp_path, "real.json", evidently_sample(samples, "data_drift_report.json"))
    found, _ = scan(tmp_path, Limits())
    importer = EvidentlyImporter(ImportContext(tmp_path))
    claimed = [d.file.path for d in found if isinstance(d, Document) and importer.detect(d)]
    assert claimed == ["real.json"]


def test_reports_are_sorted_by_model_version_time_and_file(samples: Path, tmp_path: Path):
    drift = evidently_sample(samples, "data_drift_report.json")
    for rel in [
        "m/b/1/2026-05-02.json",
        "m/a/2/2026-05-01.json",
        "m/a/1/2026-05-03.json",
        "m/a/1/2026-05-01.json",
        "undated.json",
    ]:
        put(tmp_path, rel, drift)
    result = import_folder(tmp_path)
    order = [r.cite.file for r in reports(result)]
    assert order == [
        "undated.json",
        "m/a/1/2026-05-01.json",
        "m/a/1/2026-05-03.json",
        "m/a/2/2026-05-01.json",
        "m/b/1/2026-05-02.json",
    ]
    # Reading in another order gives the same records in the same order.
    importer = EvidentlyImporter(ImportContext(tmp_path))
    again = ImportResult()
    found, _ = scan(tmp_path, Limits())
    for entry in reversed(found):
        if isinstance(entry, Document) and importer.detect(entry):
            importer.read(entry, again)
    importer.finish(again)
    assert reports(again) == reports(result)


def test_a_timestamp_without_a_zone_is_utc_with_a_warning(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["timestamp"] = "2026-11-27T10:11:34.138247"
    put(tmp_path, "naive.json", data)
    data["timestamp"] = "2026-11-27T10:11:34.138247+01:00"
    put(tmp_path, "zoned.json", data)
    result = import_folder(tmp_path, naive_warnings=True)
    assert [(p.severity, str(p)) for p in result.problems] == [
        (
            "warning",
            "naive.json:/timestamp: 1 Evidently snapshot(s) have a timestamp without a time "
            "zone, read as UTC (this one) (Evidently's default timestamp is the local time of "
            "the machine that ran the report: if its clock is not UTC, report ages are off by "
            "its offset; give snapshots a timestamp in UTC)",
        )
    ]
    times = {r.cite.file: r.timestamp for r in reports(result)}
    assert times == {
        "naive.json": datetime(2026, 11, 27, 10, 11, 34, 138247, tzinfo=UTC),
        "zoned.json": datetime(2026, 11, 27, 9, 11, 34, 138247, tzinfo=UTC),
    }


def test_naive_snapshots_are_one_warning_naming_them(samples: Path, tmp_path: Path):
    data = load(samples, "classification_report.full_snapshot.json")
    data["timestamp"] = "2026-11-27T10:11:34"
    for i in range(6):
        put(tmp_path, f"r{i}.json", data)
    result = import_folder(tmp_path, naive_warnings=True)
    (warning,) = result.problems
    assert (warning.file, warning.pointer) == ("r0.json", "/timestamp")
    assert warning.message == (
        "6 Evidently snapshot(s) have a timestamp without a time zone, read as UTC (this one; "
        "also r1.json, r2.json, r3.json and 2 more)"
    )
