"""Evaluation: every control of every catalog against every subject it applies to."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from mldossier.config import Config
from mldossier.evaluate.catalog import Catalog, Control
from mldossier.evaluate.checks import (
    MANUAL,
    NOT_APPLICABLE,
    PASS,
    WAIVED,
    CheckContext,
    Outcome,
    Subject,
    combine,
)
from mldossier.evaluate.checks.registry import REGISTRY
from mldossier.intake.linking import Index, is_production
from mldossier.lineage.graph import LineageGraph
from mldossier.model import Citation, Evidence, Waiver
from mldossier.status import STATUSES, Status, fails_gate

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

    @property
    def key(self) -> str:
        """``control id`` and subject, unique in one evaluation."""
        return f"{self.control.id}::{self.subject}"


@dataclass(frozen=True)
class Results:
    """Everything one evaluation produced, and what it was computed from."""

    as_of: datetime
    as_of_source: str
    catalogs: tuple[Catalog, ...]
    verdicts: tuple[Verdict, ...]
    evidence: Evidence
    manifest_sha256: str

    def gating(self, fail_on_warn: bool = False) -> list[Verdict]:
        """The verdicts that fail the CI gate (``check`` exits 1 for them), worst first."""
        return [v for v in self.failing if fails_gate(v.status, fail_on_warn)]

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
        """Fails and warns (and errors), worst first: what the strictest CI gate fails on."""
        bad = [v for v in self.verdicts if fails_gate(v.status, fail_on_warn=True)]
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
    """Every input file with its kind, importer, size and SHA-256, sorted by path."""
    return [
        {"path": f.path, "kind": f.kind, "importer": f.importer, "size": f.size, "sha256": f.sha256}
        for f in evidence.files
    ]


def manifest_digest(evidence: Evidence) -> str:
    """SHA-256 of the evidence manifest's canonical JSON."""
    text = json.dumps(evidence_manifest(evidence), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def evaluation_time(evidence: Evidence) -> tuple[datetime, str]:
    """``SOURCE_DATE_EPOCH`` if set, else the newest time found in the evidence."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC), "SOURCE_DATE_EPOCH"
    moments: list[datetime] = []
    for group in (evidence.registered_models, evidence.model_versions):
        moments += [m.updated for m in group if m.updated]
        moments += [m.created for m in group if m.created]
    moments += [r.end or r.start for r in evidence.mlflow_runs if r.end or r.start]  # type: ignore[misc]
    moments += [r.last_event for r in evidence.lineage_runs if r.last_event]
    moments += [r.timestamp for r in evidence.reports if r.timestamp]
    moments += [datetime.combine(s.date, datetime.min.time(), UTC) for s in evidence.signoffs]
    if not moments:
        return datetime(1970, 1, 1, tzinfo=UTC), "no dated evidence"
    return max(moments), "newest evidence"


def subjects_for(
    control: Control, index: Index, config: Config
) -> list[tuple[Subject, str | None]]:
    """The subjects a control is evaluated on, each with a reason when it does not apply."""
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
            if control.scope.stage == "production" and not is_production(version, config):
                continue
            found.append((Subject(system, version), reason))
    return found


def evaluate_control(control: Control, subject: Subject, context: CheckContext) -> Verdict:
    """One control on one subject: run its checks and its sign-off requirement, combine."""
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
        results.append(
            CheckResult(ref.check, outcome.status, outcome.reasons, outcome.citations, outcome.fix)
        )
    if control.signoff:
        outcome = specs["signoff_present"].run(subject, context, {"kind": control.signoff})
        outcomes.append(outcome)
        results.append(
            CheckResult(
                f"signoff:{control.signoff}",
                outcome.status,
                outcome.reasons,
                outcome.citations,
                outcome.fix,
            )
        )
    status = combine(outcomes)
    # A verdict that is not a pass gives the reasons of what went wrong; every check's own
    # reasons stay in ``checks``.
    shown = (
        outcomes
        if status == PASS
        else [o for o in outcomes if o.status not in (PASS, NOT_APPLICABLE)]
    )
    reasons = tuple(dict.fromkeys(r for o in shown for r in o.reasons))
    cites = tuple(dict.fromkeys(c for o in shown for c in o.citations))
    fixes = "; ".join(dict.fromkeys(o.fix for o in outcomes if o.fix and o.status != PASS))
    return _verdict(control, subject, status, reasons, cites, fixes, tuple(results))


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


def evaluate(index: Index, catalogs: Sequence[Catalog], lineage: LineageGraph) -> Results:
    """Every control of every catalog on every subject in its scope.

    ``index`` is the run's look-ups over the (linked) evidence, the same the lineage graph
    was built with; the evidence and the config are its own.
    """
    evidence, config = index.evidence, index.config
    as_of, source = evaluation_time(evidence)
    context = CheckContext(
        evidence=evidence,
        index=index,
        config=config,
        as_of=as_of,
        lineage=lineage,
        expiry_warning_days=config.warn_days,
    )
    verdicts: list[Verdict] = []
    for catalog in catalogs:
        for control in catalog.controls:
            if not control.checks and not control.signoff:
                # Nothing per system to look at: one organisation-wide verdict.
                if control.mode == "out_of_scope":
                    status, reason = NOT_APPLICABLE, control.rationale or "out of scope"
                else:
                    status = MANUAL
                    reason = "decided by an auditor: no ML evidence bears on it" + (
                        f" ({control.rationale})" if control.rationale else ""
                    )
                verdicts.append(
                    Verdict(
                        control, ORGANISATION, "organisation", "", status, (reason,), (), "", ()
                    )
                )
                continue
            for subject, why_not in subjects_for(control, index, config):
                if why_not is not None:
                    verdicts.append(
                        _verdict(control, subject, NOT_APPLICABLE, (why_not,), (), "", ())
                    )
                    continue
                verdicts.append(evaluate_control(control, subject, context))
    verdicts = apply_waivers(verdicts, evidence.waivers, as_of)
    return Results(
        as_of=as_of,
        as_of_source=source,
        catalogs=tuple(catalogs),
        verdicts=tuple(verdicts),
        evidence=evidence,
        manifest_sha256=manifest_digest(evidence),
    )


def apply_waivers(
    verdicts: list[Verdict], waivers: tuple[Waiver, ...], as_of: datetime
) -> list[Verdict]:
    """Mark waived verdicts ``waived`` (never ``pass``); an expired waiver makes them fail."""
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
        if not match or v.status == NOT_APPLICABLE:
            out.append(v)
            continue
        waiver = max(match, key=lambda w: (w.expires, w.id))
        label = (
            f"waiver {waiver.id} (owner {waiver.owner}, approved by {waiver.approver}, "
            f"until {waiver.expires.isoformat()})"
        )
        cites = (*v.citations, waiver.cite)
        if waiver.expires < today:
            status = PASS if v.status == PASS else Status.FAIL
            reasons = (f"{label} expired on {waiver.expires.isoformat()}", *v.reasons)
            fix = "renew or close the waiver" + (f"; {v.fix}" if v.fix else "")
            out.append(
                replace(v, status=status, reasons=reasons, citations=cites, fix=fix, waiver=waiver)
            )
        elif v.status == PASS:
            out.append(
                replace(
                    v,
                    reasons=(*v.reasons, f"{label} is not needed: the control passes"),
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
