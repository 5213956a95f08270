"""Evaluation: every control of every catalog against every subject it applies to."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from mldossier.config import Config
from mldossier.errors import UsageError
from mldossier.evaluate.applicability import Profile, profile_of, scope_reason
from mldossier.evaluate.catalog import Catalog, Control
from mldossier.evaluate.checks import (
    NO_EXCEPTION,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    WAIVED,
    CheckContext,
    Outcome,
    Subject,
    combine,
)
from mldossier.evaluate.checks.registry import REGISTRY
from mldossier.evaluate.quarantine import note_quarantine
from mldossier.evaluate.unavailable import gaps_of, with_gaps
from mldossier.intake.linking import Index, is_production
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.runs import serving_runs_of
from mldossier.model import Citation, Evidence, ModelVersion, Waiver
from mldossier.status import DEFAULT_GATE, STATUSES, STRICT_GATE, Status, fails_gate

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
ORGANISATION = "(organisation)"
"""The subject of controls that no per-system evidence decides."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check (or the sign-off requirement) within a verdict."""

    check: str
    status: Status
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...]
    fix: str
    cause: str = ""
    strength: str = ""


@dataclass(frozen=True)
class Verdict:
    """The status of one control for one subject, with reasons and the evidence behind them."""

    control: Control
    subject: str
    subject_kind: str
    system: str
    status: Status
    reasons: tuple[str, ...]
    citations: tuple[Citation, ...]
    fix: str
    checks: tuple[CheckResult, ...]
    waiver: Waiver | None = None
    """The waiver applied to this verdict (valid or expired), if any."""
    causes: tuple[str, ...] = ()
    """The root causes of what it found (findings group verdicts by them)."""
    strength: str = ""
    """``asserted`` or ``authenticated`` where the evidence's strength matters (approvals)."""
    readiness: Status | None = None
    """For a ``not_yet_applicable`` verdict: the status it would have if it applied now."""

    @property
    def key(self) -> str:
        """``control id`` and subject, unique in one evaluation."""
        return f"{self.control.id}::{self.subject}"


@dataclass(frozen=True)
class Population:
    """What one control was tested on: how many subjects, how they were chosen, from what."""

    control: str
    count: int
    derived: str
    """How the population was derived, in words."""
    sources: tuple[str, ...] = ()
    """The evidence files it came from."""


@dataclass(frozen=True)
class OutOfPopulation:
    """A version no version-level control is tested on, and why."""

    version: str
    system: str
    reason: str


@dataclass(frozen=True)
class Results:
    """Everything one evaluation produced, and what it was computed from."""

    as_of: datetime
    as_of_source: str
    catalogs: tuple[Catalog, ...]
    verdicts: tuple[Verdict, ...]
    evidence: Evidence
    manifest_sha256: str
    populations: tuple[Population, ...] = ()
    out_of_population: tuple[OutOfPopulation, ...] = ()
    priority: frozenset[str] = frozenset()
    """The production high-risk systems: classified high-risk, with a version in the
    population. Their exceptions lead the findings."""
    readiness: bool = False
    """Obligations that apply from a later date were evaluated as if they applied."""
    profiles: tuple[Profile, ...] = ()
    """Each system's legal profile (classification, roles, flags) the scoping read."""

    def gating(self, statuses: frozenset[Status] = DEFAULT_GATE) -> list[Verdict]:
        """The verdicts that fail the CI gate (``check`` exits 1 for them), worst first."""
        return [v for v in self.failing if fails_gate(v.status, statuses)]

    def counts(self, framework: str | None = None, system: str | None = None) -> dict[str, int]:
        """Verdicts per status, optionally for one framework or one system (``""``: the
        organisation-wide verdicts, which belong to no system)."""
        # Plain strings as keys: the counts are written as JSON (orjson takes no enum keys).
        counts = dict.fromkeys((s.value for s in STATUSES), 0)
        for status, n in self._tally.get((framework, system), {}).items():
            counts[status] += n
        return counts

    @cached_property
    def _tally(self) -> dict[tuple[str | None, str | None], Counter[str]]:
        """Verdicts per status for every (framework, system) selection counts() can ask for,
        None standing for "any", counted in one pass (the terminal summary asks once per
        framework and system: a scan each would grow with systems times verdicts)."""
        tally: dict[tuple[str | None, str | None], Counter[str]] = defaultdict(Counter)
        for v in self.verdicts:
            framework, system = v.control.framework, v.system
            for key in ((None, None), (framework, None), (None, system), (framework, system)):
                tally[key][v.status] += 1
        return dict(tally)

    @cached_property
    def failing(self) -> list[Verdict]:
        """The findings, most severe first (:func:`finding_order`): every verdict that gates
        under ``--strict`` or is an observation (what an assessor would list)."""
        bad = [
            v for v in self.verdicts if v.status in STRICT_GATE or v.status is Status.OBSERVATION
        ]
        return sorted(bad, key=lambda v: finding_order(v, self.priority))


def finding_order(
    v: Verdict, priority: frozenset[str] = frozenset()
) -> tuple[int, int, int, str, str]:
    """How findings are listed: by severity and consequence.

    Exceptions on production high-risk systems (``priority``, the systems classified
    high-risk with a version in the population) come first, then formal nonconformities, then
    everything else worst status first; within each tier, :func:`verdict_order`.
    """
    return (severity_tier(Status(v.status), v.system in priority), *verdict_order(v))


def severity_tier(status: Status, on_priority_system: bool) -> int:
    """0: an exception on a production high-risk system; 1: a formal nonconformity; 2: the rest."""
    if status is Status.EXCEPTION and on_priority_system:
        return 0
    return 1 if status is Status.FORMAL_NONCONFORMITY else 2


def verdict_order(v: Verdict) -> tuple[int, int, str, str]:
    """Worst status first, then the most severe control, then by control and subject."""
    return (
        Status(v.status).rank,
        SEVERITY_ORDER.get(v.control.severity, 3),
        v.control.id,
        v.subject,
    )


def evidence_manifest(evidence: Evidence) -> list[dict[str, Any]]:
    """Every file of the evidence folder, used or not, sorted by path: its kind, importer,
    role (``evidence``, ``settings``, ``ignored``, ``not_evidence``), size and SHA-256, and
    why it was not read where it was not."""
    every = sorted((*evidence.files, *evidence.not_read), key=lambda f: f.path)
    return [
        {
            "path": f.path,
            "kind": f.kind,
            "importer": f.importer,
            "role": str(f.role),
            "size": f.size,
            "sha256": f.sha256,
            **({"reason": f.reason} if f.reason else {}),
        }
        for f in every
    ]


def manifest_digest(evidence: Evidence) -> str:
    """SHA-256 of the evidence manifest's canonical JSON."""
    text = json.dumps(evidence_manifest(evidence), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def evaluation_time(as_of: date | None = None) -> tuple[datetime, str]:
    """The evaluation date: ``--as-of``, else ``SOURCE_DATE_EPOCH``, else today (UTC).

    Never the newest evidence, which would keep evidence fresh for as long as nothing new
    arrives. Today is taken at the start of its UTC day, so reruns on one day are identical.
    """
    if as_of is not None:
        return datetime.combine(as_of, datetime.min.time(), UTC), "--as-of"
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds "
                "(unset it, or give --as-of YYYY-MM-DD)"
            )
        return datetime.fromtimestamp(int(epoch), UTC), "SOURCE_DATE_EPOCH"
    today = datetime.now(UTC).date()
    return datetime.combine(today, datetime.min.time(), UTC), "today (UTC)"


RELEASE_STAGES = ("Staging",)
RELEASE_ALIASES = ("staging", "challenger", "candidate")


def in_population(
    version: ModelVersion, index: Index, lineage: LineageGraph | None, as_of: datetime
) -> str | None:
    """Why ``version`` is in the population of version-level controls, or None when it is not.

    The population is the versions that were in production: in production now (by stage or
    alias), or shown serving by evidence, an OpenLineage serving run reading
    ``models:/<name>/<version>`` on or before the evaluation date.
    """
    if is_production(version, index.config):
        label = version.stage or ", ".join(version.aliases)
        return f"in production ({label})"
    if lineage is not None:
        for run in serving_runs_of(lineage, version):
            when = run.last_event or run.started
            if when is None or when.date() <= as_of.date():
                return f"served: OpenLineage run {run.run_id} of {run.job.name}"
    return None


def _is_release_candidate(version: ModelVersion) -> bool:
    return version.stage in RELEASE_STAGES or any(a in RELEASE_ALIASES for a in version.aliases)


def population(
    index: Index, lineage: LineageGraph | None, as_of: datetime
) -> dict[str, str | None]:
    """Every version by key, with why it is in the population (None: it is not), once a run."""
    return {
        v.key: in_population(v, index, lineage, as_of)
        for name in sorted(index.systems)
        for v in index.versions.get(name, [])
    }


def out_of_population(
    index: Index, populated: Mapping[str, str | None]
) -> tuple[OutOfPopulation, ...]:
    """Every version outside the population, with the reason (shown on its system page)."""
    out: list[OutOfPopulation] = []
    for name in sorted(index.systems):
        for v in index.versions.get(name, []):
            if populated.get(v.key) is not None:
                continue
            state = v.stage if v.stage and v.stage != "None" else "never promoted"
            out.append(
                OutOfPopulation(
                    v.key,
                    name,
                    f"{state}; no evidence shows it serving: not in the population of "
                    "version-level controls",
                )
            )
    return tuple(out)


def subjects_for(
    control: Control,
    index: Index,
    config: Config,
    populated: Mapping[str, str | None],
    profiles: Mapping[str, Profile] | None = None,
) -> list[tuple[Subject, str | None]]:
    """The subjects a control is evaluated on, each with a reason when it does not apply.

    Version-level controls are evaluated on the population (``populated``, from
    :func:`population`); a control with ``stage: release`` also on staging versions, as
    release readiness. Whether the control applies to a system is read from its
    :class:`~mldossier.evaluate.applicability.Profile` (classification, Annex III point,
    roles, flags) and, for SOC 2, the examination's categories and system boundary.
    """
    found: list[tuple[Subject, str | None]] = []
    profiles = profiles if profiles is not None else profiles_of(index, config)
    for name in sorted(index.systems):
        system = index.systems[name]
        reason = soc2_scope_reason(control, config, name) or _scope_reason(control, profiles[name])
        if control.scope.subject == "system":
            found.append((Subject(system), reason))
            continue
        for version in index.versions.get(name, []):
            if populated.get(version.key) is None and not (
                control.scope.stage == "release" and _is_release_candidate(version)
            ):
                continue
            found.append((Subject(system, version), reason))
    return found


def profiles_of(index: Index, config: Config) -> dict[str, Profile]:
    """Every system's legal profile, by name."""
    return {
        name: profile_of(index.systems[name], index.versions.get(name, []), config)
        for name in sorted(index.systems)
    }


def _scope_reason(control: Control, profile: Profile) -> str | None:
    scope = control.scope
    return scope_reason(
        profile,
        # An unclassified system is not taken out of any class's obligations: its missing
        # classification is a finding of its own (EUAIA-6), not a reason to apply less.
        classes=scope.risk if (profile.category or profile.annex_iii_point) else (),
        annex_iii=scope.annex_iii,
        roles=scope.roles,
        flags=scope.flags,
        not_flags=scope.not_flags,
    )


SOC2_CATEGORY_NAMES = {
    "security": "Security",
    "availability": "Availability",
    "processing_integrity": "Processing Integrity",
    "confidentiality": "Confidentiality",
    "privacy": "Privacy",
}


def soc2_scope_reason(control: Control, config: Config, system: str | None) -> str | None:
    """Why a SOC 2 criterion is outside the examination: its category, or the boundary."""
    category = control.scope.category
    if category and category not in config.soc2.categories:
        return (
            f"the {SOC2_CATEGORY_NAMES[category]} category is not in the examination's scope "
            "(soc2.categories in mldossier.yaml: management's choice)"
        )
    if system and control.scope.boundary and config.soc2.boundary:
        if system not in config.soc2.boundary:
            return f"{system} is outside the system boundary (soc2.boundary in mldossier.yaml)"
    return None


def effective_date(
    control: Control, profile: Profile | None, config: Config
) -> tuple[date, str] | None:
    """The date a control applies from for this system, and its basis in words."""
    rule = control.applicability
    if rule is None:
        return None
    day = rule.date
    basis = rule.provision or "the catalog"
    if rule.literal_date is not None and config.eu_ai_act.literal_readings:
        day, basis = rule.literal_date, f"{basis}, on the literal reading"
    elif rule.annex_i_date is not None and profile is not None and profile.route == "annex_i":
        day, basis = rule.annex_i_date, f"{basis}, for systems high-risk through Annex I"
    if rule.date_status == "reading" and not config.eu_ai_act.literal_readings:
        basis += ", on a reading of an unsettled point"
    return day, basis


def legacy_reason(
    control: Control, profile: Profile | None, day: date, as_of: datetime
) -> str | None:
    """Art. 111(2): a high-risk system placed on the market before the Chapter III date is
    caught only once its design changes significantly from that date (and by the long-stop
    date in any case when intended for public authorities)."""
    rule = control.applicability
    if (
        rule is None
        or rule.legacy_rule != "art-111-2"
        or profile is None
        or profile.placed_on_market is None
        or profile.placed_on_market >= day
    ):
        return None
    if profile.significant_change is not None and profile.significant_change >= day:
        return None
    stop = rule.legacy_public_authorities
    if stop is not None and profile.has("intended_for_public_authorities") and as_of.date() >= stop:
        return None
    return (
        f"Art. 111(2): {profile.system} was placed on the market on "
        f"{profile.placed_on_market.isoformat()}, before {day.isoformat()}, and no significant "
        "change of its design is recorded since: it is caught only once one is"
        + (
            f" (intended for public authorities: by {stop.isoformat()} in any case)"
            if stop and profile.has("intended_for_public_authorities")
            else ""
        )
    )


def dated(
    verdict: Verdict,
    control: Control,
    profile: Profile | None,
    config: Config,
    as_of: datetime,
    readiness: bool,
) -> Verdict:
    """A verdict as its control's application date makes it.

    Before the date, ``not_yet_applicable``, with what the evaluation found (what would be
    needed); with ``readiness``, as if it applied, the date said in a reason. On or after
    the date, Art. 111(2) may take a legacy system out.
    """
    when = effective_date(control, profile, config)
    if when is None or verdict.status is Status.NOT_APPLICABLE:
        return verdict
    day, basis = when
    if as_of.date() >= day:
        legacy = legacy_reason(control, profile, day, as_of)
        if legacy is None:
            return verdict
        return replace(verdict, status=NOT_APPLICABLE, reasons=(legacy,), causes=(), fix="")
    head = f"applies from {day.isoformat()} ({basis})"
    if readiness:
        return replace(verdict, reasons=(f"readiness: {head}", *verdict.reasons))
    found = Status(verdict.status)
    return replace(
        verdict,
        status=Status.NOT_YET_APPLICABLE,
        readiness=found,
        reasons=(f"{head}; as evaluated now it would be: {found.label.lower()}", *verdict.reasons),
        causes=(),
    )


def evaluate_control(control: Control, subject: Subject, context: CheckContext) -> Verdict:
    """One control on one subject: run its checks and its sign-off requirement, combine.

    The status is the worst of the outcomes, so nothing worse hides under something milder.
    Reasons are those of what went wrong, once per root cause (two checks that trace one
    missing link give its reason once), and each fix is the fix of a reason shown.
    """
    results: list[CheckResult] = []
    specs = REGISTRY  # by name; library() would sort a copy for every control and subject
    context.max_age_days = control.max_evidence_age_days
    outcomes: list[Outcome] = []
    for ref in control.checks:
        params = {**context.config.checks.get(ref.check, {}), **ref.params}
        try:
            outcome = specs[ref.check].run(subject, context, params)
        except Exception as exc:  # noqa: BLE001 - one broken check must not stop the report
            outcome = Outcome(
                Status.ERROR, (f"check {ref.check} could not run: {type(exc).__name__}: {exc}",)
            )
        outcome = with_gaps(ref.check, outcome, gaps_of(ref.check, subject, context))
        outcomes.append(outcome)
        results.append(_check_result(ref.check, outcome))
    if control.signoff:
        outcome = specs["signoff_present"].run(subject, context, {"kind": control.signoff})
        outcomes.append(outcome)
        results.append(_check_result(f"signoff:{control.signoff}", outcome))
    status = combine(outcomes)
    if control.formal and status in (NOT_ASSESSED, Status.NOT_EVIDENCED):
        # A formal item (Art. 83(1)) that applies and is not on file is a nonconformity.
        status = Status.FORMAL_NONCONFORMITY
    fine = (NO_EXCEPTION, NOT_APPLICABLE, Status.NO_OCCURRENCE)
    shown = outcomes if status in fine else [o for o in outcomes if o.status not in fine]
    shown = sorted(shown, key=lambda o: Status(o.status).rank)
    seen: set[str] = set()
    kept: list[Outcome] = []
    for o in shown:
        if o.cause and o.cause in seen:
            continue
        seen.add(o.cause)
        kept.append(o)
    reasons = tuple(dict.fromkeys(r for o in kept for r in o.reasons))
    if status is Status.FORMAL_NONCONFORMITY and control.formal:
        reasons = (
            "a formal requirement that applies is not on file (Art. 83(1) makes its absence "
            "formal non-compliance)",
            *reasons,
        )
    cites = tuple(dict.fromkeys(c for o in shown for c in o.citations))
    fixes = "; ".join(dict.fromkeys(o.fix for o in kept if o.fix and o.status not in fine))
    causes = tuple(dict.fromkeys(o.cause for o in kept if o.cause and o.status not in fine))
    strengths = {o.strength for o in outcomes if o.strength}
    strength = "asserted" if "asserted" in strengths else next(iter(strengths), "")
    verdict = _verdict(control, subject, status, reasons, cites, fixes, tuple(results))
    return replace(verdict, causes=causes, strength=strength)


def _check_result(name: str, outcome: Outcome) -> CheckResult:
    return CheckResult(
        name,
        outcome.status,
        outcome.reasons,
        outcome.citations,
        outcome.fix,
        outcome.cause,
        outcome.strength,
    )


def _verdict(
    control: Control,
    subject: Subject,
    status: Status,
    reasons: tuple[str, ...],
    cites: tuple[Citation, ...],
    fix: str,
    checks: tuple[CheckResult, ...],
) -> Verdict:
    return Verdict(
        control,
        subject.name,
        subject.kind,
        subject.system.name,
        status,
        reasons,
        cites,
        fix,
        checks,
    )


def evaluate(
    index: Index,
    catalogs: Sequence[Catalog],
    lineage: LineageGraph,
    as_of: date | None = None,
    readiness: bool = False,
) -> Results:
    """Every control of every catalog on every subject in its scope.

    ``index`` is the run's look-ups over the (linked) evidence, the same the lineage graph
    was built with; the evidence and the config are its own. ``as_of`` is the evaluation
    date (``--as-of``); without it, :func:`evaluation_time` decides. With ``readiness``,
    controls whose obligations apply from a later date are evaluated as if they applied.
    """
    evidence, config = index.evidence, index.config
    moment, source = evaluation_time(as_of)
    context = CheckContext(
        evidence=evidence,
        index=index,
        config=config,
        as_of=moment,
        lineage=lineage,
        expiry_warning_days=config.warn_days,
        sources=frozenset(f.kind for f in evidence.files),
    )
    verdicts: list[Verdict] = []
    populations: list[Population] = []
    populated = population(index, lineage, moment)
    profiles = profiles_of(index, config)
    for catalog in catalogs:
        for control in catalog.controls:
            if not control.checks and not control.signoff:
                verdicts.append(_organisation_verdict(control, config, moment, readiness))
                populations.append(Population(control.id, 1, "the organisation"))
                continue
            subjects = subjects_for(control, index, config, populated, profiles)
            populations.append(_population(control, subjects))
            for subject, why_not in subjects:
                if why_not is not None:
                    verdicts.append(
                        _verdict(control, subject, NOT_APPLICABLE, (why_not,), (), "", ())
                    )
                    continue
                verdict = evaluate_control(control, subject, context)
                profile = profiles.get(subject.system.name)
                verdicts.append(dated(verdict, control, profile, config, moment, readiness))
    verdicts = note_quarantine(apply_waivers(verdicts, evidence.waivers, moment), evidence)
    return Results(
        as_of=moment,
        as_of_source=source,
        catalogs=tuple(catalogs),
        verdicts=tuple(verdicts),
        evidence=evidence,
        manifest_sha256=manifest_digest(evidence),
        populations=tuple(populations),
        out_of_population=out_of_population(index, populated),
        priority=production_high_risk(index, populated, profiles),
        readiness=readiness,
        profiles=tuple(profiles.values()),
    )


def _organisation_verdict(
    control: Control, config: Config, moment: datetime, readiness: bool
) -> Verdict:
    """A control no per-system evidence decides: one organisation-wide verdict."""
    outside = soc2_scope_reason(control, config, None)
    if outside is not None:
        status, reason = NOT_APPLICABLE, outside
    elif control.mode == "out_of_scope":
        status, reason = NOT_APPLICABLE, control.rationale or "out of scope"
    elif control.mode == "outside_tool_coverage":
        status = NOT_ASSESSED
        reason = "outside the tool's coverage: the auditor assesses it" + (
            f" ({control.rationale})" if control.rationale else ""
        )
    else:
        status = NOT_ASSESSED
        reason = "decided by an auditor: no ML evidence bears on it" + (
            f" ({control.rationale})" if control.rationale else ""
        )
    verdict = Verdict(control, ORGANISATION, "organisation", "", status, (reason,), (), "", ())
    return dated(verdict, control, None, config, moment, readiness)


def production_high_risk(
    index: Index, populated: Mapping[str, str | None], profiles: Mapping[str, Profile]
) -> frozenset[str]:
    """The systems of legal class high-risk (their profile) with a version in the population."""
    return frozenset(
        v.name
        for v in index.evidence.model_versions
        if v.name in profiles
        and profiles[v.name].legal_class == "high-risk"
        and populated.get(v.key) is not None
    )


def _population(control: Control, subjects: list[tuple[Subject, str | None]]) -> Population:
    """The population a control was tested on, as results.json records it."""
    tested = [s for s, why_not in subjects if why_not is None]
    sources = tuple(sorted({(s.version or s.system).cite.file for s in tested}))
    if control.scope.subject == "system":
        derived = "registered models in the MLflow export" + (
            f", classified {', '.join(control.scope.risk)}" if control.scope.risk else ""
        )
    else:
        derived = (
            "model versions in production (stage or alias) or shown serving by an "
            "OpenLineage run reading models:/<name>/<version>"
            + (
                ", and staging versions (release readiness)"
                if control.scope.stage == "release"
                else ""
            )
            + (
                f", of systems classified {', '.join(control.scope.risk)}"
                if control.scope.risk
                else ""
            )
        )
    return Population(control.id, len(tested), derived, sources)


def apply_waivers(
    verdicts: list[Verdict], waivers: tuple[Waiver, ...], as_of: datetime
) -> list[Verdict]:
    """Mark waived verdicts ``waived`` (never ``no_exception``); an expired waiver is an exception."""
    if not waivers:
        return verdicts
    today = as_of.date()
    by_control: dict[str, list[Waiver]] = defaultdict(list)
    for w in waivers:
        by_control[w.control].append(w)
    out = []
    for v in verdicts:
        match = [
            w for w in by_control.get(v.control.id, ()) if w.subject in (v.subject, v.system, "*")
        ]
        # Only what an assessor would report can be waived: an exception, a nonconformity,
        # missing evidence or an observation; nothing else is changed by a waiver.
        if not match or (
            v.status not in STRICT_GATE
            and v.status is not Status.OBSERVATION
            and v.status != NO_EXCEPTION
        ):
            out.append(v)
            continue
        waiver = max(match, key=lambda w: (w.expires, w.id))
        label = (
            f"waiver {waiver.id} (owner {waiver.owner}, approved by {waiver.approver}, "
            f"until {waiver.expires.isoformat()})"
        )
        cites = (*v.citations, waiver.cite)
        if waiver.expires < today:
            status = NO_EXCEPTION if v.status == NO_EXCEPTION else Status.EXCEPTION
            reasons = (f"{label} expired on {waiver.expires.isoformat()}", *v.reasons)
            fix = "renew or close the waiver" + (f"; {v.fix}" if v.fix else "")
            out.append(
                replace(v, status=status, reasons=reasons, citations=cites, fix=fix, waiver=waiver)
            )
        elif v.status == NO_EXCEPTION:
            out.append(
                replace(
                    v,
                    reasons=(*v.reasons, f"{label} is not needed: no exception was found"),
                    waiver=waiver,
                )
            )
        else:
            reasons = (
                f"{v.status} waived by {label}: {waiver.justification}; compensating "
                f"control: {waiver.compensating_control}",
                *v.reasons,
            )
            out.append(replace(v, status=WAIVED, reasons=reasons, citations=cites, waiver=waiver))
    return out
