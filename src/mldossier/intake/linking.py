"""Linking conventions: how records from MLflow, OpenLineage, Evidently and sign-offs meet.

The conventions (each overridable in ``mldossier.yaml``, documented in the README):

- A registered model is an AI system; ``name@version`` names a model version.
- "In production" is a stage in ``production.stages`` or an alias in ``production.aliases``.
- A version's MLflow run is its own ``run_id``, else its logged model's ``source_run_id``.
- Its signature is the ``MLmodel`` of its logged model (by ``model_id``), else of its run.
- MLflow run ↔ OpenLineage run, on the first basis that applies (:class:`LinkBasis`):
  ``tag`` (the OpenLineage ``tags`` run facet key ``mlflow.run_id``, or the MLflow run tag
  ``openlineage.run_id``), ``output`` (the OpenLineage run wrote the version's model), then
  ``dataset+time`` (it read the MLflow run's datasets and spans its time; never when two
  runs match alike).
- An Evidently report belongs to ``model``/``model_version`` from its metadata or folders.
- A sign-off belongs to ``subject.system`` (and ``subject.version``).

Whatever cannot be linked is kept and listed as :class:`Unlinked`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from operator import itemgetter

from mldossier.config import Config
from mldossier.intake.naming import dataset_id_from_uri, model_uri, version_sort_key
from mldossier.model import (
    Dataset,
    Evidence,
    LineageRun,
    LinkBasis,
    LoggedModel,
    MlflowRun,
    ModelSignature,
    ModelVersion,
    MonitoringReport,
    QualifiedName,
    RegisteredModel,
    RunDatasetInput,
    RunLink,
    SignOff,
    SourceFile,
    Unavailable,
    Unlinked,
)

_Key = tuple[str, str]


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

        Linking and validation add only ``unlinked``, ``run_links`` (worked out here) and
        ``warnings``, which no look-up reads, so what the index has computed stays true and is
        kept (the index is built once a run).
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

    # ------------------------------------------------------------ MLflow run ↔ OpenLineage run

    @cached_property
    def _known_datasets(self) -> frozenset[_Key]:
        """Every dataset an OpenLineage run read or wrote, or a dataset event named."""
        keys = {(d.id.namespace, d.id.name) for d in self.evidence.datasets}
        for run in self.evidence.lineage_runs:
            keys.update((u.dataset.namespace, u.dataset.name) for u in run.inputs)
            keys.update((u.dataset.namespace, u.dataset.name) for u in run.outputs)
        return frozenset(keys)

    def dataset_of_uri(self, uri: str) -> QualifiedName | None:
        """The OpenLineage dataset a storage URI is (naming spec), None for no location.

        Producers differ on a leading slash in object-store keys: when the mapped name is
        not a known dataset and the form without the slash is, that one is taken.
        """
        mapped = dataset_id_from_uri(uri)
        if mapped is None or mapped.namespace == "file":
            return mapped
        if (mapped.namespace, mapped.name) not in self._known_datasets:
            alternative = QualifiedName(mapped.namespace, mapped.name.lstrip("/"))
            if (alternative.namespace, alternative.name) in self._known_datasets:
                return alternative
        return mapped

    def dataset_of_input(self, item: RunDatasetInput) -> QualifiedName | None:
        """The OpenLineage dataset an MLflow dataset input is, by its source URI (None when it
        names no storage location, e.g. an in-memory or library dataset)."""
        uri = item.source_uri or next(
            (item.source[k] for k in ("uri", "url", "path") if isinstance(item.source.get(k), str)),
            None,
        )
        return self.dataset_of_uri(uri) if uri else None

    def versions_of_model_uri(self, uri: str) -> tuple[ModelVersion, ...]:
        """The model versions a ``models:/...`` URI stands for (MLflow's resolution)."""
        parts = model_uri(uri)
        if parts is None:
            return ()
        name, ref, alias = parts.name, parts.ref, parts.alias
        if ref is None and alias is None:
            # models:/m-<id>: an MLflow 3 logged model, registered as these versions.
            return tuple(
                sorted(
                    self.versions_by_logged_model.get(name, ()),
                    key=lambda v: (v.name, version_sort_key(v.version)),
                )
            )
        versions = self.versions.get(name, [])
        if alias is not None:
            model = self.systems.get(name)
            number = model.aliases.get(alias) if model else None
            return tuple([v for v in versions if v.version == number or alias in v.aliases][-1:])
        assert ref is not None  # neither ref nor alias returned above
        if f"{name}@{ref}" in self.version_by_key:
            return (self.version_by_key[f"{name}@{ref}"],)
        # models:/<name>/<stage>: MLflow serves the latest version in that stage.
        return tuple([v for v in versions if (v.stage or "").lower() == ref.lower()][-1:])

    def model_locations(self, version: ModelVersion) -> tuple[str, ...]:
        """Where a version's model is stored: its source and its logged model's artifact URI."""
        found = [version.source] if version.source else []
        logged = self.logged_models.get(version.logged_model_id or "")
        if logged is not None and logged.artifact_uri:
            found.append(logged.artifact_uri)
        return tuple(dict.fromkeys(found))

    @cached_property
    def _writers_of_versions(self) -> dict[str, list[tuple[LineageRun, str]]]:
        """Version key -> the OpenLineage runs that wrote its model, each with the dataset."""
        by_id: dict[_Key, list[ModelVersion]] = defaultdict(list)
        by_name: dict[str, list[ModelVersion]] = defaultdict(list)
        for version in self.evidence.model_versions:
            for location in self.model_locations(version):
                if location.startswith("models:/"):
                    continue  # resolved as a models:/ dataset name below
                by_name[location].append(version)
                mapped = self.dataset_of_uri(location)
                if mapped is not None:
                    by_id[(mapped.namespace, mapped.name)].append(version)
        refs: dict[str, tuple[ModelVersion, ...]] = {}
        found: dict[str, list[tuple[LineageRun, str]]] = defaultdict(list)
        for run in self.evidence.lineage_runs:
            for use in run.outputs:
                name = use.dataset.name
                if name.startswith("models:/"):
                    if name not in refs:
                        refs[name] = self.versions_of_model_uri(name)
                    versions: list[ModelVersion] = list(refs[name])
                else:
                    versions = [
                        *by_id.get((use.dataset.namespace, name), ()),
                        *by_name.get(name, ()),
                    ]
                for key in dict.fromkeys(v.key for v in versions):
                    pairs = found[key]
                    if all(r.run_id != run.run_id for r, _ in pairs):
                        pairs.append((run, f"wrote {use.dataset}"))
        return dict(found)

    @cached_property
    def _readers(self) -> dict[_Key, list[LineageRun]]:
        """Dataset -> the OpenLineage runs that read it, in evidence order."""
        grouped: dict[_Key, list[LineageRun]] = defaultdict(list)
        for run in self.evidence.lineage_runs:
            for key in dict.fromkeys((u.dataset.namespace, u.dataset.name) for u in run.inputs):
                grouped[key].append(run)
        return dict(grouped)

    def _located_inputs(self, mrun: MlflowRun) -> list[QualifiedName]:
        """The datasets an MLflow run logged that name a storage location, sorted."""
        return sorted({d for d in map(self.dataset_of_input, mrun.dataset_inputs) if d is not None})

    def _dataset_time_matches(self, mrun: MlflowRun) -> list[LineageRun]:
        """The OpenLineage runs that read every dataset the MLflow run logged (with a storage
        location) and whose start and end enclose the MLflow run's; a parent run is dropped
        when one of its children matches too (the child is the one that ran the training)."""
        wanted = self._located_inputs(mrun)
        if not wanted or mrun.start is None:
            return []
        begin = _instant(mrun.start)
        finish = _instant(mrun.end) if mrun.end else begin
        keys = [(d.namespace, d.name) for d in wanted]
        pool = min((self._readers.get(k, []) for k in keys), key=len)
        found = []
        for run in pool:
            if run.started is None or run.ended is None:
                continue
            if not _instant(run.started) <= begin <= finish <= _instant(run.ended):
                continue
            read = {(u.dataset.namespace, u.dataset.name) for u in run.inputs}
            if all(k in read for k in keys):
                found.append(run)
        parents = {r.parent_run_id for r in found if r.parent_run_id}
        return [r for r in found if r.run_id not in parents]

    @cached_property
    def _links(self) -> tuple[dict[str, tuple[RunLink, ...]], dict[str, tuple[LineageRun, ...]]]:
        """MLflow run id -> its links on the strongest basis that applies; and the MLflow
        runs that dataset+time would link to several OpenLineage runs alike (not linked)."""
        linking = self.config.linking
        tagged: dict[str, list[RunLink]] = defaultdict(list)
        for run in self.evidence.lineage_runs:
            if run.mlflow_run_id:
                tagged[run.mlflow_run_id].append(
                    _run_link(
                        run.mlflow_run_id,
                        run,
                        LinkBasis.TAG,
                        f"OpenLineage run tag {linking.openlineage_mlflow_run_tag}",
                    )
                )
        for mrun in self.evidence.mlflow_runs:
            ol_id = mrun.tags.get(linking.mlflow_openlineage_run_tag)
            ol = self.lineage_runs.get(ol_id) if ol_id else None
            if ol is not None and all(x.lineage_run_id != ol.run_id for x in tagged[mrun.run_id]):
                tagged[mrun.run_id].append(
                    _run_link(
                        mrun.run_id,
                        ol,
                        LinkBasis.TAG,
                        f"MLflow run tag {linking.mlflow_openlineage_run_tag}",
                    )
                )
        written: dict[str, list[RunLink]] = defaultdict(list)
        for version in self.evidence.model_versions:
            run_id = self.run_id_of(version)
            if not run_id:
                continue
            for run, detail in self._writers_of_versions.get(version.key, ()):
                if all(x.lineage_run_id != run.run_id for x in written[run_id]):
                    written[run_id].append(_run_link(run_id, run, LinkBasis.OUTPUT, detail))
        links: dict[str, tuple[RunLink, ...]] = {}
        ambiguous: dict[str, tuple[LineageRun, ...]] = {}
        for run_id in sorted({*tagged, *written, *self.runs}):
            if tagged.get(run_id):
                links[run_id] = tuple(tagged[run_id])
            elif written.get(run_id):
                links[run_id] = tuple(written[run_id])
            elif run_id in self.runs:
                mrun = self.runs[run_id]
                matches = self._dataset_time_matches(mrun)
                if len(matches) == 1:
                    links[run_id] = (
                        _run_link(
                            run_id,
                            matches[0],
                            LinkBasis.DATASET_TIME,
                            _overlap(mrun, matches[0], self._located_inputs(mrun)),
                        ),
                    )
                elif matches:
                    ambiguous[run_id] = tuple(sorted(matches, key=lambda r: r.run_id))
        return links, ambiguous

    def links_of(self, mlflow_run_id: str) -> tuple[RunLink, ...]:
        """The OpenLineage runs linked to an MLflow run, on the strongest basis that applies."""
        return self._links[0].get(mlflow_run_id, ())

    def ambiguous_links_of(self, mlflow_run_id: str) -> tuple[LineageRun, ...]:
        """The OpenLineage runs an MLflow run matches alike by dataset+time (so none is linked)."""
        return self._links[1].get(mlflow_run_id, ())

    def run_links(self) -> tuple[RunLink, ...]:
        """Every MLflow run ↔ OpenLineage run link, by MLflow run then OpenLineage run."""
        links = self._links[0]
        return tuple(
            sorted(
                (x for run_id in sorted(links) for x in links[run_id]),
                key=lambda x: (x.mlflow_run_id or "", x.lineage_run_id),
            )
        )

    def lineage_runs_of(self, mlflow_run_id: str) -> list[LineageRun]:
        """OpenLineage runs linked to this MLflow run (:meth:`links_of`)."""
        return [self.lineage_runs[x.lineage_run_id] for x in self.links_of(mlflow_run_id)]

    def training_links_of(self, version: ModelVersion) -> tuple[RunLink, ...]:
        """The OpenLineage runs that trained a version, each with its link's basis: those
        linked to its MLflow run, else (no MLflow run recorded, or none linked) the runs that
        wrote its model."""
        run_id = self.run_id_of(version)
        if run_id and (links := self.links_of(run_id)):
            return links
        return tuple(
            _run_link(run_id, run, LinkBasis.OUTPUT, detail)
            for run, detail in self._writers_of_versions.get(version.key, ())
        )

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


def _instant(moment: datetime) -> float:
    """A time as a POSIX timestamp, naive times taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _run_link(mlflow_run_id: str | None, run: LineageRun, basis: LinkBasis, detail: str) -> RunLink:
    return RunLink(mlflow_run_id, run.run_id, run.job, basis, detail, run.cite)


def _overlap(mrun: MlflowRun, run: LineageRun, read: list[QualifiedName]) -> str:
    """The words of a dataset+time link: what was read, and the two time spans."""
    names = sorted({str(d) for d in read})
    return (
        f"read {', '.join(names)}; MLflow run {_iso(mrun.start)} to {_iso(mrun.end or mrun.start)}"
        f" inside OpenLineage run {_iso(run.started)} to {_iso(run.ended)}"
    )


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "?"


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
        *_ambiguous_links(evidence, index),
    ]
    unlinked.sort(key=lambda u: (u.kind, u.key, u.cite.file))
    return replace(evidence, unlinked=tuple(unlinked), run_links=index.run_links())


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


def _ambiguous_links(evidence: Evidence, index: Index) -> Iterator[Unlinked]:
    """MLflow runs that dataset+time matches to several OpenLineage runs alike: left unlinked."""
    for mrun in evidence.mlflow_runs:
        matches = index.ambiguous_links_of(mrun.run_id)
        if matches:
            yield Unlinked(
                "MLflow run",
                mrun.run_id,
                ambiguity(mrun.run_id, matches, index.config),
                mrun.cite,
            )


def ambiguity(mlflow_run_id: str, matches: tuple[LineageRun, ...], config: Config) -> str:
    """Why an MLflow run is linked to none of the OpenLineage runs it matches by dataset+time."""
    runs = ", ".join(f"{r.job.name} {r.run_id}" for r in matches)
    return (
        f"MLflow run {mlflow_run_id} matches {len(matches)} OpenLineage runs alike by "
        f"dataset+time ({runs}), so none is linked: tag the training run "
        f"({config.linking.openlineage_mlflow_run_tag} or "
        f"{config.linking.mlflow_openlineage_run_tag})"
    )
