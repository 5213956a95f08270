"""The Northwind Lending story: which AI systems exist, their versions, people and dates.

Everything the other helpers write is derived from these plans, so the planted gaps are
visible in one place (see ``evidence/README.md`` for the list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import data

JOB_NAMESPACE = "northwind-ml"
"""OpenLineage namespace of every Northwind job."""
MODEL_NAMESPACE = "mlflow"
"""OpenLineage namespace of ``models:/<name>/<version>`` datasets."""
STREAM_NAMESPACE = "kafka://kafka.northwind.internal:9092"
"""OpenLineage namespace of the online feature streams the serving jobs read."""
REPO_URL = "https://git.northwind.example/ml/pipelines.git"


def at(text: str) -> datetime:
    """A UTC instant from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


REGISTRY_OPENED = at("2026-02-02T09:00")
"""When Northwind's MLflow tracking server starts (its Default experiment is created)."""
REGISTRY_EXPORTED = at("2026-11-20T09:00")
"""When the registry is exported over REST (the collection log's times), after the last
event of the story (the serving heartbeats of 18 and 19 November)."""


@dataclass(frozen=True)
class VersionPlan:
    """One model version: how it is trained, when, by whom, and where it stands."""

    version: str
    estimator: str
    """``logreg``, ``forest`` or ``boosting``."""
    params: dict[str, int | float]
    trained: datetime
    """When the pipeline run (ingest, features, training) starts."""
    data_seed: int
    features_path: str
    """Logical path of the feature table, e.g. ``/data/northwind/features/credit_features_v3.parquet``."""
    stage: str = "None"
    aliases: tuple[str, ...] = ()
    description: str = ""
    author: str = "root"
    """The MLflow run's user (``mlflow.user``)."""
    approved_by: str | None = None
    approval_date: str | None = None
    """A fixed ISO date-time, or ``"after-creation"`` for the moment the tag is set
    (``released``)."""
    released: datetime | None = None
    """When the version got its stage, aliases, validation report and approval tags (its
    release, or its archiving for an old version); None: at registration."""
    validation_report: str | None = None
    git_commit: str = "0000000"
    serving: tuple[datetime, datetime | None, datetime | None] | None = None
    """Serving run: start, end (None while still running), RUNNING heartbeat (None: none)."""
    ingest_attempts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per raw table, each ingest attempt's outcome: COMPLETE, FAIL (nothing written) or
    FAIL_AFTER_WRITE (written, then a post-load check failed). Default one COMPLETE; () skips."""


@dataclass(frozen=True)
class SystemPlan:
    """One AI system (an MLflow registered model) and its pipeline."""

    name: str
    description: str
    tags: dict[str, str]
    target: str
    categorical: tuple[str, ...]
    tables: Callable[[int], data.Tables]
    dag: str
    raw_paths: dict[str, tuple[str, str]]
    """Raw key to (landing file path, raw parquet path)."""
    owners: tuple[str, ...]
    versions: tuple[VersionPlan, ...]
    serving_input: tuple[str, str] = ("", "")
    """(namespace, name) of the feature data the serving job reads."""
    serving_output: tuple[str, str] = ("", "")
    """(namespace, name) of the scores the serving job writes."""
    serving_processing: str = "STREAMING"
    """``STREAMING`` for an online service, ``BATCH`` for a scheduled scoring job."""
    serving_schema: tuple[tuple[str, str], ...] = ()
    """The stream's columns as the serving job reports them; empty = the training features."""
    quality_checks: bool = True
    """Whether the pipeline runs data-quality assertions and reports data-quality metrics."""
    pin_training_input: bool = True
    """Whether the training job reports the version of the feature table it read."""

    @property
    def experiment(self) -> str:
        """The MLflow experiment of the system's training runs."""
        return f"northwind/{self.name}"

    def version(self, version: str) -> VersionPlan:
        """The plan of one version."""
        return next(v for v in self.versions if v.version == version)


CREDIT = SystemPlan(
    name="credit-default-scorer",
    description=(
        "Probability that a retail loan applicant defaults within 12 months. "
        "Used by underwriters as one input to the credit decision."
    ),
    tags={
        "owner": "credit-risk-analytics@northwind.example",
        "intended_use": (
            "Creditworthiness scoring of natural persons applying for consumer "
            "loans: a 12-month default probability shown to the underwriter, "
            "who takes the decision."
        ),
        "eu_ai_act_category": "high-risk",
        "annex_iii_point": "5(b)",
        "risk_level": "high",
        "data_classification": "confidential-personal",
    },
    target="default",
    categorical=("region",),
    tables=lambda seed: data.credit_tables(seed),
    dag="northwind_credit_dag",
    raw_paths={
        "raw": (
            "/data/northwind/landing/credit_applications.csv",
            "/data/northwind/raw/credit_applications.parquet",
        )
    },
    owners=("team:credit-risk-analytics", "user:priya.raman@northwind.example"),
    serving_input=(STREAM_NAMESPACE, "credit-applications.scoring-requests"),
    serving_output=(STREAM_NAMESPACE, "credit-default-scorer.scores"),
    versions=(
        VersionPlan(
            "1",
            "logreg",
            {"C": 1.0, "max_iter": 500},
            at("2026-03-02T02:00"),
            101,
            "/data/northwind/features/credit_features_v1.parquet",
            stage="Archived",
            description="Baseline logistic regression on seven application features.",
            author="priya.raman",
            git_commit="1a7c3e2",
            # Archived when v2 was released; it never served.
            released=at("2026-06-15T07:50"),
        ),
        VersionPlan(
            "2",
            "forest",
            {"n_estimators": 150, "max_depth": 6},
            at("2026-06-01T02:00"),
            102,
            "/data/northwind/features/credit_features_v2.parquet",
            stage="Archived",
            description="Random forest; replaced by v3 after the Q3 validation.",
            author="priya.raman",
            git_commit="5d09b44",
            # Archived once its serving job stopped (07:55), before v3's started (08:00).
            released=at("2026-10-19T07:56"),
            serving=(at("2026-06-15T08:00"), at("2026-10-19T07:55"), at("2026-10-19T07:55")),
        ),
        VersionPlan(
            "3",
            "boosting",
            {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.05},
            at("2026-10-05T02:00"),
            103,
            "/data/northwind/features/credit_features_v3.parquet",
            stage="Production",
            aliases=("champion",),
            description=(
                "Gradient boosting on the v3 feature table; validated in "
                "MV-2026-031 and approved for production by the CRO."
            ),
            author="priya.raman",
            approved_by="dana.whitfield",
            approval_date="after-creation",
            validation_report="MV-2026-031",
            git_commit="9e41f07",
            # After validation MV-2026-031 and change approval CHG-2026-118 (16 and 18
            # October), just before its serving job starts.
            released=at("2026-10-19T07:50"),
            serving=(at("2026-10-19T08:00"), None, at("2026-11-19T08:00")),
        ),
    ),
)

INCOME = SystemPlan(
    name="income-verifier",
    description=(
        "Flags applications whose declared monthly income is not supported by "
        "bank-account inflows, for manual verification."
    ),
    tags={
        "owner": "onboarding-analytics@northwind.example",
        "intended_use": (
            "Verification of the income declared by natural persons applying "
            "for credit, as part of the creditworthiness assessment: flags "
            "declarations for manual review."
        ),
        "eu_ai_act_category": "high-risk",
        "annex_iii_point": "5(b)",
        "risk_level": "high",
        "data_classification": "confidential-personal",
    },
    target="income_mismatch",
    categorical=("region",),
    tables=lambda seed: data.income_tables(seed),
    dag="northwind_income_dag",
    raw_paths={
        "raw": (
            "/data/northwind/landing/income_declarations.csv",
            "/data/northwind/raw/income_declarations.parquet",
        )
    },
    owners=("team:onboarding-analytics", "user:tom.becker@northwind.example"),
    serving_input=(STREAM_NAMESPACE, "income-declarations.verification-requests"),
    serving_output=(STREAM_NAMESPACE, "income-verifier.flags"),
    # Planted skew: the online stream renamed one feature and serialises another as text.
    serving_schema=(
        ("income_monthly", "float64"),
        ("avg_monthly_deposits", "float64"),
        ("deposit_ratio", "float64"),
        ("employment_years", "string"),
        ("num_open_accounts", "int64"),
        ("region", "object"),
    ),
    quality_checks=False,
    pin_training_input=False,
    versions=(
        VersionPlan(
            "1",
            "logreg",
            {"C": 0.5, "max_iter": 500},
            at("2026-02-09T03:00"),
            201,
            "/data/northwind/features/income_features_v1.parquet",
            stage="Archived",
            description="First income-verification model (logistic regression).",
            author="tom.becker",
            git_commit="c2e8a10",
            released=at("2026-05-04T06:50"),
        ),
        VersionPlan(
            "2",
            "forest",
            {"n_estimators": 120, "max_depth": 5},
            at("2026-04-20T03:00"),
            202,
            "/data/northwind/features/income_features_v2.parquet",
            stage="Production",
            description="Random forest on deposit ratio and declared income.",
            author="tom.becker",
            approved_by="tom.becker",
            # Planted: recorded as approved three days before the version was trained.
            approval_date="2026-04-17T16:30:00Z",
            git_commit="f3b7d91",
            released=at("2026-05-04T06:50"),
            serving=(at("2026-05-04T07:00"), None, at("2026-11-18T07:00")),
        ),
    ),
)

FRAUD = SystemPlan(
    name="card-fraud-detector",
    description="Scores card transactions for fraud; high scores are held for review.",
    tags={
        "owner": "fraud-analytics@northwind.example",
        "intended_use": (
            "Detection of fraudulent card transactions so that they can be held "
            "for review. Financial-fraud detection is excluded from Annex III "
            "point 5(b)."
        ),
        "eu_ai_act_category": "not-high-risk",
        "risk_level": "medium",
        "data_classification": "confidential",
    },
    target="is_fraud",
    categorical=("merchant_category",),
    tables=lambda seed: data.fraud_tables(seed),
    dag="northwind_fraud_dag",
    raw_paths={
        "transactions": (
            "/data/northwind/landing/card_transactions.csv",
            "/data/northwind/raw/card_transactions.parquet",
        ),
        "chargebacks": (
            "/data/northwind/landing/chargebacks.csv",
            "/data/northwind/raw/chargebacks.parquet",
        ),
    },
    owners=("team:fraud-analytics", "user:lena.hoffmann@northwind.example"),
    serving_input=(STREAM_NAMESPACE, "card-transactions.authorisations"),
    serving_output=(STREAM_NAMESPACE, "card-fraud-detector.scores"),
    versions=(
        VersionPlan(
            "1",
            "logreg",
            {"C": 1.0, "max_iter": 1000},
            at("2026-05-11T01:00"),
            301,
            "/data/northwind/features/fraud_features.parquet",
            description="Logistic-regression baseline.",
            author="lena.hoffmann",
            git_commit="0b6d2f8",
        ),
        VersionPlan(
            "2",
            "forest",
            {"n_estimators": 200, "max_depth": 8},
            at("2026-08-03T01:00"),
            302,
            "/data/northwind/features/fraud_features.parquet",
            aliases=("champion",),
            description="Random forest; the champion since August.",
            author="lena.hoffmann",
            approved_by="marc.dubois",
            approval_date="after-creation",
            validation_report="MV-2026-024",
            git_commit="7aa01c3",
            # Change approval CHG-2026-077 moved the alias; the new serving job starts 10 August.
            released=at("2026-08-07T10:00"),
            # Planted: a timeout then a good retry, and a chargeback ingest that
            # writes an incomplete file, fails its post-load check and is never
            # retried; the feature task reads the file anyway.
            ingest_attempts={
                "transactions": ("FAIL", "COMPLETE"),
                "chargebacks": ("FAIL_AFTER_WRITE",),
            },
            serving=(at("2026-08-10T06:00"), None, at("2026-11-18T06:00")),
        ),
        VersionPlan(
            "3",
            "boosting",
            {"n_estimators": 250, "max_depth": 3, "learning_rate": 0.05},
            at("2026-11-09T01:00"),
            303,
            "/data/northwind/features/fraud_features.parquet",
            aliases=("challenger",),
            description="Gradient boosting challenger, in shadow evaluation.",
            author="lena.hoffmann",
            git_commit="d81c5e0",
            released=at("2026-11-10T09:00"),
            # The chargeback ingest stays disabled until the feed is fixed, so the
            # challenger too is trained on the incomplete August file.
            ingest_attempts={"chargebacks": ()},
        ),
    ),
)

MARKETING = SystemPlan(
    name="marketing-propensity",
    description="Ranks existing customers by their likelihood to open a savings account.",
    tags={
        "intended_use": (
            "Rank existing customers by likelihood to respond to a "
            "savings-product campaign; no decision about credit."
        ),
        "eu_ai_act_category": "minimal-risk",
        "risk_level": "low",
        "data_classification": "internal",
    },
    target="responded",
    categorical=("region",),
    tables=lambda seed: data.marketing_tables(seed),
    dag="northwind_marketing_dag",
    raw_paths={
        "raw": ("/data/northwind/landing/customers.csv", "/data/northwind/raw/customers.parquet")
    },
    owners=("team:marketing-analytics",),
    serving_input=("file", "/data/northwind/features/marketing_scoring_2026-11.parquet"),
    serving_output=("file", "/data/northwind/scores/marketing_propensity_2026-11.parquet"),
    serving_processing="BATCH",
    versions=(
        VersionPlan(
            "1",
            "logreg",
            {"C": 1.0, "max_iter": 500},
            at("2026-07-06T04:00"),
            401,
            "/data/northwind/features/marketing_features_v1.parquet",
            stage="Production",
            description="Propensity model for the autumn campaign.",
            author="sam.okoye",
            git_commit="3c5f9ab",
            # After validation MV-2026-019.
            released=at("2026-07-09T14:00"),
            serving=(at("2026-11-16T05:00"), at("2026-11-16T05:18"), None),
        ),
    ),
)

SYSTEMS: tuple[SystemPlan, ...] = (CREDIT, INCOME, FRAUD, MARKETING)
