"""Synthetic tables for Northwind Lending (fictional), drawn with numpy from fixed seeds.

Each AI system has a raw table (as it lands from a source system) and a feature table
derived from it with pandas. The feature-building code is real: the column lineage the
pipeline reports describes exactly what these functions do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REGIONS = ("north", "south", "east", "west", "central")
MERCHANT_CATEGORIES = ("grocery", "fuel", "travel", "electronics", "online_retail", "restaurants")


@dataclass(frozen=True)
class Derivation:
    """How one feature column is computed from raw columns (reported as column lineage)."""

    inputs: tuple[tuple[str, str], ...]
    """(raw dataset key, raw column) pairs."""
    subtype: str
    """IDENTITY, TRANSFORMATION or AGGREGATION (OpenLineage transformation subtypes)."""
    description: str = ""


@dataclass(frozen=True)
class Tables:
    """One draw of a system's data: raw tables by key, and the feature table built from them."""

    raw: dict[str, pd.DataFrame]
    features: pd.DataFrame
    derivations: dict[str, Derivation]
    dropped: dict[tuple[str, str], str] = field(default_factory=dict)
    """(raw key, column) left out of the features, with why (reported as masking)."""
    filters: dict[tuple[str, str], str] = field(default_factory=dict)
    """(raw key, column) used to filter rows, with the rule."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(prefix: str, seed: int, n: int) -> list[str]:
    # Pseudonymous keys: the seed keeps ids of different draws apart.
    return [f"{prefix}{seed:03d}-{i:06d}" for i in range(n)]


# ---------------------------------------------------------------- credit-default-scorer


def credit_applications(seed: int, n: int, income_shift: float = 0.0) -> pd.DataFrame:
    """Retail loan applications with the 12-month default outcome."""
    rng = np.random.default_rng(seed)
    employment_years = rng.integers(0, 36, n)
    annual_income = np.round(rng.lognormal(10.75 + income_shift, 0.42, n), 0)
    history = np.clip(np.round(employment_years * 12 + rng.normal(30, 28, n)), 0, 480)
    accounts = rng.poisson(4.0, n)
    dti_true = np.clip(rng.beta(2.2, 5.5, n) + 0.01 * accounts, 0.0, 1.2)
    monthly_debt = np.round(dti_true * annual_income / 12, 2)
    loan_amount = np.round(annual_income * rng.uniform(0.08, 0.9, n), -2)
    region = rng.choice(REGIONS, n, p=[0.22, 0.24, 0.18, 0.21, 0.15])
    region_effect = (
        pd.Series(region)
        .map({"north": 0.0, "south": 0.25, "east": 0.1, "west": -0.1, "central": 0.05})
        .to_numpy()
    )
    logit = (
        -2.4
        + 4.2 * dti_true
        - 0.0035 * history
        - 0.6 * np.log(annual_income / 45000)
        + 0.9 * loan_amount / annual_income
        + 0.06 * accounts
        - 0.02 * employment_years
        + region_effect
    )
    defaulted = (rng.random(n) < _sigmoid(logit)).astype("int64")
    return pd.DataFrame(
        {
            "applicant_id": _ids("A", seed, n),
            "annual_income": annual_income,
            "monthly_debt_payments": monthly_debt,
            "credit_history_months": history.astype("int64"),
            "num_open_accounts": accounts.astype("int64"),
            "loan_amount": loan_amount,
            "employment_years": employment_years.astype("int64"),
            "region": region.astype(object),
            "defaulted": defaulted,
        }
    )


def credit_features(raw: pd.DataFrame) -> pd.DataFrame:
    """The credit feature table: one row per application with a positive income."""
    kept = raw[raw["annual_income"] > 0]
    return pd.DataFrame(
        {
            "income": kept["annual_income"].astype("float64"),
            "debt_to_income": (kept["monthly_debt_payments"] * 12 / kept["annual_income"]).round(4),
            "credit_history_months": kept["credit_history_months"],
            "num_open_accounts": kept["num_open_accounts"],
            "loan_amount": kept["loan_amount"].astype("float64"),
            "employment_years": kept["employment_years"],
            "region": kept["region"],
            "default": kept["defaulted"],
        }
    ).reset_index(drop=True)


def credit_tables(seed: int, n: int = 4000, income_shift: float = 0.0) -> Tables:
    """Raw applications and credit features for one training cut."""
    raw = credit_applications(seed, n, income_shift)
    same = ("credit_history_months", "num_open_accounts", "employment_years", "region")
    derivations = {c: Derivation((("raw", c),), "IDENTITY") for c in same}
    derivations |= {
        "income": Derivation((("raw", "annual_income"),), "IDENTITY", "renamed annual_income"),
        "debt_to_income": Derivation(
            (("raw", "monthly_debt_payments"), ("raw", "annual_income")),
            "TRANSFORMATION",
            "12 * monthly_debt_payments / annual_income",
        ),
        "loan_amount": Derivation((("raw", "loan_amount"),), "IDENTITY"),
        "default": Derivation((("raw", "defaulted"),), "IDENTITY", "renamed defaulted"),
    }
    return Tables(
        raw={"raw": raw},
        features=credit_features(raw),
        derivations=derivations,
        dropped={("raw", "applicant_id"): "pseudonymous identifier, not a feature"},
        filters={("raw", "annual_income"): "rows with annual_income <= 0 dropped"},
    )


# ---------------------------------------------------------------- income-verifier


def income_declarations(seed: int, n: int) -> pd.DataFrame:
    """Declared monthly incomes with three months of bank inflows and the verification outcome."""
    rng = np.random.default_rng(seed)
    true_income = np.round(rng.lognormal(8.2, 0.4, n), 2)
    inflated = rng.random(n) < 0.12
    declared = np.round(
        true_income * np.where(inflated, rng.uniform(1.25, 1.9, n), rng.uniform(0.95, 1.08, n)), 0
    )
    deposits_3m = np.round(3 * true_income * rng.normal(1.0, 0.08, n), 2)
    employment_years = rng.integers(0, 36, n)
    accounts = rng.poisson(3.5, n)
    region = rng.choice(REGIONS, n)
    mismatch = (declared / (deposits_3m / 3) > 1.2).astype("int64")
    flip = rng.random(n) < 0.03  # reviewers disagree with the simple ratio now and then
    mismatch = np.where(flip, 1 - mismatch, mismatch).astype("int64")
    return pd.DataFrame(
        {
            "declaration_id": _ids("D", seed, n),
            "declared_monthly_income": declared,
            "bank_deposits_3m": deposits_3m,
            "employment_years": employment_years.astype("int64"),
            "num_open_accounts": accounts.astype("int64"),
            "region": region.astype(object),
            "verified_mismatch": mismatch,
        }
    )


def income_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Income-verification features: declared income against average monthly deposits."""
    avg = (raw["bank_deposits_3m"] / 3).round(2)
    return pd.DataFrame(
        {
            "monthly_income": raw["declared_monthly_income"].astype("float64"),
            "avg_monthly_deposits": avg,
            "deposit_ratio": (avg / raw["declared_monthly_income"]).round(4),
            "employment_years": raw["employment_years"],
            "num_open_accounts": raw["num_open_accounts"],
            "region": raw["region"],
            "income_mismatch": raw["verified_mismatch"],
        }
    )


def income_tables(seed: int, n: int = 3000) -> Tables:
    """Raw declarations and income-verification features for one training cut."""
    raw = income_declarations(seed, n)
    derivations = {
        c: Derivation((("raw", c),), "IDENTITY")
        for c in ("employment_years", "num_open_accounts", "region")
    }
    derivations |= {
        "monthly_income": Derivation(
            (("raw", "declared_monthly_income"),), "IDENTITY", "renamed declared_monthly_income"
        ),
        "avg_monthly_deposits": Derivation(
            (("raw", "bank_deposits_3m"),), "TRANSFORMATION", "bank_deposits_3m / 3"
        ),
        "deposit_ratio": Derivation(
            (("raw", "bank_deposits_3m"), ("raw", "declared_monthly_income")),
            "TRANSFORMATION",
            "(bank_deposits_3m / 3) / declared_monthly_income",
        ),
        "income_mismatch": Derivation(
            (("raw", "verified_mismatch"),), "IDENTITY", "renamed verified_mismatch"
        ),
    }
    return Tables(
        raw={"raw": raw},
        features=income_features(raw),
        derivations=derivations,
        dropped={("raw", "declaration_id"): "identifier, not a feature"},
    )


# ---------------------------------------------------------------- card-fraud-detector


def card_transactions(seed: int, n: int, shift: bool = False) -> pd.DataFrame:
    """Card transactions; ``shift`` moves amount, hour, distance and velocity (drift)."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(n) < 0.04
    amount = np.round(
        rng.lognormal(3.6 + (0.5 if shift else 0.0), 0.9, n) * np.where(fraud, 3.0, 1.0), 2
    )
    category = np.where(
        fraud,
        rng.choice(["electronics", "online_retail", "travel"], n),
        rng.choice(MERCHANT_CATEGORIES, n),
    )
    hour = np.where(
        fraud, rng.integers(0, 6, n), (rng.normal(17 if shift else 14, 4, n) % 24).astype(int)
    )
    distance = np.round(
        rng.exponential(60.0 if shift else 12.0, n) + np.where(fraud, rng.exponential(300, n), 0), 1
    )
    present = np.where(fraud, rng.random(n) < 0.15, rng.random(n) < 0.7).astype("int64")
    velocity = rng.poisson(np.where(fraud, 7.0, 4.5 if shift else 2.0))
    return pd.DataFrame(
        {
            "transaction_id": _ids("T", seed, n),
            "amount_eur": amount,
            "merchant_category": category.astype(object),
            "hour_of_day": hour.astype("int64"),
            "distance_from_home_km": distance,
            "card_present": present,
            "tx_count_24h": velocity.astype("int64"),
            "_fraud": fraud.astype("int64"),
        }
    )


def fraud_tables(seed: int, n: int = 5000) -> Tables:
    """Transactions, chargebacks and the fraud feature table (label from chargebacks)."""
    drawn = card_transactions(seed, n)
    chargebacks = pd.DataFrame(
        {"transaction_id": drawn["transaction_id"], "chargeback": drawn["_fraud"]}
    )
    transactions = drawn.drop(columns=["_fraud"])
    joined = transactions.merge(chargebacks, on="transaction_id", how="left")
    features = pd.DataFrame(
        {
            "transaction_amount": joined["amount_eur"],
            "merchant_category": joined["merchant_category"],
            "hour_of_day": joined["hour_of_day"],
            "distance_from_home_km": joined["distance_from_home_km"],
            "card_present": joined["card_present"],
            "tx_count_24h": joined["tx_count_24h"],
            "is_fraud": joined["chargeback"].fillna(0).astype("int64"),
        }
    )
    derivations = {
        c: Derivation((("transactions", c),), "IDENTITY")
        for c in (
            "merchant_category",
            "hour_of_day",
            "distance_from_home_km",
            "card_present",
            "tx_count_24h",
        )
    }
    derivations |= {
        "transaction_amount": Derivation(
            (("transactions", "amount_eur"),), "IDENTITY", "renamed amount_eur"
        ),
        "is_fraud": Derivation(
            (("chargebacks", "chargeback"),),
            "IDENTITY",
            "chargeback joined on transaction_id; missing = 0",
        ),
    }
    return Tables(
        raw={"transactions": transactions, "chargebacks": chargebacks},
        features=features,
        derivations=derivations,
        dropped={("transactions", "transaction_id"): "join key, not a feature"},
    )


def fraud_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Fraud features from drawn transactions (label from the hidden fraud flag)."""
    return pd.DataFrame(
        {
            "transaction_amount": raw["amount_eur"],
            "merchant_category": raw["merchant_category"],
            "hour_of_day": raw["hour_of_day"],
            "distance_from_home_km": raw["distance_from_home_km"],
            "card_present": raw["card_present"],
            "tx_count_24h": raw["tx_count_24h"],
            "is_fraud": raw["_fraud"],
        }
    )


# ---------------------------------------------------------------- marketing-propensity


def marketing_customers(seed: int, n: int) -> pd.DataFrame:
    """Existing customers and whether they answered last year's savings campaign."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    tenure = rng.integers(1, 240, n)
    products = rng.integers(1, 6, n)
    last_contact = rng.integers(0, 365, n)
    region = rng.choice(REGIONS, n)
    logit = -2.0 + 0.015 * (age - 40) + 0.004 * tenure + 0.3 * products - 0.004 * last_contact
    responded = (rng.random(n) < _sigmoid(logit)).astype("int64")
    return pd.DataFrame(
        {
            "customer_id": _ids("C", seed, n),
            "age": age.astype("int64"),
            "tenure_months": tenure.astype("int64"),
            "num_products": products.astype("int64"),
            "days_since_last_contact": last_contact.astype("int64"),
            "region": region.astype(object),
            "responded": responded,
        }
    )


def marketing_tables(seed: int, n: int = 3000) -> Tables:
    """Customers and the propensity feature table (the same columns without the id)."""
    raw = marketing_customers(seed, n)
    features = raw.drop(columns=["customer_id"]).reset_index(drop=True)
    derivations = {c: Derivation((("raw", c),), "IDENTITY") for c in features.columns}
    return Tables(
        raw={"raw": raw},
        features=features,
        derivations=derivations,
        dropped={("raw", "customer_id"): "identifier, not a feature"},
    )
