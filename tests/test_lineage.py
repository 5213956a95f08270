"""The lineage graph: provenance, impact and skew, on real events and crafted ones."""

from __future__ import annotations

import json
import shutil
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from mldossier.cli import main
from mldossier.cli.lineage import lineage as lineage_command
from mldossier.config import Config, Linking
from mldossier.errors import InputError
from mldossier.intake.linking import Index, link
from mldossier.intake.naming import dataset_id_from_uri
from mldossier.intake.read import read_evidence
from mldossier.lineage.diagram import lineage_dot
from mldossier.lineage.graph import LineageGraph, build_graph
from mldossier.lineage.impact import downstream
from mldossier.lineage.provenance import provenance
from mldossier.lineage.runs import serving_runs_of, superseded, training_runs_of, writers_of
from mldossier.lineage.skew import normalise_type, skew
from mldossier.lineage.views import downstream_subgraph, system_subgraph
from mldossier.model import (
    Citation,
    Column,
    DatasetUse,
    Evidence,
    LineageRun,
    MlflowRun,
    ModelSignature,
    ModelVersion,
    QualifiedName,
    RegisteredModel,
    RunDatasetInput,
    RunLink,
)

EVENTS = SAMPLES / "openlineage" / "events.ndjson"
SHA = "0" * 64

# The real sample pipeline (openlineage/events.ndjson).
DAG_RUN = "01a21c7b-d70b-700d-b0b3-53fa2f7c3902"
INGEST_FAILED = "01a21c7b-d71a-705e-a0b0-807b01e8f9ee"
INGEST_RETRY = "01a21c7b-d73e-758b-a8e1-c7e5daf6c8d2"
FEATURES_RUN = "01a21c7b-d79e-76fa-9b11-c85945c889ea"
TRAIN_RUN = "01a21c7b-d7b6-7ac1-ac57-fe707a9a1e33"
LANDING = QualifiedName("file", "/data/clinical-ml/landing/wdbc_export.csv")
FEATURES = QualifiedName("file", "/data/clinical-ml/features/breast_cancer_features.parquet")
TRAIN_JOB = "clinical-ml:breast_cancer_training_dag.train_breast_cancer_model"
# The MLflow run of breast-cancer-classifier@2 (Production, alias champion) in the samples.
BC2_RUN = "da3a687298b540b5bda2d5c88308f3e1"


# ---------------------------------------------------------------- factories


def cite(line: int = 1, file: str = "openlineage/events.ndjson") -> Citation:
    return Citation(file, "", SHA, line)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cols(*specs: str) -> tuple[Column, ...]:
    """Columns from "name:type" strings."""
    return tuple(Column(*spec.split(":", 1)) for spec in specs)


def use(
    name: str,
    ns: str = "file",
    *,
    version: str | None = None,
    schema: tuple[Column, ...] = (),
    dataset_type: str | None = None,
    column_lineage: dict[str, Any] | None = None,
) -> DatasetUse:
    return DatasetUse(
        QualifiedName(ns, name),
        version,
        schema,
        dataset_type,
        dict(column_lineage or {}),
        (),
        (),
        cite(),
    )


def ol_run(
    run_id: str,
    job: str,
    *,
    inputs: tuple[DatasetUse, ...] = (),
    outputs: tuple[DatasetUse, ...] = (),
    state: str = "COMPLETE",
    start: str = "2026-01-01T00:00:00",
    end: str | None = "2026-01-01T00:10:00",
    job_type: str | None = None,
    parent: str | None = None,
    mlflow_run_id: str | None = None,
    error: str | None = None,
    line: int = 1,
) -> LineageRun:
    ended = at(end) if end else None
    return LineageRun(
        run_id,
        QualifiedName("ns", job),
        state,
        at(start),
        ended,
        ended or at(start),
        parent,
        QualifiedName("ns", "dag") if parent else None,
        inputs,
        outputs,
        (),
        (),
        job_type,
        error,
        {},
        mlflow_run_id,
        (cite(line),),
        cite(line),
    )


def version(
    name: str = "credit",
    number: str = "1",
    *,
    run_id: str | None = "ml1",
    stage: str | None = None,
    aliases: tuple[str, ...] = (),
    logged_model_id: str | None = None,
    source: str | None = None,
) -> ModelVersion:
    return ModelVersion(
        name,
        number,
        at("2026-01-02T00:00:00"),
        None,
        stage,
        "",
        source or f"models:/m-{number}",
        run_id,
        logged_model_id,
        "READY",
        {},
        aliases,
        cite(1, f"mlflow/versions/{name}-{number}.json"),
    )


def mlflow_run(
    run_id: str = "ml1",
    *,
    tags: dict[str, str] | None = None,
    inputs: tuple[RunDatasetInput, ...] = (),
    start: str = "2026-01-01T12:00:00",
    end: str | None = None,
) -> MlflowRun:
    return MlflowRun(
        run_id,
        "1",
        "train",
        "alice",
        "FINISHED",
        at(start),
        at(end) if end else None,
        {},
        {},
        dict(tags or {}),
        inputs,
        (),
        cite(1, f"mlflow/runs/{run_id}.json"),
    )


def mlflow_input(
    name: str,
    uri: str | None,
    *,
    digest: str = "abc123",
    context: str = "training",
    schema: tuple[Column, ...] = (),
) -> RunDatasetInput:
    return RunDatasetInput(
        name,
        digest,
        "local",
        {"uri": uri} if uri else {},
        uri,
        schema,
        {},
        context,
        {},
        cite(1, "mlflow/runs/ml1.json"),
    )


def signature(run_id: str, *specs: str) -> ModelSignature:
    return ModelSignature(
        None,
        run_id,
        cols(*specs),
        (),
        None,
        "3.17.2",
        cite(1, "mlflow/model_artifacts/m-1/MLmodel"),
    )


def system(name: str = "credit", aliases: dict[str, str] | None = None) -> RegisteredModel:
    return RegisteredModel(
        name, "", None, None, {}, dict(aliases or {}), cite(1, "mlflow/registered_models.json")
    )


def graph_for(evidence: Evidence, config: Config | None = None) -> LineageGraph:
    """The lineage graph of evidence, with its look-up index built once, as a run does."""
    config = config or Config()
    return build_graph(evidence, config, Index(evidence, config))


def graph_of(config: Config | None = None, **records: Any) -> LineageGraph:
    return graph_for(Evidence(root=".", files=(), **records), config)


# ---------------------------------------------------------------- real sample events


def sample_folder(tmp_path: Path, *, mlflow: bool = False, tag_training: str | None = None) -> Path:
    """An evidence folder of the real sample exports; optionally the training run tagged
    ``mlflow.run_id`` (the way the OpenLineage client's tags facet carries it)."""
    root = tmp_path / "evidence"
    (root / "openlineage").mkdir(parents=True)
    lines = EVENTS.read_text("utf-8").splitlines()
    if tag_training:
        for i, line in enumerate(lines):
            event = json.loads(line)
            if event["run"]["runId"] == TRAIN_RUN:
                event["run"]["facets"]["tags"]["tags"].append(
                    {"key": "mlflow.run_id", "value": tag_training}
                )
                lines[i] = json.dumps(event)
    (root / "openlineage" / "events.ndjson").write_text("\n".join(lines) + "\n", "utf-8")
    if mlflow:
        rest = root / "mlflow" / "rest"
        rest.mkdir(parents=True)
        for path in sorted((SAMPLES / "mlflow" / "rest").glob("*.json")):
            if not path.name.startswith("error"):
                shutil.copy(path, rest / path.name)
        for folder in sorted((SAMPLES / "mlflow" / "model_artifacts").iterdir()):
            (root / "mlflow" / "model_artifacts" / folder.name).mkdir(parents=True)
            shutil.copy(folder / "MLmodel", root / "mlflow" / "model_artifacts" / folder.name)
    return root


@pytest.fixture(scope="module")
def sample_graph(tmp_path_factory: pytest.TempPathFactory) -> LineageGraph:
    """The real events, plus one model version whose MLflow run is the training run."""
    root = sample_folder(tmp_path_factory.mktemp("sample"), tag_training="ml-bc")
    evidence = read_evidence(Config(), root)
    evidence = replace(
        evidence,
        model_versions=(version("bc", "1", run_id="ml-bc", stage="Production"),),
        mlflow_runs=(mlflow_run("ml-bc"),),
    )
    return graph_for(evidence)


def test_sample_provenance_reaches_the_landing_csv(sample_graph: LineageGraph) -> None:
    prov = provenance(sample_graph, sample_graph.index.version_by_key["bc@1"])
    assert [r.run_id for r in prov.training_runs] == [TRAIN_RUN]
    assert [r.run_id for r in prov.upstream_runs] == [INGEST_RETRY, FEATURES_RUN, TRAIN_RUN]
    assert prov.root_datasets == (LANDING,)
    assert [(u.dataset, u.version) for u in prov.input_datasets] == [
        (FEATURES, "c4b097b838d7a11437c76e28551a0ac7ef09a200156a9904369b7ac0b9e1e7cb")
    ]
    assert [c.name for c in prov.input_datasets[0].schema][-1] == "label"
    assert prov.gaps == ()
    assert prov.complete
    assert prov.mlflow_run_id == "ml-bc"
    assert Citation("openlineage/events.ndjson", "", prov.citations[-1].sha256, 9) in prov.citations


def test_failed_ingest_attempt_is_superseded_by_the_retry(sample_graph: LineageGraph) -> None:
    failed = sample_graph.graph.nodes[f"run:{INGEST_FAILED}"]["record"]
    assert failed.state == "FAIL"
    assert superseded(sample_graph, failed)
    prov = provenance(sample_graph, sample_graph.index.version_by_key["bc@1"])
    assert prov.failed_runs == ()


def test_parent_dag_run_links_its_children(sample_graph: LineageGraph) -> None:
    g = sample_graph.graph
    children = sorted(v for _, v, k in g.out_edges(f"run:{DAG_RUN}", keys=True) if k == "parent_of")
    assert children == sorted(
        f"run:{r}" for r in (INGEST_FAILED, INGEST_RETRY, FEATURES_RUN, TRAIN_RUN)
    )
    assert g.nodes[f"run:{DAG_RUN}"]["kind"] == "run"
    assert g.has_edge(f"run:{TRAIN_RUN}", "mlflow_run:ml-bc", key="run_of")
    assert g.has_edge("mlflow_run:ml-bc", "mv:bc@1", key="trained")
    assert g.has_edge(f"dataset:{FEATURES}", f"run:{TRAIN_RUN}", key="read")
    lineage = g.edges[f"run:{FEATURES_RUN}", f"dataset:{FEATURES}", "wrote"]["column_lineage"]
    assert lineage["log_mean_area"]["inputFields"][0]["field"] == "mean_area"
    assert (
        g.nodes[f"dsv:{FEATURES}@c4b097b838d7a11437c76e28551a0ac7ef09a200156a9904369b7ac0b9e1e7cb"][
            "kind"
        ]
        == "dataset_version"
    )


def test_mlflow_tag_on_the_mlflow_side_links_too(tmp_path: Path) -> None:
    evidence = read_evidence(Config(), sample_folder(tmp_path, mlflow=True))
    runs = tuple(
        replace(r, tags={**r.tags, "openlineage.run_id": TRAIN_RUN}) if r.run_id == BC2_RUN else r
        for r in evidence.mlflow_runs
    )
    graph = graph_for(replace(evidence, mlflow_runs=runs))
    prov = provenance(graph, graph.index.version_by_key["breast-cancer-classifier@2"])
    assert [r.run_id for r in prov.training_runs] == [TRAIN_RUN]
    assert prov.root_datasets == (
        LANDING,
        QualifiedName("mlflow", "breast-cancer-test"),
        QualifiedName("mlflow", "breast-cancer-train"),
    )
    other = provenance(graph, graph.index.version_by_key["diabetes-progression-regressor@2"])
    assert other.training_runs == ()


# ---------------------------------------------------------------- crafted graphs


def test_provenance_does_not_hang_on_a_cycle() -> None:
    runs = (
        ol_run("a", "make_y", inputs=(use("/x", version="1"),), outputs=(use("/y", version="1"),)),
        ol_run(
            "b",
            "make_x",
            inputs=(use("/y", version="1"),),
            outputs=(use("/x", version="1"),),
            start="2026-01-01T01:00:00",
            end="2026-01-01T01:10:00",
        ),
        ol_run(
            "t",
            "train",
            inputs=(use("/x", version="1"),),
            outputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-02T00:00:00",
            end="2026-01-02T01:00:00",
        ),
        # A job reading and writing one table (an in-place update), upstream of nothing.
        ol_run("m", "merge", inputs=(use("/z", version="1"),), outputs=(use("/z", version="2"),)),
    )
    graph = graph_of(lineage_runs=runs, model_versions=(version(run_id=None),))
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(provenance(graph, graph.index.version_by_key["credit@1"])),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert done, "provenance did not finish on a cyclic graph"
    assert {r.run_id for r in done[0].upstream_runs} == {"a", "b", "t"}


def test_version_without_lineage_is_a_gap() -> None:
    graph = graph_of(
        model_versions=(version(stage="Production"), version(number="2", run_id=None)),
        mlflow_runs=(mlflow_run(),),
    )
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert prov.gaps == (
        "MLflow run ml1 has no OpenLineage training run (no tag mlflow.run_id or "
        "openlineage.run_id, no run that wrote the model, none that read its datasets while it "
        "ran)",
    )
    assert not prov.complete
    prov2 = provenance(graph, graph.index.version_by_key["credit@2"])
    assert prov2.gaps == (
        "no MLflow run recorded for the version",
        "no OpenLineage run wrote models:/credit/2",
    )


def test_mlflow_run_missing_from_the_export_is_a_gap() -> None:
    graph = graph_of(model_versions=(version(run_id="gone"),))
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert prov.gaps[0] == "MLflow run gone is not in the MLflow export"
    assert graph.graph.nodes["mlflow_run:gone"]["missing"] is True


def _failed_feed(later_retry: bool) -> LineageGraph:
    runs = [
        ol_run(
            "f",
            "ingest",
            outputs=(use("/partial", version="p1"),),
            state="FAIL",
            error="disk full",
            start="2026-01-01T00:00:00",
            end="2026-01-01T00:05:00",
        ),
        ol_run(
            "t",
            "train",
            inputs=(use("/partial", version="p1"),),
            outputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-01T02:00:00",
            end="2026-01-01T03:00:00",
        ),
    ]
    if later_retry:
        runs.append(
            ol_run(
                "r",
                "ingest",
                outputs=(use("/clean", version="c1"),),
                start="2026-01-01T00:30:00",
                end="2026-01-01T00:40:00",
            )
        )
    return graph_of(
        lineage_runs=tuple(runs), model_versions=(version(run_id=None, aliases=("champion",)),)
    )


def test_failed_run_feeding_production_is_in_its_provenance() -> None:
    graph = _failed_feed(later_retry=False)
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert [r.run_id for r in prov.failed_runs] == ["f"]


def test_failed_run_superseded_by_a_later_complete_run_is_not_reported() -> None:
    graph = _failed_feed(later_retry=True)
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert [r.run_id for r in prov.upstream_runs] == ["f", "t"]
    assert prov.failed_runs == ()


def test_unversioned_training_read_is_a_gap() -> None:
    runs = (
        ol_run("w", "ingest", outputs=(use("/raw"),)),
        ol_run(
            "t",
            "train",
            inputs=(use("/raw", schema=cols("a:double")),),
            outputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-01T01:00:00",
        ),
        ol_run("x", "broken", inputs=(use("/other"),), state="FAIL"),
    )
    graph = graph_of(lineage_runs=runs, model_versions=(version(run_id=None, stage="Production"),))
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert prov.gaps == (
        "no MLflow run recorded for the version",
        "training input file:/raw was read without a version",
    )


def test_writer_chosen_is_the_latest_complete_before_the_read() -> None:
    runs = (
        ol_run(
            "d1",
            "daily",
            outputs=(use("/t"),),
            start="2026-01-01T00:00:00",
            end="2026-01-01T00:10:00",
        ),
        ol_run(
            "d2",
            "daily",
            outputs=(use("/t"),),
            start="2026-01-02T00:00:00",
            end="2026-01-02T00:10:00",
        ),
        ol_run(
            "d3",
            "daily",
            outputs=(use("/t"),),
            state="FAIL",
            start="2026-01-02T01:00:00",
            end="2026-01-02T01:10:00",
        ),
        ol_run(
            "d4",
            "daily",
            outputs=(use("/t"),),
            start="2026-01-05T00:00:00",
            end="2026-01-05T00:10:00",
        ),
        ol_run("r", "reader", inputs=(use("/t"),), start="2026-01-03T00:00:00"),
    )
    graph = graph_of(lineage_runs=runs)
    reader = runs[-1]
    # d2 is what was there; d3 failed after it and may have left partial data; d4 came later.
    assert [r.run_id for r in writers_of(graph, reader, reader.inputs[0])] == ["d2", "d3"]


def test_renamed_column_is_skew() -> None:
    graph = _serving_graph(
        served=cols("income_monthly:float64", "age:int64"),
        expected=("monthly_income:double", "age:long"),
    )
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert report.basis == "signature"
    assert report.renamed == (("monthly_income", "income_monthly"),)
    assert (report.added, report.removed, report.retyped) == ((), (), ())
    assert report.has_skew


def test_renamed_column_by_column_lineage() -> None:
    lineage = {
        "years": {
            "inputFields": [
                {"namespace": "file", "name": "/src", "field": "age", "transformations": []}
            ]
        }
    }
    graph = _serving_graph(
        served=cols("years:long"), expected=("age:long",), column_lineage=lineage
    )
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert report.renamed == (("age", "years"),)


def test_retyped_column_is_skew_and_type_names_are_normalised() -> None:
    graph = _serving_graph(
        served=cols("age:string", "income:float64", "label:int64"),
        expected=("age:long", "income:double"),
    )
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert report.retyped == (("age", "long", "string"),)
    assert report.added == ()  # the label is a target column, not a feature
    assert [c.name for c in report.served] == ["age", "income"]


def test_unrelated_columns_are_added_and_removed_not_renamed() -> None:
    graph = _serving_graph(served=cols("zip_code:string"), expected=("age:long",))
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert (report.added, report.removed, report.renamed) == (("zip_code",), ("age",), ())


def test_serving_run_with_only_start_and_running_events_counts() -> None:
    graph = _serving_graph(
        served=cols("age:long"), expected=("age:long",), state="RUNNING", end=None
    )
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert [(r.run_id, r.state) for r in report.serving_runs] == [("s", "RUNNING")]
    assert not report.has_skew
    assert report.dataset_versions_differ == (("file:/features", "v1", "v2"),)


def test_served_schema_falls_back_to_what_the_writer_recorded() -> None:
    runs = (
        ol_run("w", "features", outputs=(use("/live", version="9", schema=cols("age:string")),)),
        ol_run(
            "s",
            "serve",
            job_type="SERVING",
            start="2026-02-01T00:00:00",
            inputs=(use("models:/credit/1", "mlflow"), use("/live", version="9")),
        ),
    )
    graph = graph_of(
        lineage_runs=runs,
        mlflow_runs=(mlflow_run(),),
        model_versions=(version(),),
        signatures=(signature("ml1", "age:long"),),
    )
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert report.retyped == (("age", "long", "string"),)


def test_serving_job_found_by_name_pattern() -> None:
    config = Config(linking=Linking(serving_job_patterns=(r"^score_",)))
    graph = _serving_graph(
        served=cols("age:long"),
        expected=("age:long",),
        job="score_batch",
        job_type=None,
        config=config,
    )
    assert [r.run_id for r in skew(graph, graph.index.version_by_key["credit@1"]).serving_runs] == [
        "s"
    ]
    plain = _serving_graph(
        served=cols("age:long"), expected=("age:long",), job="score_batch", job_type=None
    )
    assert skew(plain, plain.index.version_by_key["credit@1"]).serving_runs == ()


def test_training_schema_is_the_basis_without_a_signature() -> None:
    graph = _serving_graph(served=cols("age:long", "extra:double"), expected=None)
    report = skew(graph, graph.index.version_by_key["credit@1"])
    assert report.basis == "training_schema"
    assert report.expected == cols("age:long")  # the training label is left out
    assert report.added == ("extra",)


def test_provenance_is_worked_out_once_per_graph_and_skew_compares_the_same() -> None:
    graph = _serving_graph(served=cols("age:string"), expected=("age:long",))
    credit = graph.index.version_by_key["credit@1"]
    assert provenance(graph, credit) is provenance(graph, credit)  # worked out once, kept
    assert skew(graph, credit) == skew(graph, credit)
    assert skew(graph, credit).retyped == (("age", "long", "string"),)


def test_bad_serving_pattern_is_an_input_error() -> None:
    config = Config(linking=Linking(serving_job_patterns=("(",)))
    with pytest.raises(InputError) as caught:
        graph_of(config)
    assert str(caught.value.problems[0]) == (
        "mldossier.yaml:/linking/serving_job_patterns/0: '(' is not a regular expression "
        "(missing ), unterminated subpattern at position 0) (fix the pattern, e.g. "
        "'serving|inference')"
    )


def _serving_graph(
    *,
    served: tuple[Column, ...],
    expected: tuple[str, ...] | None,
    column_lineage: dict[str, Any] | None = None,
    state: str = "COMPLETE",
    end: str | None = "2026-02-01T00:10:00",
    job: str = "serve",
    job_type: str | None = "SERVING",
    config: Config | None = None,
) -> LineageGraph:
    runs = (
        ol_run(
            "t",
            "train",
            inputs=(use("/features", version="v1", schema=cols("age:long", "label:long")),),
            outputs=(use("models:/credit/1", "mlflow"),),
            mlflow_run_id="ml1",
        ),
        ol_run(
            "s",
            job,
            job_type=job_type,
            state=state,
            start="2026-02-01T00:00:00",
            end=end,
            inputs=(
                use("models:/credit/1", "mlflow"),
                use("/features", version="v2", schema=served, column_lineage=column_lineage),
            ),
        ),
    )
    signatures = (signature("ml1", *expected),) if expected else ()
    return graph_of(
        config,
        lineage_runs=runs,
        mlflow_runs=(mlflow_run(),),
        model_versions=(version(stage="Production"),),
        signatures=signatures,
    )


def test_models_uri_forms_resolve_to_versions() -> None:
    versions = (
        version(number="1", run_id=None, logged_model_id="m-abc"),
        version(number="2", run_id=None, aliases=("champion",)),
        version(number="3", run_id=None, stage="Staging"),
    )
    runs = (
        ol_run("t1", "train", outputs=(use("models:/m-abc", "mlflow"),), job_type="TRAINING"),
        ol_run("s2", "serve", job_type="SERVING", inputs=(use("models:/credit@champion", "x"),)),
        ol_run("s3", "serve", job_type="SERVING", inputs=(use("models:/credit/Staging", "x"),)),
    )
    graph = graph_of(
        lineage_runs=runs,
        model_versions=versions,
        registered_models=(system(aliases={"champion": "2"}),),
    )
    assert [r.run_id for r in training_runs_of(graph, versions[0])] == ["t1"]
    assert [r.run_id for r in serving_runs_of(graph, versions[1])] == ["s2"]
    assert [r.run_id for r in serving_runs_of(graph, versions[2])] == ["s3"]
    assert graph.graph.has_edge("run:t1", "mv:credit@1", key="wrote")


def test_downstream_reaches_versions_transitively_with_deployments() -> None:
    runs = (
        ol_run(
            "i",
            "ingest",
            inputs=(use("/landing", version="1"),),
            outputs=(use("/raw", version="1"),),
        ),
        ol_run(
            "f",
            "features",
            inputs=(use("/raw", version="1"),),
            outputs=(use("/feat", version="1"),),
            start="2026-01-01T01:00:00",
            end="2026-01-01T01:10:00",
        ),
        ol_run(
            "t1",
            "train",
            inputs=(use("/feat", version="1"),),
            outputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-01T02:00:00",
        ),
        ol_run(
            "s",
            "serve",
            job_type="SERVING",
            state="START",
            end=None,
            inputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-03T00:00:00",
        ),
    )
    mlflow = mlflow_run("ml2", inputs=(mlflow_input("raw", "file:///raw"),))
    graph = graph_of(
        lineage_runs=runs,
        mlflow_runs=(mlflow,),
        model_versions=(
            version(run_id=None, stage="Production"),
            version(number="2", run_id="ml2"),
        ),
    )
    impacts = downstream(graph, QualifiedName("file", "/landing"))
    assert [(i.version_key, i.in_production, i.via) for i in impacts] == [
        ("credit@1", True, ("ns:ingest", "ns:features", "ns:train")),
        ("credit@2", False, ("ns:ingest",)),
    ]
    assert [r.run_id for r in impacts[0].serving_runs] == ["s"]
    assert impacts[0].stage == "Production"
    sub = downstream_subgraph(graph, QualifiedName("file", "/landing"))
    assert {
        "run:i",
        "run:f",
        "run:t1",
        "run:s",
        "mv:credit@1",
        "mv:credit@2",
        "mlflow_run:ml2",
    } <= set(sub.nodes)


def test_mlflow_dataset_uris_map_to_openlineage_names() -> None:
    assert dataset_id_from_uri("file:///data/x.parquet") == QualifiedName("file", "/data/x.parquet")
    assert dataset_id_from_uri("/data/x.parquet") == QualifiedName("file", "/data/x.parquet")
    assert dataset_id_from_uri("s3://bucket/path/to/key.csv") == QualifiedName(
        "s3://bucket", "/path/to/key.csv"
    )
    assert dataset_id_from_uri("gs://b/k") == QualifiedName("gs://b", "/k")
    assert dataset_id_from_uri("hdfs://nn:8020/warehouse/t") == QualifiedName(
        "hdfs://nn:8020", "/warehouse/t"
    )
    assert dataset_id_from_uri("file:/data/with%20space.csv") == QualifiedName(
        "file", "/data/with space.csv"
    )
    assert dataset_id_from_uri("sklearn.datasets.load_wine") is None
    assert dataset_id_from_uri("C:\\data\\x.csv") is None


def test_mlflow_dataset_inputs_are_linked_to_openlineage_datasets() -> None:
    runs = (
        ol_run("w", "export", outputs=(use("/data/x.parquet", version="7"),)),
        # A producer that writes object-store keys without the leading slash.
        ol_run("w2", "export_s3", outputs=(use("key.csv", "s3://bucket", version="3"),)),
    )
    mlflow = mlflow_run(
        inputs=(
            mlflow_input("train", "file:///data/x.parquet"),
            mlflow_input("s3", "s3://bucket/key.csv", context="evaluation"),
            mlflow_input("wine", "sklearn.datasets.load_wine"),
        )
    )
    graph = graph_of(lineage_runs=runs, mlflow_runs=(mlflow,), model_versions=(version(),))
    g = graph.graph
    assert g.edges["dataset:file:/data/x.parquet", "mlflow_run:ml1", "read"]["version"] == "abc123"
    assert g.has_edge("dataset:s3://bucket:key.csv", "mlflow_run:ml1", key="read")
    assert g.has_edge("dataset:mlflow:wine", "mlflow_run:ml1", key="read")
    prov = provenance(graph, graph.index.version_by_key["credit@1"])
    assert [r.run_id for r in prov.upstream_runs] == ["w", "w2"]
    assert prov.root_datasets == (QualifiedName("mlflow", "wine"),)
    assert [str(u.dataset) for u in prov.input_datasets] == [
        "file:/data/x.parquet",
        "mlflow:wine",
        "s3://bucket:key.csv",
    ]


# ---------------------------------------------------------------- linking without tags

TRAIN_START, TRAIN_END = "2026-11-27T10:10:07.938793", "2026-11-27T10:10:09.060510"
"""The span of the real training run (its START and COMPLETE events)."""


def _links(graph: LineageGraph, key: str) -> list[tuple[str, str, str]]:
    prov = provenance(graph, graph.index.version_by_key[key])
    assert [r.run_id for r in prov.training_runs] == [x.lineage_run_id for x in prov.training_links]
    return [(x.lineage_run_id, str(x.basis), x.detail) for x in prov.training_links]


def _real_untagged(
    tmp_path: Path, *, start: str, end: str, source: str | None = None
) -> LineageGraph:
    """The real events with no tag, and the real MLflow export whose run of
    breast-cancer-classifier v2 logged the features file the training run read, at the
    times given (and, with ``source``, that version's source replaced)."""
    evidence = read_evidence(Config(), sample_folder(tmp_path, mlflow=True))
    features = "file:///data/clinical-ml/features/breast_cancer_features.parquet"
    runs = tuple(
        replace(
            r,
            start=datetime.fromisoformat(start).replace(tzinfo=UTC),
            end=datetime.fromisoformat(end).replace(tzinfo=UTC),
            dataset_inputs=tuple(
                replace(i, source_uri=features, source={"uri": features}) for i in r.dataset_inputs
            ),
        )
        if r.run_id == BC2_RUN
        else r
        for r in evidence.mlflow_runs
    )
    versions = tuple(
        replace(v, source=source) if source and v.key == "breast-cancer-classifier@2" else v
        for v in evidence.model_versions
    )
    return graph_for(replace(evidence, mlflow_runs=runs, model_versions=versions))


def test_real_events_link_by_dataset_and_time(tmp_path: Path) -> None:
    graph = _real_untagged(tmp_path, start="2026-11-27T10:10:08", end="2026-11-27T10:10:09")
    [(run_id, basis, detail)] = _links(graph, "breast-cancer-classifier@2")
    assert (run_id, basis) == (TRAIN_RUN, "dataset+time")
    assert detail == (
        "read file:/data/clinical-ml/features/breast_cancer_features.parquet; MLflow run "
        "2026-11-27T10:10:08+00:00 to 2026-11-27T10:10:09+00:00 inside OpenLineage run "
        "2026-11-27T10:10:07.938793+00:00 to 2026-11-27T10:10:09.060510+00:00"
    )
    edge = graph.graph.edges[f"run:{TRAIN_RUN}", f"mlflow_run:{BC2_RUN}", "run_of"]
    assert edge["basis"] == "dataset+time"
    prov = provenance(graph, graph.index.version_by_key["breast-cancer-classifier@2"])
    assert prov.root_datasets == (LANDING,)
    assert prov.linked_by == "dataset+time"
    # The other MLflow runs log only library datasets (no storage location): never linked.
    other = provenance(graph, graph.index.version_by_key["breast-cancer-classifier@1"])
    assert other.training_runs == ()


def test_real_events_a_tag_wins_over_dataset_and_time(tmp_path: Path) -> None:
    graph = _real_untagged(tmp_path, start="2026-11-27T10:10:08", end="2026-11-27T10:10:09")
    tagged = replace(
        graph.index.runs[BC2_RUN],
        tags={**graph.index.runs[BC2_RUN].tags, "openlineage.run_id": FEATURES_RUN},
    )
    evidence = replace(
        graph.evidence,
        mlflow_runs=tuple(tagged if r.run_id == BC2_RUN else r for r in graph.evidence.mlflow_runs),
    )
    graph = graph_for(evidence)
    assert _links(graph, "breast-cancer-classifier@2") == [
        (FEATURES_RUN, "tag", "MLflow run tag openlineage.run_id")
    ]


def test_real_events_no_link_when_the_mlflow_run_ends_after_the_openlineage_run(
    tmp_path: Path,
) -> None:
    graph = _real_untagged(tmp_path, start="2026-11-27T10:10:08", end="2026-11-27T10:10:10")
    assert _links(graph, "breast-cancer-classifier@2") == []
    assert graph.index.run_links() == ()
    prov = provenance(graph, graph.index.version_by_key["breast-cancer-classifier@2"])
    assert "none that read its datasets while it ran" in prov.gaps[0]


def test_real_events_no_link_when_the_mlflow_run_starts_before_the_openlineage_run(
    tmp_path: Path,
) -> None:
    graph = _real_untagged(tmp_path, start="2026-11-27T10:10:07", end="2026-11-27T10:10:09")
    assert _links(graph, "breast-cancer-classifier@2") == []


def test_real_events_link_by_the_model_file_the_training_run_wrote(tmp_path: Path) -> None:
    # The real training run writes file:/data/clinical-ml/model/model.skops; a version whose
    # source is that file is its output. The MLflow run's times lie outside the run here.
    graph = _real_untagged(
        tmp_path,
        start="2026-11-27T11:00:00",
        end="2026-11-27T11:01:00",
        source="file:///data/clinical-ml/model/model.skops",
    )
    assert _links(graph, "breast-cancer-classifier@2") == [
        (TRAIN_RUN, "output", "wrote file:/data/clinical-ml/model/model.skops")
    ]
    edge = graph.graph.edges[f"run:{TRAIN_RUN}", f"mlflow_run:{BC2_RUN}", "run_of"]
    assert edge["basis"] == "output"


def _feature_run(run_id: str, **kwargs: Any) -> LineageRun:
    return ol_run(run_id, f"train_{run_id}", inputs=(use("/data/features.parquet"),), **kwargs)


def _mlflow_on_features(**kwargs: Any) -> MlflowRun:
    return mlflow_run(
        inputs=(mlflow_input("features", "file:///data/features.parquet"),),
        start="2026-01-01T00:01:00",
        end="2026-01-01T00:09:00",
        **kwargs,
    )


def test_output_link_by_models_uri_names_the_mlflow_run() -> None:
    writer = ol_run("w", "train", outputs=(use("models:/credit/1", "mlflow"),))
    graph = graph_of(
        lineage_runs=(writer,), mlflow_runs=(mlflow_run(),), model_versions=(version(),)
    )
    assert _links(graph, "credit@1") == [("w", "output", "wrote mlflow:models:/credit/1")]
    assert graph.graph.edges["run:w", "mlflow_run:ml1", "run_of"]["basis"] == "output"
    dot, _ = lineage_dot(graph, "credit")
    assert 'label="output", fontsize=9' in dot


def test_output_link_by_the_logged_model_artifact_uri() -> None:
    logged = "mlflow-artifacts:/1/models/m-7/artifacts"
    writer = ol_run("w", "train", outputs=(use(logged, "mlflow"),))
    evidence = Evidence(
        root=".",
        files=(),
        lineage_runs=(writer,),
        mlflow_runs=(mlflow_run(),),
        model_versions=(version(source=logged),),
    )
    graph = graph_for(evidence)
    assert _links(graph, "credit@1") == [("w", "output", f"wrote mlflow:{logged}")]


def test_output_link_for_a_version_with_no_mlflow_run() -> None:
    writer = ol_run("w", "train", outputs=(use("/models/credit", "file"),))
    graph = graph_of(
        lineage_runs=(writer,), model_versions=(version(run_id=None, source="/models/credit"),)
    )
    [x] = provenance(graph, graph.index.version_by_key["credit@1"]).training_links
    assert (x.mlflow_run_id, x.lineage_run_id, x.basis) == (None, "w", "output")
    assert graph.index.run_links() == ()


def test_tag_link_wins_over_output_and_dataset_time() -> None:
    runs = (
        _feature_run("by_time"),
        ol_run("by_output", "train_b", outputs=(use("models:/credit/1", "mlflow"),)),
        ol_run("by_tag", "train_c", mlflow_run_id="ml1", start="2026-02-01T00:00:00", end=None),
    )
    graph = graph_of(
        lineage_runs=runs, mlflow_runs=(_mlflow_on_features(),), model_versions=(version(),)
    )
    assert _links(graph, "credit@1") == [("by_tag", "tag", "OpenLineage run tag mlflow.run_id")]
    assert [x.lineage_run_id for x in graph.index.run_links()] == ["by_tag"]
    run_of = {u for u, v, k in graph.graph.in_edges("mlflow_run:ml1", keys=True) if k == "run_of"}
    assert run_of == {"run:by_tag"}


def test_mlflow_side_tag_is_a_tag_link() -> None:
    runs = (_feature_run("by_time"), ol_run("tagged", "train_t"))
    mrun = _mlflow_on_features(tags={"openlineage.run_id": "tagged"})
    graph = graph_of(lineage_runs=runs, mlflow_runs=(mrun,), model_versions=(version(),))
    assert _links(graph, "credit@1") == [("tagged", "tag", "MLflow run tag openlineage.run_id")]


def test_output_link_wins_over_dataset_time() -> None:
    runs = (
        _feature_run("by_time"),
        ol_run("by_output", "train_b", outputs=(use("models:/credit/1", "mlflow"),)),
    )
    graph = graph_of(
        lineage_runs=runs, mlflow_runs=(_mlflow_on_features(),), model_versions=(version(),)
    )
    assert [(r, b) for r, b, _ in _links(graph, "credit@1")] == [("by_output", "output")]


def test_two_runs_matching_alike_by_dataset_and_time_give_no_link() -> None:
    runs = (_feature_run("a"), _feature_run("b", start="2025-12-31T23:00:00"))
    evidence = Evidence(
        root=".",
        files=(),
        lineage_runs=runs,
        mlflow_runs=(_mlflow_on_features(),),
        model_versions=(version(),),
    )
    config = Config()
    index = Index(evidence, config)
    graph = build_graph(evidence, config, index)
    assert _links(graph, "credit@1") == []
    assert not any(k == "run_of" for _, _, k in graph.graph.in_edges("mlflow_run:ml1", keys=True))
    reason = (
        "MLflow run ml1 matches 2 OpenLineage runs alike by dataset+time (train_a a, train_b b), "
        "so none is linked: tag the training run (mlflow.run_id or openlineage.run_id)"
    )
    assert provenance(graph, index.version_by_key["credit@1"]).gaps[0] == reason
    linked = link(evidence, index)
    assert [(u.kind, u.key, u.reason) for u in linked.unlinked] == [("MLflow run", "ml1", reason)]
    assert linked.run_links == ()


def test_a_child_run_is_preferred_to_its_parent_that_matches_too() -> None:
    runs = (
        _feature_run("dag", start="2025-12-31T23:00:00", end="2026-01-01T01:00:00"),
        _feature_run("task", parent="dag"),
    )
    graph = graph_of(
        lineage_runs=runs, mlflow_runs=(_mlflow_on_features(),), model_versions=(version(),)
    )
    assert [(r, b) for r, b, _ in _links(graph, "credit@1")] == [("task", "dataset+time")]


def test_dataset_time_needs_every_dataset_the_mlflow_run_logged() -> None:
    mrun = replace(
        _mlflow_on_features(),
        dataset_inputs=(
            mlflow_input("features", "file:///data/features.parquet"),
            mlflow_input("holdout", "s3://bucket/holdout.csv", context="evaluation"),
        ),
    )
    graph = graph_of(
        lineage_runs=(_feature_run("a"),), mlflow_runs=(mrun,), model_versions=(version(),)
    )
    assert _links(graph, "credit@1") == []


def test_links_are_recorded_in_the_evidence_with_their_basis() -> None:
    evidence = Evidence(
        root=".",
        files=(),
        lineage_runs=(_feature_run("a"),),
        mlflow_runs=(_mlflow_on_features(),),
        model_versions=(version(),),
    )
    linked = link(evidence, Index(evidence, Config()))
    [x] = linked.run_links
    assert isinstance(x, RunLink)
    assert x.to_json() == {
        "mlflow_run_id": "ml1",
        "lineage_run_id": "a",
        "job": "ns:train_a",
        "basis": "dataset+time",
        "detail": "read file:/data/features.parquet; MLflow run 2026-01-01T00:01:00+00:00 to "
        "2026-01-01T00:09:00+00:00 inside OpenLineage run 2026-01-01T00:00:00+00:00 to "
        "2026-01-01T00:10:00+00:00",
        "citation": {"file": "openlineage/events.ndjson", "pointer": "", "sha256": SHA, "line": 1},
    }


def test_system_subgraph_holds_the_version_chain_and_its_evidence() -> None:
    graph = _serving_graph(served=cols("age:long"), expected=("age:long",))
    sub = system_subgraph(graph, "credit")
    assert {
        "mv:credit@1",
        "rm:credit",
        "run:t",
        "run:s",
        "mlflow_run:ml1",
        "dataset:file:/features",
        "stage:credit/Production",
    } == set(sub.nodes)
    assert {d["kind"] for _, _, d in sub.edges(data=True)} == {
        "read",
        "wrote",
        "run_of",
        "trained",
        "version_of",
        "promoted_to",
    }


def test_type_names_are_normalised() -> None:
    assert {normalise_type(t) for t in ("double", "float64", "FLOAT", "float32")} == {"float"}
    assert {normalise_type(t) for t in ("long", "int64", "integer", "bigint")} == {"int"}
    assert {normalise_type(t) for t in ("string", "str", "object", "varchar(20)")} == {"string"}
    assert normalise_type("datetime64[ns]") == "datetime"


# ---------------------------------------------------------------- the command line


def cli() -> click.Group:
    """The real ``mldossier`` group with the lineage command added."""
    return click.Group(
        "mldossier",
        params=main.params,
        callback=main.callback,
        commands={**main.commands, "lineage": lineage_command},
    )


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real MLflow and OpenLineage exports; the training run tagged with the MLflow run of
    breast-cancer-classifier@2 (in production)."""
    return sample_folder(tmp_path_factory.mktemp("cli"), mlflow=True, tag_training=BC2_RUN)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli(), list(args))


def test_cli_text_tree(evidence_dir: Path) -> None:
    result = invoke("lineage", "breast-cancer-classifier", "--evidence", str(evidence_dir))
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"""\
breast-cancer-classifier@2  [in production: stage Production, alias champion]
  MLflow run {BC2_RUN} (bc-rf-200)
    training run (linked by tag: OpenLineage run tag mlflow.run_id) {TRAIN_JOB} run {TRAIN_RUN} COMPLETE
      reads file:/data/clinical-ml/features/breast_cancer_features.parquet @ c4b097b838d7
        written by clinical-ml:breast_cancer_training_dag.feature_engineering run {FEATURES_RUN} COMPLETE
          reads file:/data/clinical-ml/raw/breast_cancer_raw.parquet @ 2cd5a56af804
            written by clinical-ml:breast_cancer_training_dag.ingest_raw_breast_cancer run {INGEST_RETRY} COMPLETE
              reads file:/data/clinical-ml/landing/wdbc_export.csv @ e3a0e2fb8b12  [root]
    MLflow input mlflow:breast-cancer-test @ b37577b6 (evaluation)  [root]
    MLflow input mlflow:breast-cancer-train @ 5fe44b29 (training)  [root]
  root datasets: file:/data/clinical-ml/landing/wdbc_export.csv, mlflow:breast-cancer-test, mlflow:breast-cancer-train
  failed upstream runs: none
  gaps: none (the chain is complete)
"""
    )  # noqa: E501


def test_cli_json(evidence_dir: Path) -> None:
    result = invoke(
        "lineage", "breast-cancer-classifier@2", "--format", "json", "--evidence", str(evidence_dir)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [prov] = data["versions"]
    assert prov["version"] == "breast-cancer-classifier@2"
    assert prov["complete"] is True
    assert [r["run_id"] for r in prov["upstream_runs"]] == [INGEST_RETRY, FEATURES_RUN, TRAIN_RUN]
    assert [r["link"] for r in prov["training_runs"]] == [
        {"basis": "tag", "detail": "OpenLineage run tag mlflow.run_id"}
    ]
    again = invoke(
        "lineage", "breast-cancer-classifier@2", "--format", "json", "--evidence", str(evidence_dir)
    )
    assert again.output == result.output


@pytest.mark.parametrize("fmt", ["dot", "graphml", "svg"])
def test_cli_graph_formats(evidence_dir: Path, fmt: str) -> None:
    result = invoke(
        "lineage", "breast-cancer-classifier@2", "--format", fmt, "--evidence", str(evidence_dir)
    )
    assert result.exit_code == 0, result.output
    if fmt == "dot":
        assert result.output.startswith("digraph lineage {")
        assert "cancer_features.parquet" in result.output
        return
    root = ET.fromstring(result.output)
    if fmt == "graphml":
        ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
        ids = {n.get("id") for n in root.iterfind(".//g:node", ns)}
        assert {f"run:{TRAIN_RUN}", "mv:breast-cancer-classifier@2", f"dataset:{LANDING}"} <= ids
    else:
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_cli_downstream(evidence_dir: Path) -> None:
    result = invoke("lineage", "--downstream", str(LANDING), "--evidence", str(evidence_dir))
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"""\
{LANDING} feeds 1 model version(s):
  breast-cancer-classifier@2  [in production: stage Production, alias champion]
    via: clinical-ml:breast_cancer_training_dag.ingest_raw_breast_cancer -> clinical-ml:breast_cancer_training_dag.feature_engineering -> {TRAIN_JOB}
    served by: no serving run recorded
"""
    )  # noqa: E501
    as_json = invoke(
        "lineage", "--downstream", str(LANDING), "--format", "json", "--evidence", str(evidence_dir)
    )
    assert [i["version"] for i in json.loads(as_json.output)["impacts"]] == [
        "breast-cancer-classifier@2"
    ]
    for fmt in ("dot", "graphml", "svg"):
        drawn = invoke(
            "lineage",
            "--downstream",
            str(LANDING),
            "--format",
            fmt,
            "--evidence",
            str(evidence_dir),
        )
        assert drawn.exit_code == 0, drawn.output
        assert "wdbc_export" in drawn.output


def test_cli_unknown_names_exit_2(evidence_dir: Path) -> None:
    result = invoke("lineage", "fraud-model", "--evidence", str(evidence_dir))
    assert result.exit_code == 2
    assert result.output == (
        "mldossier: unknown model 'fraud-model': known registered models: "
        "breast-cancer-classifier, diabetes-progression-regressor, wine-cultivar-classifier\n"
    )
    result = invoke("lineage", "wine-cultivar-classifier@9", "--evidence", str(evidence_dir))
    assert result.exit_code == 2
    assert result.output == (
        "mldossier: unknown model version wine-cultivar-classifier@9: "
        "known versions of wine-cultivar-classifier: 1, 2\n"
    )
    result = invoke("lineage", "--downstream", "file:/nowhere", "--evidence", str(evidence_dir))
    assert result.exit_code == 2
    assert result.output.startswith(
        "mldossier: unknown dataset 'file:/nowhere' (give it as namespace:name): known "
        "datasets: file:/data/clinical-ml/features/breast_cancer_features.parquet, "
    )
    result = invoke("lineage", "--evidence", str(evidence_dir))
    assert result.exit_code == 2
    assert "give one of MODEL[@VERSION], --downstream DATASET, --job JOB or --dataset" in (
        result.output
    )
    both = invoke("lineage", "--job", "a:b", "--dataset", "c:d", "--evidence", str(evidence_dir))
    assert both.exit_code == 2 and "give one of" in both.output
    result = invoke("lineage", "--job", "clinical-ml:nope", "--evidence", str(evidence_dir))
    assert result.exit_code == 2
    assert result.output.startswith(
        "mldossier: unknown job 'clinical-ml:nope' (give it as namespace:name): known jobs: "
        "clinical-ml:breast_cancer_training_dag, "
    )


def test_cli_model_alone_traces_its_production_versions(evidence_dir: Path) -> None:
    result = invoke("lineage", "wine-cultivar-classifier", "--evidence", str(evidence_dir))
    assert result.exit_code == 0  # version 1 holds the alias champion
    assert result.output.startswith(
        "wine-cultivar-classifier@1  [in production: stage Staging, alias champion]\n"
    )


def test_cli_model_without_production_version(evidence_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text("production:\n  stages: [Live]\n  aliases: [live]\n", "utf-8")
    result = invoke(
        "--config",
        str(config),
        "lineage",
        "wine-cultivar-classifier",
        "--evidence",
        str(evidence_dir),
    )
    assert result.exit_code == 2
    assert result.output == (
        "mldossier: wine-cultivar-classifier has no version in production (stages Live; "
        "aliases live): name one as wine-cultivar-classifier@VERSION; known versions of "
        "wine-cultivar-classifier: 1, 2\n"
    )


FEATURES_ID = "file:/data/clinical-ml/features/breast_cancer_features.parquet"
FEATURE_JOB = "clinical-ml:breast_cancer_training_dag.feature_engineering"
INGEST_JOB = "clinical-ml:breast_cancer_training_dag.ingest_raw_breast_cancer"


@pytest.fixture(scope="module")
def lineage_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real OpenLineage events alone: no MLflow evidence at all."""
    return sample_folder(tmp_path_factory.mktemp("jobs"))


def test_cli_job_view_needs_no_mlflow(lineage_only: Path) -> None:
    assert not (lineage_only / "mlflow").exists()
    result = invoke("lineage", "--job", FEATURE_JOB, "--evidence", str(lineage_only))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"job {FEATURE_JOB}  [1 run, last COMPLETE 2026-11-27T10:10:07.923667+00:00, TASK]\n"
        "upstream: 1 job(s), 2 dataset(s)\n"
        f"  1. dataset file:/data/clinical-ml/raw/breast_cancer_raw.parquet (read by {FEATURE_JOB})\n"
        f"  2. job {INGEST_JOB} (writes file:/data/clinical-ml/raw/breast_cancer_raw.parquet)  "
        "[2 runs, last COMPLETE 2026-11-27T10:10:07.898423+00:00, TASK]\n"
        f"  3. dataset {LANDING} (read by {INGEST_JOB})  [root: no job writes it]\n"
        "downstream: 1 job(s), 2 dataset(s)\n"
        f"  1. dataset {FEATURES_ID} (written by {FEATURE_JOB})\n"
        f"  2. job {TRAIN_JOB} (reads {FEATURES_ID})  "
        "[1 run, last COMPLETE 2026-11-27T10:10:09.060510+00:00, ML_TRAINING]\n"
        f"  3. dataset file:/data/clinical-ml/model/model.skops (written by {TRAIN_JOB})\n"
    )  # noqa: E501


def test_cli_dataset_view_upstream_and_downstream(lineage_only: Path) -> None:
    result = invoke(
        "lineage", "--dataset", FEATURES_ID, "--format", "json", "--evidence", str(lineage_only)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["target"]["id"] == f"dataset:{FEATURES_ID}"
    assert [(n["level"], n["id"]) for n in data["upstream"]] == [
        (1, f"job:{FEATURE_JOB}"),
        (2, "dataset:file:/data/clinical-ml/raw/breast_cancer_raw.parquet"),
        (3, f"job:{INGEST_JOB}"),
        (4, f"dataset:{LANDING}"),
    ]
    assert [(n["level"], n["id"]) for n in data["downstream"]] == [
        (1, f"job:{TRAIN_JOB}"),
        (2, "dataset:file:/data/clinical-ml/model/model.skops"),
    ]
    ingest = data["upstream"][2]
    assert (ingest["runs"], ingest["last_state"], ingest["job_type"]) == (2, "COMPLETE", "TASK")
    assert {"from": f"job:{FEATURE_JOB}", "to": f"dataset:{FEATURES_ID}", "kind": "wrote"} in (
        data["edges"]
    )
    # a root dataset: nothing upstream
    root = invoke("lineage", "--dataset", str(LANDING), "--evidence", str(lineage_only))
    assert root.output.splitlines()[1] == "upstream: nothing"


@pytest.mark.parametrize("fmt", ["dot", "graphml", "svg"])
def test_cli_job_view_graph_formats(lineage_only: Path, fmt: str) -> None:
    result = invoke("lineage", "--job", TRAIN_JOB, "--format", fmt, "--evidence", str(lineage_only))
    assert result.exit_code == 0, result.output
    if fmt == "dot":
        assert result.output.startswith("digraph lineage {")
        assert "Lineage around job" in result.output
        return
    root = ET.fromstring(result.output)
    if fmt == "graphml":
        ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
        ids = {n.get("id") for n in root.iterfind(".//g:node", ns)}
        assert {f"job:{TRAIN_JOB}", f"job:{INGEST_JOB}", f"dataset:{LANDING}"} <= ids
    else:
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
