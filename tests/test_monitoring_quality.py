"""Evidently test outcomes and production quality in the verdicts, on real Evidently 0.7.23
reports (the shared samples and ``tests/reference/evidently-0.7``) and small edits of them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import factories as f
import pytest
from conftest import REFERENCE
from test_import_evidently import import_folder, put, reports

from mldossier.config import Config, Monitoring, load_config
from mldossier.errors import InputError
from mldossier.evaluate.checks import CheckContext, Outcome, Subject, library
from mldossier.intake.linking import Index
from mldossier.model import Evidence, MlflowRun, MonitoringReport
from mldossier.model import TestArea as Area

MORE = REFERENCE / "evidently-0.7"
AS_OF = datetime(2026, 12, 5, tzinfo=UTC)
SYS = f.system()
VERSION = f.version()
FOLDER = "monitoring/credit-default-scorer/3"


def real(samples: Path, name: str) -> Path:
    """A real report: a shared sample, else one of tests/reference/evidently-0.7."""
    shared = samples / "evidently" / name
    return shared if shared.is_file() else MORE / name


def edited(samples: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(real(samples, name).read_text("utf-8"))
    return data


def imported(tmp_path: Path, files: dict[str, Path | dict[str, Any]]) -> list[MonitoringReport]:
    """The reports read from ``files`` laid out as ``FOLDER/<name>``, tied to VERSION."""
    for name, content in files.items():
        put(tmp_path, f"{FOLDER}/{name}", content)
    result = import_folder(tmp_path)
    assert [str(p) for p in result.problems] == []
    # A full snapshot names its own model (breast-cancer-classifier) and time: tie it to the
    # version under test and date it inside the evaluation, as the folder layout does.
    return [
        replace(
            r,
            model_name=VERSION.name,
            model_version=VERSION.version,
            timestamp=r.timestamp or datetime(2026, 11, 28, tzinfo=UTC),
        )
        for r in reports(result)
    ]


def check(
    name: str,
    found: list[MonitoringReport],
    *,
    metrics: dict[str, float] | None = None,
    config: Config | None = None,
    **params: object,
) -> Outcome:
    runs: tuple[MlflowRun, ...] = (f.run(metrics=metrics),) if metrics is not None else ()
    evidence = Evidence(
        root="evidence",
        files=(),
        registered_models=(SYS,),
        model_versions=(VERSION,),
        mlflow_runs=runs,
        reports=tuple(found),
    )
    config = config or Config()
    context = CheckContext(evidence, Index(evidence, config), config, AS_OF)
    return library()[name].run(Subject(SYS, VERSION), context, dict(params))


# ---------------------------------------------------------------- test outcomes


def test_failed_classification_tests_are_an_exception_citing_each_test(
    samples: Path, tmp_path: Path
) -> None:
    found = imported(
        tmp_path, {"quality-2026-11-28.json": real(samples, "classification_report.json")}
    )
    outcome = check("monitoring_tests_pass", found, areas=["model_quality"])
    assert outcome.status == "exception"
    assert outcome.reasons == (
        f"report {FOLDER}/quality-2026-11-28.json of 2026-11-28: 10 model-quality test(s): "
        "3 FAIL, 7 SUCCESS",
        "FAIL: LogLoss metric: Equal 0.084 ± 0.017 (LogLoss metric: Actual value 0.109 , but "
        "expected 0.084 ± 0.017)",
        "FAIL: FPR metric: Equal 0.074 ± 0.015 (FPR metric: Actual value 0.031 , but expected "
        "0.074 ± 0.015)",
        "FAIL: FNR metric: Equal 0.009 ± 0.002 (FNR metric: Actual value 0.065 , but expected "
        "0.009 ± 0.002)",
    )
    assert [(c.file, c.pointer) for c in outcome.citations] == [
        (f"{FOLDER}/quality-2026-11-28.json", f"/tests/{i}") for i in (5, 8, 9)
    ]
    assert all(len(c.sha256) == 64 for c in outcome.citations)


def test_a_full_snapshot_s_failed_tests_are_cited_inside_metric_results(
    samples: Path, tmp_path: Path
) -> None:
    name = "classification_report.full_snapshot.json"
    found = imported(tmp_path, {name: real(samples, name)})
    outcome = check("monitoring_tests_pass", found, areas=["model_quality"])
    assert outcome.status == "exception"
    assert [c.pointer for c in outcome.citations] == [
        "/metric_results/275d2d67f1d9d892b74d8d9bdc07c233/tests/0",
        "/metric_results/2e6d045688c97855c5661e6a8f6bd2e5/tests/0",
        "/metric_results/d183f8fb51722080c04c08958a4579ff/tests/0",
    ]


def test_warning_is_an_observation_and_fail_an_exception(samples: Path, tmp_path: Path) -> None:
    # Evidently writes WARNING for a non-critical test that fails (is_critical: false).
    data = edited(samples, "data_quality_tests.json")
    assert [t["status"] for t in data["tests"]] == [
        "FAIL", "SUCCESS", "WARNING", "SUCCESS", "FAIL", "WARNING"
    ]  # fmt: skip
    found = imported(tmp_path, {"dq-2026-11-28.json": data})
    both = check("monitoring_tests_pass", found)
    assert both.status == "exception"
    data["tests"][0]["status"] = data["tests"][4]["status"] = "SUCCESS"
    found = imported(tmp_path, {"dq-2026-11-28.json": data})
    warned = check("monitoring_tests_pass", found, areas=["data_quality"])
    assert warned.status == "observation"
    assert warned.reasons[1:] == (
        "WARNING: Count of constant columns in dataset: Equal 0.000 (Count of constant columns "
        "in dataset: Actual value 1.000 , but expected 0.000)",
    )
    assert warned.fix.startswith("review the warnings")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["ERROR", "SUCCESS"], "not_evidenced"),
        (["SKIPPED", "SKIPPED"], "not_evidenced"),
        (["SKIPPED", "SUCCESS"], "no_exception"),
        (["ERROR", "FAIL"], "exception"),
    ],
)
def test_error_and_skipped_tests_prove_nothing(
    samples: Path, tmp_path: Path, statuses: list[str], expected: str
) -> None:
    data = edited(samples, "data_quality_tests.json")
    data["metrics"], data["tests"] = data["metrics"][4:], data["tests"][4:]  # RMSE, MAE
    for test, status in zip(data["tests"], statuses, strict=True):
        test["status"] = status
    found = imported(tmp_path, {"q-2026-11-28.json": data})
    assert check("monitoring_tests_pass", found, areas=["model_quality"]).status == expected


def test_missing_value_test_on_a_column_is_data_quality(samples: Path, tmp_path: Path) -> None:
    [report] = imported(tmp_path, {"dq-2026-11-28.json": real(samples, "data_quality_tests.json")})
    first = report.tests[0]
    assert (first.area, first.metric_type, first.column, first.status) == (
        Area.DATA_QUALITY,
        "evidently:metric_v2:MissingValueCount",
        "income",
        "FAIL",
    )
    assert first.test_type == "evidently:test_v2:EqualMetricTest"
    outcome = check("monitoring_tests_pass", [report], areas=["data_quality"])
    assert outcome.status == "exception"
    assert outcome.reasons[1].startswith("FAIL: Column 'income' missing values: Equal 0.000")


def test_no_test_on_an_area_is_not_evidenced(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"drift-2026-11-28.json": real(samples, "data_drift_report.json")})
    outcome = check("monitoring_tests_pass", found)
    assert outcome.status == "not_evidenced"
    assert outcome.reasons == (
        "no Evidently data-quality test for credit-default-scorer@3",
        "no Evidently model-quality test for credit-default-scorer@3",
    )
    assert [c.file for c in outcome.citations] == [f"{FOLDER}/drift-2026-11-28.json"]


def test_the_latest_report_on_an_area_decides(samples: Path, tmp_path: Path) -> None:
    passing = edited(samples, "classification_report.json")
    for test in passing["tests"]:
        test["status"] = "SUCCESS"
    found = imported(
        tmp_path,
        {
            "quality-2026-11-20.json": real(samples, "classification_report.json"),
            "quality-2026-11-27.json": passing,
            # a later drift-only report holds no quality test: it does not decide
            "drift-2026-11-30.json": real(samples, "data_drift_report.json"),
        },
    )
    outcome = check("monitoring_tests_pass", found, areas=["model_quality"])
    assert outcome.status == "no_exception"
    assert outcome.reasons[0].startswith(f"report {FOLDER}/quality-2026-11-27.json of 2026-11-27")


# ---------------------------------------------------------------- production quality


def test_real_classification_metrics_are_read_with_their_citations(
    samples: Path, tmp_path: Path
) -> None:
    [report] = imported(
        tmp_path, {"q-2026-11-28.json": real(samples, "classification_report.json")}
    )
    assert [(q.name, round(q.value, 4), q.higher_is_better) for q in report.quality] == [
        ("accuracy", 0.9477, True),
        ("precision", 0.9804, True),
        ("recall", 0.9346, True),
        ("f1", 0.9569, True),
        ("roc_auc", 0.995, True),
        ("log_loss", 0.1087, False),
        ("tpr", 0.9346, True),
        ("tnr", 0.9692, True),
        ("fpr", 0.0308, False),
        ("fnr", 0.0654, False),
    ]
    assert report.quality[9].cite.pointer == "/metrics/9/value"


@pytest.mark.parametrize(
    ("name", "mae_pointer"),
    [
        ("regression_report.json", "/metrics/3/value/mean"),
        (
            "regression_report.full_snapshot.json",
            "/metric_results/388a1f90d7785053ba4b44301e310cf2/mean/value",
        ),
    ],
)
def test_real_regression_metrics_in_both_forms(
    samples: Path, tmp_path: Path, name: str, mae_pointer: str
) -> None:
    [report] = imported(tmp_path, {name: real(samples, name)})
    assert [q.name for q in report.quality] == ["mape", "rmse", "mae", "r2", "max_abs_error"]
    mae = report.quality[2]
    assert (round(mae.value, 4), mae.higher_is_better, mae.cite.pointer) == (
        2.2614,
        False,
        mae_pointer,
    )
    # MeanError is signed: a model-quality test, never a compared metric.
    assert report.tests[0].area is Area.MODEL_QUALITY
    assert report.tests[0].metric_type == "evidently:metric_v2:MeanError"


def test_quality_beyond_tolerance_of_training_is_an_exception(
    samples: Path, tmp_path: Path
) -> None:
    found = imported(tmp_path, {"q-2026-11-28.json": real(samples, "classification_report.json")})
    outcome = check(
        "production_quality_within_tolerance",
        found,
        metrics={"test_f1": 0.96, "recall": 0.99, "fnr": 0.02, "train_roc_auc": 1.0},
    )
    assert outcome.status == "exception"
    assert outcome.reasons == (
        f"report {FOLDER}/q-2026-11-28.json of 2026-11-28",
        "recall 0.9346 in production, 0.99 at training (recall): 5.6 % worse, within the 10 % "
        "tolerance but past 5 %",
        "f1 0.9569 in production, 0.96 at training (test_f1): 0.3 % worse",
        "fnr 0.06542 in production, 0.02 at training (fnr): 227.1 % worse, beyond the 10 % "
        "tolerance",
        "not compared (nothing to compare with): accuracy 0.9477, precision 0.9804, roc_auc "
        "0.995, log_loss 0.1087, tpr 0.9346, tnr 0.9692, fpr 0.03077",
    )
    cited = [(c.file, c.pointer) for c in outcome.citations]
    assert cited[:3] == [(f"{FOLDER}/q-2026-11-28.json", f"/metrics/{i}/value") for i in (2, 3, 9)]
    assert cited[3] == ("mlflow/x.json", "/run/data/metrics")


def test_a_drop_in_the_warning_band_is_an_observation(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"q-2026-11-28.json": real(samples, "classification_report.json")})
    outcome = check("production_quality_within_tolerance", found, metrics={"recall_score": 0.99})
    assert outcome.status == "observation"
    stricter = check(
        "production_quality_within_tolerance", found, metrics={"recall_score": 0.99}, max_drop=0.05
    )
    assert stricter.status == "exception"
    config = Config(monitoring=Monitoring(max_quality_drop=0.2, quality_warning_drop=0.1))
    lenient = check(
        "production_quality_within_tolerance", found, metrics={"recall": 0.99}, config=config
    )
    assert lenient.status == "no_exception"


def test_training_set_metrics_are_never_compared(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"q-2026-11-28.json": real(samples, "classification_report.json")})
    outcome = check(
        "production_quality_within_tolerance",
        found,
        metrics={"train_f1": 0.99, "training_accuracy_score": 1.0},
    )
    assert outcome.status == "not_evidenced"
    assert outcome.reasons[-1].endswith(
        "the training run logged none of these and monitoring.quality_limits sets no limit for them"
    )


def test_configured_limits_bound_production_quality(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"r-2026-11-28.json": real(samples, "regression_report.json")})
    config = Config(monitoring=Monitoring(quality_limits={"rmse": 2.5, "r2": 0.4}))
    outcome = check("production_quality_within_tolerance", found, metrics={}, config=config)
    assert outcome.status == "exception"
    assert outcome.reasons[1:3] == (
        "rmse 2.879 in production is past the configured maximum 2.5",
        "r2 0.4994 in production is within the configured minimum 0.4",
    )
    # RMSE 2.879 against 2.8 at training: 2.8 % worse, within tolerance.
    ok = check("production_quality_within_tolerance", found, metrics={"rmse": 2.8})
    assert ok.status == "no_exception"
    assert ok.reasons[1] == "rmse 2.879 in production, 2.8 at training (rmse): 2.8 % worse"


def test_no_quality_metric_is_not_evidenced(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"drift-2026-11-28.json": real(samples, "data_drift_report.json")})
    outcome = check("production_quality_within_tolerance", found, metrics={"f1": 0.9})
    assert outcome.status == "not_evidenced"
    assert outcome.reasons == (
        "no model-quality metric measured on production data for credit-default-scorer@3 "
        "(1 report(s), none with a quality metric)",
    )


# ---------------------------------------------------------------- what counts as monitoring


def test_a_summary_of_current_data_is_not_monitoring(samples: Path, tmp_path: Path) -> None:
    found = imported(
        tmp_path, {"summary-2026-11-28.json": real(samples, "data_summary_current_only.json")}
    )
    [report] = found
    assert (report.reference, report.monitors, report.quality) == (False, False, ())
    fresh = check("monitoring_fresh", found, max_age_days=30)
    assert fresh.status == "not_evidenced"
    assert fresh.reasons == (
        "1 report(s) for credit-default-scorer@3, none evidence of drift or accuracy monitoring: "
        "no reference data to compare with and no model-quality metric (a summary of current "
        "data)",
        f"report {FOLDER}/summary-2026-11-28.json: 54 data metric(s), 14 test(s) on current "
        "data only",
    )
    assert [c.file for c in fresh.citations] == [f"{FOLDER}/summary-2026-11-28.json"]
    assert check("no_drift", found).status == "not_evidenced"
    assert check("production_quality_within_tolerance", found).status == "not_evidenced"
    # Its data-quality tests still are data-quality tests (four of them failed).
    assert check("monitoring_tests_pass", found, areas=["data_quality"]).status == "exception"


def test_a_summary_against_reference_data_counts_as_monitoring(
    samples: Path, tmp_path: Path
) -> None:
    found = imported(
        tmp_path,
        {
            "summary-2026-11-28.json": real(samples, "data_summary_with_reference.json"),
            "summary-2026-11-29.json": real(samples, "data_summary_current_only.json"),
        },
    )
    assert [r.reference for r in found] == [True, False]
    fresh = check("monitoring_fresh", found, max_age_days=30)
    # The one against reference data counts; the later summary is named, not held against it.
    assert fresh.status == "no_exception"
    assert fresh.reasons == (
        "latest report is from 2026-11-28 (7 days old, limit 30)",
        f"report {FOLDER}/summary-2026-11-29.json is a summary of current data (no reference, "
        "no quality metric): not counted as monitoring",
    )


def test_failed_quality_tests_are_anomalies_to_triage(samples: Path, tmp_path: Path) -> None:
    found = imported(tmp_path, {"q-2026-11-10.json": real(samples, "classification_report.json")})
    outcome = check("anomalies_triaged", found, within_days=14)
    assert outcome.status == "exception"
    assert outcome.reasons == (
        "3 failed Evidently test(s) (LogLoss metric: Equal 0.084 ± 0.017, FPR metric: Equal "
        "0.074 ± 0.015, FNR metric: Equal 0.009 ± 0.002) in the report of 2026-11-10 "
        f"(tests:{FOLDER}/q-2026-11-10.json): detected 2026-11-10, not triaged within 14 days",
    )
    assert outcome.citations[0].pointer == "/tests/5"


# ---------------------------------------------------------------- the settings


def test_monitoring_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "mldossier.yaml"
    path.write_text(
        "monitoring:\n  max_quality_drop: 0.2\n  quality_warning_drop: 0.1\n"
        "  quality_limits: {f1: 0.8, fnr: 0.05}\n",
        "utf-8",
    )
    assert load_config(path).monitoring == Monitoring(0.2, 0.1, {"f1": 0.8, "fnr": 0.05})
    assert Config().monitoring == Monitoring(0.1, 0.05, {})
    path.write_text("monitoring:\n  quality_limits: {f2: 0.8}\n", "utf-8")
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert [p.pointer for p in raised.value.problems] == ["/monitoring/quality_limits"]
