"""The MLflow importer, on the real REST responses and MLmodel files in tests/reference/samples/mlflow."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from factories import PROMPT_TAG, prompt_responses, write_responses

from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.mlflow import MlflowImporter, response_shape
from mldossier.model import Column, Prompt

MLFLOW = SAMPLES / "mlflow"
REST = MLFLOW / "rest"
ARTIFACTS = MLFLOW / "model_artifacts"

BC_V2_MODEL = "m-d2b056cd5d8b4103a43cc372e1e28fb1"
BC_V2_RUN = "da3a687298b540b5bda2d5c88308f3e1"
DISAGREE_FIX = "(export both from the same moment, or remove the stale file)"


# ---------------------------------------------------------------- helpers


def documents(root: Path) -> list[Document]:
    """Every parsed document below root, as the scanner hands them to importers."""
    found, problems = scan(root, Limits())
    assert problems == []
    return [d for d in found if isinstance(d, Document)]


def run_import(root: Path, shuffle: int | None = None) -> tuple[ImportResult, list[str], list[str]]:
    """Import a folder: the result, the files claimed and the files left alone."""
    importer = MlflowImporter(ImportContext(root))
    result = ImportResult()
    docs = documents(root)
    if shuffle is not None:
        random.Random(shuffle).shuffle(docs)
    claimed, left = [], []
    for doc in docs:
        if importer.detect(doc):
            claimed.append(doc.file.path)
            importer.read(doc, result)
        else:
            left.append(doc.file.path)
    importer.finish(result)
    return result, claimed, left


def copy_rest(tmp_path: Path, *names: str) -> Path:
    """A folder holding copies of some real REST responses."""
    for name in names:
        shutil.copy(REST / name, tmp_path / name)
    return tmp_path


def load(name: str) -> Any:
    return json.loads((REST / name).read_text("utf-8"))


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def records(result: ImportResult, kind: str) -> list[Any]:
    return result.records.get(kind, [])


def by_key(result: ImportResult) -> dict[str, Any]:
    return {v.key: v for v in records(result, "model_versions")}


def messages(result: ImportResult) -> list[str]:
    return [str(p) for p in result.problems]


def errors(result: ImportResult) -> list[str]:
    return [str(p) for p in result.problems if p.is_error]


# ---------------------------------------------------------------- the whole sample folder


def test_whole_sample_folder_imports_with_no_error_but_its_error_body():
    result, claimed, left = run_import(MLFLOW)
    # The one deliberate error body is a failed call's answer: an input error of its own.
    assert [(p.file, p.pointer) for p in result.problems] == [
        ("rest/error_registered_models_get_missing.json", "/error_code")
    ]
    assert {k: len(v) for k, v in result.records.items()} == {
        "experiments": 3,
        "registered_models": 3,
        "model_versions": 7,
        "mlflow_runs": 7,
        "logged_models": 7,
        "signatures": 7,
    }
    # Every REST body and every artifact file (MLmodel and the input examples) is claimed.
    assert len(claimed) == len(list(REST.glob("*.json"))) + len(list(ARTIFACTS.glob("*/*")))
    assert left == []


def test_records_come_in_key_order_whatever_the_reading_order():
    first, _, _ = run_import(MLFLOW)
    for seed in (1, 2, 3):
        again, _, _ = run_import(MLFLOW, shuffle=seed)
        assert again.records == first.records
        assert sorted(messages(again)) == sorted(messages(first))
    assert [v.key for v in records(first, "model_versions")] == [
        "breast-cancer-classifier@1",
        "breast-cancer-classifier@2",
        "breast-cancer-classifier@3",
        "diabetes-progression-regressor@1",
        "diabetes-progression-regressor@2",
        "wine-cultivar-classifier@1",
        "wine-cultivar-classifier@2",
    ]
    assert [r.name for r in records(first, "registered_models")] == [
        "breast-cancer-classifier",
        "diabetes-progression-regressor",
        "wine-cultivar-classifier",
    ]
    assert [e.experiment_id for e in records(first, "experiments")] == ["0", "1", "2"]


def test_registered_model_fields():
    result, _, _ = run_import(MLFLOW)
    model = records(result, "registered_models")[0]
    assert model.name == "breast-cancer-classifier"
    assert model.aliases == {"challenger": "3", "champion": "2"}
    assert model.tags["risk_level"] == "high"
    assert model.tags["eu_ai_act_category"] == "high-risk"
    assert model.description.startswith("Binary classifier: malignant vs benign")
    assert model.created == datetime(2026, 11, 27, 10, 7, 11, 282000, tzinfo=UTC)
    assert model.cite.file == "rest/registered_models_get__breast-cancer-classifier.json"
    assert model.cite.pointer == "/registered_model"


def test_registered_model_without_description_gets_empty_text(tmp_path):
    data = load("registered_models_get__wine-cultivar-classifier.json")
    del data["registered_model"]["description"]
    write(tmp_path / "rm.json", data)
    result, _, _ = run_import(tmp_path)
    assert records(result, "registered_models")[0].description == ""


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("path", sorted(REST.glob("*.json")), ids=lambda p: p.name)
def test_every_real_response_is_detected(path):
    assert response_shape(json.loads(path.read_text("utf-8"))) is not None


def test_input_examples_are_claimed_without_records(tmp_path):
    for name in ("input_example.json", "serving_input_example.json"):
        shutil.copy(ARTIFACTS / BC_V2_MODEL / name, tmp_path / name)
    result, claimed, left = run_import(tmp_path)
    assert sorted(claimed) == ["input_example.json", "serving_input_example.json"]
    assert result.records == {} and result.problems == []


def test_unknown_shapes_are_not_detected(tmp_path):
    shutil.copy(SAMPLES / "evidently" / "data_drift_report.json", tmp_path / "drift.json")
    shutil.copy(
        SAMPLES / "evidently" / "data_drift_report.full_snapshot.json", tmp_path / "snap.json"
    )
    shutil.copy(SAMPLES / "openlineage" / "events.ndjson", tmp_path / "events.ndjson")
    page = load("model_versions_search_paged_page1.json")
    write(tmp_path / "extra_key.json", {**page, "exported_by": "me"})
    write(tmp_path / "wrong_container.json", {"model_versions": "all of them"})
    write(tmp_path / "other.json", {"foo": 1})
    write(tmp_path / "list.json", [page])
    (tmp_path / "signoff.yaml").write_text("mldossier: signoff/v1\nid: X\n", "utf-8")
    # REST bodies are JSON: the same keys in a YAML file are not an MLflow response.
    (tmp_path / "run.yaml").write_text("run:\n  info:\n    run_id: abc\n", "utf-8")
    result, claimed, left = run_import(tmp_path)
    assert claimed == []
    assert len(left) == 9
    assert result.records == {} and result.problems == []


def test_mlmodel_is_detected_by_its_keys_not_its_name(tmp_path):
    (tmp_path / "model.yaml").write_text(
        (ARTIFACTS / BC_V2_MODEL / "MLmodel").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "flavors_only.yaml").write_text("flavors: {}\n", "utf-8")
    result, claimed, _ = run_import(tmp_path)
    assert claimed == ["model.yaml"]
    assert [s.model_id for s in records(result, "signatures")] == [BC_V2_MODEL]


def test_accepted_responses_without_records(tmp_path):
    copy_rest(
        tmp_path,
        "artifacts_list__run_da3a687298b540b5bda2d5c88308f3e1.json",
        f"logged_models_artifacts_directories__{BC_V2_MODEL}.json",
        "metrics_get_history__98dac0ed4ee2444ab0f681f25128dc26__train_loss.json",
        "model_versions_get_download_uri__breast-cancer-classifier__v1.json",
    )
    result, claimed, left = run_import(tmp_path)
    assert len(claimed) == 4 and left == []
    assert result.records == {} and result.problems == []


def test_error_body_is_an_input_error_with_the_server_message(tmp_path):
    # A failed call's answer kept in the evidence: invalid input, beside any other file.
    copy_rest(
        tmp_path,
        "error_registered_models_get_missing.json",
        "registered_models_get__wine-cultivar-classifier.json",
    )
    result, claimed, _ = run_import(tmp_path)
    assert "error_registered_models_get_missing.json" in claimed
    assert errors(result) == [
        "error_registered_models_get_missing.json:/error_code: this is an MLflow error "
        "response (RESOURCE_DOES_NOT_EXIST: Registered Model with name=does-not-exist not "
        "found), not an export: the call that wrote it failed (re-run the export call that "
        "failed; a file kept on purpose goes in evidence.ignore)"
    ]
    assert "export_errors" not in result.records


@pytest.mark.parametrize(
    "name", ["registered_models_search.json", "model_versions_search.json", "runs_search.json"]
)
def test_an_empty_search_page_is_a_page_of_no_records(tmp_path, name):
    # What MLflow answers when a search matches nothing: {} (protobuf leaves empty lists out).
    write(tmp_path / name, {})
    result, claimed, left = run_import(tmp_path)
    assert (claimed, left) == ([name], [])
    assert result.records == {} and result.problems == []


def test_an_empty_page_beside_full_pages_changes_nothing(tmp_path):
    copy_rest(tmp_path, "model_versions_search_paged_page1.json")
    alone, _, _ = run_import(tmp_path)
    write(tmp_path / "model_versions_search_paged_page9.json", {})
    (tmp_path / "empty.yaml").write_text("{}\n", "utf-8")  # REST bodies are JSON only
    result, claimed, left = run_import(tmp_path)
    assert sorted(claimed) == [
        "model_versions_search_paged_page1.json",
        "model_versions_search_paged_page9.json",
    ]
    assert left == ["empty.yaml"]
    assert result.records == alone.records and result.problems == []


# ---------------------------------------------------------------- prompts


def test_a_prompt_is_listed_as_a_prompt_not_as_a_registered_model(tmp_path):
    copy_rest(
        tmp_path,
        "registered_models_get__wine-cultivar-classifier.json",
        "model_versions_get__wine-cultivar-classifier__v1.json",
    )
    write_responses(tmp_path, prompt_responses("support-answer", ("1", "2")))
    result, claimed, left = run_import(tmp_path)
    assert left == [] and result.problems == []
    assert [m.name for m in records(result, "registered_models")] == ["wine-cultivar-classifier"]
    assert sorted(by_key(result)) == ["wine-cultivar-classifier@1", "wine-cultivar-classifier@2"]
    (prompt,) = records(result, "prompts")
    assert (prompt.name, prompt.versions) == ("support-answer", ("1", "2"))
    assert (prompt.cite.file, prompt.cite.pointer) == (
        "registered_models_get__support-answer.json",
        "/registered_model",
    )


def test_a_prompt_known_only_by_its_versions_is_a_prompt(tmp_path):
    # A model-versions/search page, say: the tag on each version is enough.
    write_responses(tmp_path, prompt_responses("support-answer", ("3",), on_model=False))
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    assert records(result, "model_versions") == []
    (prompt,) = records(result, "prompts")
    assert isinstance(prompt, Prompt)
    assert (prompt.name, prompt.versions, prompt.cite.file, prompt.cite.pointer) == (
        "support-answer",
        ("3",),
        "model_versions_get__support-answer__v3.json",
        "/model_version",
    )


def test_a_registered_model_whose_prompt_tag_is_false_stays_an_ai_system(tmp_path):
    responses = prompt_responses("support-answer", ("1",))
    for data in responses.values():
        obj = data.get("registered_model") or data["model_version"]
        for holder in (obj, *obj.get("latest_versions", [])):
            for tag in holder["tags"]:
                if tag["key"] == PROMPT_TAG:
                    tag["value"] = "false"
    write_responses(tmp_path, responses)
    result, _, _ = run_import(tmp_path)
    assert [m.name for m in records(result, "registered_models")] == ["support-answer"]
    assert "prompts" not in result.records


def link_prompts(path: Path, holder: str, value: str) -> None:
    """Add MLflow's ``mlflow.linkedPrompts`` tag to a real runs/get or logged-models/get body."""
    data = json.loads(path.read_text("utf-8"))
    tags = data["model"]["info"]["tags"] if holder == "model" else data["run"]["data"]["tags"]
    tags.append({"key": "mlflow.linkedPrompts", "value": value})
    write(path, data)


def test_a_prompt_is_listed_with_the_versions_whose_logged_model_or_run_links_it(tmp_path):
    # MLflow links a prompt to a logged model or a run with the tag mlflow.linkedPrompts,
    # a JSON list of {name, version}: the versions made from them use the prompt.
    copy_rest(
        tmp_path,
        "registered_models_get__wine-cultivar-classifier.json",
        "logged_models_get__m-c339a42f76334fdd9271d79d6325b7cc.json",  # wine v1's model
        "runs_get__89cc1dfa75d94a5990c6b94c86c6ddbd.json",  # wine v2's run
    )
    write_responses(tmp_path, prompt_responses("support-answer", ("1", "2")))
    write_responses(tmp_path, prompt_responses("unused-prompt", ("1",)))
    link_prompts(
        tmp_path / "logged_models_get__m-c339a42f76334fdd9271d79d6325b7cc.json",
        "model",
        '[{"name": "support-answer", "version": "2"}]',
    )
    link_prompts(
        tmp_path / "runs_get__89cc1dfa75d94a5990c6b94c86c6ddbd.json",
        "run",
        '[{"name": "support-answer", "version": "1"}, {"name": "not-exported", "version": "1"}]',
    )
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    assert {p.name: p.used_by for p in records(result, "prompts")} == {
        "support-answer": ("wine-cultivar-classifier@1", "wine-cultivar-classifier@2"),
        "unused-prompt": (),
    }
    assert [m.name for m in records(result, "registered_models")] == ["wine-cultivar-classifier"]


def test_a_linked_prompts_tag_that_is_not_json_is_an_error(tmp_path):
    copy_rest(tmp_path, "runs_get__89cc1dfa75d94a5990c6b94c86c6ddbd.json")
    path = tmp_path / "runs_get__89cc1dfa75d94a5990c6b94c86c6ddbd.json"
    link_prompts(path, "run", "support-answer/1")
    where = len(json.loads(path.read_text("utf-8"))["run"]["data"]["tags"]) - 1
    result, _, _ = run_import(tmp_path)
    assert errors(result) == [
        f"runs_get__89cc1dfa75d94a5990c6b94c86c6ddbd.json:/run/data/tags/{where}/value: "
        'expected JSON inside this string, got "support-answer/1" (Expecting value at '
        "character 0) (MLflow writes this tag as a JSON list of {name, version}; re-export "
        "the run)"
    ]


def test_a_version_tagged_as_a_prompt_cannot_hide_an_ai_system(tmp_path):
    # MLflow tags a prompt and each of its versions: a tag on a version of a registered
    # model that is not a prompt is an error, never a way out of the assessment.
    copy_rest(
        tmp_path,
        "registered_models_get__wine-cultivar-classifier.json",
        "model_versions_get__wine-cultivar-classifier__v1.json",
    )
    path = tmp_path / "model_versions_get__wine-cultivar-classifier__v1.json"
    data = json.loads(path.read_text("utf-8"))
    data["model_version"]["tags"].append({"key": PROMPT_TAG, "value": "true"})
    write(path, data)
    result, _, _ = run_import(tmp_path)
    assert errors(result) == [
        "model_versions_get__wine-cultivar-classifier__v1.json:/model_version/tags/3/value: "
        'version "1" of wine-cultivar-classifier is tagged as a prompt (mlflow.prompt.is_prompt '
        "= true), while its registered model is not (MLflow tags a prompt and each of its "
        "versions; export both from the same server, or remove the stale file)"
    ]
    assert [m.name for m in records(result, "registered_models")] == ["wine-cultivar-classifier"]


def test_a_prompt_version_without_the_tag_is_an_error(tmp_path):
    responses = prompt_responses("support-answer", ("1",))
    version = responses["model_versions_get__support-answer__v1.json"]["model_version"]
    version["tags"] = [t for t in version["tags"] if t["key"] != PROMPT_TAG]
    del responses["registered_models_get__support-answer.json"]["registered_model"][
        "latest_versions"
    ]
    write_responses(tmp_path, responses)
    result, _, _ = run_import(tmp_path)
    assert errors(result) == [
        "model_versions_get__support-answer__v1.json:/model_version/tags: "
        'version "1" of support-answer is not tagged as a prompt (mlflow.prompt.is_prompt '
        "= true), while its registered model is (MLflow tags a prompt and each of its "
        "versions; export both from the same server, or remove the stale file)"
    ]


# ---------------------------------------------------------------- registry quirks


def test_aliases_from_get_are_merged_into_versions_found_by_search(tmp_path):
    copy_rest(tmp_path, "model_versions_search.json")
    alone, _, _ = run_import(tmp_path)
    # model-versions/search never carries aliases.
    assert all(v.aliases == () for v in records(alone, "model_versions"))

    copy_rest(tmp_path, "model_versions_get__breast-cancer-classifier__v2.json")
    merged, _, _ = run_import(tmp_path)
    versions = by_key(merged)
    assert len(versions) == 7
    assert versions["breast-cancer-classifier@2"].aliases == ("champion",)
    assert versions["breast-cancer-classifier@3"].aliases == ()
    # The get copy is richer (it has aliases): it is the one cited.
    assert versions["breast-cancer-classifier@2"].cite.file == (
        "model_versions_get__breast-cancer-classifier__v2.json"
    )
    assert versions["breast-cancer-classifier@2"].cite.pointer == "/model_version"
    assert versions["breast-cancer-classifier@1"].cite.pointer == "/model_versions/5"
    assert merged.problems == []


def test_registered_model_alias_map_reaches_versions(tmp_path):
    copy_rest(tmp_path, "model_versions_search.json", "registered_models_search.json")
    result, _, _ = run_import(tmp_path)
    versions = by_key(result)
    assert versions["breast-cancer-classifier@2"].aliases == ("champion",)
    assert versions["breast-cancer-classifier@3"].aliases == ("challenger",)
    assert versions["diabetes-progression-regressor@1"].aliases == ("baseline",)
    assert versions["wine-cultivar-classifier@2"].aliases == ()
    assert result.problems == []


def test_latest_versions_and_alias_copies_of_one_moment_do_not_disagree(tmp_path):
    copy_rest(
        tmp_path,
        "registered_models_get__breast-cancer-classifier.json",
        "registered_models_get_latest_versions__breast-cancer-classifier.json",
        "registered_models_alias__breast-cancer-classifier__champion.json",
        "registered_models_alias__breast-cancer-classifier__challenger.json",
        "model_versions_search_filter_name.json",
    )
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    versions = by_key(result)
    assert sorted(versions) == [f"breast-cancer-classifier@{n}" for n in (1, 2, 3)]
    assert versions["breast-cancer-classifier@2"].aliases == ("champion",)
    assert versions["breast-cancer-classifier@3"].aliases == ("challenger",)


def test_stage_none_is_none_and_timestamps_are_utc(tmp_path):
    result, _, _ = run_import(MLFLOW)
    versions = by_key(result)
    assert versions["wine-cultivar-classifier@2"].stage is None
    assert versions["breast-cancer-classifier@1"].stage == "Archived"
    assert versions["breast-cancer-classifier@2"].stage == "Production"
    assert versions["breast-cancer-classifier@3"].stage == "Staging"
    v2 = versions["breast-cancer-classifier@2"]
    assert v2.version == "2"
    assert v2.created == datetime(2026, 11, 27, 10, 7, 20, 608000, tzinfo=UTC)
    assert v2.updated == datetime(2026, 11, 27, 10, 7, 54, 914000, tzinfo=UTC)
    assert v2.tags["validation_report"] == "VR-102"
    assert v2.status == "READY"


@pytest.mark.parametrize(
    ("pages", "full", "kind", "count"),
    [
        ("model_versions_search_paged_page", "model_versions_search.json", "model_versions", 7),
        (
            "registered_models_search_paged_page",
            "registered_models_search.json",
            "registered_models",
            3,
        ),
        ("experiments_search_paged_page", "experiments_search.json", "experiments", 3),
        ("logged_models_search_paged_page", "logged_models_search.json", "logged_models", 7),
        ("runs_search_paged_page", None, "mlflow_runs", 7),
    ],
)
def test_pages_merge_to_the_full_set(tmp_path, pages, full, kind, count):
    paged_dir, full_dir = tmp_path / "paged", tmp_path / "full"
    paged_dir.mkdir()
    full_dir.mkdir()
    names = sorted(p.name for p in REST.glob(f"{pages}*.json"))
    assert len(names) >= 3
    # Only the last page has no next_page_token.
    assert ["next_page_token" in load(n) for n in names] == [True] * (len(names) - 1) + [False]
    copy_rest(paged_dir, *names)
    paged, _, _ = run_import(paged_dir)
    assert paged.problems == []
    assert len(records(paged, kind)) == count
    if full is None:  # runs/search was only fetched paged: compare with runs/get
        copy_rest(full_dir, *(p.name for p in REST.glob("runs_get__*.json")))
    else:
        copy_rest(full_dir, full)
    whole, _, _ = run_import(full_dir)

    def without_cites(items: list[Any]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            fields = {
                f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "cite"
            }
            if "dataset_inputs" in fields:
                fields["dataset_inputs"] = [
                    {f.name: getattr(d, f.name) for f in dataclasses.fields(d) if f.name != "cite"}
                    for d in fields["dataset_inputs"]
                ]
            out.append(fields)
        return out

    assert without_cites(records(paged, kind)) == without_cites(records(whole, kind))


# ---------------------------------------------------------------- sources and links


def test_mlflow3_source_resolves_through_the_logged_model_to_the_run(tmp_path):
    version = load("model_versions_get__breast-cancer-classifier__v2.json")
    assert version["model_version"]["source"] == f"models:/{BC_V2_MODEL}"
    del version["model_version"]["run_id"]
    write(tmp_path / "version.json", version)
    alone, _, _ = run_import(tmp_path)
    v2 = by_key(alone)["breast-cancer-classifier@2"]
    assert v2.logged_model_id == BC_V2_MODEL
    assert v2.run_id is None

    copy_rest(tmp_path, f"logged_models_get__{BC_V2_MODEL}.json")
    linked, _, _ = run_import(tmp_path)
    v2 = by_key(linked)["breast-cancer-classifier@2"]
    assert v2.logged_model_id == BC_V2_MODEL
    assert v2.run_id == BC_V2_RUN
    assert records(linked, "logged_models")[0].source_run_id == BC_V2_RUN
    assert linked.problems == []


def test_real_versions_link_to_logged_models_and_runs():
    result, _, _ = run_import(MLFLOW)
    logged = {m.model_id: m for m in records(result, "logged_models")}
    runs = {r.run_id: r for r in records(result, "mlflow_runs")}
    for version in records(result, "model_versions"):
        model = logged[version.logged_model_id]
        assert version.run_id == model.source_run_id
        assert version.logged_model_id in runs[version.run_id].model_outputs
        assert (version.name, version.version) in model.model_versions


def test_mlflow2_runs_source_gives_the_run_id(tmp_path):
    data = load("model_versions_get__breast-cancer-classifier__v1.json")
    data["model_version"]["source"] = "runs:/abc123/model"
    data["model_version"]["run_id"] = ""
    write(tmp_path / "v1.json", data)
    result, _, _ = run_import(tmp_path)
    v1 = by_key(result)["breast-cancer-classifier@1"]
    assert v1.run_id == "abc123"
    assert v1.logged_model_id is None
    assert v1.source == "runs:/abc123/model"
    assert result.problems == []


def test_own_run_id_wins_over_the_runs_source(tmp_path):
    data = load("model_versions_get__breast-cancer-classifier__v1.json")
    data["model_version"]["source"] = "runs:/abc123/model"
    write(tmp_path / "v1.json", data)
    result, _, _ = run_import(tmp_path)
    assert by_key(result)["breast-cancer-classifier@1"].run_id == (
        "af5e39acdb044bb692de7c42091f1c62"
    )


def test_logged_model_duplicate_model_versions_entry_is_deduplicated():
    raw = load(f"logged_models_get__{BC_V2_MODEL}.json")
    tag = next(
        t["value"] for t in raw["model"]["info"]["tags"] if t["key"] == "mlflow.modelVersions"
    )
    assert json.loads(tag) == [
        {"name": "breast-cancer-classifier", "version": 2},
        {"name": "breast-cancer-classifier", "version": "2"},
    ]
    result, _, _ = run_import(MLFLOW)
    model = next(m for m in records(result, "logged_models") if m.model_id == BC_V2_MODEL)
    assert model.model_versions == (("breast-cancer-classifier", "2"),)
    assert model.created == datetime(2026, 11, 27, 10, 7, 12, 508000, tzinfo=UTC)
    assert model.params == {
        "max_depth": "6",
        "model_type": "RandomForestClassifier",
        "n_estimators": "200",
    }
    assert model.metrics["roc_auc"] == pytest.approx(0.9945900957136913)
    assert model.experiment_id == "1"
    assert model.status == "LOGGED_MODEL_READY"
    assert model.cite.file == f"rest/logged_models_get__{BC_V2_MODEL}.json"


# ---------------------------------------------------------------- runs


def test_run_datasets_are_decoded(tmp_path):
    copy_rest(tmp_path, f"runs_get__{BC_V2_RUN}.json")
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    [run] = records(result, "mlflow_runs")
    assert run.run_id == BC_V2_RUN
    assert run.experiment_id == "1"
    assert run.run_name == "bc-rf-200"
    assert run.status == "FINISHED"
    assert run.start == datetime(2026, 11, 27, 10, 7, 11, 658000, tzinfo=UTC)
    assert run.params == {
        "max_depth": "6",
        "model_type": "RandomForestClassifier",
        "n_estimators": "200",
    }
    assert run.tags["git_commit"] == "b2c3d4e"
    assert run.model_outputs == (BC_V2_MODEL,)
    train, test = run.dataset_inputs
    assert (train.name, train.digest, train.source_type) == (
        "breast-cancer-train",
        "5fe44b29",
        "local",
    )
    assert train.context == "training" and test.context == "evaluation"
    assert train.source == {"uri": "sklearn.datasets.load_breast_cancer"}
    assert train.source_uri == "sklearn.datasets.load_breast_cancer"
    assert train.profile == {"num_rows": 426, "num_elements": 13206}
    assert test.profile == {"num_rows": 143, "num_elements": 4433}
    assert len(train.schema) == 31
    assert train.schema[0] == Column("mean_radius", "double")
    assert train.schema[-1] == Column("target", "long")
    assert train.tags == {"mlflow.data.context": "training", "split": "train"}
    assert train.cite.pointer == "/run/inputs/dataset_inputs/0"
    assert test.cite.file == f"runs_get__{BC_V2_RUN}.json"


def test_run_metrics_keep_the_latest_value_per_key(tmp_path):
    run_id = "98dac0ed4ee2444ab0f681f25128dc26"
    data = load(f"runs_get__{run_id}.json")
    history = load(f"metrics_get_history__{run_id}__train_loss.json")["metrics"]
    metrics = data["run"]["data"]["metrics"]
    metrics[:] = [m for m in metrics if m["key"] != "train_loss"]
    # The whole history, newest first, and two values at the last step: the later wins.
    metrics.extend(reversed(history))
    metrics.append({**history[-1], "value": 0.25, "timestamp": history[-1]["timestamp"] + 5})
    write(tmp_path / "run.json", data)
    result, _, _ = run_import(tmp_path)
    [run] = records(result, "mlflow_runs")
    assert run.metrics["train_loss"] == 0.25
    assert list(run.metrics) == sorted(run.metrics)


def test_non_finite_metric_values_as_protobuf_writes_them(tmp_path):
    data = load(f"runs_get__{BC_V2_RUN}.json")
    data["run"]["data"]["metrics"][0]["value"] = "NaN"
    write(tmp_path / "run.json", data)
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    assert math.isnan(records(result, "mlflow_runs")[0].metrics["accuracy"])


def test_dataset_source_that_is_not_json_is_a_problem(tmp_path):
    data = load(f"runs_get__{BC_V2_RUN}.json")
    data["run"]["inputs"]["dataset_inputs"][0]["dataset"]["source"] = (
        "sklearn.datasets.load_breast_cancer"
    )
    write(tmp_path / "run.json", data)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "run.json:/run/inputs/dataset_inputs/0/dataset/source: expected JSON inside this "
        'string, got "sklearn.datasets.load_breast_cancer" (Expecting value at character 0) '
        "(MLflow writes a dataset's source, schema and profile as JSON inside a string; "
        "re-export the run with runs/get)"
    ]
    # The run is kept: the problem is reported, nothing is dropped.
    [run] = records(result, "mlflow_runs")
    train = run.dataset_inputs[0]
    assert train.source == {} and train.source_uri is None
    assert train.profile == {"num_rows": 426, "num_elements": 13206}


def test_dataset_profile_that_is_not_an_object_is_a_problem(tmp_path):
    data = load(f"runs_get__{BC_V2_RUN}.json")
    data["run"]["inputs"]["dataset_inputs"][1]["dataset"]["profile"] = "[426]"
    write(tmp_path / "run.json", data)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "run.json:/run/inputs/dataset_inputs/1/dataset/profile: expected a JSON object inside "
        "this string, got [426] (MLflow writes a dataset's source, schema and profile as JSON "
        "inside a string; re-export the run with runs/get)"
    ]


def test_runs_from_search_pages_and_get_are_one_run_each():
    result, _, _ = run_import(MLFLOW)
    runs = records(result, "mlflow_runs")
    assert len(runs) == 7
    assert len({r.run_id for r in runs}) == 7
    # A run in both runs/get and a runs/search page cites the single-object response.
    assert all(r.cite.file.startswith("rest/runs_get__") and r.cite.pointer == "/run" for r in runs)


# ---------------------------------------------------------------- signatures


def test_signatures_come_from_mlmodel_files_linked_by_model_id():
    result, _, _ = run_import(MLFLOW)
    signatures = {s.model_id: s for s in records(result, "signatures")}
    logged = {m.model_id: m for m in records(result, "logged_models")}
    assert set(signatures) == set(logged)
    for model_id, signature in signatures.items():
        assert signature.run_id == logged[model_id].source_run_id
        assert signature.cite.file == f"model_artifacts/{model_id}/MLmodel"
        assert signature.cite.pointer == "/signature"
        assert signature.mlflow_version == "3.17.2"
    bc2 = signatures[BC_V2_MODEL]
    assert len(bc2.inputs) == 30
    assert bc2.inputs[0] == Column("mean_radius", "double")
    assert Column("target", "long") not in bc2.inputs
    assert bc2.outputs == (Column("", "tensor:int64"),)
    assert bc2.created == datetime(2026, 11, 27, 10, 7, 12, 565374, tzinfo=UTC)
    assert signatures["m-5035713fd72c412cabc8ab8ceef51d10"].outputs == (
        Column("", "tensor:float64"),
    )


def test_mlmodel_without_a_signature_gives_no_record_and_no_problem(tmp_path):
    text = (ARTIFACTS / BC_V2_MODEL / "MLmodel").read_text("utf-8")
    head, _, tail = text.partition("signature:\n")
    kept_tail = tail[tail.index("type_hint_from_example") :]
    (tmp_path / "MLmodel").write_text(head + kept_tail, "utf-8")
    assert "\nsignature:" not in (tmp_path / "MLmodel").read_text("utf-8")
    result, claimed, _ = run_import(tmp_path)
    assert claimed == ["MLmodel"]
    assert result.records == {} and result.problems == []


def test_mlmodel_without_model_id_falls_back_to_model_uuid(tmp_path):
    text = (ARTIFACTS / BC_V2_MODEL / "MLmodel").read_text("utf-8")
    assert f"model_id: {BC_V2_MODEL}\n" in text
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "MLmodel").write_text(text.replace(f"model_id: {BC_V2_MODEL}\n", ""))
    # MLflow 2 wrote neither a model id nor a logged model: only the run links it.
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "MLmodel").write_text(
        text.replace(f"model_id: {BC_V2_MODEL}\n", "").replace(f"model_uuid: {BC_V2_MODEL}\n", "")
    )
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    assert [(s.model_id, s.run_id, s.cite.file) for s in records(result, "signatures")] == [
        (None, BC_V2_RUN, "b/MLmodel"),
        (BC_V2_MODEL, BC_V2_RUN, "a/MLmodel"),
    ]


def test_mlmodel_signature_that_is_not_json_is_a_problem(tmp_path):
    text = (ARTIFACTS / BC_V2_MODEL / "MLmodel").read_text("utf-8")
    old = '  outputs: \'[{"type": "tensor", "tensor-spec": {"dtype": "int64", '
    assert old in text
    (tmp_path / "MLmodel").write_text(text.replace(old, "  outputs: 'int64 ["), "utf-8")
    result, _, _ = run_import(tmp_path)
    [problem] = result.problems
    assert str(problem).startswith(
        'MLmodel:/signature/outputs: expected JSON inside this string, got "int64 ['
    )
    assert records(result, "signatures")[0].outputs == ()


def test_an_unpaired_surrogate_inside_a_signature_string_is_a_problem(tmp_path):
    # Valid JSON escape syntax inside the string, but no character: no output could write it.
    text = (ARTIFACTS / BC_V2_MODEL / "MLmodel").read_text("utf-8")
    old = '  outputs: \'[{"type": "tensor", "tensor-spec": {"dtype": "int64", '
    assert old in text
    new = '  outputs: \'[{"name": "\\ud800", "type": "tensor", "tensor-spec": {"dtype": "int64", '
    (tmp_path / "MLmodel").write_text(text.replace(old, new), "utf-8")
    result, _, _ = run_import(tmp_path)
    [problem] = result.problems
    assert str(problem).startswith(
        "MLmodel:/signature/outputs: the JSON inside this string: text holds an unpaired "
        "UTF-16 surrogate, which is not a character"
    )
    assert records(result, "signatures")[0].outputs == ()


# ---------------------------------------------------------------- bad input


def test_int_version_is_a_schema_error_and_only_that_object_is_skipped(tmp_path):
    data = load("model_versions_search.json")
    assert data["model_versions"][3]["name"] == "breast-cancer-classifier"
    data["model_versions"][3]["version"] = 7
    write(tmp_path / "evidence" / "mlflow" / "p2.json", data)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "evidence/mlflow/p2.json:/model_versions/3/version: expected string, got 7 "
        "(write a string here)"
    ]
    assert len(records(result, "model_versions")) == 6
    assert "breast-cancer-classifier@7" not in by_key(result)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["model_version"].update(creation_timestamp="1795774040608"),
            'v.json:/model_version/creation_timestamp: expected integer, got "1795774040608" '
            "(write an integer here)",
        ),
        (
            lambda d: d["model_version"].update(current_stage="Prod"),
            'v.json:/model_version/current_stage: "Prod" is not one of "None", "Staging", '
            '"Production", "Archived" (use one of the listed values)',
        ),
        (
            lambda d: d["model_version"].update(tags={"framework": "scikit-learn"}),
            'v.json:/model_version/tags: expected array, got {"framework": "scikit-learn"} '
            "(write an array here)",
        ),
        (
            lambda d: d["model_version"].pop("name"),
            "v.json:/model_version: missing required field 'name' (add 'name')",
        ),
    ],
)
def test_wrong_types_are_schema_errors(tmp_path, edit, expected):
    data = load("model_versions_get__breast-cancer-classifier__v2.json")
    edit(data)
    write(tmp_path / "v.json", data)
    result, claimed, _ = run_import(tmp_path)
    assert claimed == ["v.json"]
    assert messages(result) == [expected]
    assert records(result, "model_versions") == []


def test_schema_error_in_latest_versions_keeps_the_registered_model(tmp_path):
    data = load("registered_models_get__breast-cancer-classifier.json")
    data["registered_model"]["latest_versions"][0]["run_id"] = 42
    write(tmp_path / "rm.json", data)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "rm.json:/registered_model/latest_versions/0/run_id: expected string, got 42 "
        "(write a string here)"
    ]
    assert [m.name for m in records(result, "registered_models")] == ["breast-cancer-classifier"]
    assert sorted(by_key(result)) == ["breast-cancer-classifier@2", "breast-cancer-classifier@3"]


def test_disagreeing_duplicates_are_reported(tmp_path):
    copy = load("model_versions_get__breast-cancer-classifier__v2.json")["model_version"]
    write(tmp_path / "a.json", {"model_version": copy})
    stale = {**copy, "current_stage": "Staging", "last_updated_timestamp": 1795774060000}
    write(tmp_path / "b.json", {"model_versions": [stale]})
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "b.json:/model_versions/0/current_stage: disagrees with a.json:/model_version/"
        'current_stage for breast-cancer-classifier@2 ("Staging" here, "Production" there) '
        + DISAGREE_FIX
    ]
    v2 = by_key(result)["breast-cancer-classifier@2"]
    # The newest copy's value stands; the record cites the richest copy (with aliases).
    assert v2.stage == "Production"
    assert v2.updated == datetime(2026, 11, 27, 10, 7, 54, 914000, tzinfo=UTC)
    assert v2.cite.file == "a.json"


def test_only_last_updated_moves_and_the_newest_wins(tmp_path):
    copy = load("model_versions_get__breast-cancer-classifier__v2.json")["model_version"]
    write(tmp_path / "a.json", {"model_version": copy})
    later = {
        **copy,
        "last_updated_timestamp": copy["last_updated_timestamp"] + 1000,
        "tags": [*copy["tags"], {"key": "reviewed", "value": "yes"}],
    }
    write(tmp_path / "b.json", {"model_versions": [later]})
    result, _, _ = run_import(tmp_path)
    assert result.problems == []
    v2 = by_key(result)["breast-cancer-classifier@2"]
    assert v2.updated == datetime(2026, 11, 27, 10, 7, 55, 914000, tzinfo=UTC)
    assert v2.tags["reviewed"] == "yes" and v2.tags["validation_report"] == "VR-102"


def test_disagreeing_tag_values_are_reported(tmp_path):
    copy = load("model_versions_get__breast-cancer-classifier__v3.json")["model_version"]
    write(tmp_path / "a.json", {"model_version": copy})
    tags = [dict(t) for t in copy["tags"]]
    tags[2]["value"] = "approved"
    write(tmp_path / "b.json", {"model_versions": [{**copy, "tags": tags}]})
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "b.json:/model_versions/0/tags/2/value: disagrees with a.json:/model_version/tags/2/"
        'value for breast-cancer-classifier@3, tag "validation_status" ("approved" here, '
        '"pending" there) ' + DISAGREE_FIX
    ]


def test_an_alias_on_two_versions_is_reported(tmp_path):
    copy_rest(tmp_path, "registered_models_get__breast-cancer-classifier.json")
    stale = load("model_versions_get__breast-cancer-classifier__v3.json")
    stale["model_version"]["aliases"] = ["champion"]
    write(tmp_path / "v3.json", stale)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        "v3.json:/model_version/aliases/0: disagrees with registered_models_get__breast-cancer-"
        "classifier.json:/registered_model/aliases/1/version for breast-cancer-classifier, "
        'alias "champion" (version "3" here, version "2" there) ' + DISAGREE_FIX
    ]


def test_disagreeing_runs_are_reported(tmp_path):
    copy_rest(tmp_path, f"runs_get__{BC_V2_RUN}.json")
    page = load("runs_search_paged_page2.json")
    assert page["runs"][2]["info"]["run_id"] == BC_V2_RUN
    page["runs"][2]["info"]["status"] = "RUNNING"
    write(tmp_path / "z_page.json", page)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        f"z_page.json:/runs/2/info/status: disagrees with runs_get__{BC_V2_RUN}.json:"
        f'/run/info/status for run {BC_V2_RUN} ("RUNNING" here, "FINISHED" there) ' + DISAGREE_FIX
    ]
    assert len(records(result, "mlflow_runs")) == 3


def test_invalid_model_versions_tag_is_a_problem(tmp_path):
    data = load(f"logged_models_get__{BC_V2_MODEL}.json")
    tags = data["model"]["info"]["tags"]
    index = next(i for i, t in enumerate(tags) if t["key"] == "mlflow.modelVersions")
    tags[index]["value"] = "breast-cancer-classifier/2"
    write(tmp_path / "lm.json", data)
    result, _, _ = run_import(tmp_path)
    assert messages(result) == [
        f"lm.json:/model/info/tags/{index}/value: expected JSON inside this string, got "
        '"breast-cancer-classifier/2" (Expecting value at character 0) (MLflow writes this '
        "tag as a JSON list of {name, version}; re-export the logged model)"
    ]
    assert records(result, "logged_models")[0].model_versions == ()


# ---------------------------------------------------------------- robustness


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the root aside."""
    found: list[tuple[Any, ...]] = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


_ODD_VALUES: list[Any] = [None, True, -1, 1.5, "", "x", "{", "[1]", [], {}, [{}], {"key": 1}]


@pytest.mark.parametrize("seed", range(4))
def test_mangled_real_files_never_raise(tmp_path, seed):
    rng = random.Random(seed)
    sources = sorted(REST.glob("*.json"))
    for n in range(60):
        source = rng.choice(sources)
        data = json.loads(source.read_text("utf-8"))
        for _ in range(rng.randint(1, 3)):
            places = _places(data)
            if not places:
                break
            *parent_path, last = rng.choice(places)
            parent = data
            for step in parent_path:
                parent = parent[step]
            parent[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
        write(tmp_path / f"{n:02d}_{source.name}", data)
    result, _, _ = run_import(tmp_path)  # must not raise
    assert all(p.file and p.message for p in result.problems)
