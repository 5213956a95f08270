"""``mldossier init``: a commented config with every default, and example evidence that validates."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLES

from mldossier.cli import main
from mldossier.config import Config, load_config
from mldossier.errors import InputError
from mldossier.evaluate.catalog import default_catalog_paths
from mldossier.formats.schema import load_schema
from mldossier.intake.read import read_evidence
from mldossier.scaffold import (
    CONFIG_SCHEMA_NAME,
    RUN_ID,
    SIGNOFF_SCHEMA_NAME,
    init_project,
    project_files,
)

REST = SAMPLES / "mlflow" / "rest"
EXPECTED_FILES = [
    "mldossier.yaml",
    CONFIG_SCHEMA_NAME,
    SIGNOFF_SCHEMA_NAME,
    "evidence/mlflow/registered-models-get__example-classifier.json",
    "evidence/mlflow/model-versions-get__example-classifier__v1.json",
    f"evidence/mlflow/runs-get__{RUN_ID}.json",
    "evidence/openlineage/events.ndjson",
    "evidence/monitoring/example-classifier/1/drift-2026-11-20.json",
    "evidence/signoffs/risk-assessment.yaml",
]


def run(*args: str) -> Any:
    """Invoke the CLI; stderr separate from stdout."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder after ``mldossier init``."""
    result = run("init", str(tmp_path / "proj"))
    assert result.exit_code == 0, result.output + result.stderr
    return tmp_path / "proj"


def test_init_writes_every_file_and_says_what_next(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "proj"))
    assert result.exit_code == 0
    written = sorted(
        p.relative_to(tmp_path / "proj").as_posix()
        for p in (tmp_path / "proj").rglob("*")
        if p.is_file()
    )
    assert written == sorted(EXPECTED_FILES)
    assert result.stdout.splitlines()[0] == f"Wrote 9 files into {tmp_path / 'proj'}:"
    assert result.stdout.splitlines()[-1] == (
        f"  cd {tmp_path / 'proj'} && mldossier validate && mldossier check; mldossier build"
    )


def test_validate_on_the_new_project_exits_0(project: Path) -> None:
    result = run("--config", str(project / "mldossier.yaml"), "validate")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "(6 files: 1 evidently, 3 mlflow, 1 openlineage, 1 signoff)" in out
    assert "unlinked items:                 0" in out
    assert out.rstrip().endswith("All input is valid.")


def test_init_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "  mldossier validate && mldossier check; mldossier build"
    )
    # Without --config, validate finds ./mldossier.yaml and its evidence folder.
    assert run("validate").exit_code == 0


def test_the_examples_link_into_one_story(project: Path) -> None:
    config = load_config(project / "mldossier.yaml")
    evidence = read_evidence(config)
    assert evidence.unlinked == () and evidence.warnings == ()
    assert [m.name for m in evidence.registered_models] == ["example-classifier"]
    (version,) = evidence.model_versions
    assert (version.key, version.run_id, version.aliases) == (
        "example-classifier@1",
        RUN_ID,
        ("champion",),
    )
    (lineage,) = evidence.lineage_runs
    assert (lineage.state, lineage.mlflow_run_id) == ("COMPLETE", RUN_ID)
    assert [str(o.dataset) for o in lineage.outputs] == ["mlflow:models:/example-classifier/1"]
    (report,) = evidence.reports
    assert (report.model_name, report.model_version, report.linked_by) == (
        "example-classifier",
        "1",
        "folder",
    )
    assert report.timestamp == datetime(2026, 11, 20, tzinfo=UTC)
    assert report.dataset_drift is not None and not report.dataset_drift.drifted
    (signoff,) = evidence.signoffs
    assert (signoff.kind, signoff.subject) == ("risk_assessment", "example-classifier@1")


def _keys(data: Any) -> set[str]:
    return set(data) if isinstance(data, dict) else set()


def test_the_mlflow_examples_have_the_real_responses_shape(project: Path) -> None:
    """Same keys as what a real MLflow 3.17 server sent (tests/reference/samples)."""
    real_model = json.loads(
        (REST / "registered_models_get__breast-cancer-classifier.json").read_text()
    )["registered_model"]
    real_version = json.loads(
        (REST / "model_versions_get__breast-cancer-classifier__v2.json").read_text()
    )["model_version"]
    real_run = json.loads((REST / "runs_get__683d1234688843ffb16de50a5e004217.json").read_text())[
        "run"
    ]
    mlflow = project / "evidence" / "mlflow"
    model = json.loads((mlflow / "registered-models-get__example-classifier.json").read_text())[
        "registered_model"
    ]
    version = json.loads((mlflow / "model-versions-get__example-classifier__v1.json").read_text())[
        "model_version"
    ]
    run_ = json.loads((mlflow / f"runs-get__{RUN_ID}.json").read_text())["run"]
    assert _keys(model) == _keys(real_model)
    assert _keys(model["latest_versions"][0]) == _keys(real_model["latest_versions"][0])
    assert _keys(version) == _keys(real_version)
    assert _keys(run_) == _keys(real_run)
    for part in ("info", "data", "inputs", "outputs"):
        assert _keys(run_[part]) == _keys(real_run[part]), part
    assert _keys(run_["inputs"]["dataset_inputs"][0]["dataset"]) == _keys(
        real_run["inputs"]["dataset_inputs"][0]["dataset"]
    )
    assert isinstance(version["version"], str) and version["current_stage"] == "None"


def test_the_evidently_example_has_the_real_report_shape(project: Path) -> None:
    real = json.loads((SAMPLES / "evidently" / "data_drift_report.json").read_text())
    ours = json.loads(
        (project / "evidence/monitoring/example-classifier/1/drift-2026-11-20.json").read_text()
    )
    assert _keys(ours) == _keys(real) == {"metrics", "tests"}
    assert {_frozen(m) for m in ours["metrics"]} <= {_frozen(m) for m in real["metrics"]}
    assert {_frozen(t) for t in ours["tests"]} <= {_frozen(t) for t in real["tests"]}


def _frozen(item: dict[str, Any]) -> tuple[str, ...]:
    """The key layout of a metric or test (keys, and the keys of its config)."""
    config = item.get("config") or item.get("metric_config") or {}
    return (*sorted(item), "|", *sorted(config))


def test_the_openlineage_example_is_start_then_complete(project: Path) -> None:
    lines = (project / "evidence/openlineage/events.ndjson").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert len({e["run"]["runId"] for e in events}) == 1
    # The client's file transport writes sorted keys, one event per line.
    assert all(list(e) == sorted(e) for e in events)


def test_the_config_lists_every_key_with_its_default(project: Path) -> None:
    text = (project / "mldossier.yaml").read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema=./{CONFIG_SCHEMA_NAME}"
    data = yaml.safe_load(text)
    schema = load_schema("config")

    def walk(node: dict[str, Any], values: dict[str, Any], where: str) -> None:
        for key, sub in node.get("properties", {}).items():
            if key == "$schema":
                continue
            assert key in values, f"{where}{key} is not in the generated mldossier.yaml"
            if "properties" in sub:
                walk(sub, values[key], f"{where}{key}.")

    walk(schema, data, "")
    config = load_config(project / "mldossier.yaml")
    defaults = Config()
    assert (
        replace(
            config,
            path=None,
            evidence=defaults.evidence,
            cache_dir=defaults.cache_dir,
            catalogs=defaults.catalogs,
        )
        == defaults
    )
    # The bundled catalogs by id, which are the ones evaluated when none is listed.
    assert data["catalogs"] == ["eu-ai-act", "soc2"]
    assert list(config.catalogs) == default_catalog_paths()
    assert config.cache_dir == project / ".mldossier-cache"
    assert config.evidence == project / "evidence"
    for field in fields(Config):
        assert field.name in (
            "path",
            "warnings",
            "max_document_bytes",
            "max_stream_bytes",
            "warn_days",
            "cache_dir",
            "cache_max_bytes",
            "allowed_signers",
            "evidence_ignore",
            "systems_of_record",
        ) or (field.name in data), field.name
    assert data["evidence"] == {"dir": "evidence", "ignore": [], "systems_of_record": {}}


def test_the_published_schemas_check_what_init_wrote(project: Path) -> None:
    config_schema = json.loads((project / CONFIG_SCHEMA_NAME).read_text())
    assert config_schema == load_schema("config")
    jsonschema.validate(yaml.safe_load((project / "mldossier.yaml").read_text()), config_schema)
    signoff_schema = json.loads((project / SIGNOFF_SCHEMA_NAME).read_text())
    assert signoff_schema == load_schema("signoff")
    signoff = (project / "evidence/signoffs/risk-assessment.yaml").read_text()
    # The modeline resolves from the sign-off's folder to the schema beside mldossier.yaml.
    href = signoff.splitlines()[0].removeprefix("# yaml-language-server: $schema=")
    assert (project / "evidence/signoffs" / href).resolve() == (project / SIGNOFF_SCHEMA_NAME)
    # Dates stay text when read as the sign-off importer does; the schema accepts them.
    jsonschema.validate(yaml.load(signoff, Loader=yaml.BaseLoader), signoff_schema)


def test_init_refuses_to_overwrite_and_names_the_files(project: Path) -> None:
    (project / "mldossier.yaml").write_text("organisation: Ours\n")
    (project / "evidence/openlineage/events.ndjson").unlink()
    result = run("init", str(project))
    assert result.exit_code == 2
    assert result.stdout == ""
    existing = sorted(set(EXPECTED_FILES) - {"evidence/openlineage/events.ndjson"})
    assert result.stderr == (
        f"mldossier: 8 file(s) already exist in {project}: {', '.join(existing)} "
        "(nothing was written; pass --force to overwrite them)\n"
    )
    assert (project / "mldossier.yaml").read_text() == "organisation: Ours\n"
    assert not (project / "evidence/openlineage/events.ndjson").exists()


def test_one_existing_file_is_enough_to_refuse(tmp_path: Path) -> None:
    (tmp_path / "mldossier.yaml").write_text("evidence: data\n")
    result = run("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: 1 file(s) already exist in {tmp_path}: mldossier.yaml "
        "(nothing was written; pass --force to overwrite them)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mldossier.yaml"]


def test_force_overwrites(project: Path) -> None:
    (project / "mldossier.yaml").write_text("organisation: Ours\n")
    result = run("init", "--force", str(project))
    assert result.exit_code == 0
    assert (project / "mldossier.yaml").read_text() == project_files()["mldossier.yaml"]


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run("init", str(tmp_path / "file"))
    assert result.exit_code == 2
    assert "is a file" in result.stderr


def test_init_output_does_not_depend_on_the_clock_or_the_folder(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "a")).exit_code == 0
    assert run("init", str(tmp_path / "b")).exit_code == 0
    for rel in EXPECTED_FILES:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_with_catalogs_copies_the_bundled_catalogs_and_lists_the_copies(tmp_path: Path) -> None:
    written = init_project(tmp_path, with_catalogs=True)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert "controls/eu-ai-act.yaml" in names and "controls/soc2.yaml" in names
    assert "controls/catalog.schema.json" in names
    for path in default_catalog_paths():
        assert (tmp_path / "controls" / path.name).read_bytes() == path.read_bytes()
    config = load_config(tmp_path / "mldossier.yaml")
    assert config.catalogs == (
        tmp_path / "controls/eu-ai-act.yaml",
        tmp_path / "controls/soc2.yaml",
    )


def test_an_unknown_catalog_id_is_an_error_naming_the_bundled_ones(tmp_path: Path) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text("catalogs: [eu-ai-act, iso-27001]\n")
    with pytest.raises(InputError) as caught:
        load_config(config)
    assert [str(p) for p in caught.value.problems] == [
        "mldossier.yaml:/catalogs/1: no bundled catalog is called 'iso-27001' "
        "(use one of eu-ai-act, iso-42001, nist-ai-rmf, soc2, or the path of a .yaml file)"
    ]
