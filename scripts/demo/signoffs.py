"""Northwind's human sign-offs, in mldossier's ``signoff/v1`` YAML, with small attachments.

No platform exports these, so they are written here from the story; each file looks like
what a risk or compliance officer would commit next to the exports.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SignOffPlan:
    """One sign-off document."""

    id: str
    kind: str
    system: str
    title: str
    statement: str
    signed_by: str
    role: str
    date: str
    version: str | None = None
    expires: str | None = None
    anomalies: tuple[str, ...] = ()
    """The anomaly ids (as mldossier names them) an anomaly review or incident triages."""
    attachments: dict[str, str] = field(default_factory=dict)
    """File name (under ``attachments/``) to its text."""


CRO = ("Dana Whitfield", "Chief Risk Officer")
DPO = ("Jonas Lindqvist", "Data Protection Officer")
HEAD_CREDIT = ("Amara Nwosu", "Head of Retail Credit")
MRM = ("Helena Sato", "Head of Model Risk Management")
COMPLIANCE = ("Rafael Ortega", "Head of Compliance")
CISO = ("Mei Chen", "Chief Information Security Officer")
HEAD_FRAUD = ("Marc Dubois", "Head of Fraud Risk")
HEAD_MARKETING = ("Ines Carvalho", "Head of Marketing Analytics")

CREDIT = "credit-default-scorer"
INCOME = "income-verifier"
FRAUD = "card-fraud-detector"
MARKETING = "marketing-propensity"


def _plan(
    id: str,
    kind: str,
    system: str,
    title: str,
    statement: str,  # noqa: A002
    who: tuple[str, str],
    date: str,
    **extra: object,
) -> SignOffPlan:
    return SignOffPlan(
        id=id,
        kind=kind,
        system=system,
        title=title,
        statement=statement,
        signed_by=who[0],
        role=who[1],
        date=date,
        **extra,
    )  # type: ignore[arg-type]


RISK_ASSESSMENT_MD = """\
# Risk assessment RA-2026-031: credit-default-scorer

Scope: retail consumer-loan applications, Northwind Lending (fictional), all regions.

| Risk | Likelihood | Impact | Control | Residual |
|---|---|---|---|---|
| Indirect discrimination by region | medium | high | region effect reviewed quarterly; disparate-impact ratio >= 0.8 | low |
| Over-reliance by underwriters | medium | medium | score shown with reason codes; override logged | low |
| Data drift after rate changes | medium | medium | weekly Evidently drift report, alert at 0.1 | low |
| Stale training data | low | medium | retraining at least yearly; versions pinned by hash | low |

Residual risk accepted by the Chief Risk Officer on 2026-10-12.
"""

VALIDATION_MD = """\
# Model validation MV-2026-031: credit-default-scorer version 3

Independent validation by Model Risk Management.

- Conceptual soundness: gradient boosting on seven application features; monotone effects checked.
- Performance on the 25 % holdout: ROC AUC and accuracy as logged in MLflow; no degradation
  against version 2.
- Stability: population stability index of every feature below 0.1 against version 2's data.
- Fairness: approval-rate ratio between regions 0.86 (threshold 0.8).

Outcome: approved for production, to be revalidated within twelve months.
"""

OVERSIGHT_MD = """\
# Human oversight plan HOP-2026-007: credit-default-scorer

1. The score never decides alone: an underwriter takes every credit decision.
2. Underwriters see the score, its top three reason codes and the model version.
3. Overrides are recorded with a reason; an override rate above 25 % in a month triggers review.
4. The Head of Retail Credit can switch scoring off (fallback: manual underwriting).
5. Underwriters are trained on the model's limits before they get access.
"""

DECLARATION_TXT = """\
EU declaration of conformity DOC-2026-003

Provider: Northwind Lending (fictional), Harbour Street 1, Example City
AI system: credit-default-scorer, version 3
The AI system conforms to Regulation (EU) 2024/1689, Chapter III, Section 2.
Conformity assessment: internal control (Annex VI).
Signed for and on behalf of the provider: Dana Whitfield, Chief Risk Officer, 2026-10-19.
"""

FRAUD_CLASSIFICATION_MD = """\
# Classification assessment CL-2026-004: card-fraud-detector

The system scores card transactions for fraud. Annex III point 5(b) covers creditworthiness
evaluation and credit scoring of natural persons and explicitly excludes systems used to
detect financial fraud. No other Annex III area applies and the system is not a safety
component of an Annex I product. Classification: not high-risk.
"""

INCIDENT_MD = """\
# Incident INC-2026-031: incomplete chargeback file

- Detected: 2026-08-03 01:18 UTC. Task northwind_fraud_dag.ingest_chargebacks wrote
  raw/chargebacks.parquet, then failed its post-load check: chargebacks only cover
  transactions up to 2026-07-19 (expected 2026-07-31).
- Impact: the feature task (trigger rule all_done) read the incomplete file, so
  card-fraud-detector v2 was trained with labels missing for the last twelve days of July.
- Containment: task disabled; v2 kept as champion after review of its holdout metrics.
- Open action: fix the processor export, re-ingest, retrain (owner: fraud-analytics).
"""


def _common(system: str, n: int, who_ifu: tuple[str, str], ifu_date: str) -> list[SignOffPlan]:
    """Sign-offs every Northwind system carries: procedures, access, incidents, data, use."""
    return [
        _plan(
            f"QMS-2026-{n:03d}",
            "qms_procedure",
            system,
            f"Quality procedure, {system}",
            "Development, validation, release and change of this model follow procedure "
            "QMS-ML-01 rev. 4.",
            COMPLIANCE,
            "2026-09-15",
            expires="2027-09-15",
        ),
        _plan(
            f"AR-2026-Q4-{n:02d}",
            "access_review",
            system,
            f"Quarterly access review, {system}",
            "Access to the registry entry, the feature tables and the serving deployment "
            "reviewed; leavers removed.",
            CISO,
            "2026-11-03",
            expires="2027-02-03",
        ),
        _plan(
            f"LOG-2026-{n:03d}",
            "logging_policy",
            system,
            f"Logging policy, {system}",
            "Every score is logged with the model version for six years; lineage events are "
            "kept for every pipeline and serving run.",
            CISO,
            "2026-09-22",
            expires="2027-09-22",
        ),
        _plan(
            f"DG-2026-{n:03d}",
            "data_governance",
            system,
            f"Data governance, {system}",
            "Training, validation and test data are relevant, representative and examined for "
            "bias; personal data is handled under the data protection impact assessment.",
            DPO,
            "2026-09-30",
            expires="2027-09-30",
        ),
        _plan(
            f"IFU-2026-{n:03d}",
            "instructions_for_use",
            system,
            f"Instructions for use, {system}",
            "Purpose, inputs, how to read the output, known limits and when not to rely on it.",
            who_ifu,
            ifu_date,
            expires="2027-10-31",
        ),
    ]


def _incident_review(
    system: str,
    n: int,
    who: tuple[str, str],
    finding: str = "no serious incident and no malfunction to report.",
) -> SignOffPlan:
    return _plan(
        f"IR-2026-Q3-{n:02d}",
        "incident_report",
        system,
        f"Serious-incident review Q3 2026, {system}",
        f"Incident log for July to September 2026 reviewed: {finding}",
        who,
        "2026-10-06",
        expires="2027-01-06",
    )


PLANS: tuple[SignOffPlan, ...] = (
    # ------------------------------------------------ credit-default-scorer: complete.
    # Filed system-wide (no subject.version) so that system-level controls see them too;
    # the title says which version each one was written for.
    _plan(
        "CL-2026-002",
        "classification_assessment",
        CREDIT,
        "EU AI Act classification, credit-default-scorer",
        "The system evaluates the creditworthiness of natural persons (Annex III point 5(b)) "
        "and is therefore high-risk; no Art. 6(3) derogation is claimed.",
        COMPLIANCE,
        "2026-02-16",
        expires="2027-02-16",
    ),
    _plan(
        "RA-2026-031",
        "risk_assessment",
        CREDIT,
        "Risk assessment, credit-default-scorer",
        "Risks to health, safety and fundamental rights identified, evaluated and mitigated; "
        "the residual risk is accepted for production use.",
        CRO,
        "2026-10-12",
        expires="2027-10-12",
        attachments={"risk-assessment-RA-2026-031.md": RISK_ASSESSMENT_MD},
    ),
    _plan(
        "HOP-2026-007",
        "human_oversight_plan",
        CREDIT,
        "Human oversight plan, credit-default-scorer",
        "Underwriters decide; the score is advisory, explained by reason codes, and can be "
        "overridden or switched off.",
        HEAD_CREDIT,
        "2026-10-12",
        expires="2027-10-12",
        attachments={"human-oversight-plan-HOP-2026-007.md": OVERSIGHT_MD},
    ),
    _plan(
        "FRIA-2026-003",
        "fundamental_rights_impact_assessment",
        CREDIT,
        "Fundamental rights impact assessment, credit-default-scorer",
        "Affected persons, risks of harm, oversight and complaint handling assessed before "
        "deployment, as Art. 27 requires for Annex III 5(b) deployers.",
        DPO,
        "2026-10-14",
        expires="2027-10-14",
    ),
    _plan(
        "PMM-2026-005",
        "post_market_monitoring_plan",
        CREDIT,
        "Post-market monitoring plan, credit-default-scorer",
        "Weekly drift report, monthly performance review against observed defaults, "
        "incident reporting within 15 days.",
        MRM,
        "2026-10-14",
        expires="2027-10-14",
    ),
    _plan(
        "DOC-2026-003",
        "eu_declaration_of_conformity",
        CREDIT,
        "EU declaration of conformity, credit-default-scorer v3",
        "Version 3 conforms to the requirements for high-risk AI systems (internal control, "
        "Annex VI).",
        CRO,
        "2026-10-19",
        expires="2027-10-19",
        attachments={"declaration-of-conformity-DOC-2026-003.txt": DECLARATION_TXT},
    ),
    _plan(
        "TD-2026-011",
        "technical_documentation",
        CREDIT,
        "Technical documentation (Annex IV), credit-default-scorer v3",
        "Annex IV technical documentation compiled for version 3 and reviewed.",
        MRM,
        "2026-10-16",
        expires="2027-10-16",
    ),
    _plan(
        "MV-2026-031",
        "model_validation",
        CREDIT,
        "Model validation, credit-default-scorer v3",
        "Independent validation of version 3: performance, stability and fairness within "
        "limits; approved for production.",
        MRM,
        "2026-10-16",
        expires="2027-10-16",
        attachments={"model-validation-MV-2026-031.md": VALIDATION_MD},
    ),
    # The one version-scoped credit sign-off: the release of v3.
    _plan(
        "CHG-2026-118",
        "change_approval",
        CREDIT,
        "Change approval: promote credit-default-scorer v3",
        "Promotion of version 3 to production approved after validation MV-2026-031; "
        "rollback: re-point alias champion to version 2.",
        CRO,
        "2026-10-18",
        version="3",
        expires="2027-10-18",
    ),
    _incident_review(CREDIT, 1, MRM),
    *_common(CREDIT, 1, HEAD_CREDIT, "2026-10-16"),
    # ------------------------------------------------ income-verifier: planted gaps.
    # No human_oversight_plan at all, and the risk assessment expired on 2026-09-15.
    _plan(
        "CL-2026-003",
        "classification_assessment",
        INCOME,
        "EU AI Act classification, income-verifier",
        "Income verification is part of the creditworthiness evaluation of natural persons "
        "(Annex III point 5(b)): high-risk.",
        COMPLIANCE,
        "2026-02-16",
        expires="2027-02-16",
    ),
    _plan(
        "RA-2025-044",
        "risk_assessment",
        INCOME,
        "Risk assessment, income-verifier",
        "Risks of wrongly flagging declared income assessed; residual risk accepted for one year.",
        CRO,
        "2025-09-15",
        expires="2026-09-15",
    ),
    _plan(
        "FRIA-2026-001",
        "fundamental_rights_impact_assessment",
        INCOME,
        "Fundamental rights impact assessment, income-verifier",
        "Impact on applicants whose income is flagged assessed; flagged cases always go to "
        "a person.",
        DPO,
        "2026-04-28",
        expires="2027-04-28",
    ),
    _plan(
        "PMM-2026-002",
        "post_market_monitoring_plan",
        INCOME,
        "Post-market monitoring plan, income-verifier",
        "Monthly drift report on declared incomes and deposits; flag-rate review each quarter.",
        MRM,
        "2026-04-28",
        expires="2027-04-28",
    ),
    _plan(
        "DOC-2026-001",
        "eu_declaration_of_conformity",
        INCOME,
        "EU declaration of conformity, income-verifier v2",
        "Version 2 conforms to the requirements for high-risk AI systems (internal control, "
        "Annex VI).",
        CRO,
        "2026-05-02",
        expires="2027-05-02",
    ),
    _plan(
        "TD-2026-004",
        "technical_documentation",
        INCOME,
        "Technical documentation (Annex IV), income-verifier v2",
        "Annex IV technical documentation compiled for version 2.",
        MRM,
        "2026-04-28",
        expires="2027-04-28",
    ),
    _plan(
        "MV-2026-012",
        "model_validation",
        INCOME,
        "Model validation, income-verifier v2",
        "Validation of version 2 on the April holdout; accepted.",
        MRM,
        "2026-04-23",
        expires="2027-04-23",
    ),
    _incident_review(INCOME, 2, MRM),
    *_common(INCOME, 2, ("Tom Becker", "Lead Data Scientist, Onboarding"), "2026-05-02"),
    # ------------------------------------------------ card-fraud-detector: not high-risk.
    _plan(
        "CL-2026-004",
        "classification_assessment",
        FRAUD,
        "EU AI Act classification, card-fraud-detector",
        "Fraud detection is excluded from Annex III point 5(b); no other Annex III area "
        "applies: not high-risk.",
        COMPLIANCE,
        "2026-05-04",
        expires="2027-05-04",
        attachments={"classification-CL-2026-004.md": FRAUD_CLASSIFICATION_MD},
    ),
    _plan(
        "RA-2026-019",
        "risk_assessment",
        FRAUD,
        "Risk assessment, card-fraud-detector",
        "False positives delay genuine payments; holds are reviewed within one hour. "
        "Residual risk accepted.",
        HEAD_FRAUD,
        "2026-07-27",
        expires="2027-07-27",
    ),
    _plan(
        "MV-2026-024",
        "model_validation",
        FRAUD,
        "Model validation, card-fraud-detector v2",
        "Version 2 validated on the July holdout: recall and precision within limits.",
        MRM,
        "2026-08-06",
        version="2",
        expires="2027-08-06",
    ),
    _plan(
        "CHG-2026-077",
        "change_approval",
        FRAUD,
        "Change approval: champion alias to card-fraud-detector v2",
        "Alias champion moved to version 2 after validation MV-2026-024.",
        HEAD_FRAUD,
        "2026-08-07",
        version="2",
        expires="2027-08-07",
    ),
    _plan(
        "INC-2026-031",
        "incident_report",
        FRAUD,
        "Incident: incomplete chargeback file used for training",
        "The chargeback ingest of 2026-08-03 wrote an incomplete file and failed; the "
        "feature task used the file, so v2 was trained on incomplete labels. Open until the "
        "feed is fixed and the model retrained.",
        HEAD_FRAUD,
        "2026-08-05",
        expires="2027-08-05",
        attachments={"incident-INC-2026-031.md": INCIDENT_MD},
    ),
    # The drift of Evidently's report of 16 November, triaged two days later.
    _plan(
        "ANR-2026-009",
        "anomaly_review",
        FRAUD,
        "Anomaly review: drift in card-fraud-detector v2's traffic, week of 16 November",
        "Drift in transaction_amount, hour_of_day, distance_from_home_km and tx_count_24h "
        "reviewed: the holiday-season pattern seen every year, not a change of the fraud "
        "itself. Decision: v2 stays champion with held transactions reviewed by hand; the "
        "challenger v3 is compared on the same traffic before any promotion.",
        HEAD_FRAUD,
        "2026-11-18",
        version="2",
        anomalies=("drift:monitoring/card-fraud-detector/2/drift-and-quality-2026-11-16.json",),
    ),
    _incident_review(
        FRAUD, 3, HEAD_FRAUD, "one incident, INC-2026-031, still open; nothing to notify."
    ),
    *_common(FRAUD, 3, HEAD_FRAUD, "2026-08-07"),
    # ------------------------------------------------ marketing-propensity: minimal risk.
    _plan(
        "CL-2026-006",
        "classification_assessment",
        MARKETING,
        "EU AI Act classification, marketing-propensity",
        "Ranks existing customers for a savings campaign; no Annex III use, no decision "
        "about natural persons' access to services: minimal risk.",
        HEAD_MARKETING,
        "2026-06-29",
        expires="2027-06-29",
    ),
    _plan(
        "RA-2026-022",
        "risk_assessment",
        MARKETING,
        "Risk assessment, marketing-propensity",
        "Worst case: a customer receives an unwanted offer. Opt-outs honoured; residual "
        "risk accepted.",
        HEAD_MARKETING,
        "2026-06-29",
        expires="2027-06-29",
    ),
    _plan(
        "MV-2026-019",
        "model_validation",
        MARKETING,
        "Model validation, marketing-propensity v1",
        "Lift on the holdout checked against the 2025 campaign; accepted.",
        MRM,
        "2026-07-09",
        version="1",
        expires="2027-07-09",
    ),
    _incident_review(MARKETING, 4, HEAD_MARKETING),
    *_common(MARKETING, 4, HEAD_MARKETING, "2026-07-09"),
)


def _scalar(text: str) -> str:
    # Plain YAML scalars cannot hold ": ", "#" and friends; a JSON string is valid YAML.
    if re.search(r"[:#\[\]{},&*!|>'\"%@`]", text) or text != text.strip():
        return json.dumps(text, ensure_ascii=False)
    return text


def render(plan: SignOffPlan) -> str:
    """The YAML text of one sign-off, in the documented field order."""
    statement = textwrap.fill(plan.statement, width=88, initial_indent="  ", subsequent_indent="  ")
    lines = [
        "mldossier: signoff/v1",
        f"id: {plan.id}",
        f"kind: {plan.kind}",
        f"title: {_scalar(plan.title)}",
        "subject:",
        f"  system: {plan.system}",
    ]
    if plan.version is not None:
        lines.append(f'  version: "{plan.version}"')
    lines += [
        "statement: >-",
        statement,
        f"signed_by: {_scalar(plan.signed_by)}",
        f"role: {_scalar(plan.role)}",
        f"date: {plan.date}",
    ]
    if plan.expires:
        lines.append(f"expires: {plan.expires}")
    if plan.anomalies:
        lines.append("anomalies:")
        lines += [f"  - {_scalar(a)}" for a in plan.anomalies]
    if plan.attachments:
        lines.append("attachments:")
        lines += [f"  - attachments/{name}" for name in plan.attachments]
    return "\n".join(lines) + "\n"


def write_signoffs(out: Path) -> list[Path]:
    """Write every sign-off (``<system>-<id>.yaml``) and its attachments (``attachments/``)."""
    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    for plan in PLANS:
        path = out / f"{plan.system}-{plan.id}.yaml"
        path.write_text(render(plan), encoding="utf-8")
        written.append(path)
        for name, text in plan.attachments.items():
            attachment = out / "attachments" / name
            attachment.parent.mkdir(parents=True, exist_ok=True)
            attachment.write_text(text, encoding="utf-8")
            written.append(attachment)
    return written
