"""Evaluation: every control of every catalog against every subject it applies to."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from mldossier.config import Config
from mldossier.errors import UsageError
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

    def gating(self, statuses: frozenset[Status] = DEFAULT_GATE) -> list[Verdict]:
        """The verdicts that fail the CI gate (``check`` exits 1 for them), worst first."""
        return [v for v in self.failing if fails_gate(v.status, statuses)]

    def counts(self, framework: str | None = None, system: str | None = None) -> dict[str, int]:
        """Verdicts per status, optionally for one framework or one system."""
        # Plain strings as keys: the counts are written as JSON (orjson takes no enum keys).
        counts = dict.fromkeys((s.value for s in STATUSES), 0)
        for v in self.verdicts:
            if (framework is None or v.control.framework == framework) and (
                system is None or v.system == system
            ):
                counts[v.status] += 1
        return counts

    @cached_property
    def failing(self) -> list[Verdict]:
        """The findings, worst first: every verdict that gates under ``--strict`` or is an
        observation (what an assessor would list)."""
        bad = [
            v for v in self.verdicts if v.status in STRICT_GATE or v.status is Status.OBSERVATION
        ]
        return sorted(bad, key=verdict_order)


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
) -> list[tuple[Subject, str | None]]:
    """The subjects a control is evaluated on, each with a reason when it does not apply.

    Version-level controls are evaluated on the population (``populated``, from
    :func:`population`); a control with ``stage: release`` also on staging versions, as
    release readiness.
    """
    found: list[tuple[Subject, str | None]] = []
    tags = config.tags
    for name in sorted(index.systems):
        system = index.systems[name]
        reason = None
        category = system.tags.get(tags.eu_ai_act_category, "").strip()
        point = system.tags.get(tags.annex_iii_point, "").strip()
        if control.scope.risk and category and category not in control.scope.risk:
            reason = (
                f"applies to {', '.join(control.scope.risk)} systems; {name} is "
                f"classified {category!r}"
            )
        elif control.scope.annex_iii and point not in control.scope.annex_iii:
            reason = (
                f"applies to Annex III {', '.join(control.scope.annex_iii)} systems only; "
                f"{name} is " + (f"Annex III {point}" if point else "not under Annex III")
            )
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
        outcomes.append(outcome)
        results.append(_check_result(ref.check, outcome))
    if control.signoff:
        outcome = specs["signoff_present"].run(subject, context, {"kind": control.signoff})
        outcomes.append(outcome)
        results.append(_check_result(f"signoff:{control.signoff}", outcome))
    status = combine(outcomes)
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
) -> Results:
    """Every control of every catalog on every subject in its scope.

    ``index`` is the run's look-ups over the (linked) evidence, the same the lineage graph
    was built with; the evidence and the config are its own. ``as_of`` is the evaluation
    date (``--as-of``); without it, :func:`evaluation_time` decides.
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
    for catalog in catalogs:
        for control in catalog.controls:
            if not control.checks and not control.signoff:
                # Nothing per system to look at: one organisation-wide verdict.
                if control.mode == "out_of_scope":
                    status, reason = NOT_APPLICABLE, control.rationale or "out of scope"
                else:
                    status = NOT_ASSESSED
                    reason = "decided by an auditor: no ML evidence bears on it" + (
                        f" ({control.rationale})" if control.rationale else ""
                    )
                verdicts.append(
                    Verdict(
                        control, ORGANISATION, "organisation", "", status, (reason,), (), "", ()
                    )
                )
                populations.append(Population(control.id, 1, "the organisation"))
                continue
            subjects = subjects_for(control, index, config, populated)
            populations.append(_population(control, subjects))
            for subject, why_not in subjects:
                if why_not is not None:
                    verdicts.append(
                        _verdict(control, subject, NOT_APPLICABLE, (why_not,), (), "", ())
                    )
                    continue
                verdicts.append(evaluate_control(control, subject, context))
    verdicts = apply_waivers(verdicts, evidence.waivers, moment)
    return Results(
        as_of=moment,
        as_of_source=source,
        catalogs=tuple(catalogs),
        verdicts=tuple(verdicts),
        evidence=evidence,
        manifest_sha256=manifest_digest(evidence),
        populations=tuple(populations),
        out_of_population=out_of_population(index, populated),
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
    out = []
    for v in verdicts:
        match = [
            w
            for w in waivers
            if w.control == v.control.id and w.subject in (v.subject, v.system, "*")
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
