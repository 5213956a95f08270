"""Produce the Evidently 0.4–0.6 fixtures in ``tests/reference/evidently-legacy`` with the real
old versions, as their users call them.

The same data (the first six columns of scikit-learn's breast cancer set, rows 0–299 as the
reference and 300–568 as the current data, ``mean radius`` scaled by 1.4 so one column
drifts, a logistic regression's predictions) goes through each version's API:

- the legacy API of 0.4 and 0.6: ``Report(metrics=[DataDriftPreset()]).json()``,
  ``Report(metrics=[ClassificationPreset()]).json()`` and ``TestSuite(tests=[DataDriftTestPreset(),
  DataStabilityTestPreset(), BinaryClassificationTestPreset()]).json()``, timestamped
  2026-11-27 10:00:00 (naive, as Evidently writes it);
- the ``evidently.future`` API of 0.6 (which became 0.7's): ``Report([DataDriftPreset()],
  include_tests=True).run(current, reference).json()``.

Run it once per version, each in its own virtual environment (they cannot share one)::

    python -m venv /tmp/ev04 && /tmp/ev04/bin/pip install evidently==0.4.40 scikit-learn pandas==2.2.3
    /tmp/ev04/bin/python scripts/make_legacy_evidently.py tests/reference/evidently-legacy/0.4.40
    python -m venv /tmp/ev06 && /tmp/ev06/bin/pip install evidently==0.6.7 scikit-learn pandas==2.2.3
    /tmp/ev06/bin/python scripts/make_legacy_evidently.py tests/reference/evidently-legacy/0.6.7
"""

from __future__ import annotations

import sys
from pathlib import Path

import evidently  # type: ignore[import-not-found]
import pandas as pd  # type: ignore[import-untyped]
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

TIMESTAMP = pd.Timestamp("2026-11-27T10:00:00")


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current data with target and prediction columns."""
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    features = features.iloc[:, :6]
    reference, current = features.iloc[:300].copy(), features.iloc[300:].copy()
    current["mean radius"] = current["mean radius"] * 1.4
    model = LogisticRegression(max_iter=2000).fit(reference, target.iloc[:300])
    reference["target"] = target.iloc[:300].values
    reference["prediction"] = model.predict(features.iloc[:300])
    current["target"] = target.iloc[300:].values
    current["prediction"] = model.predict(features.iloc[300:])
    return reference, current


def legacy(out: Path, reference: pd.DataFrame, current: pd.DataFrame) -> None:
    """The Report and TestSuite of the 0.4–0.6 API."""
    from evidently import ColumnMapping
    from evidently.metric_preset import ClassificationPreset, DataDriftPreset
    from evidently.report import Report
    from evidently.test_preset import (
        BinaryClassificationTestPreset,
        DataDriftTestPreset,
        DataStabilityTestPreset,
    )
    from evidently.test_suite import TestSuite

    mapping = ColumnMapping(target="target", prediction="prediction")
    features = ["target", "prediction"]
    drift = Report(metrics=[DataDriftPreset()], timestamp=TIMESTAMP)
    drift.run(
        reference_data=reference.drop(columns=features), current_data=current.drop(columns=features)
    )
    (out / "drift_report.json").write_text(drift.json())
    tests = TestSuite(
        tests=[DataDriftTestPreset(), DataStabilityTestPreset(), BinaryClassificationTestPreset()],
        timestamp=TIMESTAMP,
    )
    tests.run(reference_data=reference, current_data=current, column_mapping=mapping)
    (out / "test_suite.json").write_text(tests.json())
    quality = Report(metrics=[ClassificationPreset()], timestamp=TIMESTAMP)
    quality.run(reference_data=reference, current_data=current, column_mapping=mapping)
    (out / "classification_report.json").write_text(quality.json())


def future(out: Path, reference: pd.DataFrame, current: pd.DataFrame) -> None:
    """0.6's ``evidently.future`` report, the API 0.7 made the default."""
    from evidently.future.presets import DataDriftPreset
    from evidently.future.report import Report

    features = ["target", "prediction"]
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        current.drop(columns=features), reference.drop(columns=features)
    )
    (out / "future_drift_report.json").write_text(snapshot.json())


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    reference, current = frames()
    legacy(out, reference, current)
    if evidently.__version__.startswith("0.6"):
        future(out, reference, current)
    print(f"evidently {evidently.__version__}: wrote {sorted(p.name for p in out.iterdir())}")


if __name__ == "__main__":
    main()
