"""Whether an obligation applies to a system, and from when: its legal profile and the dates.

The EU AI Act decides what applies by the operator's role (Art. 3), the system's legal
classification (prohibited, Art. 5; high-risk through Annex I or Annex III, Art. 6; an
Art. 6(3) derogation; otherwise not high-risk), functional flags (Art. 50, GPAI) and the
organisation (financial institution, public body, SME), and from when by Art. 113 and the
legacy rules of Art. 111. A system's :class:`Profile` gathers those inputs from its
registered-model tags and ``mldossier.yaml`` (``eu_ai_act:``); a control's scope
(``applies_to``) and its ``applies_from`` date are read against it.

The sets below are the reference's (``regulation.md`` A.2 and A.3); nothing here is
invented: a flag is an input the organisation states, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mldossier.config import Config
from mldossier.model import ModelVersion, RegisteredModel

ROLES = (
    "provider",
    "deployer",
    "importer",
    "distributor",
    "authorised_representative",
    "product_manufacturer",
)
"""Operator roles (Art. 3(3)–(8), Art. 25(3)); one organisation can hold several per system."""

SYSTEM_FLAGS = (
    "interacts_with_persons",
    "generates_synthetic_content",
    "emotion_recognition_or_biometric_categorisation",
    "deep_fake_or_public_interest_text",
    "gpai_model",
    "gpai_systemic_risk",
    "gpai_third_country",
    "special_category_data_for_bias",
    "profiles_natural_persons",
    "intended_for_public_authorities",
    "workplace_use",
    "annex_i_product",
    "annex_x_component",
)
"""Functional flags of a system (A.2): true only when the organisation states them."""

ORGANISATION_FLAGS = ("financial_institution", "public_body", "sme", "smc")
"""Flags of the organisation (``eu_ai_act.flags`` in the config)."""

FLAGS = SYSTEM_FLAGS + ORGANISATION_FLAGS

ANNEX_III_POINTS: dict[str, str] = {
    "1(a)": "Biometrics: remote biometric identification",
    "1(b)": "Biometrics: biometric categorisation by sensitive or protected attributes",
    "1(c)": "Biometrics: emotion recognition",
    "2": "Critical infrastructure: safety components",
    "3(a)": "Education: access, admission or assignment to institutions",
    "3(b)": "Education: evaluating learning outcomes",
    "3(c)": "Education: assessing the appropriate level of education",
    "3(d)": "Education: monitoring prohibited behaviour during tests",
    "4(a)": "Employment: recruitment or selection",
    "4(b)": "Employment: decisions on work relationships, task allocation, monitoring",
    "5(a)": "Essential services: eligibility for public assistance benefits and services",
    "5(b)": "Essential services: creditworthiness or credit scoring of natural persons",
    "5(c)": "Essential services: risk assessment and pricing in life and health insurance",
    "5(d)": "Essential services: emergency calls, dispatch and triage",
    "6(a)": "Law enforcement: risk of becoming a crime victim",
    "6(b)": "Law enforcement: polygraphs and similar tools",
    "6(c)": "Law enforcement: reliability of evidence",
    "6(d)": "Law enforcement: risk of offending or re-offending",
    "6(e)": "Law enforcement: profiling in detection, investigation or prosecution",
    "7(a)": "Migration: polygraphs and similar tools",
    "7(b)": "Migration: risk assessment of persons entering",
    "7(c)": "Migration: examining asylum, visa and residence applications",
    "7(d)": "Migration: detecting, recognising or identifying persons",
    "8(a)": "Justice: assisting judicial authorities",
    "8(b)": "Democratic processes: influencing elections or voting behaviour",
}
"""Annex III points (A.3), unchanged by Regulation (EU) 2026/1744, with short titles."""

CATEGORIES = ("prohibited", "high-risk", "not-high-risk")
"""``eu_ai_act_category`` values of the operative text."""

INFORMAL_CATEGORIES = ("limited-risk", "minimal-risk")
"""Values common in practice that the operative text does not use: read as not high-risk."""

DEFAULT_ROLES = ("provider", "deployer")
"""An in-house ML team usually develops its systems and uses them: the default roles."""


@dataclass(frozen=True)
class Profile:
    """The inputs that decide which obligations apply to one AI system."""

    system: str
    category: str
    """The ``eu_ai_act_category`` tag as written (may be empty or informal)."""
    legal_class: str
    """``prohibited`` (Art. 5), ``high-risk`` (Art. 6(1)/(2)), ``art-6-3-derogation`` (an
    Annex III system assessed not high-risk) or ``not-high-risk``."""
    annex_iii_point: str
    route: str
    """``annex_iii``, ``annex_i`` (Art. 6(1) product) or empty when not high-risk."""
    roles: tuple[str, ...]
    roles_from: str
    """Where the roles came from: the tag, the config, or the default."""
    flags: frozenset[str]
    placed_on_market: date | None
    significant_change: date | None
    """The first significant change of design recorded (Art. 111(2)), if any."""

    def has(self, flag: str) -> bool:
        """Whether the flag holds for the system (or its organisation)."""
        return flag in self.flags


def _listed(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[,\s]+", text.strip().lower()) if part)


def _date(text: str) -> date | None:
    """An ISO date (or date-time), as :func:`~mldossier.evaluate.checks.registry.parse_when`
    reads the registry's dates; anything else is no date."""
    from mldossier.evaluate.checks.registry import parse_when  # the checks import this module

    when = parse_when(text)
    return when[0].date() if when else None


def profile_of(system: RegisteredModel, versions: list[ModelVersion], config: Config) -> Profile:
    """The system's profile from its tags, the config's per-system entry and its defaults."""
    from mldossier.evaluate.checks.registry import tag_of  # the checks import this module

    tags, act = config.tags, config.eu_ai_act
    override = act.systems.get(system.name, {})
    category = tag_of(system, tags.eu_ai_act_category)
    point = tag_of(system, tags.annex_iii_point)
    tagged_roles = _listed(tag_of(system, tags.eu_ai_act_roles))
    if "roles" in override:
        roles, roles_from = (
            tuple(override["roles"]),
            f"mldossier.yaml eu_ai_act.systems.{system.name}",
        )
    elif tagged_roles:
        roles, roles_from = tagged_roles, f"tag {tags.eu_ai_act_roles!r}"
    elif act.roles != DEFAULT_ROLES:
        roles, roles_from = act.roles, "mldossier.yaml eu_ai_act.roles"
    else:
        roles, roles_from = DEFAULT_ROLES, "the default (provider and deployer)"
    flags = set(act.flags)
    flags.update(f for f in _listed(tag_of(system, tags.eu_ai_act_flags)) if f in FLAGS)
    flags.update(override.get("flags", ()))
    if category == "prohibited":
        legal_class = "prohibited"
    elif category == "high-risk":
        legal_class = "high-risk"
    elif point:
        legal_class = "art-6-3-derogation"
    else:
        legal_class = "not-high-risk"
    route = ""
    if legal_class == "high-risk":
        route = "annex_i" if "annex_i_product" in flags and not point else "annex_iii"
    placed = override.get("placed_on_market") or tag_of(system, tags.placed_on_market)
    changes = [
        v.created.date()
        for v in versions
        if v.created is not None and tag_of(v, tags.significant_design_change).lower() == "true"
    ]
    return Profile(
        system=system.name,
        category=category,
        legal_class=legal_class,
        annex_iii_point=point,
        route=route,
        roles=tuple(r for r in roles if r in ROLES),
        roles_from=roles_from,
        flags=frozenset(flags),
        placed_on_market=_date(str(placed)) if placed else None,
        significant_change=min(changes) if changes else None,
    )


def scope_reason(
    profile: Profile,
    *,
    classes: tuple[str, ...],
    annex_iii: tuple[str, ...],
    roles: tuple[str, ...],
    flags: tuple[str, ...],
    not_flags: tuple[str, ...],
) -> str | None:
    """Why a control's scope leaves the system out, or None when it applies."""
    name = profile.system
    if classes and profile.legal_class not in classes and profile.category not in classes:
        shown = profile.category or "unclassified"
        if profile.legal_class == "art-6-3-derogation":
            shown += f" (Annex III {profile.annex_iii_point}: an Art. 6(3) derogation)"
        return f"applies to {', '.join(classes)} systems; {name} is classified {shown}"
    if annex_iii and profile.annex_iii_point not in annex_iii:
        where = (
            f"Annex III {profile.annex_iii_point}"
            if profile.annex_iii_point
            else "not under Annex III"
        )
        return f"applies to Annex III {', '.join(annex_iii)} systems only; {name} is {where}"
    if roles and not set(roles) & set(profile.roles):
        return (
            f"applies to the {' or '.join(roles)}; for {name} the organisation is "
            f"{' and '.join(profile.roles) or 'in no role'} ({profile.roles_from})"
        )
    missing = [f for f in flags if f not in profile.flags]
    if missing:
        return f"applies only where {', '.join(missing)} is stated; it is not stated for {name}"
    present = [f for f in not_flags if f in profile.flags]
    if present:
        return f"does not apply where {', '.join(present)} is stated, as it is for {name}"
    return None
