"""Linking conventions: how records from MLflow, OpenLineage, Evidently and sign-offs meet.

The conventions (each overridable in ``mldossier.yaml``, documented in the README):

- A registered model is an AI system; ``name@version`` names a model version.
- "In production" is a stage in ``production.stages`` or an alias in ``production.aliases``.
- A version's MLflow run is its own ``run_id``, else its logged model's ``source_run_id``.
- Its signature is the ``MLmodel`` of its logged model (by ``model_id``), else of its run.
- MLflow run ↔ OpenLineage run: the OpenLineage ``tags`` run facet key ``mlflow.run_id``, or
  the MLflow run tag ``openlineage.run_id``.
- An Evidently report belongs to ``model``/``model_version`` from its metadata or folders.
- A sign-off belongs to ``subject.system`` (and ``subject.version``).

Whatever cannot be linked is kept and listed as :class:`Unlinked`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from operator import itemgetter

from mldossier.config import Config
from mldossier.intake.naming import version_sort_key
from mldossier.model import (
    Dataset,
    Evidence,
    LineageRun,
    LoggedModel,
    MlflowRun,
    ModelSignature,
    ModelVersion,
    MonitoringReport,
    QualifiedName,
    RegisteredModel,
    SignOff,
    SourceFile,
    Unavailable,
    Unlinked,
)


def is_production(version: ModelVersion, config: Config) -> bool:
    """Whether a version is in production by stage or alias."""
    return version.stage in config.production.stages or any(
        a in config.production.aliases for a in version.aliases
    )


@dataclass
class Index:
    """Look-ups across the evidence, built once and shared by the later stages."""

    evidence: Evidence
    config: Config

    def rebind(self, evidence: Evidence) -> None:
        """Point the index at ``evidence``: the same records, with what linking added.

        Linking and validation add only ``unlinked`` and ``warnings``, which no look-up reads,
        so what the index has computed stays true and is kept (the index is built once a run).
        """
        self.evidence = evidence

    @cached_property
    def systems(self) -> dict[str, RegisteredModel]:
        """Registered models by name."""
        return {m.name: m for m in self.evidence.registered_models}

    @cached_property
    def versions(self) -> dict[str, list[ModelVersion]]:
        """Versions of each system (by name), oldest first."""
        grouped: dict[str, list[ModelVersion]] = defaultdict(list)
        for v in self.evidence.model_versions:
            grouped[v.name].append(v)
        return {
            name: sorted(vs, key=lambda v: version_sort_key(v.version))
            for name, vs in grouped.items()
        }

    @cached_property
    def version_by_key(self) -> dict[str, ModelVersion]:
        """Versions by ``name@version``."""
        return {v.key: v for v in self.evidence.model_versions}

    @cached_property
    def runs(self) -> dict[str, MlflowRun]:
        """MLflow runs by id."""
        return {r.run_id: r for r in self.evidence.mlflow_runs}

    @cached_property
    def logged_models(self) -> dict[str, LoggedModel]:
        """Logged models by model id."""
        return {m.model_id: m for m in self.evidence.logged_models}

    @cached_property
    def lineage_runs(self) -> dict[str, LineageRun]:
        """OpenLineage runs by run id."""
        return {r.run_id: r for r in self.evidence.lineage_runs}

    @cached_property
    def datasets(self) -> dict[QualifiedName, Dataset]:
        """OpenLineage datasets by identity."""
        return {d.id: d for d in self.evidence.datasets}

    def production_versions(self) -> list[ModelVersion]:
        """Every version in production, by system then version."""
        return [
            v
            for name in sorted(self.versions)
            for v in self.versions[name]
            if is_production(v, self.config)
        ]

    def run_id_of(self, version: ModelVersion) -> str | None:
        """The MLflow run that produced a version (directly or through its logged model)."""
        if version.run_id:
            return version.run_id
        logged = self.logged_models.get(version.logged_model_id or "")
        return logged.source_run_id if logged else None

    @cached_property
    def _unavailable(self) -> dict[str, list[Unavailable]]:
        grouped: dict[str, list[Unavailable]] = defaultdict(list)
        for gap in self.evidence.unavailable:
            for key in dict.fromkeys(gap.versions):
                grouped[key].append(gap)
        return dict(grouped)

    def unavailable_of(self, version: ModelVersion) -> list[Unavailable]:
        """The objects the export records it could not get for this version."""
        return list(self._unavailable.get(version.key, ()))

    def mlflow_run_of(self, version: ModelVersion) -> MlflowRun | None:
        """The MLflow run record of a version, if exported."""
        run_id = self.run_id_of(version)
        return self.runs.get(run_id) if run_id else None

    @cached_property
    def _signatures(self) -> tuple[dict[str, ModelSignature], dict[str, ModelSignature]]:
        by_model = {s.model_id: s for s in self.evidence.signatures if s.model_id}
        by_run = {s.run_id: s for s in self.evidence.signatures if s.run_id}
        return by_model, by_run

    def signature_of(self, version: ModelVersion) -> ModelSignature | None:
        """The signature of a version: its logged model's MLmodel, else its run's."""
        by_model, by_run = self._signatures
        if version.logged_model_id and version.logged_model_id in by_model:
            return by_model[version.logged_model_id]
        run_id = self.run_id_of(version)
        return by_run.get(run_id) if run_id else None

    @cached_property
    def _ol_by_mlflow(self) -> dict[str, list[LineageRun]]:
        grouped: dict[str, list[LineageRun]] = defaultdict(list)
        for run in self.evidence.lineage_runs:
            if run.mlflow_run_id:
                grouped[run.mlflow_run_id].append(run)
        tag = self.config.linking.mlflow_openlineage_run_tag
        for mrun in self.evidence.mlflow_runs:
            ol_id = mrun.tags.get(tag)
            ol = self.lineage_runs.get(ol_id) if ol_id else None
            if ol is not None and ol not in grouped[mrun.run_id]:
                grouped[mrun.run_id].append(ol)
        return grouped

    def lineage_runs_of(self, mlflow_run_id: str) -> list[LineageRun]:
        """OpenLineage runs that are this MLflow run (by either tag convention)."""
        return list(self._ol_by_mlflow.get(mlflow_run_id, ()))

    @cached_property
    def _reports(self) -> dict[str, list[MonitoringReport]]:
        grouped: dict[str, list[MonitoringReport]] = defaultdict(list)
        for report in self.evidence.reports:
            if report.model_name and report.model_version:
                grouped[f"{report.model_name}@{report.model_version}"].append(report)
        return {key: sorted(rs, key=_report_order) for key, rs in grouped.items()}

    def reports_of(self, version: ModelVersion) -> list[MonitoringReport]:
        """Monitoring reports of a version, oldest first (undated ones first)."""
        return list(self._reports.get(version.key, ()))

    @cached_property
    def _signoffs(self) -> dict[tuple[str, str | None], list[tuple[int, SignOff]]]:
        """Sign-offs by (system, version), version None for the system's own, each with its
        place in the evidence (a version's list is merged with its system's in that order)."""
        grouped: dict[tuple[str, str | None], list[tuple[int, SignOff]]] = defaultdict(list)
        for place, s in enumerate(self.evidence.signoffs):
            grouped[(s.system, s.version)].append((place, s))
        return dict(grouped)

    def signoffs_of(self, system: str, version: str | None = None) -> list[SignOff]:
        """Sign-offs for a system (``version`` None) or for one version of it, the system's
        own included, in the order of the evidence."""
        own = self._signoffs.get((system, None), [])
        if version is None:
            return [s for _, s in own]
        theirs = self._signoffs.get((system, version), [])
        return [s for _, s in heapq.merge(own, theirs, key=itemgetter(0))]

    @cached_property
    def files_by_path(self) -> dict[str, SourceFile]:
        """Evidence files read, by path."""
        found: dict[str, SourceFile] = {}
        for f in self.evidence.files:
            found.setdefault(f.path, f)
        return found

    @cached_property
    def versions_by_logged_model(self) -> dict[str | None, list[ModelVersion]]:
        """Versions by the id of the logged model they register (None: registered from a
        run's artifacts, with no logged model), in the order of the evidence."""
        grouped: dict[str | None, list[ModelVersion]] = defaultdict(list)
        for v in self.evidence.model_versions:
            grouped[v.logged_model_id].append(v)
        return dict(grouped)


def _report_order(report: MonitoringReport) -> tuple[str, str]:
    stamp = report.timestamp.isoformat() if report.timestamp else ""
    return (stamp, report.cite.file)


def link(evidence: Evidence, index: Index) -> Evidence:
    """The same evidence with every record that could not be tied to the rest listed.

    ``index`` is the run's index of ``evidence``; the pipeline keeps it for the later stages.
    """
    unlinked = [
        *_unlinked_reports(evidence, index),
        *_unlinked_signatures(evidence, index),
        *_unlinked_signoffs(evidence, index),
        *_unlinked_lineage_runs(evidence, index),
    ]
    unlinked.sort(key=lambda u: (u.kind, u.key, u.cite.file))
    return replace(evidence, unlinked=tuple(unlinked))


def _unlinked_reports(evidence: Evidence, index: Index) -> Iterator[Unlinked]:
    """Monitoring reports that name no model, or a version the MLflow export lacks."""
    for report in evidence.reports:
        key = f"{report.model_name}@{report.model_version}"
        if not report.model_name:
            yield Unlinked(
                "monitoring report",
                report.name or report.cite.file,
                "names no model: add metadata model/model_version, or file it under "
                "<model>/<version>/",
                report.cite,
            )
        elif report.model_version is None or key not in index.version_by_key:
            yield Unlinked(
                "monitoring report",
                report.name or report.cite.file,
                f"model version {key} is not in the MLflow export",
                report.cite,
            )


def _unlinked_signatures(evidence: Evidence, index: Index) -> Iterator[Unlinked]:
    """Signatures whose logged model or run is not in the MLflow export."""
    for sig in evidence.signatures:
        known = (
            sig.model_id in index.logged_models
            or sig.run_id in index.runs
            or sig.model_id in index.versions_by_logged_model
        )
        if not known:
            yield Unlinked(
                "model signature",
                sig.model_id or sig.run_id or sig.cite.file,
                "no logged model or run in the MLflow export has this id",
                sig.cite,
            )


def _unlinked_signoffs(evidence: Evidence, index: Index) -> Iterator[Unlinked]:
    """Sign-offs for a system or version the MLflow export does not have."""
    for signoff in evidence.signoffs:
        if signoff.system not in index.systems:
            yield Unlinked(
                "sign-off",
                signoff.id,
                f"system {signoff.system!r} is not a registered model in the MLflow export",
                signoff.cite,
            )
        elif signoff.version is not None and signoff.subject not in index.version_by_key:
            yield Unlinked(
                "sign-off",
                signoff.id,
                f"version {signoff.subject} is not in the MLflow export",
                signoff.cite,
            )


def _unlinked_lineage_runs(evidence: Evidence, index: Index) -> Iterator[Unlinked]:
    """OpenLineage runs tagged with an MLflow run the export does not have."""
    for run in evidence.lineage_runs:
        if run.mlflow_run_id and run.mlflow_run_id not in index.runs:
            yield Unlinked(
                "lineage run",
                f"{run.job.name} {run.run_id}",
                f"names MLflow run {run.mlflow_run_id}, which is not in the MLflow export",
                run.cite,
            )
