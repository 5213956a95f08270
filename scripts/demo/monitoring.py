"""Evidently 0.7 monitoring reports on reference (training) versus current (production) data.

Two storage forms are written, as real teams keep them: the full snapshot an Evidently
workspace stores (``snapshot.dumps()``, with timestamp and metadata) and the bare
``snapshot.json()`` form (metrics and tests only, dated by its file name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.presets import ClassificationPreset, DataDriftPreset
from sklearn.pipeline import Pipeline

from . import data
from .story import CREDIT, FRAUD, INCOME, MARKETING, SystemPlan


@dataclass(frozen=True)
class WrittenReport:
    """One report file: where, which form, for which model version."""

    path: Path
    form: str
    model: str | None
    version: str | None


def _definition(system: SystemPlan, frame: pd.DataFrame, classification: bool) -> DataDefinition:
    features = [c for c in frame.columns if c not in (system.target, "prediction_proba")]
    categorical = [c for c in features if c in system.categorical or c == "card_present"]
    numeric = [c for c in features if c not in categorical]
    return DataDefinition(
        numerical_columns=numeric,
        categorical_columns=categorical,
        # Probabilities, not labels: with labels only, Evidently's per-label heatmap carries
        # a row of NaN (invalid JSON) for the missing ROC AUC.
        classification=[
            BinaryClassification(target=system.target, prediction_probas="prediction_proba")
        ]
        if classification
        else None,
    )


def _features_only(system: SystemPlan, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[system.target])


def drift_report(
    system: SystemPlan,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    when: datetime,
    version: str,
    name: str,
    tags: list[str],
):  # noqa: ANN201
    """A DataDriftPreset report (with its tests) of current against reference features."""
    ref = _features_only(system, reference)
    cur = _features_only(system, current)
    definition = _definition(system, ref, classification=False)
    report = Report([DataDriftPreset()], include_tests=True)
    return report.run(
        Dataset.from_pandas(cur, definition),
        Dataset.from_pandas(ref, definition),
        timestamp=when,
        name=name,
        tags=tags,
        metadata={"model": system.name, "model_version": version},
    )


def drift_and_quality_report(
    system: SystemPlan,
    pipeline: Pipeline,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    when: datetime,
    version: str,
    name: str,
    tags: list[str],
):  # noqa: ANN201
    """Drift of the features plus classification quality of the served model's scores.

    ``reference`` is the version's holdout set, so the reference quality is out-of-sample.
    """
    features = [c for c in reference.columns if c != system.target]
    frames = []
    for frame in (reference, current):
        scored = frame.copy()
        scored["prediction_proba"] = pipeline.predict_proba(frame[features])[:, 1]
        frames.append(scored)
    ref, cur = frames
    definition = _definition(system, ref, classification=True)
    report = Report([DataDriftPreset(columns=features), ClassificationPreset()], include_tests=True)
    return report.run(
        Dataset.from_pandas(cur, definition),
        Dataset.from_pandas(ref, definition),
        timestamp=when,
        name=name,
        tags=tags,
        metadata={"model": system.name, "model_version": version},
    )


def write_reports(
    out: Path,
    training: dict[tuple[str, str], pd.DataFrame],
    holdouts: dict[tuple[str, str], pd.DataFrame],
    pipelines: dict[tuple[str, str], Pipeline],
    set_clock: Callable[[datetime], None],
) -> list[WrittenReport]:
    """Run every Northwind monitoring report and write it under ``out`` (``evidence/monitoring``)."""
    written: list[WrittenReport] = []

    def when(moment: datetime) -> datetime:
        # Evidently runs on the story's clock too: its widget ids are UUIDv7s, dated.
        set_clock(moment.replace(tzinfo=UTC))
        return moment

    def full(snapshot, system: SystemPlan, version: str, file: str) -> None:  # noqa: ANN001
        path = out / system.name / version / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.dumps(), encoding="utf-8")
        written.append(WrittenReport(path, "full", system.name, version))

    def bare(snapshot, path: Path, model: str | None, version: str | None) -> None:  # noqa: ANN001
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save_json(str(path))
        written.append(WrittenReport(path, "snapshot", model, version))

    # credit-default-scorer v3: this week's production traffic, same population: no drift.
    credit_now = data.credit_tables(903).features
    full(
        drift_report(
            CREDIT,
            training[(CREDIT.name, "3")],
            credit_now,
            when(datetime(2026, 11, 19, 6, 0)),
            "3",
            "credit-default-scorer weekly drift",
            ["drift", "weekly", "production"],
        ),
        CREDIT,
        "3",
        "weekly-drift-2026-11-19.json",
    )

    # card-fraud-detector v2: holiday-season traffic moved amounts, hours, distance, velocity.
    fraud_now = data.fraud_features(data.card_transactions(912, 4000, shift=True))
    full(
        drift_and_quality_report(
            FRAUD,
            pipelines[(FRAUD.name, "2")],
            holdouts[(FRAUD.name, "2")],
            fraud_now,
            when(datetime(2026, 11, 16, 6, 0)),
            "2",
            "card-fraud-detector drift and quality",
            ["drift", "classification", "weekly"],
        ),
        FRAUD,
        "2",
        "drift-and-quality-2026-11-16.json",
    )

    # income-verifier v2: the last report anyone ran, in May, kept in the bare form.
    income_then = data.income_tables(912).features
    bare(
        drift_report(
            INCOME,
            training[(INCOME.name, "2")],
            income_then,
            when(datetime(2026, 5, 11, 5, 0)),
            "2",
            "income-verifier drift",
            ["drift"],
        ),
        out / INCOME.name / "2" / "drift-2026-05-11.json",
        INCOME.name,
        "2",
    )

    # marketing-propensity v1: monthly report, bare form, linked by its folder.
    marketing_now = data.marketing_tables(911).features
    bare(
        drift_report(
            MARKETING,
            training[(MARKETING.name, "1")],
            marketing_now,
            when(datetime(2026, 11, 12, 5, 0)),
            "1",
            "marketing-propensity drift",
            ["drift", "monthly"],
        ),
        out / MARKETING.name / "1" / "drift-2026-11-12.json",
        MARKETING.name,
        "1",
    )

    # An analyst's ad-hoc comparison, saved at the top of the folder: it names no model.
    adhoc = data.credit_tables(931, income_shift=0.12).features
    bare(
        drift_report(
            CREDIT,
            training[(CREDIT.name, "3")],
            adhoc,
            when(datetime(2026, 10, 2, 9, 0)),
            "3",
            "ad-hoc applications check",
            [],
        ),
        out / "drift-2026-10-02.json",
        None,
        None,
    )
    return written
