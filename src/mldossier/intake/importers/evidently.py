"""Evidently 0.7 reports: drift, test outcomes, model quality and the model version they are about.

Two forms are read. ``snapshot.json()`` (also ``save_json()``) holds only ``metrics`` and
``tests``: no name, time or metadata, so the date comes from the file name and the model
from the folder layout. A full snapshot (``snapshot.dumps()``, what a workspace stores)
holds the same results inside ``metric_results``, plus name, timestamp, metadata and tags.

Evidently writes no drift boolean per column: the verdict is the linked drift test's status
when there is one, else the method's direction (p-values drift below the threshold,
distances at or above it), exactly as Evidently's own stattests decide.

Every test is kept with the class and column of the metric it tests, which gives its area
(drift, data quality, model quality); the overall value of each classification and
regression quality metric is kept as a :class:`QualityMetric`. Whether a report compares
with reference data is read from what it holds: drift results, or a test whose expected
value is Evidently's ``Reference()`` (``{"relative": …, "absolute": …}``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar, NamedTuple

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import schema_problems
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import (
    Citation,
    ColumnDrift,
    DatasetDrift,
    MonitoringReport,
    QualityMetric,
    TestArea,
    TestOutcome,
)

VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
DRIFTED_COLUMNS_COUNT = "evidently:metric_v2:DriftedColumnsCount"
SNAPSHOT_KEYS = frozenset({"metrics", "tests"})
WORKSPACE_SNAPSHOTS = "snapshots"
FULL_SNAPSHOT_MARKERS = ("top_level_metrics", "timestamp", "widgets", "tests_widgets")

# Statuses that say the tested condition did not hold. A non-critical test that fails is
# reported as WARNING, so it counts as a failure too.
FAILED = frozenset({"FAIL", "WARNING"})
PASSED = frozenset({"SUCCESS"})

# How Evidently's built-in stattests turn a score into "drift detected", by display name
# (what ValueDrift's config.method holds) and registered short name. Read from
# evidently/legacy/calculations/stattests: several p-value tests do not say "p_value" in
# their name (Total-Variation-Distance is a permutation p-value), so names are matched
# exactly before any guess from the words in them.
_BELOW = "p-value below the threshold"
_AT_OR_BELOW = "p-value at or below the threshold"
_AT_OR_ABOVE = "distance at or above the threshold"
_ABOVE = "score above the threshold"
METHOD_DIRECTIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "k-s p_value",
            "ks",
            "chi-square p_value",
            "chisquare",
            "z-test p_value",
            "z",
            "anderson-darling",
            "anderson",
            "fisher's exact test",
            "fisher_exact",
            "g_test",
            "mann-whitney u-rank test",
            "mannw",
            "epps-singleton",
            "es",
            "t_test",
            "empirical_mmd",
            "total-variation-distance",
            "tvd",
        ],
        _BELOW,
    ),
    **dict.fromkeys(["cramer-von mises", "cramer_von_mises"], _AT_OR_BELOW),
    **dict.fromkeys(
        [
            "wasserstein distance (normed)",
            "wasserstein",
            "psi",
            "jensen-shannon distance",
            "jensenshannon",
            "kullback-leibler divergence",
            "kl_div",
            "hellinger distance",
            "hellinger",
        ],
        _AT_OR_ABOVE,
    ),
    **dict.fromkeys(
        ["energy-distance", "ed", "absolute text content drift", "abs_text_content_drift"], _ABOVE
    ),
}
_P_VALUE_WORDS = ("p_value", "p-value", "pvalue", "p value")
_DISTANCE_WORDS = (
    "distance",
    "divergence",
    "wasserstein",
    "psi",
    "hellinger",
    "jensen",
    "energy",
    "kullback",
)

# The drift test Evidently binds to every ValueDrift metric; other tests on the score
# (e.g. lt(0.3)) mean different things for p-values and distances, so only this one decides.
VALUE_DRIFT_TEST = "evidently:test_v2:ValueDriftTest"
# Tests on the drifted-columns count or share that fail when there are too many.
LESS_TESTS = frozenset(
    {"evidently:test_v2:LessThanMetricTest", "evidently:test_v2:LessOrEqualMetricTest"}
)

METRIC = "evidently:metric_v2:"
# The model's quality on labelled production data, by metric class: mldossier's name for the
# single overall value and whether higher is better. By-label metrics (F1ByLabel...) and
# Evidently's Dummy* baselines are model-quality metrics too, but not the model's overall
# value, so they are not compared; MeanError is signed (a bias), so neither direction is better.
QUALITY_METRICS: dict[str, tuple[str, bool]] = {
    METRIC + "Accuracy": ("accuracy", True),
    METRIC + "Precision": ("precision", True),
    METRIC + "Recall": ("recall", True),
    METRIC + "F1Score": ("f1", True),
    METRIC + "RocAuc": ("roc_auc", True),
    METRIC + "LogLoss": ("log_loss", False),
    METRIC + "TPR": ("tpr", True),
    METRIC + "TNR": ("tnr", True),
    METRIC + "FPR": ("fpr", False),
    METRIC + "FNR": ("fnr", False),
    METRIC + "RMSE": ("rmse", False),
    METRIC + "MAE": ("mae", False),
    METRIC + "MAPE": ("mape", False),
    METRIC + "R2Score": ("r2", True),
    METRIC + "AbsMaxError": ("max_abs_error", False),
}
MODEL_QUALITY_METRICS = frozenset(
    {
        *QUALITY_METRICS,
        *(
            METRIC + name
            for name in (
                "F1ByLabel",
                "PrecisionByLabel",
                "RecallByLabel",
                "RocAucByLabel",
                "MeanError",
                "DummyAccuracy",
                "DummyPrecision",
                "DummyRecall",
                "DummyF1Score",
                "DummyRocAuc",
                "DummyLogLoss",
                "DummyTPR",
                "DummyTNR",
                "DummyFPR",
                "DummyFNR",
                "DummyMAE",
                "DummyMAPE",
                "DummyRMSE",
            )
        ),
    }
)
# Metrics about the data themselves (DataSummaryPreset, column statistics and counts).
DATA_QUALITY_METRICS = frozenset(
    METRIC + name
    for name in (
        "RowCount",
        "ColumnCount",
        "MissingValueCount",
        "DatasetMissingValueCount",
        "DuplicatedRowCount",
        "DuplicatedColumnsCount",
        "AlmostDuplicatedColumnsCount",
        "ConstantColumnsCount",
        "AlmostConstantColumnsCount",
        "EmptyRowsCount",
        "EmptyColumnsCount",
        "MinValue",
        "MaxValue",
        "MeanValue",
        "StdValue",
        "MedianValue",
        "QuantileValue",
        "SumValue",
        "CategoryCount",
        "UniqueValueCount",
        "InRangeValueCount",
        "OutRangeValueCount",
        "InListValueCount",
        "OutListValueCount",
        "ValueStats",
    )
)
# A test's ``expected`` written as {relative, absolute} is Evidently's Reference(): the test
# compares the current value with the same metric on the reference data.
REFERENCE_KEYS = frozenset({"relative", "absolute"})


def metric_area(metric_type: str) -> TestArea:
    """What a metric class is about: drift, data quality, model quality or other."""
    if metric_type in DATA_QUALITY_METRICS:
        return TestArea.DATA_QUALITY
    if metric_type in MODEL_QUALITY_METRICS:
        return TestArea.MODEL_QUALITY
    if metric_type.startswith(METRIC) and "Drift" in metric_type.removeprefix(METRIC):
        return TestArea.DRIFT
    return TestArea.OTHER


# An ISO date in a file name, optionally with a time written with dashes or colons
# (``drift-2026-05-11.json``, ``2026-05-11T08-00-00.json``).
FILENAME_DATE = re.compile(
    r"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?:[T_ ](\d{2})[-:](\d{2})(?:[-:](\d{2}))?)?(?![0-9])"
)
# "The drift detection method is K-S p_value. The drift threshold is 0.05." (ValueDriftTest)
TEST_METHOD = re.compile(r"drift detection method is (.+?)\. The drift threshold is ([^ ]+?)\.?$")


@dataclass(frozen=True)
class _Metric:
    """One metric as both forms hold it: id, config, value and where it is."""

    id: str
    type: str
    config: dict[str, Any]
    value: Any
    pointer: str
    config_pointer: str = ""
    """Where the config stands in the file, when not at ``pointer + "/config"`` (a 0.6
    ``future`` report keeps it in a bound test's ``metric_config/params``)."""

    def config_field(self, name: str) -> str:
        """The JSON Pointer of one config field."""
        return (self.config_pointer or self.pointer + "/config") + "/" + name


@dataclass(frozen=True)
class _Test:
    """One test result and where it is."""

    data: dict[str, Any]
    pointer: str

    @property
    def metric_id(self) -> str | None:
        config = self.data.get("metric_config")
        metric_id = config.get("metric_id") if isinstance(config, dict) else None
        return metric_id if isinstance(metric_id, str) else None

    @property
    def status(self) -> str:
        return str(self.data.get("status", ""))

    @property
    def metric_params(self) -> dict[str, Any]:
        """The tested metric's parameters (``metric_config.params``), {} when not written."""
        config = self.data.get("metric_config")
        params = config.get("params") if isinstance(config, dict) else None
        return params if isinstance(params, dict) else {}

    @property
    def compares_with_reference(self) -> bool:
        """Whether its expected value is taken from the reference data (``Reference()``)."""
        for config in (self.data.get("test_config"), _bound_test(self.data)):
            expected = config.get("expected") if isinstance(config, dict) else None
            if isinstance(expected, dict) and REFERENCE_KEYS <= set(expected):
                return True
        return False

    @property
    def test_type(self) -> str:
        """The test class, from ``test_config`` or, when that is empty, ``bound_test.test``."""
        config = self.data.get("test_config")
        if isinstance(config, dict) and isinstance(config.get("type"), str):
            return str(config["type"])
        bound = self.data.get("bound_test")
        test = bound.get("test") if isinstance(bound, dict) else None
        if isinstance(test, dict) and isinstance(test.get("type"), str):
            return str(test["type"])
        return ""


def _bound_test(data: dict[str, Any]) -> dict[str, Any] | None:
    bound = data.get("bound_test")
    test = bound.get("test") if isinstance(bound, dict) else None
    return test if isinstance(test, dict) else None


def report_form(data: Any) -> str | None:
    """``snapshot`` for ``snapshot.json()``, ``full`` for ``snapshot.dumps()``, else None."""
    if not isinstance(data, dict):
        return None
    if "metric_results" in data and any(key in data for key in FULL_SNAPSHOT_MARKERS):
        return "full"
    if set(data) == SNAPSHOT_KEYS:
        return "snapshot"
    return None


def method_direction(method: str) -> str | None:
    """How a drift method's score reads: one of the direction phrases, or None if unknown."""
    name = method.strip().lower()
    if name in METHOD_DIRECTIONS:
        return METHOD_DIRECTIONS[name]
    if any(word in name for word in _P_VALUE_WORDS):
        return _BELOW
    if any(word in name for word in _DISTANCE_WORDS):
        return _AT_OR_ABOVE
    return None


def drifted_by_method(direction: str, score: float, threshold: float) -> bool:
    """Whether a score means drift, read the way the method's direction says."""
    if direction == _BELOW:
        return score < threshold
    if direction == _AT_OR_BELOW:
        return score <= threshold
    if direction == _ABOVE:
        return score > threshold
    return score >= threshold


def filename_timestamp(path: str) -> datetime | None:
    """The first valid ISO date (and time, if written) in a file name, in UTC."""
    for match in FILENAME_DATE.finditer(PurePosixPath(path).name):
        year, month, day, hour, minute, second = match.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                tzinfo=UTC,
            )
        except ValueError:
            continue
    return None


def folder_link(path: str) -> tuple[str, str] | None:
    """``(model, version)`` from ``<any folder>/.../<model>/<version>/<report>.json``."""
    parts = PurePosixPath(path).parts
    # The file must sit two folders deep below some folder, so that a report directly in
    # ``<top>/<name>/`` is not mistaken for a model and version.
    if len(parts) < 4:
        return None
    # An Evidently workspace stores ``<project id>/snapshots/<snapshot id>.json``: that
    # layout names a project, not a model version.
    if parts[-2] == WORKSPACE_SNAPSHOTS:
        return None
    return parts[-3], parts[-2]


class EvidentlyImporter:
    """Reads Evidently 0.7 reports into :class:`MonitoringReport` records."""

    name: ClassVar[str] = "evidently"
    kind: ClassVar[str] = "evidently"

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self._naive: list[str] = []
        """Snapshots whose timestamp has no time zone (read as UTC), in the order read."""

    def detect(self, doc: Document) -> bool:
        """JSON with exactly ``metrics`` and ``tests``, or a full snapshot."""
        return doc.format == "json" and report_form(doc.data) is not None

    def resembles(self, doc: Document) -> bool:
        """JSON with ``metrics`` and ``tests`` beside other keys, or ``metric_results``:
        an Evidently report in a shape :meth:`detect` does not take."""
        data = doc.data
        return (
            doc.format == "json"
            and isinstance(data, dict)
            and (SNAPSHOT_KEYS <= set(data) or "metric_results" in data)
        )

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate one report and add its :class:`MonitoringReport`."""
        form = report_form(doc.data)
        if form is None:
            return
        data: dict[str, Any] = doc.data
        config_at: dict[int, str] = {}
        if form == "snapshot":
            data, config_at = with_metric_configs(data)
        problems = _one_per_place(schema_problems("evidently", data, doc.file.path))
        if problems:
            result.problems.extend(problems)
            return
        if form == "full":
            metrics, tests = self._full_items(doc, data, result.problems)
        else:
            metrics = [
                _metric(m, pointer("metrics", i), config_at.get(i, ""))
                for i, m in enumerate(data["metrics"])
            ]
            tests = [_Test(t, pointer("tests", i)) for i, t in enumerate(data["tests"])]
        report = self._report(doc, form, data, metrics, tests, result.problems)
        if report is not None:
            result.add("reports", report)

    def finish(self, result: ImportResult) -> None:
        """Sort reports by model, version, time and file, so output does not depend on order;
        one warning names the snapshots whose timestamp has no time zone."""
        reports = result.records.get("reports")
        if reports:
            reports.sort(key=_report_order)
        if self._naive:
            result.problems.append(naive_time_warning(sorted(self._naive)))
            self._naive = []

    # ------------------------------------------------------------ the two forms

    def _full_items(
        self, doc: Document, data: dict[str, Any], problems: list[Problem]
    ) -> tuple[list[_Metric], list[_Test]]:
        """Metrics and tests of a full snapshot, in ``top_level_metrics`` order."""
        results: dict[str, Any] = data["metric_results"]
        order: list[str] = []
        for index, metric_id in enumerate(data["top_level_metrics"]):
            if metric_id not in results:
                problems.append(
                    doc.problem(
                        pointer("top_level_metrics", index),
                        f"metric {metric_id!r} is listed but has no entry in metric_results",
                        "re-export the snapshot; this one is incomplete",
                    )
                )
            elif metric_id not in order:
                order.append(metric_id)
        # Results not listed as top-level are kept too, after the listed ones.
        order += [metric_id for metric_id in results if metric_id not in order]
        metrics: list[_Metric] = []
        tests: list[_Test] = []
        for metric_id in order:
            entry = results[metric_id]
            where = pointer("metric_results", metric_id)
            params = entry["metric_value_location"]["metric"]["params"]
            if "value" in entry:
                value = entry["value"]
            elif "count" in entry and "share" in entry:
                value = {"count": entry["count"]["value"], "share": entry["share"]["value"]}
            elif isinstance(entry.get("mean"), dict):
                value = {"mean": entry["mean"]}
            else:
                value = None
            metrics.append(_Metric(metric_id, params["type"], params, value, where))
            for index, test in enumerate(entry.get("tests", [])):
                tests.append(_Test(test, where + pointer("tests", index)))
        return metrics, tests

    # ------------------------------------------------------------ the record

    def _report(
        self,
        doc: Document,
        form: str,
        data: dict[str, Any],
        metrics: list[_Metric],
        tests: list[_Test],
        problems: list[Problem],
    ) -> MonitoringReport | None:
        header = _header(doc, form, data, problems)
        if header is None:
            return None
        if form == "full" and _has_no_zone(data["timestamp"]):
            self._naive.append(doc.file.path)
        model_name, model_version, linked_by = _model_of(header.metadata, doc.file.path)
        linked: dict[str, list[_Test]] = {}
        for test in tests:
            if test.metric_id is not None:
                linked.setdefault(test.metric_id, []).append(test)
        dataset_drift, columns = _drifts(doc, metrics, linked, problems)
        types = {metric.id: metric.type for metric in metrics}
        outcomes = tuple(_outcome(doc, test, types) for test in tests)
        quality = tuple(q for metric in metrics if (q := _quality(doc, metric)) is not None)
        reference = (
            dataset_drift is not None
            or bool(columns)
            or any(metric_area(m.type) is TestArea.DRIFT for m in metrics)
            or any(test.compares_with_reference for test in tests)
        )
        return MonitoringReport(
            name=str(header.name),
            model_name=model_name,
            model_version=model_version,
            linked_by=linked_by,
            timestamp=header.timestamp,
            timestamp_source=header.timestamp_source,
            form=form,
            tags=header.tags,
            dataset_drift=dataset_drift,
            column_drift=tuple(columns),
            tests=outcomes,
            cite=doc.cite(""),
            quality=quality,
            data_metrics=sum(metric_area(m.type) is TestArea.DATA_QUALITY for m in metrics),
            reference=reference,
        )


class _Header(NamedTuple):
    """What a report says about itself: name, time (and where it came from), tags, metadata."""

    name: Any
    timestamp: datetime | None
    timestamp_source: str
    tags: tuple[str, ...]
    metadata: dict[str, Any]


def _header(
    doc: Document, form: str, data: dict[str, Any], problems: list[Problem]
) -> _Header | None:
    """A full snapshot's own name, time and metadata; else the file name's; None if undatable."""
    path = doc.file.path
    if form != "full":
        timestamp = filename_timestamp(path)
        source = "filename" if timestamp is not None else "none"
        return _Header(PurePosixPath(path).stem, timestamp, source, (), {})
    timestamp = _snapshot_time(data["timestamp"])
    if timestamp is None:
        problems.append(
            doc.problem(
                "/timestamp",
                f"{data['timestamp']!r} is not a valid date and time",
                "write an ISO 8601 date-time such as 2026-05-11T08:00:00",
            )
        )
        return None
    name = data.get("name") or PurePosixPath(path).stem
    return _Header(
        name, timestamp, "snapshot", tuple(data.get("tags", [])), data.get("metadata", {})
    )


def _model_of(metadata: dict[str, Any], path: str) -> tuple[Any, Any, str]:
    """``(model, version, linked_by)``: from the metadata, else the folders, else unlinked."""
    model = metadata.get("model") or metadata.get("model_name")
    if model:
        return model, metadata.get("model_version"), "metadata"
    folders = folder_link(path)
    if folders is not None:
        return folders[0], folders[1], "folder"
    return None, None, ""


def _drifts(
    doc: Document,
    metrics: list[_Metric],
    linked: dict[str, list[_Test]],
    problems: list[Problem],
) -> tuple[DatasetDrift | None, list[ColumnDrift]]:
    """The dataset drift (the first DriftedColumnsCount) and each column's ValueDrift."""
    dataset_drift = None
    columns: list[ColumnDrift] = []
    for metric in metrics:
        if metric.type == DRIFTED_COLUMNS_COUNT:
            if dataset_drift is None:
                dataset_drift = _dataset_drift(doc, metric, linked.get(metric.id, []), problems)
            else:
                problems.append(
                    doc.problem(
                        metric.pointer,
                        "a second DriftedColumnsCount metric in one report",
                        "keep one dataset drift metric per report, or split the report",
                        severity="warning",
                    )
                )
        elif metric.type == VALUE_DRIFT:
            columns.append(_column_drift(doc, metric, linked.get(metric.id, []), problems))
    return dataset_drift, columns


def _outcome(doc: Document, test: _Test, types: dict[str, str]) -> TestOutcome:
    """One test as a record: its status and what the tested metric is about."""
    params = test.metric_params
    metric_type = params.get("type")
    if not isinstance(metric_type, str):
        metric_type = types.get(test.metric_id or "", "")
    column = params.get("column")
    return TestOutcome(
        name=str(test.data.get("name", "")),
        description=str(test.data.get("description", "")),
        status=test.status,
        metric_id=test.metric_id,
        cite=doc.cite(test.pointer),
        test_type=test.test_type,
        metric_type=metric_type,
        area=metric_area(metric_type),
        column=column if isinstance(column, str) else None,
    )


def _quality(doc: Document, metric: _Metric) -> QualityMetric | None:
    """A model-quality metric's overall value, or None (not one, or no finite number).

    Mean-and-deviation metrics (MAE, MAPE) hold ``{"mean": …, "std": …}``: the mean is the value.
    """
    known = QUALITY_METRICS.get(metric.type)
    if known is None:
        return None
    # snapshot.json() writes {"value": 0.9} or {"value": {"mean": 0.9, "std": …}}; a full
    # snapshot {"value": 0.9} or {"mean": {"value": 0.9, …}, "std": …}.
    full = metric.pointer.startswith("/metric_results/")
    value = metric.value
    where = "/value"
    if isinstance(value, dict) and "mean" in value:
        value = value["mean"]
        where = "/mean/value" if full else "/value/mean"
        if isinstance(value, dict):
            value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    name, higher = known
    return QualityMetric(name, metric.type, float(value), higher, doc.cite(metric.pointer + where))


def _metric(data: dict[str, Any], where: str, config_at: str = "") -> _Metric:
    config = data["config"]
    return _Metric(data["id"], config["type"], config, data["value"], where, config_at)


METRIC_TYPE = "evidently:metric_v2:"
"""The prefix of a metric class's type name in a metric config."""
_METRIC_ID = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((.*)\)", re.S)


def with_metric_configs(data: dict[str, Any]) -> tuple[dict[str, Any], dict[int, str]]:
    """A ``snapshot.json()`` whose metrics all carry their ``config``, and where each config
    that was filled in stands in the file.

    Evidently 0.6's ``evidently.future`` reports (the API 0.7 made the default) write each
    metric as ``{id, metric_id, value}`` without ``config``; the configuration is in the
    tests bound to it (``tests[].metric_config``, whose ``metric_id`` is the metric's ``id``
    and whose ``params`` are the config). A metric no test is bound to gets the class and
    the column its ``metric_id`` names (``ValueDrift(column=age)``). The file's data is not
    changed: the filled-in metrics are copies.
    """
    metrics, tests = data.get("metrics"), data.get("tests")
    if not isinstance(metrics, list) or not any(
        isinstance(m, dict) and "config" not in m and isinstance(m.get("metric_id"), str)
        for m in metrics
    ):
        return data, {}
    bound: dict[str, tuple[dict[str, Any], str]] = {}
    for index, test in enumerate(tests if isinstance(tests, list) else ()):
        config = test.get("metric_config") if isinstance(test, dict) else None
        if not isinstance(config, dict):
            continue
        params, metric_id = config.get("params"), config.get("metric_id")
        if isinstance(params, dict) and isinstance(metric_id, str):
            where = pointer("tests", index, "metric_config", "params")
            bound.setdefault(metric_id, (params, where))
    filled: list[Any] = []
    config_at: dict[int, str] = {}
    for index, metric in enumerate(metrics):
        if (
            isinstance(metric, dict)
            and "config" not in metric
            and isinstance(metric.get("metric_id"), str)
        ):
            params, where = bound.get(str(metric.get("id")), (None, ""))
            if params is None:
                params, where = (
                    _config_of_metric_id(metric["metric_id"]),
                    pointer("metrics", index, "metric_id"),
                )
            if params is not None:
                metric = {**metric, "config": params}
                config_at[index] = where
        filled.append(metric)
    return {**data, "metrics": filled}, config_at


def _config_of_metric_id(text: str) -> dict[str, Any] | None:
    """``{"type": ..., "column": ...}`` from a metric id such as ``ValueDrift(column=age)``;
    only the class and a column are taken (the other parameters need the tests' config)."""
    match = _METRIC_ID.fullmatch(text.strip())
    if match is None:
        return None
    config: dict[str, Any] = {"type": METRIC_TYPE + match.group(1)}
    args = match.group(2)
    if args.startswith("column="):
        column = args[len("column=") :]
        # Other parameters follow a comma; a column name holding ", x=" is not told apart.
        column = re.split(r",\s*[A-Za-z_]+=", column, maxsplit=1)[0]
        config["column"] = column
    return config


def _decided_by_tests(tests: list[_Test], relevant: frozenset[str]) -> bool | None:
    """True if a relevant test failed, False if all relevant ones passed, None if none did."""
    statuses = [t.status for t in tests if t.test_type in relevant]
    if any(status in FAILED for status in statuses):
        return True
    if statuses and all(status in PASSED for status in statuses):
        return False
    return None


def _dataset_drift(
    doc: Document, metric: _Metric, tests: list[_Test], problems: list[Problem]
) -> DatasetDrift | None:
    count, share = metric.value["count"], metric.value["share"]
    if not math.isfinite(count):  # Evidently writes NaN when it cannot compute the drift
        # The full snapshot keeps {"count": {"value": …}}, the report {"value": {"count": …}}.
        where = "/count/value" if metric.pointer.startswith("/metric_results/") else "/value/count"
        problems.append(
            doc.problem(
                metric.pointer + where,
                f"{json.dumps(count)} is not a number of drifted columns",
                "re-run the report; Evidently could not compute the dataset drift",
            )
        )
        return None
    threshold = float(metric.config.get("drift_share", 0.5))
    by_test = _decided_by_tests(tests, LESS_TESTS)
    # Evidently's own test is share < drift_share; it passes while fewer columns drift.
    drifted = by_test if by_test is not None else not share < threshold
    return DatasetDrift(
        drifted_columns=int(count),
        share=float(share),
        threshold=threshold,
        drifted=drifted,
        cite=doc.cite(metric.pointer),
    )


def _column_drift(
    doc: Document, metric: _Metric, tests: list[_Test], problems: list[Problem]
) -> ColumnDrift:
    column = metric.config["column"]
    method = metric.config.get("method")
    threshold = metric.config.get("threshold")
    # When Evidently chose the method or threshold itself, the config holds null and only
    # the drift test's description says what was used.
    if method is None or threshold is None:
        for test in tests:
            match = TEST_METHOD.search(str(test.data.get("description", "")))
            if match:
                method = method if method is not None else match.group(1)
                if threshold is None:
                    try:
                        threshold = float(match.group(2))
                    except ValueError:
                        pass
                break
    method = method or ""
    score = float(metric.value)
    by_test = _decided_by_tests(tests, frozenset({VALUE_DRIFT_TEST}))
    direction = method_direction(method)
    if threshold is None:
        threshold = math.nan
        if by_test is None:
            problems.append(
                doc.problem(
                    metric.config_field("threshold"),
                    f"column {column!r}: no drift threshold is given and no drift test is linked, "
                    "so whether the column drifted cannot be decided",
                    "set threshold on the ValueDrift metric, or keep its drift test in the report",
                    severity="warning",
                )
            )
    if by_test is not None:
        drifted, decided_by = by_test, "test"
    elif direction is not None and not math.isnan(threshold):
        drifted, decided_by = drifted_by_method(direction, score, threshold), "method"
    else:
        drifted, decided_by = False, "unknown"
        if direction is None:
            problems.append(
                doc.problem(
                    metric.config_field("method"),
                    f"column {column!r}: drift method {method!r} is not one mldossier knows and no "
                    "drift test is linked, so whether the column drifted cannot be decided",
                    "use a built-in Evidently drift method, or keep the drift test in the report",
                    severity="warning",
                )
            )
    return ColumnDrift(
        column=column,
        method=method,
        score=score,
        threshold=float(threshold),
        drifted=drifted,
        decided_by=decided_by,
        cite=doc.cite(metric.pointer),
    )


NAIVE_LISTED = 3
"""How many more snapshots the naive-time warning names before saying how many more."""


def naive_time_warning(files: list[str]) -> Problem:
    """One warning for every snapshot whose timestamp has no time zone: cited at the first,
    naming the others (one line, however many weekly reports there are)."""
    others = files[1 : 1 + NAIVE_LISTED]
    more = len(files) - 1 - len(others)
    also = f"; also {', '.join(others)}" + (f" and {more} more" if more else "") if others else ""
    return Problem(
        files[0],
        "/timestamp",
        f"{len(files)} Evidently snapshot(s) have a timestamp without a time zone, read as UTC "
        f"(this one{also})",
        "Evidently's default timestamp is the local time of the machine that ran the report: "
        "if its clock is not UTC, report ages are off by its offset; give snapshots a "
        "timestamp in UTC",
        severity="warning",
    )


def _has_no_zone(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is None
    except (ValueError, OverflowError):
        return False


def _snapshot_time(text: str) -> datetime | None:
    """A snapshot timestamp as an aware UTC datetime; no zone means UTC."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or outside years 1-9999 in UTC
        return None


def _one_per_place(problems: list[Problem]) -> list[Problem]:
    """The first problem at each place: overlapping schema rules describe one bad value twice."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        if problem.pointer not in seen:
            seen.add(problem.pointer)
            kept.append(problem)
    return kept


def _report_order(report: MonitoringReport) -> tuple[str, str, str, Citation]:
    when = report.timestamp.isoformat() if report.timestamp is not None else ""
    return (report.model_name or "", report.model_version or "", when, report.cite)
