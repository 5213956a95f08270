"""The evidence model: typed, immutable records that flow from the importers to every later stage.

Every record carries a :class:`Citation` naming the file (relative to the evidence root),
the JSON Pointer inside it (and the line, for NDJSON) and the file's SHA-256, so every
verdict built on it can say exactly what it rests on. Mappings inside records are plain
dicts by convenience; treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Citation:
    """Where a fact comes from: file, JSON Pointer (and NDJSON line) and the file's SHA-256."""

    file: str
    pointer: str
    sha256: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}:{self.pointer or '/'} (sha256 {self.sha256[:12]})"

    def at(self, *tokens: str | int) -> Citation:
        """The same file and line, one level deeper in the JSON document."""
        from mldossier.errors import pointer

        return Citation(self.file, self.pointer + pointer(*tokens), self.sha256, self.line)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form of this citation."""
        data: dict[str, Any] = {"file": self.file, "pointer": self.pointer, "sha256": self.sha256}
        if self.line is not None:
            data["line"] = self.line
        return data


@dataclass(frozen=True, slots=True)
class Column:
    """One column or feature: its name and type as the source states it ("" if none)."""

    name: str
    type: str = ""


# ---------------------------------------------------------------- evidence files


class FileRole(StrEnum):
    """What a file of the evidence folder is to the report; the manifest lists every one."""

    EVIDENCE = "evidence"
    """Read by an importer, or hashed as an attachment: what the verdicts may cite."""
    SETTINGS = "settings"
    """Part of the project's settings that happens to lie there (the trusted keys)."""
    IGNORED = "ignored"
    """Matched by ``evidence.ignore`` (or its defaults): hashed, never parsed."""
    NOT_EVIDENCE = "not_evidence"
    """Parsed, but of a shape no importer reads: listed with a warning, not read."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of the evidence folder, as hashed when it was read."""

    path: str
    """Path relative to the evidence root, with forward slashes."""
    size: int
    sha256: str
    kind: str = "unrecognised"
    """What it holds, e.g. ``mlflow``, ``openlineage``, ``evidently``, ``signoff``,
    ``signature`` (a sign-off's ``.sig``), ``allowed_signers``, ``attachment``; ``ignored``
    for a file not parsed, ``unrecognised`` for one whose shape no importer reads."""
    importer: str = ""
    """Name of the importer that read it ("" when none did)."""
    time: datetime | None = None
    """When the evidence in it was produced, where the file says so."""
    role: FileRole = FileRole.EVIDENCE
    reason: str = ""
    """Why a file is not read as evidence (``ignored``, ``not_evidence``); "" otherwise."""


@dataclass(frozen=True, slots=True)
class ExportError:
    """A call of the export that failed, as the export itself records it.

    A call with a status other than 2xx in a collection log: the evidence it would have
    brought is missing, whatever the other files hold. (An MLflow error response kept as a
    file is not one: it is invalid input.)
    """

    source: str
    """``collection log``."""
    code: str
    """The status, as ``HTTP 404``."""
    message: str
    """The server's message, or the call that failed (``GET <url>``)."""
    cite: Citation


@dataclass(frozen=True, slots=True)
class Unavailable:
    """An object the export could not get, for named model versions, as the export records it.

    A collection-log call with an ``unavailable`` entry for a run, a logged model or an
    MLmodel file (a run purged by ``mlflow gc``, an artifact the server cannot read): the
    versions that needed it are known, so every check on them that reads it is
    ``not_evidenced``, citing the log entry. (A search page or a registry record the export
    could not get is an :class:`ExportError`: what it would have held is unknown.)
    """

    kind: str
    """``run``, ``logged_model`` or ``mlmodel``."""
    id: str
    """The run id, the logged model id, or the MLmodel's source (``models:/m-.../MLmodel``)."""
    versions: tuple[str, ...]
    """The model versions (``name@version``) that needed it."""
    code: str
    """The status, as ``HTTP 404``."""
    message: str
    """The server's message (``RESOURCE_DOES_NOT_EXIST: ...``), else the status."""
    call: str
    """``GET <url>``."""
    cite: Citation

    @property
    def label(self) -> str:
        """``run 0c42...``, ``MLmodel models:/m-.../MLmodel``: the object in words."""
        return f"{UNAVAILABLE_WORDS.get(self.kind, self.kind)} {self.id}"

    @property
    def needed_by(self) -> str:
        """The versions that needed it, as one line (``credit@1, credit@2``)."""
        return ", ".join(self.versions)


UNAVAILABLE_WORDS = {"run": "MLflow run", "logged_model": "logged model", "mlmodel": "MLmodel"}
""":attr:`Unavailable.kind` in words."""


# ---------------------------------------------------------------- MLflow


@dataclass(frozen=True, slots=True)
class Experiment:
    """An MLflow experiment."""

    experiment_id: str
    name: str
    lifecycle_stage: str
    tags: dict[str, str]
    created: datetime | None
    cite: Citation


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """An MLflow registered model: one AI system in mldossier's terms."""

    name: str
    description: str
    created: datetime | None
    updated: datetime | None
    tags: dict[str, str]
    aliases: dict[str, str]
    """Alias name to version, e.g. ``{"champion": "2"}``."""
    cite: Citation


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt of MLflow's prompt registry: stored as a registered model, never an AI system.

    MLflow tags the registered model and each of its versions ``mlflow.prompt.is_prompt``
    = ``true``; mldossier lists the prompt and cites it, and assesses nothing on it.
    """

    name: str
    versions: tuple[str, ...]
    """The versions exported, in version order."""
    cite: Citation
    """The registered model's richest copy; the first version's when only versions came."""
    used_by: tuple[str, ...] = ()
    """Model versions (``name@version``) whose logged model or run links the prompt
    (MLflow's ``mlflow.linkedPrompts`` tag): the GenAI systems that use it."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One version of a registered model."""

    name: str
    version: str
    created: datetime | None
    updated: datetime | None
    stage: str | None
    """``Production``, ``Staging``, ``Archived``, or None (MLflow's literal ``"None"``)."""
    description: str
    source: str
    run_id: str | None
    """The MLflow run that produced it: the version's own ``run_id``, else from ``runs:/``."""
    logged_model_id: str | None
    """The MLflow 3 logged model (``models:/m-...`` source), if any."""
    status: str
    tags: dict[str, str]
    aliases: tuple[str, ...]
    cite: Citation

    @property
    def key(self) -> str:
        """``name@version``, the way subjects are named everywhere."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class RunDatasetInput:
    """A dataset an MLflow run logged as input (``run.inputs.dataset_inputs[]``)."""

    name: str
    digest: str
    source_type: str
    source: dict[str, Any]
    """The decoded ``source`` JSON (MLflow encodes it as a string)."""
    source_uri: str | None
    schema: tuple[Column, ...]
    profile: dict[str, Any]
    context: str | None
    """``training``, ``evaluation``... from the input tag ``mlflow.data.context``."""
    tags: dict[str, str]
    cite: Citation


@dataclass(frozen=True, slots=True)
class MlflowRun:
    """An MLflow run (``runs/get`` or a ``runs/search`` page)."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start: datetime | None
    end: datetime | None
    metrics: dict[str, float]
    """Latest value per metric key (by step, then timestamp)."""
    params: dict[str, str]
    tags: dict[str, str]
    dataset_inputs: tuple[RunDatasetInput, ...]
    model_outputs: tuple[str, ...]
    """Logged-model ids this run produced (MLflow 3)."""
    cite: Citation


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """An MLflow 3 logged model (``logged-models/get|search``)."""

    model_id: str
    experiment_id: str
    name: str
    source_run_id: str | None
    created: datetime | None
    status: str
    artifact_uri: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]
    model_versions: tuple[tuple[str, str], ...]
    """Registered (name, version) pairs from the ``mlflow.modelVersions`` tag, de-duplicated."""
    cite: Citation


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """A model signature read from an ``MLmodel`` file."""

    model_id: str | None
    run_id: str | None
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    created: datetime | None
    mlflow_version: str
    cite: Citation


# ---------------------------------------------------------------- OpenLineage


@dataclass(frozen=True, slots=True, order=True)
class QualifiedName:
    """OpenLineage identity of a dataset or a job: ``(namespace, name)``, shown ``namespace:name``."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}:{self.name}"


@dataclass(frozen=True, slots=True)
class QualityAssertion:
    """One data-quality assertion from the ``dataQualityAssertions`` facet."""

    assertion: str
    success: bool
    column: str | None


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """A dataset as one run read or wrote it."""

    dataset: QualifiedName
    version: str | None
    """From the ``version`` dataset facet; None when the run did not pin one."""
    schema: tuple[Column, ...]
    dataset_type: str | None
    column_lineage: dict[str, Any]
    """Output column to its input fields, as in the ``columnLineage`` facet's ``fields``."""
    quality_assertions: tuple[QualityAssertion, ...]
    facets: tuple[str, ...]
    """The names of every facet written for it (dataset, input and output facets), unknown
    ones included; the cited events hold them as written."""
    cite: Citation
    context: str | None = None
    """For an MLflow dataset input: its context (``training``, ``evaluation``...)."""


@dataclass(frozen=True, slots=True)
class LineageRun:
    """An OpenLineage run, folded from all its events (last state wins by ``eventTime``)."""

    run_id: str
    job: QualifiedName
    """The job's ``(namespace, name)``."""
    state: str
    """Last ``eventType`` by ``eventTime``: START, RUNNING, COMPLETE, FAIL, ABORT, OTHER."""
    started: datetime | None
    ended: datetime | None
    last_event: datetime | None
    parent_run_id: str | None
    parent_job: QualifiedName | None
    inputs: tuple[DatasetUse, ...]
    outputs: tuple[DatasetUse, ...]
    run_facets: tuple[str, ...]
    """The names of the run facets its events wrote; the cited events hold them as written."""
    job_facets: tuple[str, ...]
    """The names of the job facets its events wrote."""
    job_type: str | None
    """From the ``jobType`` job facet, e.g. ``DAG``, ``TASK``, ``TRAINING``, ``SERVING``."""
    error_message: str | None
    tags: dict[str, str]
    """From the ``tags`` run facet (key to value)."""
    mlflow_run_id: str | None
    """From the tag ``mlflow.run_id``: the MLflow run this OpenLineage run is."""
    events: tuple[Citation, ...]
    cite: Citation
    """The last event's citation."""


@dataclass(frozen=True, slots=True)
class LineageJob:
    """An OpenLineage job and the runs seen for it."""

    job: QualifiedName
    job_type: str | None
    description: str
    owners: tuple[str, ...]
    run_ids: tuple[str, ...]
    cite: Citation


@dataclass(frozen=True, slots=True)
class Dataset:
    """An OpenLineage dataset across all runs, with every version seen."""

    id: QualifiedName
    versions: tuple[str, ...]
    schema: tuple[Column, ...]
    """The latest schema seen."""
    dataset_type: str | None
    description: str
    owners: tuple[str, ...]
    cite: Citation


# ---------------------------------------------------------------- Evidently


@dataclass(frozen=True, slots=True)
class DatasetDrift:
    """Dataset-level drift: share of drifted columns against the configured share."""

    drifted_columns: int
    share: float
    threshold: float
    drifted: bool
    cite: Citation


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """Drift of one column: the score, the method, its threshold and the verdict."""

    column: str
    method: str
    score: float
    threshold: float
    drifted: bool
    decided_by: str
    """``test`` (the linked test's status), ``method`` (p-value below / distance above the
    threshold) or ``unknown`` (neither could decide; ``drifted`` is then False, with a warning)."""
    cite: Citation


class TestArea(StrEnum):
    """What an Evidently test is about, from the class of the metric it tests."""

    DRIFT = "drift"
    """Drift of production data against the reference data (ValueDrift, DriftedColumnsCount)."""
    DATA_QUALITY = "data_quality"
    """The data themselves: missing values, duplicates, constant or empty columns, value ranges,
    row and column counts, statistics of a column."""
    MODEL_QUALITY = "model_quality"
    """The model's quality on labelled production data: classification (accuracy, precision,
    recall, F1, ROC AUC, FPR, FNR...) and regression (RMSE, MAE, MAPE, R2...) metrics."""
    OTHER = "other"
    """Any other metric (text descriptors, ranking, a custom metric)."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """One Evidently test result."""

    name: str
    description: str
    status: str
    """SUCCESS, FAIL, WARNING, ERROR, SKIPPED as Evidently writes it."""
    metric_id: str | None
    cite: Citation
    test_type: str = ""
    """The test class, e.g. ``evidently:test_v2:EqualMetricTest`` ("" when not written)."""
    metric_type: str = ""
    """The tested metric's class, e.g. ``evidently:metric_v2:FNR`` ("" when not written)."""
    area: TestArea = TestArea.OTHER
    """What the test is about, from :attr:`metric_type`."""
    column: str | None = None
    """The column the tested metric is about, if it is about one."""


@dataclass(frozen=True, slots=True)
class QualityMetric:
    """A model-quality metric measured on production data (Evidently's classification or
    regression metrics), in mldossier's own names."""

    name: str
    """``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc``, ``log_loss``, ``tpr``,
    ``tnr``, ``fpr``, ``fnr``, ``rmse``, ``mae``, ``mape``, ``mean_error``, ``r2``,
    ``max_abs_error``."""
    metric_type: str
    """The Evidently class, e.g. ``evidently:metric_v2:F1Score``."""
    value: float
    higher_is_better: bool
    cite: Citation


@dataclass(frozen=True, slots=True)
class MonitoringReport:
    """An Evidently report (``snapshot.json()`` form or a full snapshot)."""

    name: str
    model_name: str | None
    model_version: str | None
    linked_by: str
    """How the model was found: ``metadata``, ``folder`` or ``""`` (unlinked)."""
    timestamp: datetime | None
    """Timezone-aware (UTC when the source gave none); None when undated."""
    timestamp_source: str
    """``snapshot``, ``filename`` or ``none``."""
    form: str
    """``snapshot`` (``snapshot.json()``) or ``full`` (``snapshot.dumps()``)."""
    tags: tuple[str, ...]
    dataset_drift: DatasetDrift | None
    column_drift: tuple[ColumnDrift, ...]
    tests: tuple[TestOutcome, ...]
    cite: Citation
    quality: tuple[QualityMetric, ...] = ()
    """The model-quality metrics it measured, in report order."""
    data_metrics: int = 0
    """How many of its metrics are about the data themselves (missing values, duplicates,
    counts, ranges...)."""
    reference: bool = False
    """Whether it compares production data with reference data: it holds drift results, or
    a test whose expected value comes from the reference (Evidently's ``Reference()``)."""

    @property
    def undated(self) -> bool:
        """True when neither the snapshot nor the file name gives a date."""
        return self.timestamp is None

    @property
    def monitors(self) -> bool:
        """Whether it is evidence of drift or accuracy monitoring: it compares production data
        with reference data (drift) or measures the model's quality. A summary of current data
        alone is neither."""
        measured = self.dataset_drift is not None or bool(self.column_drift or self.quality)
        return (
            self.reference
            or measured
            or any(t.area in (TestArea.DRIFT, TestArea.MODEL_QUALITY) for t in self.tests)
        )


# ---------------------------------------------------------------- sign-offs


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a sign-off points at, inside the evidence folder, with its hash."""

    path: str
    size: int
    sha256: str


class EvidenceStrength(StrEnum):
    """How much a sign-off proves about who made it (audit practice: label every approval)."""

    ASSERTED = "asserted"
    """The file says who signed; nothing checks it (no signature, or none the project trusts)."""
    AUTHENTICATED = "authenticated"
    """A good SSH signature over the file's bytes, by a key ``allowed_signers`` trusts for
    the principal in :attr:`SignOff.identity`."""


@dataclass(frozen=True, slots=True)
class SignOff:
    """A human sign-off or governance document in mldossier's own YAML format."""

    id: str
    kind: str
    system: str
    version: str | None
    title: str
    statement: str
    signed_by: str
    """Who signed, as the file names them: free text, never compared as an identity."""
    role: str
    date: dt.date
    expires: dt.date | None
    attachments: tuple[Attachment, ...]
    cite: Citation
    anomalies: tuple[str, ...] = ()
    """Ids of the anomalies it triages (``drift:<report file>``, ``skew:<system@version>``)."""
    evidence_strength: EvidenceStrength = EvidenceStrength.ASSERTED
    """``authenticated`` only with a good signature by a trusted key; else ``asserted``."""
    identity: str | None = None
    """The authenticated principal (as ``allowed_signers`` names it, e.g. an e-mail
    address); None unless ``authenticated``. Compare these, not ``signed_by``, for
    segregation of duties."""
    signature: Citation | None = None
    """The detached signature file ``<sign-off>.sig`` (path and SHA-256), if there is one."""
    signing_key: str = ""
    """Fingerprint of the key that made the signature (``SHA256:...``); "" without one."""
    strength_note: str = ""
    """Why a signed sign-off is still only ``asserted`` (no trusted key, no
    ``allowed_signers``); "" otherwise."""

    @property
    def subject(self) -> str:
        """``system`` or ``system@version``."""
        return self.system if self.version is None else f"{self.system}@{self.version}"


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted exception: a control's failure for one subject, justified and time-bound."""

    id: str
    control: str
    subject: str
    """``system``, ``system@version``, or ``*`` for every subject of the control."""
    justification: str
    owner: str
    approver: str
    compensating_control: str
    granted: dt.date
    expires: dt.date
    cite: Citation


@dataclass(frozen=True, slots=True)
class AllowedSigners:
    """The OpenSSH ``allowed_signers`` file the project trusts, as it was read."""

    path: str
    """As ``mldossier.yaml`` names it (relative to the config file), with forward slashes."""
    size: int
    sha256: str
    principals: tuple[str, ...]
    """Every principal pattern it lists, sorted, each once."""


# ---------------------------------------------------------------- the bundle


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A record that could not be tied to the rest: kept, reported, never dropped."""

    kind: str
    key: str
    reason: str
    cite: Citation


class LinkBasis(StrEnum):
    """Why an OpenLineage run is taken for the run that trained a model, strongest first."""

    TAG = "tag"
    """A tag names the other run: ``mlflow.run_id`` on the OpenLineage run, or
    ``openlineage.run_id`` on the MLflow run (``linking.*_run_tag``)."""
    OUTPUT = "output"
    """The OpenLineage run wrote the model: ``models:/<name>/<version>`` (or the logged model's
    ``models:/m-<id>``), or the version's source or artifact location, as an output dataset."""
    DATASET_TIME = "dataset+time"
    """The OpenLineage run read every dataset the MLflow run logged as an input, and the MLflow
    run started and ended inside the OpenLineage run; no other run matches as well."""


LINK_BASES = (LinkBasis.TAG, LinkBasis.OUTPUT, LinkBasis.DATASET_TIME)
"""The bases in the order they are preferred: the first one that applies to a run is its link."""


@dataclass(frozen=True, slots=True)
class RunLink:
    """An OpenLineage run linked to the MLflow run that trained a model version, and why."""

    mlflow_run_id: str | None
    """The MLflow run; None for an ``output`` link of a version with no MLflow run recorded."""
    lineage_run_id: str
    job: QualifiedName
    """The OpenLineage run's job."""
    basis: LinkBasis
    detail: str
    """What matched, in words: the tag, the model dataset written, the datasets and times."""
    cite: Citation
    """The OpenLineage run's record."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (the ``links`` of results.json and of the lineage command)."""
        return {
            "mlflow_run_id": self.mlflow_run_id,
            "lineage_run_id": self.lineage_run_id,
            "job": str(self.job),
            "basis": str(self.basis),
            "detail": self.detail,
            "citation": self.cite.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything read from one evidence folder, validated and linked."""

    root: str
    files: tuple[SourceFile, ...]
    experiments: tuple[Experiment, ...] = ()
    registered_models: tuple[RegisteredModel, ...] = ()
    model_versions: tuple[ModelVersion, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    """Registered models that are prompts, left out of the two above (not AI systems)."""
    mlflow_runs: tuple[MlflowRun, ...] = ()
    logged_models: tuple[LoggedModel, ...] = ()
    signatures: tuple[ModelSignature, ...] = ()
    lineage_runs: tuple[LineageRun, ...] = ()
    lineage_jobs: tuple[LineageJob, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    reports: tuple[MonitoringReport, ...] = ()
    signoffs: tuple[SignOff, ...] = ()
    unlinked: tuple[Unlinked, ...] = ()
    run_links: tuple[RunLink, ...] = ()
    """MLflow run ↔ OpenLineage run links found by linking, each with its basis."""
    waivers: tuple[Waiver, ...] = ()
    allowed_signers: AllowedSigners | None = None
    """The trusted signers' file (``signatures.allowed_signers``), None when none is set."""
    not_read: tuple[SourceFile, ...] = ()
    """The other files of the folder, by path: ``ignored`` and ``not_evidence`` ones."""
    export_errors: tuple[ExportError, ...] = ()
    """The calls the export itself records as failed, by file and pointer."""
    unavailable: tuple[Unavailable, ...] = ()
    """The objects the export records it could not get for known versions, by file and
    pointer: each makes the checks that needed it ``not_evidenced``."""
    warnings: tuple[Any, ...] = field(default=())
    """Problems of severity ``warning`` (:class:`mldossier.errors.Problem`)."""
    quarantined: tuple[Any, ...] = field(default=())
    """With ``--quarantine``: the invalid input left out (:class:`mldossier.errors.Problem`
    of severity ``error``, by file and pointer), instead of stopping the run."""


# ---------------------------------------------------------------- pickling, fast


def _fast_pickling(cls: type) -> None:
    """Give a slotted frozen dataclass a pickle state that is made and restored mostly in C.

    The build cache pickles millions of these records (a year of lineage runs, each with
    its dataset uses and event citations). ``dataclasses``' own ``__getstate__`` and
    ``__setstate__`` for slotted classes call ``fields()`` for every object, which costs
    more than the rest of pickling; these read the field names once, get the values with
    ``operator.attrgetter`` and set them through the slots' own descriptors (which a frozen
    class's ``__setattr__`` does not guard). The state is the tuple of field values.
    """
    names = tuple(f.name for f in fields(cls))
    values = operator.attrgetter(*names)
    setters = tuple(cls.__dict__[name].__set__ for name in names)

    if len(names) == 1:

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return (values(self),)
    else:

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return values(self)

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for setter, value in zip(setters, state, strict=True):
            setter(self, value)

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 - replacing dataclasses' own
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010


for _record in list(globals().values()):
    if (
        isinstance(_record, type)
        and _record.__module__ == __name__
        and is_dataclass(_record)
        and "__slots__" in vars(_record)
    ):
        _fast_pickling(_record)
del _record
