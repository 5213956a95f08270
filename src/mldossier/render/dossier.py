"""The dossier: one view of the results that both the site and the PDF render.

Renderers read only this (and never the raw input files): systems with their versions,
Annex IV technical documentation filled from evidence, monitoring history and verdicts;
controls with their verdicts; findings; the evidence index; the crosswalk. What both renderers
show of it (counts per status, per framework and per system, findings by system, how recent
each kind of evidence is) is computed here once, so neither of them counts for itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict, cast

from mldossier import __version__
from mldossier.config import Config
from mldossier.evaluate.baseline import Changes
from mldossier.evaluate.catalog import Control
from mldossier.evaluate.checks.registry import tag_of
from mldossier.evaluate.verdicts import OutOfPopulation, Results, Verdict, verdict_order
from mldossier.intake.linking import Index, is_production
from mldossier.model import Citation, Evidence, ModelVersion, RegisteredModel, SourceFile
from mldossier.render.annex_iv import Section, annex_iv
from mldossier.render.requests import RootCause, request_list, root_causes
from mldossier.render.results_json import crosswalk, frameworks
from mldossier.status import STATUSES, worst

if TYPE_CHECKING:
    from mldossier.lineage.graph import LineageGraph

SLUG_MAX = 80
"""Longest slug: a folder or file name must stay well under 255 bytes (NAME_MAX)."""


def slugify(text: str) -> str:
    """A stable, URL-safe slug: lower-case ASCII letters, digits and hyphens, at most
    ``SLUG_MAX`` long (a longer one is cut and ends in a hash of the whole text)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[: SLUG_MAX - 9].rstrip('-')}-{digest}"
    return slug or "x"


@dataclass(frozen=True)
class VersionView:
    """One model version as the reports show it."""

    version: ModelVersion
    production: bool
    approved_by: str
    approval_date: str
    run_id: str | None
    metrics: dict[str, float]
    validation_report: str = ""
    """The ``validation_report`` tag: what the approval rests on."""
    approval_strength: str = ""
    """``authenticated`` where a verdict on the version rests on a signed approval,
    ``asserted`` where the approval is a registry tag or an unsigned sign-off, else empty."""


@dataclass(frozen=True)
class MonitoringPoint:
    """One monitoring report in a system's history."""

    version: str
    when: str
    name: str
    share: float | None
    threshold: float | None
    drifted: bool | None
    drifted_columns: tuple[str, ...]
    failed_tests: int
    tests: int
    cite: Citation


@dataclass(frozen=True)
class SystemView:
    """One AI system (registered model) with everything its page and chapter show."""

    model: RegisteredModel
    slug: str
    category: str
    annex_iii_point: str
    intended_use: str
    owner: str
    risk_level: str
    data_classification: str
    versions: tuple[VersionView, ...]
    annex_iv: tuple[Section, ...]
    monitoring: tuple[MonitoringPoint, ...]
    verdicts: tuple[Verdict, ...]
    status: str
    counts: dict[str, int]
    diagram_svg: str
    """The lineage diagram as SVG text (the same for site and PDF); "" when none was drawn."""

    @property
    def last_monitored(self) -> str:
        """The day of the latest dated monitoring report ("" when there is none)."""
        dated = [p.when for p in self.monitoring if p.when != "undated"]
        return max(dated) if dated else ""


@dataclass(frozen=True)
class ControlView:
    """One control and its verdicts."""

    id: str
    slug: str
    verdicts: tuple[Verdict, ...]
    status: str

    @property
    def control(self) -> Control:
        """The catalog control."""
        return self.verdicts[0].control

    @cached_property
    def counts(self) -> dict[str, int]:
        """Its verdicts per status."""
        return status_counts(v.status for v in self.verdicts)


class CrosswalkSide(TypedDict):
    """One control of a crosswalk pair."""

    control: str
    framework: str
    reference: str


class CrosswalkPair(TypedDict):
    """Two controls of different frameworks that the same evidence bears on."""

    left: CrosswalkSide
    right: CrosswalkSide
    shared_checks: list[str]


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence: how many files, how large, and how recent they are."""

    kind: str
    files: int
    size: int
    """Bytes, all files of this kind together."""
    dated: int
    """Files that say when their evidence was produced."""
    newest: datetime | None
    oldest: datetime | None
    age_days: int | None
    """Days from the newest file of this kind to the evaluation time."""


@dataclass(frozen=True)
class Dossier:
    """Everything the site and the PDF render, computed once."""

    organisation: str
    tool_version: str
    as_of: datetime
    as_of_source: str
    results: Results
    systems: tuple[SystemView, ...]
    controls: dict[str, tuple[ControlView, ...]]
    """Controls by framework, in catalog order."""
    findings: tuple[Verdict, ...]
    """Fails, warnings and errors, worst first."""
    crosswalk: tuple[CrosswalkPair, ...]
    frameworks: tuple[str, ...]
    changes: Changes | None = None
    """What changed since the baseline report, when one was given."""
    requests: tuple[dict[str, str], ...] = ()
    """The evidence request list (one row per not_evidenced or not_assessed verdict)."""
    carved_out: tuple[str, ...] = ()
    """Subservice organisations carved out of the SOC 2 examination (``soc2.carved_out``)."""
    root_causes: tuple[RootCause, ...] = ()
    """The findings grouped by root cause, worst first."""

    # What follows is derived from the fields above, each the first time it is read.

    @property
    def evidence(self) -> Evidence:
        """The evidence the results were computed from."""
        return self.results.evidence

    @cached_property
    def framework_counts(self) -> dict[str, dict[str, int]]:
        """Verdicts per status, by framework."""
        return {fw: self.results.counts(framework=fw) for fw in self.frameworks}

    @cached_property
    def control_counts(self) -> dict[str, dict[str, int]]:
        """Controls per status (a control's worst over its subjects), by framework."""
        return {
            fw: status_counts(c.status for c in self.controls.get(fw, ())) for fw in self.frameworks
        }

    @cached_property
    def framework_slugs(self) -> dict[str, str]:
        """A unique slug per framework, in framework order."""
        taken: set[str] = set()
        return {fw: _unique(slugify(fw), taken) for fw in self.frameworks}

    @cached_property
    def system_counts(self) -> dict[str, int]:
        """Systems per status (a system's worst over its verdicts)."""
        return status_counts(s.status for s in self.systems)

    @cached_property
    def out_of_population_by_system(self) -> dict[str, tuple[OutOfPopulation, ...]]:
        """The versions outside the population, by system name, in the order of the results."""
        grouped: dict[str, list[OutOfPopulation]] = defaultdict(list)
        for o in self.results.out_of_population:
            grouped[o.system].append(o)
        return {name: tuple(group) for name, group in grouped.items()}

    @cached_property
    def requests_by_system(self) -> dict[str, tuple[dict[str, str], ...]]:
        """The evidence request list by system name, each in the list's order."""
        grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self.requests:
            grouped[row["system"]].append(row)
        return {name: tuple(rows) for name, rows in grouped.items()}

    @cached_property
    def file_places(self) -> dict[str, int]:
        """Each evidence file's place in ``evidence.files``, by path (the first, if repeated)."""
        places: dict[str, int] = {}
        for place, f in enumerate(self.evidence.files):
            places.setdefault(f.path, place)
        return places

    @cached_property
    def findings_counts(self) -> dict[str, int]:
        """Findings per status."""
        return status_counts(v.status for v in self.findings)

    @cached_property
    def findings_by_system(self) -> dict[str, tuple[Verdict, ...]]:
        """Findings per system name ("" for organisation-wide ones), each worst first."""
        return group_by_system(self.findings)

    @cached_property
    def evidence_kinds(self) -> tuple[EvidenceKind, ...]:
        """Per kind of evidence, by kind: files, size, how many dated, newest, oldest, age."""
        by_kind: dict[str, list[SourceFile]] = defaultdict(list)
        for f in self.evidence.files:
            by_kind[f.kind].append(f)
        rows = []
        for kind in sorted(by_kind):
            files = by_kind[kind]
            times = sorted(f.time for f in files if f.time is not None)
            newest = times[-1] if times else None
            rows.append(
                EvidenceKind(
                    kind,
                    len(files),
                    sum(f.size for f in files),
                    len(times),
                    newest,
                    times[0] if times else None,
                    _age_days(newest, self.as_of),
                )
            )
        return tuple(rows)

    @cached_property
    def evidence_span(self) -> tuple[datetime, datetime] | None:
        """The oldest and the newest time an evidence file states (None: no file is dated)."""
        oldest = [k.oldest for k in self.evidence_kinds if k.oldest is not None]
        newest = [k.newest for k in self.evidence_kinds if k.newest is not None]
        return (min(oldest), max(newest)) if oldest and newest else None

    @cached_property
    def evidence_size(self) -> int:
        """Bytes of evidence, all files together."""
        return sum(k.size for k in self.evidence_kinds)


def status_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many of each status, every status listed (in the order counts are reported)."""
    counts = dict.fromkeys((s.value for s in STATUSES), 0)
    counts.update(Counter(statuses))
    return counts


def group_by_system(verdicts: Iterable[Verdict]) -> dict[str, tuple[Verdict, ...]]:
    """Verdicts per system name ("" for organisation-wide ones), each in the order given."""
    grouped: dict[str, list[Verdict]] = {}
    for v in verdicts:
        grouped.setdefault(v.system, []).append(v)
    return {name: tuple(vs) for name, vs in grouped.items()}


def _age_days(moment: datetime | date | None, as_of: datetime) -> int | None:
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return (as_of.date() - day).days


def _monitoring(views: list[VersionView], index: Index) -> tuple[MonitoringPoint, ...]:
    points = []
    for view in views:
        for r in index.reports_of(view.version):
            drift = r.dataset_drift
            points.append(
                MonitoringPoint(
                    version=view.version.version,
                    when=r.timestamp.date().isoformat() if r.timestamp else "undated",
                    name=r.name,
                    share=drift.share if drift else None,
                    threshold=drift.threshold if drift else None,
                    drifted=drift.drifted if drift else None,
                    drifted_columns=tuple(c.column for c in r.column_drift if c.drifted),
                    failed_tests=sum(1 for t in r.tests if t.status == "FAIL"),
                    tests=len(r.tests),
                    cite=r.cite,
                )
            )
    return tuple(sorted(points, key=lambda p: (p.when, p.version, p.cite.file)))


def _version_views(
    versions: Iterable[ModelVersion],
    index: Index,
    config: Config,
    strengths: Mapping[str, str] | None = None,
) -> list[VersionView]:
    views = []
    for version in versions:
        run = index.mlflow_run_of(version)
        views.append(
            VersionView(
                version=version,
                production=is_production(version, config),
                approved_by=tag_of(version, config.tags.approved_by),
                approval_date=tag_of(version, config.tags.approval_date),
                run_id=index.run_id_of(version),
                metrics=dict(run.metrics) if run else {},
                validation_report=tag_of(version, config.tags.validation_report),
                approval_strength=(strengths or {}).get(version.key, ""),
            )
        )
    return views


def approval_strengths(verdicts: Iterable[Verdict]) -> dict[str, str]:
    """The strongest approval evidence any verdict found, by subject."""
    found: dict[str, str] = {}
    for v in verdicts:
        if v.strength and found.get(v.subject) != "authenticated":
            found[v.subject] = v.strength
    return found


def _system_view(
    model: RegisteredModel,
    slug: str,
    views: list[VersionView],
    verdicts: list[Verdict],
    index: Index,
    config: Config,
    lineage: LineageGraph | None,
    diagram_svg: str,
) -> SystemView:
    tags = config.tags
    return SystemView(
        model=model,
        slug=slug,
        category=tag_of(model, tags.eu_ai_act_category),
        annex_iii_point=tag_of(model, tags.annex_iii_point),
        intended_use=tag_of(model, tags.intended_use),
        owner=tag_of(model, tags.owner),
        risk_level=tag_of(model, tags.risk_level),
        data_classification=tag_of(model, tags.data_classification),
        versions=tuple(views),
        annex_iv=annex_iv(model, views, index, config, lineage),
        monitoring=_monitoring(views, index),
        verdicts=tuple(verdicts),
        status=worst([v.status for v in verdicts]),
        counts=status_counts(v.status for v in verdicts),
        diagram_svg=diagram_svg,
    )


def _control_views(results: Results) -> dict[str, tuple[ControlView, ...]]:
    controls: dict[str, tuple[ControlView, ...]] = {}
    slugs: set[str] = set()
    for framework in frameworks(results):
        grouped: dict[str, list[Verdict]] = {}
        for v in results.verdicts:
            if v.control.framework == framework:
                grouped.setdefault(v.control.id, []).append(v)
        controls[framework] = tuple(
            ControlView(cid, _unique(slugify(cid), slugs), tuple(vs), worst([v.status for v in vs]))
            for cid, vs in grouped.items()
        )
    return controls


def build_dossier(
    results: Results,
    config: Config,
    lineage: LineageGraph | None = None,
    diagrams: dict[str, str] | None = None,
    changes: Changes | None = None,
    *,
    index: Index,
) -> Dossier:
    """Assemble the dossier from results, the lineage graph and the SVG diagrams by system."""
    by_system: dict[str, list[Verdict]] = defaultdict(list)
    for v in results.verdicts:
        by_system[v.system].append(v)
    systems = []
    slugs: set[str] = set()
    strengths = approval_strengths(results.verdicts)
    for name in sorted(index.systems):
        systems.append(
            _system_view(
                index.systems[name],
                _unique(slugify(name), slugs),
                _version_views(index.versions.get(name, []), index, config, strengths),
                sorted(by_system.get(name, []), key=verdict_order),
                index,
                config,
                lineage,
                (diagrams or {}).get(name, ""),
            )
        )
    return Dossier(
        organisation=config.organisation,
        tool_version=__version__,
        as_of=results.as_of,
        as_of_source=results.as_of_source,
        results=results,
        systems=tuple(systems),
        controls=_control_views(results),
        findings=tuple(results.failing),
        # results_json.crosswalk() builds exactly this shape (typed there as plain dicts).
        crosswalk=tuple(cast("list[CrosswalkPair]", crosswalk(results))),
        frameworks=tuple(frameworks(results)),
        changes=changes,
        carved_out=config.soc2.carved_out,
        requests=tuple(request_list(results, config.tags.owner)),
        root_causes=tuple(root_causes(results)),
    )


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


__all__ = [
    "ControlView",
    "Dossier",
    "SystemView",
    "build_dossier",
    "slugify",
]
