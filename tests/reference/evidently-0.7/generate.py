"""Writes the Evidently 0.7.23 reports of this folder (see tests/reference/README.md).

Run with the project's test extras, in this folder: ``../../../.venv/bin/python generate.py``.
"""

import warnings

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Regression, Report
from evidently.metrics import (
    MAE,
    RMSE,
    ConstantColumnsCount,
    DuplicatedRowCount,
    MinValue,
    MissingValueCount,
)
from evidently.presets import DataSummaryPreset, RegressionPreset
from evidently.tests import eq, gte, lte

warnings.filterwarnings("ignore")

rng = np.random.default_rng(7)
n = 200


def frame(shift=0.0, missing=0):
    x1 = rng.normal(0 + shift, 1, n)
    x2 = rng.uniform(0, 10, n)
    y = 3 * x1 + x2 + rng.normal(0, 1, n)
    pred = 3 * x1 + x2 + rng.normal(0, 1.5 + shift, n)
    df = pd.DataFrame(
        {
            "age": x2 * 8 + 18,
            "income": x1 * 1000 + 4000,
            "const": 1.0,
            "target": y,
            "prediction": pred,
        }
    )
    if missing:
        df.loc[: missing - 1, "income"] = np.nan
    return df


ref, cur = frame(), frame(shift=1.0, missing=12)
dd = DataDefinition(
    numerical_columns=["age", "income", "const", "target", "prediction"],
    regression=[Regression(target="target", prediction="prediction")],
)
r = Report([DataSummaryPreset()], include_tests=True)
s = r.run(Dataset.from_pandas(cur, data_definition=dd), None)
open("data_summary_current_only.json", "w").write(s.json())
s = r.run(
    Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
)
open("data_summary_with_reference.json", "w").write(s.json())
r = Report([RegressionPreset()], include_tests=True)
s = r.run(
    Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
)
open("regression_report.json", "w").write(s.json())
open("regression_report.full_snapshot.json", "w").write(s.dumps())
r = Report(
    [
        MissingValueCount(column="income", tests=[eq(0)]),
        DuplicatedRowCount(tests=[eq(0, is_critical=False)]),
        ConstantColumnsCount(tests=[eq(0, is_critical=False)]),
        MinValue(column="age", tests=[gte(18)]),
        RMSE(tests=[lte(2.0)]),
        MAE(mean_tests=[lte(1.0, is_critical=False)]),
    ]
)
s = r.run(Dataset.from_pandas(cur, data_definition=dd), None)
open("data_quality_tests.json", "w").write(s.json())
open("data_quality_tests.full_snapshot.json", "w").write(s.dumps())
