"""The dossier: one view of the results that both the site and the PDF render.

Renderers read only this (and never the raw input files): systems with their versions,
Annex IV technical documentation filled from evidence, monitoring history and verdicts;
controls with their verdicts; findings; the evidence index; the crosswalk.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mldossier import __version__
from mldossier.config import Config
from mldossier.evaluate.baseline import Changes
from mldossier.evaluate.verdicts import SEVERITY_ORDER, Results, Verdict
from mldossier.intake.linking import Index, is_production
from mldossier.model import Citation, Evidence, ModelVersion, RegisteredModel
from mldossier.render.annex_iv import Item, Section, annex_iv, tag
from mldossier.render.results_json import crosswalk, frameworks
from mldossier.status import Status, worst

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
    signature_inputs: int | None


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


@dataclass(frozen=True)
class ControlView:
    """One control and its verdicts."""

    id: str
    slug: str
    verdicts: tuple[Verdict, ...]
    status: str

    @property
    def control(self) -> Any:
        """The catalog control."""
        return self.verdicts[0].control


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
    crosswalk: tuple[dict[str, Any], ...]
    frameworks: tuple[str, ...]
    changes: Changes | None = None
    """What changed since the baseline report, when one was given."""

    @property
    def evidence(self) -> Evidence:
        """The evidence the results were computed from."""
        return self.results.evidence

    def framework_counts(self, framework: str) -> dict[str, int]:
        """Verdicts per status for one framework."""
        return self.results.counts(framework=framework)


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


def build_dossier(
    results: Results,
    config: Config,
    lineage: Any = None,
    diagrams: dict[str, str] | None = None,
    changes: Changes | None = None,
) -> Dossier:
    """Assemble the dossier from results, the lineage graph and the SVG diagrams by system."""
    evidence = results.evidence
    index = Index(evidence, config)
    by_system: dict[str, list[Verdict]] = defaultdict(list)
    for v in results.verdicts:
        by_system[v.system].append(v)
    systems = []
    slugs: set[str] = set()
    for name in sorted(index.systems):
        model = index.systems[name]
        views = []
        for version in index.versions.get(name, []):
            run = index.mlflow_run_of(version)
            sig = index.signature_of(version)
            views.append(
                VersionView(
                    version=version,
                    production=is_production(version, config),
                    approved_by=tag(version, config.tags.approved_by),
                    approval_date=tag(version, config.tags.approval_date),
                    run_id=index.run_id_of(version),
                    metrics=dict(run.metrics) if run else {},
                    signature_inputs=len(sig.inputs) if sig else None,
                )
            )
        slug = _unique(slugify(name), slugs)
        verdicts = sorted(by_system.get(name, []), key=_verdict_order)
        systems.append(
            SystemView(
                model=model,
                slug=slug,
                category=tag(model, config.tags.eu_ai_act_category),
                annex_iii_point=tag(model, config.tags.annex_iii_point),
                intended_use=tag(model, config.tags.intended_use),
                owner=tag(model, config.tags.owner),
                risk_level=tag(model, config.tags.risk_level),
                data_classification=tag(model, config.tags.data_classification),
                versions=tuple(views),
                annex_iv=annex_iv(model, views, index, config, lineage),
                monitoring=_monitoring(views, index),
                verdicts=tuple(verdicts),
                status=worst([v.status for v in verdicts]),
                counts=results.counts(system=name),
                diagram_svg=(diagrams or {}).get(name, ""),
            )
        )
    controls: dict[str, tuple[ControlView, ...]] = {}
    control_slugs: set[str] = set()
    for framework in frameworks(results):
        grouped: dict[str, list[Verdict]] = {}
        for v in results.verdicts:
            if v.control.framework == framework:
                grouped.setdefault(v.control.id, []).append(v)
        controls[framework] = tuple(
            ControlView(
                cid, _unique(slugify(cid), control_slugs), tuple(vs), worst([v.status for v in vs])
            )
            for cid, vs in grouped.items()
        )
    return Dossier(
        organisation=config.organisation,
        tool_version=__version__,
        as_of=results.as_of,
        as_of_source=results.as_of_source,
        results=results,
        systems=tuple(systems),
        controls=controls,
        findings=tuple(results.failing),
        crosswalk=tuple(crosswalk(results)),
        frameworks=tuple(frameworks(results)),
        changes=changes,
    )


def _verdict_order(v: Verdict) -> tuple[int, int, str, str]:
    return (
        Status(v.status).rank,
        SEVERITY_ORDER.get(v.control.severity, 3),
        v.control.id,
        v.subject,
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
    "Item",
    "Section",
    "SystemView",
    "build_dossier",
    "slugify",
]
