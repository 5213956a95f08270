"""Annex IV of the EU AI Act: one AI system's technical documentation, filled from the evidence.

Each of the nine points lists the facts it asks for, each with the evidence that states it, or
marked missing: the site and the PDF show the same sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mldossier.config import Config
from mldossier.evaluate.checks.registry import tag_of
from mldossier.intake.linking import Index
from mldossier.lineage.provenance import provenance
from mldossier.model import (
    Citation,
    MlflowRun,
    ModelSignature,
    MonitoringReport,
    RegisteredModel,
    SignOff,
)

if TYPE_CHECKING:
    from mldossier.lineage.graph import LineageGraph
    from mldossier.render.dossier import VersionView

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


def _item(label: str, value: str | None, cite: Citation | None) -> Item:
    return Item(label, value or "", cite if value else None)


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "undated"


@dataclass(frozen=True)
class _Sources:
    """What the sections of one system are filled from: its production version's records."""

    model: RegisteredModel
    signoffs: dict[str, SignOff]
    """The latest sign-off of each kind."""
    run: MlflowRun | None
    signature: ModelSignature | None
    datasets: str
    """The training data as read, from the lineage ("" when none is known)."""
    datasets_cite: Citation | None
    reports: list[MonitoringReport]
    history: str
    metrics: str

    def signed(self, kind: str, label: str) -> Item:
        """The item a sign-off of ``kind`` provides."""
        s = self.signoffs.get(kind)
        return _item(
            label,
            f"{s.title} — {s.signed_by} ({s.role}), {s.date.isoformat()}" if s else None,
            s.cite if s else None,
        )

    def metrics_item(self, label: str) -> Item:
        """The production version's metrics, from its training run."""
        run = self.run
        return _item(label, self.metrics or None, run.cite.at("data", "metrics") if run else None)


def _sources(
    model: RegisteredModel,
    views: list[VersionView],
    index: Index,
    lineage: LineageGraph | None,
) -> _Sources:
    signoffs = {
        s.kind: s for s in sorted(index.signoffs_of(model.name), key=lambda s: (s.date, s.id))
    }
    prod = next((v for v in reversed(views) if v.production), views[-1] if views else None)
    prov = provenance(lineage, prod.version) if (prod and lineage is not None) else None
    datasets = ", ".join(
        f"{u.dataset}" + (f" @ {u.version[:12]}" if u.version else " (unversioned)")
        for u in (prov.input_datasets if prov else ())
    )
    history = "; ".join(
        f"v{v.version.version} {_day(v.version.created)}"
        + (f" {v.version.stage}" if v.version.stage else "")
        + (f" [{', '.join(v.version.aliases)}]" if v.version.aliases else "")
        for v in views
    )
    metrics = ", ".join(f"{k}={val:.4g}" for k, val in sorted(prod.metrics.items())) if prod else ""
    return _Sources(
        model=model,
        signoffs=signoffs,
        run=index.mlflow_run_of(prod.version) if prod else None,
        signature=index.signature_of(prod.version) if prod else None,
        datasets=datasets,
        datasets_cite=prov.citations[0] if prov and prov.citations and datasets else None,
        reports=[r for v in views for r in index.reports_of(v.version)],
        history=history,
        metrics=metrics,
    )


def _general(s: _Sources, config: Config) -> list[Item]:
    model = s.model
    return [
        _item(
            "Intended purpose",
            tag_of(model, config.tags.intended_use) or model.description,
            model.cite,
        ),
        _item("Provider / owner", tag_of(model, config.tags.owner), model.cite.at("tags")),
        _item("Versions and their relation", s.history, model.cite),
        s.signed("instructions_for_use", "Instructions for use"),
    ]


def _development(s: _Sources) -> list[Item]:
    run, signature = s.run, s.signature
    return [
        _item(
            "Training run (MLflow)",
            f"{run.run_name or run.run_id} by {run.user_id}, "
            f"params: " + ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()))
            if run
            else None,
            run.cite if run else None,
        ),
        _item("Training data (2(d))", s.datasets, s.datasets_cite),
        _item(
            "Model signature (inputs)",
            ", ".join(c.name for c in signature.inputs) if signature else None,
            signature.cite if signature else None,
        ),
        s.metrics_item("Validation and testing (2(g))"),
        s.signed("human_oversight_plan", "Human-oversight measures (2(e))"),
    ]


def _functioning(s: _Sources) -> list[Item]:
    signature = s.signature
    return [
        s.metrics_item("Performance and limits"),
        _item(
            "Input data specification",
            f"{len(signature.inputs)} typed inputs" if signature else None,
            signature.cite if signature else None,
        ),
        s.signed("human_oversight_plan", "Human oversight (Art. 14)"),
    ]


def _post_market(s: _Sources) -> list[Item]:
    reports = s.reports
    return [
        s.signed("post_market_monitoring_plan", "Post-market monitoring plan"),
        _item(
            "Monitoring reports",
            f"{len(reports)} report(s)" if reports else None,
            reports[-1].cite if reports else None,
        ),
    ]


def annex_iv(
    model: RegisteredModel,
    views: list[VersionView],
    index: Index,
    config: Config,
    lineage: LineageGraph | None,
) -> tuple[Section, ...]:
    """The nine Annex IV points of one system, from its production version (else its latest)."""
    s = _sources(model, views, index, lineage)
    sections = {
        "1": _general(s, config),
        "2": _development(s),
        "3": _functioning(s),
        "4": [
            s.metrics_item("Metrics recorded"),
            s.signed("model_validation", "Validation of the metric choice"),
        ],
        "5": [s.signed("risk_assessment", "Risk assessment")],
        "6": [
            _item("Version history", s.history, model.cite),
            s.signed("change_approval", "Change approval"),
        ],
        "7": [
            s.signed("qms_procedure", "Quality management / standards applied"),
            s.signed("technical_documentation", "Technical documentation"),
        ],
        "8": [s.signed("eu_declaration_of_conformity", "EU declaration of conformity")],
        "9": _post_market(s),
    }
    return tuple(
        Section(point, ANNEX_IV_TITLES[point], tuple(items)) for point, items in sections.items()
    )
