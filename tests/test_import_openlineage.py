"""The OpenLineage importer, on the real events written by openlineage-python 1.54.0."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES

from mldossier.config import Config, Linking
from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.openlineage import OpenLineageImporter
from mldossier.intake.importers.openlineage import facets as ol_facets
from mldossier.intake.importers.openlineage import validate as ol
from mldossier.model import Citation, Column, LineageRun, QualifiedName, QualityAssertion

SAMPLE = SAMPLES / "openlineage" / "events.ndjson"

DAG = QualifiedName("clinical-ml", "breast_cancer_training_dag")
INGEST = QualifiedName("clinical-ml", "breast_cancer_training_dag.ingest_raw_breast_cancer")
FEATURES_JOB = QualifiedName("clinical-ml", "breast_cancer_training_dag.feature_engineering")
TRAIN = QualifiedName("clinical-ml", "breast_cancer_training_dag.train_breast_cancer_model")
DAG_RUN = "01a21c7b-d70b-700d-b0b3-53fa2f7c3902"
INGEST_1 = "01a21c7b-d71a-705e-a0b0-807b01e8f9ee"
INGEST_2 = "01a21c7b-d73e-758b-a8e1-c7e5daf6c8d2"
FEATURES_RUN = "01a21c7b-d79e-76fa-9b11-c85945c889ea"
TRAIN_RUN = "01a21c7b-d7b6-7ac1-ac57-fe707a9a1e33"
LANDING = QualifiedName("file", "/data/clinical-ml/landing/wdbc_export.csv")
RAW = QualifiedName("file", "/data/clinical-ml/raw/breast_cancer_raw.parquet")
FEATURES = QualifiedName("file", "/data/clinical-ml/features/breast_cancer_features.parquet")
MODEL = QualifiedName("file", "/data/clinical-ml/model/model.skops")
NOWHERE = Citation("", "", "")
NOT_JSON_FIX = "(each line of an NDJSON file must be one complete JSON value)"

ENGINES = [pytest.param(True, id="jsonschema-rs"), pytest.param(False, id="jsonschema")]


def sample_events() -> list[dict[str, Any]]:
    """The ten real events, parsed, in file order."""
    return [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]


def write_ndjson(root: Path, events: list[Any], name: str = "events.ndjson") -> Path:
    path = root / "openlineage" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def load(root: Path, settings: Config | None = None, fast: bool = True) -> ImportResult:
    """Scan a folder and run the importer over what it claims, as the pipeline does."""
    if fast:
        pytest.importorskip("jsonschema_rs")
    found, problems = scan(root, Limits())
    importer = OpenLineageImporter(ImportContext(root, settings or Config()), fast=fast)
    result = ImportResult(problems=list(problems))
    for doc in found:
        if isinstance(doc, Document) and importer.detect(doc):
            importer.read(doc, result)
    importer.finish(result)
    return result


def runs_of(result: ImportResult) -> dict[str, LineageRun]:
    return {run.run_id: run for run in result.records.get("lineage_runs", [])}


def uncited(record: Any) -> Any:
    """A record without its citations, to compare what was read from different files."""
    if isinstance(record, LineageRun):
        return dataclasses.replace(
            record,
            events=(),
            cite=NOWHERE,
            inputs=tuple(dataclasses.replace(u, cite=NOWHERE) for u in record.inputs),
            outputs=tuple(dataclasses.replace(u, cite=NOWHERE) for u in record.outputs),
        )
    return dataclasses.replace(record, cite=NOWHERE)


def everything_uncited(result: ImportResult) -> dict[str, list[Any]]:
    return {kind: [uncited(r) for r in records] for kind, records in result.records.items()}


@pytest.fixture
def sample_result(tmp_path: Path) -> ImportResult:
    write_ndjson(tmp_path, SAMPLE.read_text("utf-8").splitlines())
    return load(tmp_path)


# ---------------------------------------------------------------- the real sample


def test_sample_folds_into_five_runs_without_problems(sample_result: ImportResult) -> None:
    # The sample holds five runIds (ten events): the DAG, two ingest attempts, features,
    # training. Lineage runs come sorted by job, then start time, then run id.
    assert sample_result.problems == []
    runs = sample_result.records["lineage_runs"]
    assert [(r.job, r.run_id, r.state) for r in runs] == [
        (DAG, DAG_RUN, "COMPLETE"),
        (FEATURES_JOB, FEATURES_RUN, "COMPLETE"),
        (INGEST, INGEST_1, "FAIL"),
        (INGEST, INGEST_2, "COMPLETE"),
        (TRAIN, TRAIN_RUN, "COMPLETE"),
    ]


def test_failed_attempt_is_kept_with_its_error(sample_result: ImportResult) -> None:
    runs = runs_of(sample_result)
    first, second = runs[INGEST_1], runs[INGEST_2]
    assert first.state == "FAIL"
    assert first.error_message == (
        "[Errno 2] No such file or directory: '/data/clinical-ml/landing/wdbc_export.csv'"
    )
    assert "errorMessage" in first.run_facets
    assert first.tags == {"attempt": "1", "openlineage_client_version": "1.54.0"}
    assert second.state == "COMPLETE" and second.error_message is None
    assert second.tags["attempt"] == "2"


def test_times_are_read_in_utc(sample_result: ImportResult) -> None:
    run = runs_of(sample_result)[INGEST_1]
    assert run.started == datetime(2026, 11, 27, 10, 10, 7, 770388, tzinfo=UTC)
    assert run.ended == datetime(2026, 11, 27, 10, 10, 7, 774453, tzinfo=UTC)
    assert run.last_event == run.ended
    dag = runs_of(sample_result)[DAG_RUN]
    assert dag.ended == datetime(2026, 11, 27, 10, 10, 9, 62316, tzinfo=UTC)


def test_children_link_to_their_parent_run(sample_result: ImportResult) -> None:
    runs = runs_of(sample_result)
    assert runs[DAG_RUN].parent_run_id is None and runs[DAG_RUN].parent_job is None
    for run_id in (INGEST_1, INGEST_2, FEATURES_RUN, TRAIN_RUN):
        assert runs[run_id].parent_run_id == DAG_RUN
        assert runs[run_id].parent_job == DAG


def test_job_types_and_custom_facet(sample_result: ImportResult) -> None:
    runs = runs_of(sample_result)
    assert runs[DAG_RUN].job_type == "DAG"
    assert runs[INGEST_2].job_type == "TASK"
    train = runs[TRAIN_RUN]
    assert train.job_type == "ML_TRAINING"
    # A custom facet with a non-OpenLineage _schemaURL is named (the event holds it).
    assert train.run_facets == (
        "modelEvaluation",
        "nominalTime",
        "parent",
        "processing_engine",
        "tags",
    )
    assert train.mlflow_run_id is None


def test_inputs_and_outputs_merge_facets_across_events(sample_result: ImportResult) -> None:
    run = runs_of(sample_result)[INGEST_2]
    (landing,) = run.inputs
    assert landing.dataset == LANDING
    assert landing.version == "e3a0e2fb8b1222ff0dd94c8fd15b72ebd0959b5c025beee6c1cf8644c06aef5f"
    assert landing.schema[:2] == (Column("patient_id", "object"), Column("mean_radius", "float64"))
    assert len(landing.schema) == 32
    assert landing.facets == ("dataQualityMetrics", "dataSource", "schema", "storage", "version")
    (raw,) = run.outputs  # only the COMPLETE event names the output
    assert raw.dataset == RAW and raw.dataset_type == "FILE"
    assert raw.version == "2cd5a56af80403c37221774fbaa33cd630f2368197d8367d1c019d0096c1d3e0"
    assert str(raw.cite) == "openlineage/events.ndjson:5:/outputs/0 (sha256 9d4591bcfb99)"
    # The failed attempt named the landing file but without facets.
    (bare,) = runs_of(sample_result)[INGEST_1].inputs
    assert bare.dataset == LANDING and bare.version is None and bare.schema == ()


def test_column_lineage_and_failed_quality_assertion(sample_result: ImportResult) -> None:
    (features,) = runs_of(sample_result)[FEATURES_RUN].outputs
    assert features.dataset == FEATURES
    assert sorted(features.column_lineage) == [
        "concavity_x_compactness",
        "label",
        "log_mean_area",
        "mean_radius",
        "radius_worst_to_mean",
        "texture_z",
    ]
    (source,) = features.column_lineage["label"]["inputFields"]
    assert (source["field"], source["transformations"][0]["subtype"]) == ("target", "IDENTITY")
    assert features.quality_assertions == (
        QualityAssertion("not_null", True, "log_mean_area"),
        QualityAssertion("row_count_ge", True, None),
        QualityAssertion("class_balance_min_share", False, "label"),
    )
    failed = [a for a in features.quality_assertions if not a.success]
    assert [a.assertion for a in failed] == ["class_balance_min_share"]


def test_training_output_is_a_model_with_flattened_schema(sample_result: ImportResult) -> None:
    train = runs_of(sample_result)[TRAIN_RUN]
    (model,) = train.outputs
    assert model.dataset == MODEL
    assert model.dataset_type == "MODEL"
    assert model.schema == (
        Column("inputs.radius_worst_to_mean", "float64"),
        Column("inputs.log_mean_area", "float64"),
        Column("inputs.texture_z", "float64"),
        Column("inputs.concavity_x_compactness", "float64"),
        Column("inputs.mean_radius", "float64"),
        Column("prediction", "int64"),
    )
    assert [u.dataset for u in train.inputs] == [FEATURES]


def test_runs_cite_every_event(sample_result: ImportResult) -> None:
    run = runs_of(sample_result)[INGEST_1]
    assert [(c.file, c.line, c.pointer) for c in run.events] == [
        ("openlineage/events.ndjson", 2, ""),
        ("openlineage/events.ndjson", 3, ""),
    ]
    assert run.cite == run.events[-1]
    assert run.cite.sha256 == "9d4591bcfb9950059e8cf1fd3e200a397ff01048ffb5836ba5ff837bdfd733fb"


def test_jobs(sample_result: ImportResult) -> None:
    jobs = {job.job: job for job in sample_result.records["lineage_jobs"]}
    assert list(jobs) == [DAG, FEATURES_JOB, INGEST, TRAIN]
    ingest = jobs[INGEST]
    assert ingest.job_type == "TASK"
    assert ingest.run_ids == (INGEST_1, INGEST_2)
    assert ingest.owners == ("team:data-platform",)
    assert ingest.description.startswith("Copies the hospital WDBC export")
    assert (ingest.cite.line, ingest.cite.pointer) == (5, "/job")
    assert jobs[DAG].owners == ("team:clinical-ml", "user:alice@example.org")


def test_datasets(sample_result: ImportResult) -> None:
    datasets = {d.id: d for d in sample_result.records["datasets"]}
    assert list(datasets) == [FEATURES, LANDING, MODEL, RAW]
    raw = datasets[RAW]
    assert raw.versions == ("2cd5a56af80403c37221774fbaa33cd630f2368197d8367d1c019d0096c1d3e0",)
    assert raw.dataset_type == "FILE"
    assert raw.owners == ("team:data-platform",)
    assert raw.description.startswith("Raw Wisconsin Diagnostic Breast Cancer records")
    assert len(raw.schema) == 32
    # Last seen as the feature job's input (line 7).
    assert (raw.cite.line, raw.cite.pointer) == (7, "/inputs/0")
    assert datasets[MODEL].dataset_type == "MODEL"
    assert datasets[FEATURES].dataset_type is None
    assert datasets[FEATURES].description == (
        "Model-ready features for the breast cancer classifier."
    )
    assert [c.name for c in datasets[FEATURES].schema][:2] == [
        "radius_worst_to_mean",
        "log_mean_area",
    ]


def test_output_is_deterministic(tmp_path: Path) -> None:
    write_ndjson(tmp_path, sample_events())
    assert load(tmp_path).records == load(tmp_path).records


# ---------------------------------------------------------------- other file shapes


def test_json_array_and_one_file_per_event_read_the_same(
    tmp_path: Path, sample_result: ImportResult
) -> None:
    events = sample_events()
    array_root, files_root = tmp_path / "array", tmp_path / "files"
    (array_root / "openlineage").mkdir(parents=True)
    (array_root / "openlineage" / "events.json").write_text(json.dumps(events, indent=2))
    for index, event in enumerate(events):
        path = files_root / "openlineage" / f"event-{index:02}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2))
    from_array, from_files = load(array_root), load(files_root)
    assert from_array.problems == [] and from_files.problems == []
    expected = everything_uncited(sample_result)
    assert everything_uncited(from_array) == expected
    assert everything_uncited(from_files) == expected
    fail = runs_of(from_array)[INGEST_1]
    assert [(c.file, c.line, c.pointer) for c in fail.events] == [
        ("openlineage/events.json", None, "/1"),
        ("openlineage/events.json", None, "/2"),
    ]
    assert str(fail.inputs[0].cite).startswith("openlineage/events.json:/2/inputs/0 ")
    assert runs_of(from_files)[INGEST_1].cite.file == "openlineage/event-02.json"


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_events_out_of_order_give_the_same_runs(
    tmp_path: Path, order: str, sample_result: ImportResult
) -> None:
    events = sample_events()
    if order == "reversed":
        events.reverse()
    else:
        random.Random(20261127).shuffle(events)
    write_ndjson(tmp_path, events)
    result = load(tmp_path)
    assert result.problems == []
    assert everything_uncited(result) == everything_uncited(sample_result)


# ---------------------------------------------------------------- invalid events


def test_event_without_event_time_is_reported_with_its_line(tmp_path: Path) -> None:
    events: list[Any] = sample_events()
    extra = copy.deepcopy(events[0])
    extra["run"]["runId"] = "01a21c7b-0000-7000-8000-000000000011"
    broken = copy.deepcopy(events[1])
    broken["run"]["runId"] = "01a21c7b-0000-7000-8000-000000000012"
    del broken["eventTime"]
    write_ndjson(tmp_path, [*events, extra, broken])
    result = load(tmp_path)
    assert [str(p) for p in result.problems] == [
        "openlineage/events.ndjson:12:/eventTime: missing required field 'eventTime' "
        "(add 'eventTime')"
    ]
    assert result.problems[0].line == 12
    runs = runs_of(result)
    # The invalid event is skipped; the event on line 11 and the rest are still read.
    assert len(runs) == 6
    assert "01a21c7b-0000-7000-8000-000000000011" in runs
    assert "01a21c7b-0000-7000-8000-000000000012" not in runs


@pytest.mark.parametrize("fast", ENGINES)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda e: e.update(eventType="FINISHED"),
            ':/eventType: "FINISHED" is not one of "START", "RUNNING", "COMPLETE", "ABORT", "FAIL", '
            '"OTHER" (use one of the listed values)',
        ),
        (
            lambda e: e["run"].update(runId=42),
            ":/run/runId: expected string, got 42 (write a string here)",
        ),
        (
            lambda e: e["run"].update(runId="run-1"),
            ':/run/runId: "run-1" is not a valid uuid (write a valid uuid)',
        ),
        (
            lambda e: e.update(eventTime="2026-11-27 10:10"),
            ':/eventTime: "2026-11-27 10:10" is not a valid date-time (write a valid date-time)',
        ),
        (
            lambda e: e["job"].pop("namespace"),
            ":/job/namespace: missing required field 'namespace' (add 'namespace')",
        ),
        (
            lambda e: e["inputs"][0].update(name=["x"]),
            ':/inputs/0/name: expected string, got ["x"] (write a string here)',
        ),
        (
            lambda e: e["run"]["facets"]["parent"]["run"].pop("runId"),
            ":/run/facets/parent/run/runId: missing required field 'runId' (add 'runId')",
        ),
        (
            lambda e: e["run"]["facets"]["tags"].pop("_producer"),
            ":/run/facets/tags/_producer: missing required field '_producer' (add '_producer')",
        ),
    ],
    ids=[
        "eventType",
        "type",
        "uuid",
        "time",
        "required",
        "input",
        "facet",
        "base-facet",
    ],
)
def test_invalid_event_is_reported_exactly(
    tmp_path: Path, fast: bool, change: Any, expected: str
) -> None:
    events = sample_events()
    change(events[2])
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert [str(p) for p in result.problems] == ["openlineage/events.ndjson:3" + expected]
    # The rest is read; the failed attempt is left with its START only.
    assert runs_of(result)[INGEST_1].state == "START"
    assert len(runs_of(result)) == 5


@pytest.mark.parametrize("fast", ENGINES)
def test_an_event_time_without_a_zone_is_utc_with_one_warning_per_file(
    tmp_path: Path, fast: bool
) -> None:
    events = sample_events()
    events[2]["eventTime"] = "2026-11-27T10:10:07"
    events[5]["eventTime"] = "2026-11-27T10:10:07.5"
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert [(p.severity, str(p)) for p in result.problems] == [
        (
            "warning",
            "openlineage/events.ndjson:3:/eventTime: 2 event(s) have an eventTime without a "
            "time zone, read as UTC (the first here) (write times with Z or an offset, e.g. "
            "2026-11-27T10:10:07Z: a producer's local time read as UTC is hours off)",
        )
    ]
    assert len(runs_of(result)) == 5
    # The cited bytes are the file's; only the value read got its zone.
    assert (
        '"eventTime": "2026-11-27T10:10:07"' in (tmp_path / "openlineage/events.ndjson").read_text()
    )


@pytest.mark.parametrize("fast", ENGINES)
def test_standard_facet_is_checked_against_its_schema(tmp_path: Path, fast: bool) -> None:
    events = sample_events()
    events[8]["outputs"][0]["facets"]["schema"]["fields"] = "radius, texture"
    events[8]["outputs"][0]["facets"]["datasetType"]["datasetType"] = 3
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert [str(p) for p in result.problems] == [
        "openlineage/events.ndjson:9:/outputs/0/facets/datasetType/datasetType: "
        "expected string, got 3 (write a string here)",
        "openlineage/events.ndjson:9:/outputs/0/facets/schema/fields: "
        'expected array, got "radius, texture" (write an array here)',
    ]


@pytest.mark.parametrize("fast", ENGINES)
def test_custom_and_unpublished_version_facets_never_fail(tmp_path: Path, fast: bool) -> None:
    events = sample_events()
    run_facets = events[8]["run"]["facets"]
    run_facets["modelEvaluation"]["metrics"] = "not an object, and nobody minds"
    # A schema facet of a version never published is not checked, and read only as far as
    # it goes.
    schema = events[8]["outputs"][0]["facets"]["schema"]
    schema["_schemaURL"] = schema["_schemaURL"].replace("1-2-0", "9-9-9")
    schema["fields"] = [{"name": "ok", "type": "int"}, {"type": "nameless"}, "junk"]
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert result.problems == []
    train = runs_of(result)[TRAIN_RUN]
    assert "modelEvaluation" in train.run_facets
    assert train.outputs[0].schema == (Column("ok", "int"),)


@pytest.mark.parametrize("fast", ENGINES)
def test_facets_of_older_published_versions_are_checked(tmp_path: Path, fast: bool) -> None:
    # SchemaDatasetFacet 1-1-0 and ParentRunFacet 1-0-1: versions real producers still write.
    events = sample_events()
    schema = events[8]["outputs"][0]["facets"]["schema"]
    schema["_schemaURL"] = schema["_schemaURL"].replace("1-2-0", "1-1-0")
    schema["fields"] = [{"name": "ok", "type": "int"}, {"type": "nameless"}]
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert [f"{p.line}:{p.pointer}: {p.message}" for p in result.problems] == [
        "9:/outputs/0/facets/schema/fields/1/name: missing required field 'name'"
    ]


@pytest.mark.parametrize("fast", ENGINES)
def test_both_validators_agree_on_the_sample(
    tmp_path: Path, fast: bool, sample_result: ImportResult
) -> None:
    write_ndjson(tmp_path, sample_events())
    result = load(tmp_path, fast=fast)
    assert result.problems == []
    assert result.records == sample_result.records


def test_both_validators_agree_event_by_event() -> None:
    pytest.importorskip("jsonschema_rs")
    fast, slow = ol.fast_validator(), ol.detailed_validator()
    cases: list[Any] = sample_events()
    change: dict[str, Any]
    for change in (
        {"eventTime": "2026-12-31T23:59:60Z"},
        {"eventTime": "2026-12-31T10:59:60Z"},
        {"eventTime": "2026-02-30T10:00:00Z"},
        {"eventTime": "2026-11-27t10:10:07z"},
        {"eventTime": "0000-02-29T00:00:00Z"},
        {"eventTime": "1900-02-29T00:00:00Z"},
        {"eventTime": "2000-02-29T00:00:00Z"},
        {"eventTime": "2026-04-31T00:00:00Z"},
        {"eventTime": "2026-12-31T18:59:60-05:00"},
        {"eventTime": "2027-01-01T00:29:60+00:30"},
        {"eventTime": "2026-11-27T10:10:07+24:00"},
        {"eventTime": "2026-11-27T10:10:07.Z"},
        {"eventType": None},
        {"producer": "not a uri"},
        {"inputs": {}},
    ):
        cases.append({**sample_events()[0], **change})
    cases += [[], "event", {"run": {"runId": DAG_RUN}}]
    for case in cases:
        assert fast.is_valid(case) == slow.is_valid(case), case


@pytest.mark.parametrize("fast", ENGINES)
def test_time_valid_in_rfc3339_but_not_readable_is_reported(tmp_path: Path, fast: bool) -> None:
    events = sample_events()
    events[2]["eventTime"] = "0000-02-29T00:00:00Z"
    write_ndjson(tmp_path, events)
    result = load(tmp_path, fast=fast)
    assert [str(p) for p in result.problems] == [
        "openlineage/events.ndjson:3:/eventTime: '0000-02-29T00:00:00Z' cannot be read as a "
        "time (write an RFC 3339 time such as 2026-11-27T10:10:07Z)"
    ]


def test_array_item_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "openlineage" / "events.json"
    path.parent.mkdir()
    path.write_text(json.dumps([sample_events()[0], 5]))
    result = load(tmp_path)
    assert [str(p) for p in result.problems] == [
        "openlineage/events.json:/1: expected object, got 5 (write an object here)"
    ]
    assert list(runs_of(result)) == [DAG_RUN]


def test_line_that_is_not_json_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    lines: list[Any] = sample_events()
    lines.insert(2, '{"eventTime": "2026-11-27T10:10:07Z", "eventType": "ST')
    write_ndjson(tmp_path, lines)
    result = load(tmp_path)
    (problem,) = result.problems
    assert str(problem).startswith("openlineage/events.ndjson:3:/: line is not valid JSON: ")
    assert str(problem).endswith(NOT_JSON_FIX)
    assert len(runs_of(result)) == 5


def test_array_event_problem_points_into_the_array(tmp_path: Path) -> None:
    events = sample_events()
    del events[2]["eventTime"]
    path = tmp_path / "openlineage" / "events.json"
    path.parent.mkdir()
    path.write_text(json.dumps(events))
    result = load(tmp_path)
    assert [str(p) for p in result.problems] == [
        "openlineage/events.json:/2/eventTime: missing required field 'eventTime' (add 'eventTime')"
    ]


# ---------------------------------------------------------------- folding rules


def test_facet_recognised_by_schema_url_whatever_its_key(tmp_path: Path) -> None:
    events = sample_events()
    facets = events[8]["outputs"][0]["facets"]
    facets["model_columns"] = facets.pop("schema")
    facets["kind"] = facets.pop("datasetType")
    events[8]["run"]["facets"]["failure"] = {
        "_producer": "https://example.org/producer",
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json"
        "#/$defs/ErrorMessageRunFacet",
        "message": "warning only",
        "programmingLanguage": "python",
    }
    write_ndjson(tmp_path, events)
    result = load(tmp_path)
    assert result.problems == []
    train = runs_of(result)[TRAIN_RUN]
    (model,) = train.outputs
    assert model.dataset_type == "MODEL"
    assert model.schema[-1] == Column("prediction", "int64")
    assert "model_columns" in model.facets and "schema" not in model.facets
    assert train.error_message == "warning only"


def test_old_style_schema_urls_name_the_facet_type() -> None:
    assert (
        ol_facets.facet_type(
            "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json"
            "#/$defs/SchemaDatasetFacet"
        )
        == "SchemaDatasetFacet"
    )
    assert (
        ol_facets.facet_type(
            "https://openlineage.io/spec/1-0-2/OpenLineage.json#/definitions/SchemaDatasetFacet"
        )
        == "SchemaDatasetFacet"
    )
    assert (
        ol_facets.facet_type(
            "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"
        )
        == "DatasetVersionDatasetFacet"
    )


def test_long_running_serving_job_stays_running(tmp_path: Path) -> None:
    start = copy.deepcopy(sample_events()[0])
    start["job"]["name"] = "breast_cancer_serving"
    start["run"]["runId"] = "01a21c7b-0000-7000-8000-0000000000aa"
    start["eventTime"] = "2026-11-27T11:00:00+01:00"
    running = copy.deepcopy(start)
    running["eventType"] = "RUNNING"
    running["eventTime"] = "2026-11-28T09:30:00Z"
    write_ndjson(tmp_path, [running, start])
    (run,) = load(tmp_path).records["lineage_runs"]
    assert run.state == "RUNNING"
    assert run.started == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert run.ended is None
    assert run.last_event == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    assert [c.line for c in run.events] == [2, 1]  # in time order, not file order


def test_complete_without_start_is_still_a_run(tmp_path: Path) -> None:
    write_ndjson(tmp_path, [sample_events()[4]])
    (run,) = load(tmp_path).records["lineage_runs"]
    assert (run.run_id, run.state, run.started) == (INGEST_2, "COMPLETE", None)
    assert run.ended == datetime(2026, 11, 27, 10, 10, 7, 898423, tzinfo=UTC)


def test_event_type_left_out_is_other_and_does_not_end_a_run(tmp_path: Path) -> None:
    events = sample_events()[3:5]
    late = copy.deepcopy(events[1])
    del late["eventType"]
    late["eventTime"] = "2026-11-27T12:00:00Z"
    late["run"]["facets"]["tags"]["tags"].append({"key": "mlflow.run_id", "value": "abc123"})
    lonely = copy.deepcopy(late)
    lonely["run"]["runId"] = "01a21c7b-0000-7000-8000-0000000000bb"
    write_ndjson(tmp_path, [*events, late, lonely])
    result = load(tmp_path)
    assert result.problems == []
    runs = runs_of(result)
    # OTHER adds facets after the end, but the run stays COMPLETE at its COMPLETE time.
    run = runs[INGEST_2]
    assert run.state == "COMPLETE"
    assert run.ended == datetime(2026, 11, 27, 10, 10, 7, 898423, tzinfo=UTC)
    assert run.last_event == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert run.mlflow_run_id == "abc123"
    assert runs["01a21c7b-0000-7000-8000-0000000000bb"].state == "OTHER"


def test_equal_times_the_later_stage_wins(tmp_path: Path) -> None:
    start, complete = sample_events()[3:5]
    complete["eventTime"] = start["eventTime"]
    write_ndjson(tmp_path, [complete, start])
    (run,) = load(tmp_path).records["lineage_runs"]
    assert run.state == "COMPLETE"
    assert run.started == run.ended


def test_mlflow_run_id_tag_name_comes_from_the_settings(tmp_path: Path) -> None:
    events = sample_events()
    tags = events[8]["run"]["facets"]["tags"]["tags"]
    tags += [
        {"key": "mlflow.run_id", "value": "default-key"},
        {"key": "mlflow_run", "value": "custom-key", "source": "USER"},
    ]
    write_ndjson(tmp_path, events)
    assert runs_of(load(tmp_path))[TRAIN_RUN].mlflow_run_id == "default-key"
    settings = Config(linking=Linking(openlineage_mlflow_run_tag="mlflow_run"))
    assert runs_of(load(tmp_path, settings))[TRAIN_RUN].mlflow_run_id == "custom-key"


def test_static_dataset_and_job_events_are_skipped_quietly(tmp_path: Path) -> None:
    base = sample_events()[4]
    dataset_event = {
        "eventTime": base["eventTime"],
        "producer": base["producer"],
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {k: base["outputs"][0][k] for k in ("namespace", "name", "facets")},
    }
    job_event = {
        "eventTime": base["eventTime"],
        "producer": base["producer"],
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
        "job": base["job"],
        "inputs": [],
        "outputs": [],
    }
    write_ndjson(tmp_path, [dataset_event, job_event, base])
    result = load(tmp_path)
    assert result.problems == []
    assert list(runs_of(result)) == [INGEST_2]


def test_equal_facets_are_kept_once(tmp_path: Path) -> None:
    events = sample_events()
    write_ndjson(tmp_path, events)
    runs = runs_of(load(tmp_path))
    first, second = runs[INGEST_1], runs[INGEST_2]
    assert first.job_facets == (
        "documentation",
        "jobType",
        "ownership",
        "sourceCodeLocation",
        "tags",
    )
    assert first.job_facets is second.job_facets  # one tuple for each distinct set of names


def test_only_the_facet_types_read_are_held(tmp_path: Path) -> None:
    write_ndjson(tmp_path, sample_events())
    importer = OpenLineageImporter(ImportContext(tmp_path))
    (doc,), _ = scan(tmp_path, Limits())
    assert isinstance(doc, Document)
    importer.read(doc, ImportResult())
    held = [
        value
        for fold in importer.fold.runs.values()
        for entries in (fold.run_facets, fold.job_facets)
        for _, value in entries.values()
    ]
    assert {v.kind for v in held if v is not None} == {
        "TagsRunFacet",
        "ParentRunFacet",
        "ErrorMessageRunFacet",
        "JobTypeJobFacet",
        "DocumentationJobFacet",
        "OwnershipJobFacet",
    }
    assert None in held  # nominalTime, processing_engine, the custom modelEvaluation: names only


@pytest.mark.parametrize("fast", ENGINES)
def test_facets_not_read_are_still_checked_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    # Valid facets of types not read are remembered so as not to check them twice; the
    # memory is bounded (here: one facet) and an invalid facet is never remembered.
    monkeypatch.setattr(ol, "KEPT_FACETS", 1)
    events = sample_events()
    for index in (3, 5):
        events[index]["run"]["facets"]["nominalTime"]["nominalStartTime"] = "not a time"
    write_ndjson(tmp_path, events)
    assert [str(p) for p in load(tmp_path, fast=fast).problems] == [
        f"openlineage/events.ndjson:{line}:/run/facets/nominalTime/nominalStartTime: "
        '"not a time" is not a valid date-time (write a valid date-time)'
        for line in (4, 6)
    ]


# ---------------------------------------------------------------- detection and schemas


def test_detects_openlineage_by_content_only(tmp_path: Path) -> None:
    files = {
        "a.ndjson": SAMPLE.read_text("utf-8"),
        "b.json": json.dumps(sample_events()[:2]),
        "c.json": json.dumps(sample_events()[0]),
        "mlflow-run.json": json.dumps({"run": {"info": {"run_id": "x"}, "data": {}}}),
        "report.json": json.dumps({"metrics": [], "tests": []}),
        "empty-list.json": "[]",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found, _ = scan(tmp_path, Limits())
    importer = OpenLineageImporter(ImportContext(tmp_path))
    claimed = {doc.file.path for doc in found if isinstance(doc, Document) and importer.detect(doc)}
    assert claimed == {"a.ndjson", "b.json", "c.json"}


def test_shipped_schemas_are_official_and_resolve_offline() -> None:
    schemas = ol.shipped_schemas()
    assert len(schemas) == 103  # 9 core spec versions, 94 facet versions (openlineage.io)
    assert all(uri.startswith("https://openlineage.io/spec/") for uri in schemas)
    urls = {
        facet["_schemaURL"]
        for event in sample_events()
        for _, facets in ol._facet_places(event)
        for facet in facets.values()
    }
    # Every standard facet the client wrote is checked; the custom one is not.
    assert urls - ol.standard_facet_urls() == {
        "https://example.org/openlineage/facets/ModelEvaluationRunFacet.json"
        "#/$defs/ModelEvaluationRunFacet"
    }
    # Every standard facet schema compiles from the shipped files alone, in both engines.
    for ref in sorted(set(ol.facet_refs().values())):
        assert ol.detailed_validator(ref).is_valid({}) is False  # _producer etc. required
        fast = ol.fast_validator(ref)
        assert fast is None or fast.is_valid({}) is False
    # Nothing is fetched: a reference outside the shipped files fails instead.
    with pytest.raises(Exception, match="example.org"):
        ol.detailed_validator("https://example.org/schema.json").is_valid({})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T10:10:07.756027+00:00", datetime(2026, 11, 27, 10, 10, 7, 756027, tzinfo=UTC)),
        ("2026-11-27T11:10:07Z", datetime(2026, 11, 27, 11, 10, 7, tzinfo=UTC)),
        ("2026-11-27t12:10:07+02:00", datetime(2026, 11, 27, 10, 10, 7, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
        ("2026-11-27T10:10:07", None),
        ("2026-11-27 10:10:07Z", None),
        ("2026-02-30T10:10:07Z", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("2026-12-31T10:59:60Z", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert ol.parse_time(text) == expected
