"""The checks on an AI system as a whole: its owner, intended use, data, classification and history."""

from __future__ import annotations

from typing import Any

from mldossier.evaluate.applicability import ANNEX_III_POINTS, CATEGORIES, INFORMAL_CATEGORIES
from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NOT_EVIDENCED,
    OBSERVATION,
    CheckContext,
    Outcome,
    Subject,
    check,
    tag_of,
)

EU_AI_ACT_CATEGORIES = CATEGORIES + INFORMAL_CATEGORIES


def _tag_recorded(subject: Subject, key: str, shown: str, fix: str) -> Outcome:
    """A registered-model tag that must be set: ``shown`` is its reason when present (with
    ``{value}``). The registry is where mldossier looks; the value may be recorded in another
    system, so its absence here is a request for evidence, not a failed control."""
    value = tag_of(subject.system, key)
    cite = (subject.system.cite.at("tags"),)
    if value:
        return Outcome(NO_EXCEPTION, (shown.format(value=repr(value), key=key),), cite)
    return Outcome(
        NOT_EVIDENCED,
        (f"registered model {subject.system.name} has no {key!r} tag",),
        cite,
        f"set the registered-model tag {key!r} to {fix}",
        cause=f"tag:{key}:{subject.system.name}",
    )


@check("owner_assigned", "system")
def owner_assigned(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """An accountable owner is named: the registered model carries the ``owner`` tag."""
    return _tag_recorded(
        subject,
        context.config.tags.owner,
        "owner is {value} (tag {key})",
        "the accountable team or person",
    )


@check("intended_use_documented", "system")
def intended_use_documented(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The intended purpose is documented: the ``intended_use`` tag (or, weaker, a description)."""
    key = context.config.tags.intended_use
    use = tag_of(subject.system, key)
    if use:
        return Outcome(
            NO_EXCEPTION, (f"intended use: {use!r} (tag {key})",), (subject.system.cite.at("tags"),)
        )
    if subject.system.description.strip():
        return Outcome(
            OBSERVATION,
            (f"no {key!r} tag; only the model description says what it is for",),
            (subject.system.cite.at("description"),),
            f"state the intended purpose in the registered-model tag {key!r}",
            cause=f"tag:{key}:{subject.system.name}",
        )
    return Outcome(
        NOT_EVIDENCED,
        (f"registered model {subject.system.name} documents no intended use",),
        (subject.system.cite,),
        f"set the registered-model tag {key!r} (and a description)",
        cause=f"tag:{key}:{subject.system.name}",
    )


@check("data_classified", "system")
def data_classified(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The data the system uses is classified: the registered model carries the ``data_classification`` tag."""
    return _tag_recorded(
        subject,
        context.config.tags.data_classification,
        "data classified {value} (tag {key})",
        "the classification of the data it uses (e.g. confidential, internal)",
    )


@check("classification_consistent", "system")
def classification_consistent(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The EU AI Act classification is present and valid, and an Annex III point implies high-risk."""
    tags = context.config.tags
    category = tag_of(subject.system, tags.eu_ai_act_category)
    point = tag_of(subject.system, tags.annex_iii_point)
    cite = (subject.system.cite.at("tags"),)
    if not category:
        return Outcome(
            NOT_EVIDENCED,
            (f"no {tags.eu_ai_act_category!r} tag: the system's classification is not recorded",),
            cite,
            f"set {tags.eu_ai_act_category!r} to one of " + ", ".join(CATEGORIES),
            cause=f"tag:{tags.eu_ai_act_category}:{subject.system.name}",
        )
    if category not in EU_AI_ACT_CATEGORIES:
        return Outcome(
            EXCEPTION,
            (f"classification {category!r} is not one of " + ", ".join(EU_AI_ACT_CATEGORIES),),
            cite,
            "use one of the listed categories",
        )
    if point and point not in ANNEX_III_POINTS:
        return Outcome(
            EXCEPTION,
            (f"Annex III has no point {point!r}",),
            cite,
            "use one of the Annex III points: " + ", ".join(ANNEX_III_POINTS),
        )
    if point and category != "high-risk":
        return _annex_iii_not_high_risk(subject, context, category, point)
    if category == "high-risk" and not point:
        return Outcome(
            OBSERVATION,
            ("classified high-risk but no Annex III point recorded",),
            cite,
            f"set {tags.annex_iii_point!r} (or document the Annex I route)",
        )
    if category in INFORMAL_CATEGORIES:
        return Outcome(
            OBSERVATION,
            (
                f"classified {category!r}, which is not a category of the Act's operative "
                "text: read as not high-risk",
            ),
            cite,
            f"set {tags.eu_ai_act_category!r} to not-high-risk (Arts 4, 5 and 50 apply to "
            "every system regardless)",
        )
    detail = f"classified {category!r}" + (
        f", Annex III point {point} ({ANNEX_III_POINTS[point]})" if point else ""
    )
    return Outcome(NO_EXCEPTION, (detail,), cite)


@check("not_prohibited", "system")
def not_prohibited(subject: Subject, context: CheckContext, params: dict[str, Any]) -> Outcome:
    """The system is not classified as a prohibited practice (Art. 5): one that is never passes."""
    key = context.config.tags.eu_ai_act_category
    category = tag_of(subject.system, key)
    cite = (subject.system.cite.at("tags"),)
    if category == "prohibited":
        return Outcome(
            EXCEPTION,
            (
                f"{subject.system.name} is classified 'prohibited': Art. 5 forbids placing it "
                "on the market, putting it into service or using it",
            ),
            cite,
            "withdraw the system from use, or correct the classification with a reasoned "
            "Art. 5 screening",
            cause=f"prohibited:{subject.system.name}",
        )
    return Outcome(
        NO_EXCEPTION, (f"not classified prohibited ({category or 'unclassified'})",), cite
    )


def _annex_iii_not_high_risk(
    subject: Subject, context: CheckContext, category: str, point: str
) -> Outcome:
    """An Annex III system not classified high-risk: only an Art. 6(3) assessment can say why."""
    cite = (subject.system.cite.at("tags"),)
    assessed = [
        s
        for s in context.index.signoffs_of(subject.system.name)
        if s.kind == "classification_assessment"
    ]
    if assessed:
        return Outcome(
            OBSERVATION,
            (
                f"Annex III point {point} but classified {category!r}; an "
                "Art. 6(3) assessment is on file and must be reviewed",
            ),
            cite + tuple(s.cite for s in assessed),
        )
    return Outcome(
        EXCEPTION,
        (f"Annex III point {point} implies high-risk, but the system is classified {category!r}",),
        cite,
        "classify it high-risk, or file a classification_assessment sign-off "
        "documenting the Art. 6(3) derogation",
    )


@check("version_history_recorded", "system")
def version_history_recorded(
    subject: Subject, context: CheckContext, params: dict[str, Any]
) -> Outcome:
    """The registry keeps a version history: versions with creation dates and stages or aliases."""
    versions = context.index.versions.get(subject.system.name, [])
    if not versions:
        return Outcome(
            NOT_EVIDENCED,
            (f"no model versions of {subject.system.name} in the export",),
            (subject.system.cite,),
            "export model-versions/search for this model",
            cause=f"export:versions:{subject.system.name}",
        )
    undated = [v.version for v in versions if v.created is None]
    cites = tuple(v.cite for v in versions)
    if undated:
        # MLflow always records creation_timestamp: without one the export is incomplete.
        return Outcome(
            NOT_EVIDENCED,
            ("versions without a creation time: " + ", ".join(undated),),
            cites,
            "export the versions with model-versions/get, which carries creation_timestamp",
        )
    labelled = [v for v in versions if v.stage or v.aliases]
    summary = ", ".join(
        f"v{v.version} ({v.stage or 'no stage'}"
        + (f", aliases {', '.join(v.aliases)}" if v.aliases else "")
        + ")"
        for v in versions
    )
    if not labelled:
        return Outcome(
            OBSERVATION,
            (f"{len(versions)} version(s) but none has a stage or alias: " + summary,),
            cites,
            "mark the deployed version with an alias",
        )
    return Outcome(NO_EXCEPTION, (f"{len(versions)} version(s): {summary}",), cites)
