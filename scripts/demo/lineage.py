"""OpenLineage events of Northwind's pipelines, emitted with the real client's file transport.

Each model version has one pipeline run (a DAG run with ingest, feature and training task
runs); each served version has a long-running serving run. Events are collected, sorted by
their (fixed) event times and written in that order, one JSON object a line, by
``FileTransport`` in append mode.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import sklearn
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    dataset_type_dataset,
    dataset_version_dataset,
    datasource_dataset,
    documentation_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_dataset,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    source_code_location_job,
    storage_dataset,
    tags_run,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.uuid import generate_static_uuid

from .data import Tables
from .story import (
    JOB_NAMESPACE,
    MODEL_NAMESPACE,
    REPO_URL,
    STREAM_NAMESPACE,
    SystemPlan,
    VersionPlan,
)

PRODUCER = "https://git.northwind.example/ml/pipelines/tree/main/northwind_lineage"
FILE_NAMESPACE = "file"


def run_id(instant: datetime, key: str) -> str:
    """A stable UUIDv7 for a run: the same plan always gives the same id."""
    return str(generate_static_uuid(instant, key.encode()))


def training_job(system: SystemPlan) -> str:
    """Name of the training task of a system's DAG."""
    return f"{system.dag}.train_{system.name.replace('-', '_')}"


TRAINING_MINUTES = 25
"""How long a training task runs, from its START to its COMPLETE event."""


def training_start(system: SystemPlan, version: VersionPlan) -> datetime:
    """When a version's training task starts: after each ingest attempt and the feature task.

    The MLflow run and the registration happen inside this task (see ``tracking.py``).
    """
    attempts = sum(len(version.ingest_attempts.get(key, ("COMPLETE",))) for key in system.raw_paths)
    return version.trained + timedelta(minutes=1 + 6 * attempts + 6)


def training_run_id(system: SystemPlan, version: VersionPlan) -> str:
    """The OpenLineage run id of a version's training task (also tagged on the MLflow run)."""
    return run_id(version.trained, f"{training_job(system)}:{version.version}")


def model_dataset(system: SystemPlan, version: str) -> str:
    """The OpenLineage dataset name that is this model version."""
    return f"models:/{system.name}/{version}"


@dataclass(frozen=True)
class WrittenFile:
    """A table written to disk by the pipeline: its logical path, content hash and size."""

    path: str
    """Logical path, e.g. ``/data/northwind/raw/credit_applications.parquet``."""
    sha256: str
    size: int
    frame: pd.DataFrame = field(repr=False, compare=False)


@dataclass(frozen=True)
class PipelineFiles:
    """The files one pipeline run produced or read."""

    landing: dict[str, WrittenFile]
    raw: dict[str, WrittenFile]
    features: WrittenFile


@dataclass(frozen=True)
class TrainedModel:
    """What MLflow recorded for a version, as the lineage needs it."""

    mlflow_run_id: str
    experiment_id: str
    model_id: str
    estimator: str
    metrics: dict[str, float]


@dataclass
class LineageLog:
    """Collects events, then writes them in event-time order with the real client."""

    events: list[RunEvent] = field(default_factory=list)

    def add(self, event: RunEvent) -> None:
        """Queue one event."""
        self.events.append(event)

    def write(self, path: Path) -> int:
        """Emit every queued event to ``path`` (NDJSON, append mode); returns the count."""
        path.parent.mkdir(parents=True, exist_ok=True)
        client = OpenLineageClient(
            transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
        )
        ordered = sorted(self.events, key=lambda e: (e.eventTime, e.job.name, e.run.runId))
        for event in ordered:
            client.emit(event)
        return len(ordered)


# ---------------------------------------------------------------- facets


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def schema_facet(
    columns: Iterable[tuple[str, str]], descriptions: dict[str, str] | None = None
) -> schema_dataset.SchemaDatasetFacet:
    """The schema facet from (name, type) pairs, with positions and optional descriptions."""
    notes = descriptions or {}
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=name, type=kind, description=notes.get(name), ordinal_position=i
            )
            for i, (name, kind) in enumerate(columns, start=1)
        ]
    )


def frame_columns(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(name, pandas dtype) for each column, as a pipeline would report them."""
    return [(str(c), str(t)) for c, t in frame.dtypes.items()]


def version_facet(sha256: str) -> dataset_version_dataset.DatasetVersionDatasetFacet:
    """The dataset version facet: the SHA-256 of the file's bytes."""
    return dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=sha256)


def quality_metrics(
    file: WrittenFile, as_of: datetime
) -> data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet:
    """Column profile of a table as read (row count, nulls, distinct values, quantiles)."""
    metrics: dict[str, data_quality_metrics_input_dataset.ColumnMetrics] = {}
    for column in file.frame.columns:
        series = file.frame[column]
        if not pd.api.types.is_numeric_dtype(series):
            metrics[str(column)] = data_quality_metrics_input_dataset.ColumnMetrics(
                nullCount=int(series.isna().sum()),
                distinctCount=int(series.nunique()),
                count=float(series.count()),
            )
            continue
        q = series.quantile([0.25, 0.5, 0.75])
        metrics[str(column)] = data_quality_metrics_input_dataset.ColumnMetrics(
            nullCount=int(series.isna().sum()),
            distinctCount=int(series.nunique()),
            sum=round(float(series.sum()), 6),
            count=float(series.count()),
            min=float(series.min()),
            max=float(series.max()),
            quantiles={str(k): round(float(v), 6) for k, v in q.items()},
        )
    return data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics=metrics,
        rowCount=len(file.frame),
        bytes=file.size,
        fileCount=1,
        lastUpdated=_iso(as_of),
    )


def quality_assertions(
    frame: pd.DataFrame, target: str
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    """Assertions the feature job really evaluates on the table it wrote."""
    A = data_quality_assertions_dataset.Assertion
    rows = len(frame)
    share = float(frame[target].mean())
    assertions = [
        A(
            assertion="row_count_ge",
            success=rows >= 1000,
            expected="1000",
            actual=str(rows),
            severity="error",
        )
    ]
    for column in frame.columns:
        nulls = int(frame[column].isna().sum())
        assertions.append(
            A(
                assertion="not_null",
                success=nulls == 0,
                column=str(column),
                actual=str(nulls),
                expected="0",
            )
        )
    assertions.append(
        A(
            assertion="target_share_between",
            success=0.005 <= share <= 0.6,
            column=target,
            expected="[0.005, 0.6]",
            actual=f"{share:.4f}",
            severity="warn",
        )
    )
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(assertions=assertions)


def owners_job(names: Iterable[str]) -> ownership_job.OwnershipJobFacet:
    """Job ownership: the first owner is the team, the rest maintainers."""
    names = list(names)
    return ownership_job.OwnershipJobFacet(
        owners=[
            ownership_job.Owner(name=n, type="team" if n.startswith("team:") else "maintainer")
            for n in names
        ]
    )


def owners_dataset(names: Iterable[str]) -> ownership_dataset.OwnershipDatasetFacet:
    """Dataset ownership."""
    return ownership_dataset.OwnershipDatasetFacet(
        owners=[
            ownership_dataset.Owner(name=n, type="team" if n.startswith("team:") else "steward")
            for n in names
        ]
    )


def job_type(kind: str, processing: str = "BATCH") -> job_type_job.JobTypeJobFacet:
    """The jobType facet."""
    return job_type_job.JobTypeJobFacet(
        processingType=processing, integration="CUSTOM", jobType=kind
    )


def source_code(path: str, commit: str) -> source_code_location_job.SourceCodeLocationJobFacet:
    """Where the job's code lives, at the commit that ran."""
    return source_code_location_job.SourceCodeLocationJobFacet(
        type="git",
        url=f"https://git.northwind.example/ml/pipelines/blob/{commit}/{path}",
        repoUrl=REPO_URL,
        path=path,
        version=commit,
        branch="main",
    )


def parent_facet(parent: str, parent_job: str) -> parent_run.ParentRunFacet:
    """Links a task run to its DAG run (which is also the root)."""
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent),
        job=parent_run.Job(namespace=JOB_NAMESPACE, name=parent_job),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=parent),
            job=parent_run.RootJob(namespace=JOB_NAMESPACE, name=parent_job),
        ),
    )


def run_tags(pairs: dict[str, str], source: str = "NORTHWIND") -> tags_run.TagsRunFacet:
    """The tags run facet (the client appends its own version tag)."""
    return tags_run.TagsRunFacet(
        tags=[tags_run.TagsRunFacetFields(key=k, value=v, source=source) for k, v in pairs.items()]
    )


def nominal(start: datetime, hours: int = 1) -> nominal_time_run.NominalTimeRunFacet:
    """The scheduled window of a DAG run."""
    return nominal_time_run.NominalTimeRunFacet(
        nominalStartTime=_iso(start), nominalEndTime=_iso(start + timedelta(hours=hours))
    )


def engine(name: str, version: str) -> processing_engine_run.ProcessingEngineRunFacet:
    """What executed the run."""
    return processing_engine_run.ProcessingEngineRunFacet(
        version=version, name=name, openlineageAdapterVersion="1.54.0"
    )


def error(message: str, stack: str) -> error_message_run.ErrorMessageRunFacet:
    """The error a failed run reports."""
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage="python", stackTrace=stack
    )


def column_lineage(
    system: SystemPlan, tables: Tables, raw_names: dict[str, str]
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Column lineage of the feature table, from the derivations the feature code applies."""
    C = column_lineage_dataset

    def field_of(
        key: str,
        column: str,
        subtype: str,
        description: str,
        kind: str = "DIRECT",
        masking: bool = False,
    ) -> column_lineage_dataset.InputField:
        return C.InputField(
            namespace=FILE_NAMESPACE,
            name=raw_names[key],
            field=column,
            transformations=[
                C.Transformation(
                    type=kind, subtype=subtype, description=description or None, masking=masking
                )
            ],
        )

    fields = {
        feature: C.Fields(
            inputFields=[field_of(k, c, d.subtype, d.description) for k, c in d.inputs]
        )
        for feature, d in tables.derivations.items()
    }
    dataset = [
        field_of(k, c, "FILTER", why, "INDIRECT", masking=True)
        for (k, c), why in sorted(tables.dropped.items())
    ]
    dataset += [
        field_of(k, c, "FILTER", rule, "INDIRECT")
        for (k, c), rule in sorted(tables.filters.items())
    ]
    return C.ColumnLineageDatasetFacet(fields=fields, dataset=dataset)


def file_input(
    file: WrittenFile,
    source: tuple[str, str] | None = None,
    pinned: bool = True,
    metrics_at: datetime | None = None,
) -> InputDataset:
    """A file a run read, with schema, (optionally) version and data-quality metrics."""
    facets: dict = {"schema": schema_facet(frame_columns(file.frame))}
    if pinned:
        facets["version"] = version_facet(file.sha256)
    if source:
        facets["dataSource"] = datasource_dataset.DatasourceDatasetFacet(
            name=source[0], uri=source[1]
        )
    input_facets = {"dataQualityMetrics": quality_metrics(file, metrics_at)} if metrics_at else {}
    return InputDataset(
        namespace=FILE_NAMESPACE, name=file.path, facets=facets, inputFacets=input_facets
    )


def file_output(
    file: WrittenFile, extra: dict, description: str, owners: Iterable[str], source: tuple[str, str]
) -> OutputDataset:
    """A file a run wrote, with the usual facets plus ``extra``."""
    facets: dict = {
        "schema": schema_facet(frame_columns(file.frame)),
        "version": version_facet(file.sha256),
        "dataSource": datasource_dataset.DatasourceDatasetFacet(name=source[0], uri=source[1]),
        "storage": storage_dataset.StorageDatasetFacet(
            storageLayer="local", fileFormat=Path(file.path).suffix[1:]
        ),
        "documentation": documentation_dataset.DocumentationDatasetFacet(description=description),
        "ownership": owners_dataset(owners),
        **extra,
    }
    return OutputDataset(
        namespace=FILE_NAMESPACE,
        name=file.path,
        facets=facets,
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=len(file.frame), size=file.size, fileCount=1
            )
        },
    )


# ---------------------------------------------------------------- events


def _event(
    kind: RunState,
    when: datetime,
    job: str,
    job_facets: dict,
    run: str,
    run_facets: dict,
    inputs: list[InputDataset] | None = None,
    outputs: list[OutputDataset] | None = None,
) -> RunEvent:
    return RunEvent(
        eventType=kind,
        eventTime=_iso(when),
        producer=PRODUCER,
        run=Run(runId=run, facets=dict(run_facets)),
        job=Job(namespace=JOB_NAMESPACE, name=job, facets=dict(job_facets)),
        inputs=list(inputs or []),
        outputs=list(outputs or []),
    )


@dataclass(frozen=True)
class Failure:
    """How an ingest attempt failed."""

    message: str
    stack: str


TRANSACTIONS_TIMEOUT = Failure(
    "ConnectionError: SFTP read from processor.cards.example timed out after 300 s",
    "Traceback (most recent call last):\n"
    '  File "/opt/northwind/pipelines/fraud/ingest.py", line 58, in main\n'
    "    frame = read_landing(source)\n"
    '  File "/opt/northwind/pipelines/common/landing.py", line 41, in read_landing\n'
    "    raw = sftp.fetch(source.remote_path, timeout=300)\n"
    '  File "/opt/northwind/pipelines/common/sftp.py", line 77, in fetch\n'
    '    raise ConnectionError(f"SFTP read from {self.host} timed out after {timeout} s")\n'
    "ConnectionError: SFTP read from processor.cards.example timed out after 300 s\n",
)

CHARGEBACKS_INCOMPLETE = Failure(
    "AssertionError: post-load check failed: chargebacks cover transactions up to 2026-07-19, "
    "expected up to 2026-07-31",
    "Traceback (most recent call last):\n"
    '  File "/opt/northwind/pipelines/fraud/ingest.py", line 91, in main\n'
    "    check_coverage(frame, until=run_date - timedelta(days=3))\n"
    '  File "/opt/northwind/pipelines/common/checks.py", line 23, in check_coverage\n'
    '    raise AssertionError(f"post-load check failed: chargebacks cover transactions up to "\n'
    "AssertionError: post-load check failed: chargebacks cover transactions up to 2026-07-19, "
    "expected up to 2026-07-31\n",
)

FAILURES = {"transactions": TRANSACTIONS_TIMEOUT, "chargebacks": CHARGEBACKS_INCOMPLETE}


def pipeline_events(
    log: LineageLog,
    system: SystemPlan,
    version: VersionPlan,
    tables: Tables,
    files: PipelineFiles,
    trained: TrainedModel,
    last_good_raw: dict[str, WrittenFile],
) -> dict[str, WrittenFile]:
    """The DAG run that built the features and trained one version; returns the raw files in use.

    ``last_good_raw`` is what each raw table was after the previous successful ingest: a
    failed ingest leaves it unchanged and the feature job reads that older version.
    """
    t = version.trained
    dag_run = run_id(t, f"{system.dag}:{version.version}")
    dag_facets = {
        "jobType": job_type("DAG"),
        "documentation": documentation_job.DocumentationJobFacet(
            description=f"Scheduled pipeline of {system.name}: ingest, features, training."
        ),
        "ownership": owners_job(system.owners),
    }
    log.add(
        _event(
            RunState.START,
            t,
            system.dag,
            dag_facets,
            dag_run,
            {
                "nominalTime": nominal(t),
                "processing_engine": engine("python", platform.python_version()),
            },
        )
    )
    child = {"parent": parent_facet(dag_run, system.dag)}
    cursor = t + timedelta(minutes=1)
    in_use = dict(last_good_raw)
    any_failed = False
    for key, (landing_path, _) in system.raw_paths.items():
        job = f"{system.dag}.ingest_{Path(landing_path).stem}"
        job_facets = {
            "jobType": job_type("TASK"),
            "documentation": documentation_job.DocumentationJobFacet(
                description=f"Copies {Path(landing_path).name} from the landing zone into the "
                "raw zone as parquet, unchanged."
            ),
            "ownership": owners_job(system.owners),
            "sourceCodeLocation": source_code(f"{system.dag}/ingest.py", version.git_commit),
        }
        attempts = version.ingest_attempts.get(key, ("COMPLETE",))
        landing = files.landing[key]
        raw = files.raw[key]
        src = ("landing-zone", "file:///data/northwind/landing")
        for number, outcome in enumerate(attempts, start=1):
            rid = run_id(cursor, f"{job}:{version.version}:{number}")
            tags = run_tags({"attempt": str(number)})
            reading = [file_input(landing, src)]
            writing = [
                file_output(
                    raw,
                    {"columnLineage": identity_lineage(landing, raw)},
                    f"Raw copy of {Path(landing_path).name}.",
                    system.owners,
                    ("raw-zone", "file:///data/northwind/raw"),
                )
            ]
            # Declared before anything is written: the target, with no version yet.
            planned = [OutputDataset(namespace=FILE_NAMESPACE, name=raw.path)]
            log.add(
                _event(
                    RunState.START,
                    cursor,
                    job,
                    job_facets,
                    rid,
                    {**child, "tags": tags, "nominalTime": nominal(t)},
                    reading,
                    planned,
                )
            )
            if outcome in ("FAIL", "FAIL_AFTER_WRITE"):
                failure = FAILURES[key]
                # FAIL_AFTER_WRITE: the file was written, then a post-load check failed; the
                # file stays and downstream tasks (trigger rule all_done) read it.
                partial = outcome == "FAIL_AFTER_WRITE"
                log.add(
                    _event(
                        RunState.FAIL,
                        cursor + timedelta(minutes=5),
                        job,
                        job_facets,
                        rid,
                        {
                            **child,
                            "tags": tags,
                            "errorMessage": error(failure.message, failure.stack),
                        },
                        reading,
                        writing if partial else planned,
                    )
                )
                if partial:
                    in_use[key] = raw
                any_failed = True
            else:
                log.add(
                    _event(
                        RunState.COMPLETE,
                        cursor + timedelta(minutes=3),
                        job,
                        job_facets,
                        rid,
                        {**child, "tags": tags},
                        reading,
                        writing,
                    )
                )
                in_use[key] = raw
            cursor += timedelta(minutes=6)
    feature_job = f"{system.dag}.build_features"
    feature_facets = {
        "jobType": job_type("TASK"),
        "documentation": documentation_job.DocumentationJobFacet(
            description=f"Builds the {system.name} feature table from the raw zone."
        ),
        "ownership": owners_job(system.owners),
        "sourceCodeLocation": source_code(f"{system.dag}/features.py", version.git_commit),
    }
    raw_source = ("raw-zone", "file:///data/northwind/raw")
    reading = [
        file_input(in_use[k], raw_source, metrics_at=cursor if system.quality_checks else None)
        for k in system.raw_paths
    ]
    extra: dict = {
        "columnLineage": column_lineage(
            system, tables, {k: in_use[k].path for k in system.raw_paths}
        )
    }
    if system.quality_checks:
        extra["dataQualityAssertions"] = quality_assertions(files.features.frame, system.target)
    feature_out = file_output(
        files.features,
        extra,
        f"Feature table of {system.name}; label column {system.target}.",
        system.owners,
        ("feature-store", "file:///data/northwind/features"),
    )
    frid = run_id(cursor, f"{feature_job}:{version.version}")
    log.add(
        _event(
            RunState.START,
            cursor,
            feature_job,
            feature_facets,
            frid,
            {**child, "nominalTime": nominal(t)},
            reading,
        )
    )
    log.add(
        _event(
            RunState.COMPLETE,
            cursor + timedelta(minutes=4),
            feature_job,
            feature_facets,
            frid,
            child,
            reading,
            [feature_out],
        )
    )
    cursor += timedelta(minutes=6)
    if cursor != training_start(system, version):
        raise RuntimeError(f"{system.name} v{version.version}: training_start is out of step")

    train_job = training_job(system)
    train_facets = {
        "jobType": job_type("TRAINING"),
        "documentation": documentation_job.DocumentationJobFacet(
            description=f"Trains {system.name} ({trained.estimator}) with scikit-learn, logs it "
            "to MLflow and registers the version."
        ),
        "ownership": owners_job(system.owners),
        "sourceCodeLocation": source_code(f"{system.dag}/train.py", version.git_commit),
    }
    features_in = file_input(
        files.features,
        None,
        pinned=system.pin_training_input,
        metrics_at=cursor if system.quality_checks else None,
    )
    if system.quality_checks:
        # The training task re-runs the feature table's assertions before fitting.
        features_in.facets["dataQualityAssertions"] = quality_assertions(
            files.features.frame, system.target
        )
    model_out = OutputDataset(
        namespace=MODEL_NAMESPACE,
        name=model_dataset(system, version.version),
        facets={
            "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
                datasetType="MODEL", subType=f"sklearn.{trained.estimator}"
            ),
            "version": version_facet(trained.model_id),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=f"MLflow logged model {trained.model_id}, registered as "
                f"{system.name} version {version.version}."
            ),
            "ownership": owners_dataset(system.owners),
        },
    )
    tags = run_tags(
        {
            "mlflow.run_id": trained.mlflow_run_id,
            "mlflow.experiment_id": trained.experiment_id,
            "mlflow.model_id": trained.model_id,
        },
        source="MLFLOW",
    )
    train_run = training_run_id(system, version)
    run_facets = {
        **child,
        "tags": tags,
        "processing_engine": engine("scikit-learn", sklearn.__version__),
    }
    log.add(
        _event(
            RunState.START,
            cursor,
            train_job,
            train_facets,
            train_run,
            {**run_facets, "nominalTime": nominal(t)},
            [features_in],
        )
    )
    log.add(
        _event(
            RunState.COMPLETE,
            cursor + timedelta(minutes=TRAINING_MINUTES),
            train_job,
            train_facets,
            train_run,
            run_facets,
            [features_in],
            [model_out],
        )
    )
    end = cursor + timedelta(minutes=27)
    log.add(
        _event(
            RunState.FAIL if any_failed else RunState.COMPLETE,
            end,
            system.dag,
            dag_facets,
            dag_run,
            {"nominalTime": nominal(t)},
        )
    )
    return in_use


def identity_lineage(
    source: WrittenFile, target: WrittenFile
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Every column copied unchanged."""
    C = column_lineage_dataset
    return C.ColumnLineageDatasetFacet(
        fields={
            str(c): C.Fields(
                inputFields=[
                    C.InputField(
                        namespace=FILE_NAMESPACE,
                        name=source.path,
                        field=str(c),
                        transformations=[
                            C.Transformation(type="DIRECT", subtype="IDENTITY", masking=False)
                        ],
                    )
                ]
            )
            for c in target.frame.columns
        }
    )


def serving_events(
    log: LineageLog, system: SystemPlan, version: VersionPlan, features: pd.DataFrame
) -> None:
    """The serving run of a version: START, a RUNNING heartbeat, COMPLETE once it stopped."""
    assert version.serving is not None
    start, end, heartbeat = version.serving
    job = f"{system.name}.serving"
    columns = list(system.serving_schema) or [
        (name, kind) for name, kind in frame_columns(features) if name != system.target
    ]
    namespace, name = system.serving_input
    source = (
        ("kafka", STREAM_NAMESPACE)
        if namespace == STREAM_NAMESPACE
        else ("feature-store", "file:///data/northwind/features")
    )
    requests = InputDataset(
        namespace=namespace,
        name=name,
        facets={
            "schema": schema_facet(columns),
            "dataSource": datasource_dataset.DatasourceDatasetFacet(name=source[0], uri=source[1]),
        },
    )
    model = InputDataset(namespace=MODEL_NAMESPACE, name=model_dataset(system, version.version))
    out_namespace, out_name = system.serving_output
    scores = OutputDataset(
        namespace=out_namespace,
        name=out_name,
        facets={"schema": schema_facet([("score", "float64"), ("model_version", "string")])},
    )
    online = system.serving_processing == "STREAMING"
    facets = {
        "jobType": job_type("SERVING", system.serving_processing),
        "documentation": documentation_job.DocumentationJobFacet(
            description=(
                f"Online scoring service of {system.name}: reads {name}, writes {out_name}."
                if online
                else f"Monthly batch scoring of {system.name}: scores {name}."
            )
        ),
        "ownership": owners_job(system.owners),
        "sourceCodeLocation": source_code(f"serving/{system.name}/app.py", version.git_commit),
    }
    rid = run_id(start, f"{job}:{version.version}")
    run_facets = {
        "tags": run_tags(
            {
                "model_uri": model_dataset(system, version.version),
                "deployment": "k8s/prod-eu-west" if online else "batch/monthly",
            }
        ),
        "processing_engine": engine("python", platform.python_version()),
    }
    io = ([model, requests], [scores])
    log.add(_event(RunState.START, start, job, facets, rid, run_facets, *io))
    if heartbeat is not None:
        log.add(_event(RunState.RUNNING, heartbeat, job, facets, rid, run_facets, *io))
    if end is not None:
        log.add(_event(RunState.COMPLETE, end, job, facets, rid, run_facets, *io))
