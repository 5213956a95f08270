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
from mldossier.evaluate.verdicts import ORGANISATION, SEVERITY_ORDER, Results, Verdict
from mldossier.intake.linking import Index, is_production
from mldossier.model import Citation, Evidence, ModelVersion, RegisteredModel
from mldossier.render.results_json import crosswalk, frameworks
from mldossier.status import Status, worst

ANNEX_IV_TITLES = {
    "1": "General description of the AI system",
    "2": "Elements of the AI system and its development process",
    "3": "Monitoring, functioning and control",
    "4": "Appropriateness of the performance metrics",
    "5": "Risk management system (Art. 9)",
    "6": "Changes through the lifecycle",
    "7": "Harmonised standards and other solutions applied",
    "8": "EU declaration of conformity (Art. 47)",
    "9": "Post-market performance evaluation (Art. 72)",
}


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
class Item:
    """One fact in a documentation section, and where it comes from (None: missing)."""

    label: str
    value: str
    cite: Citation | None

    @property
    def missing(self) -> bool:
        """True when no evidence provides this item."""
        return self.cite is None


@dataclass(frozen=True)
class Section:
    """One Annex IV point for one system."""

    point: str
    title: str
    items: tuple[Item, ...]

    @property
    def status(self) -> str:
        """``filled``, ``partial`` or ``missing``."""
        present = sum(1 for i in self.items if not i.missing)
        if present == len(self.items):
            return "filled"
        return "partial" if present else "missing"


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


def _tag(model: RegisteredModel | ModelVersion, key: str) -> str:
    return (model.tags.get(key) or "").strip()


def _item(label: str, value: str | None, cite: Citation | None) -> Item:
    return Item(label, value or "", cite if value else None)


def _annex_iv(
    model: RegisteredModel, views: list[VersionView], index: Index, config: Config, lineage: Any
) -> tuple[Section, ...]:
    tags = config.tags
    signoffs = {
        s.kind: s for s in sorted(index.signoffs_of(model.name), key=lambda s: (s.date, s.id))
    }

    def signed(kind: str, label: str) -> Item:
        s = signoffs.get(kind)
        return _item(
            label,
            f"{s.title} — {s.signed_by} ({s.role}), {s.date.isoformat()}" if s else None,
            s.cite if s else None,
        )

    prod = next((v for v in reversed(views) if v.production), views[-1] if views else None)
    run = index.mlflow_run_of(prod.version) if prod else None
    signature = index.signature_of(prod.version) if prod else None
    prov = lineage.provenance(prod.version) if (prod and lineage is not None) else None
    datasets = ", ".join(
        f"{u.dataset}" + (f" @ {u.version[:12]}" if u.version else " (unversioned)")
        for u in (prov.input_datasets if prov else ())
    )
    reports = [r for v in views for r in index.reports_of(v.version)]
    history = "; ".join(
        f"v{v.version.version} {_day(v.version.created)}"
        + (f" {v.version.stage}" if v.version.stage else "")
        + (f" [{', '.join(v.version.aliases)}]" if v.version.aliases else "")
        for v in views
    )
    metrics = ", ".join(f"{k}={val:.4g}" for k, val in sorted(prod.metrics.items())) if prod else ""
    sections = {
        "1": [
            _item(
                "Intended purpose", _tag(model, tags.intended_use) or model.description, model.cite
            ),
            _item("Provider / owner", _tag(model, tags.owner), model.cite.at("tags")),
            _item("Versions and their relation", history, model.cite),
            signed("instructions_for_use", "Instructions for use"),
        ],
        "2": [
            _item(
                "Training run (MLflow)",
                f"{run.run_name or run.run_id} by {run.user_id}, "
                f"params: " + ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()))
                if run
                else None,
                run.cite if run else None,
            ),
            _item(
                "Training data (2(d))",
                datasets,
                prov.citations[0] if prov and prov.citations and datasets else None,
            ),
            _item(
                "Model signature (inputs)",
                ", ".join(c.name for c in signature.inputs) if signature else None,
                signature.cite if signature else None,
            ),
            _item(
                "Validation and testing (2(g))",
                metrics or None,
                run.cite.at("data", "metrics") if run else None,
            ),
            signed("human_oversight_plan", "Human-oversight measures (2(e))"),
        ],
        "3": [
            _item(
                "Performance and limits",
                metrics or None,
                run.cite.at("data", "metrics") if run else None,
            ),
            _item(
                "Input data specification",
                f"{len(signature.inputs)} typed inputs" if signature else None,
                signature.cite if signature else None,
            ),
            signed("human_oversight_plan", "Human oversight (Art. 14)"),
        ],
        "4": [
            _item(
                "Metrics recorded", metrics or None, run.cite.at("data", "metrics") if run else None
            ),
            signed("model_validation", "Validation of the metric choice"),
        ],
        "5": [signed("risk_assessment", "Risk assessment")],
        "6": [
            _item("Version history", history, model.cite),
            signed("change_approval", "Change approval"),
        ],
        "7": [
            signed("qms_procedure", "Quality management / standards applied"),
            signed("technical_documentation", "Technical documentation"),
        ],
        "8": [signed("eu_declaration_of_conformity", "EU declaration of conformity")],
        "9": [
            signed("post_market_monitoring_plan", "Post-market monitoring plan"),
            _item(
                "Monitoring reports",
                f"{len(reports)} report(s)" if reports else None,
                reports[-1].cite if reports else None,
            ),
        ],
    }
    return tuple(
        Section(point, ANNEX_IV_TITLES[point], tuple(items)) for point, items in sections.items()
    )


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "undated"


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
    *,
    index: Index,
) -> Dossier:
    """Assemble the dossier from results, the lineage graph and the SVG diagrams by system."""
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
                    approved_by=_tag(version, config.tags.approved_by),
                    approval_date=_tag(version, config.tags.approval_date),
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
                category=_tag(model, config.tags.eu_ai_act_category),
                annex_iii_point=_tag(model, config.tags.annex_iii_point),
                intended_use=_tag(model, config.tags.intended_use),
                owner=_tag(model, config.tags.owner),
                risk_level=_tag(model, config.tags.risk_level),
                data_classification=_tag(model, config.tags.data_classification),
                versions=tuple(views),
                annex_iv=_annex_iv(model, views, index, config, lineage),
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


__all__ = ["ORGANISATION", "Dossier", "SystemView", "ControlView", "build_dossier", "slugify"]
