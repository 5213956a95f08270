"""``mldossier init``: a commented ``mldossier.yaml`` and an evidence folder to start from.

The config lists every key with its default (read from :class:`mldossier.config.Config`,
so it cannot drift) and a comment from the config schema. The evidence skeleton holds one
tiny example of each input kind, shaped exactly as the real tools write them, that link
into one story: a registered model, its version, the MLflow run that trained it, the
OpenLineage events of that run, an Evidently drift report and a risk-assessment sign-off.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mldossier.bundle.atomic import atomic_write_text
from mldossier.config import (
    CONFIG_NAME,
    DEFAULT_CATALOGS,
    Config,
    Linking,
    Production,
    TagNames,
    bundled_catalogs,
)
from mldossier.errors import UsageError
from mldossier.formats.json import pretty_json
from mldossier.formats.schema import SCHEMA_PACKAGE, load_schema

CONFIG_SCHEMA_NAME = "mldossier.schema.json"
SIGNOFF_SCHEMA_NAME = "signoff.schema.json"

MODEL = "example-classifier"
VERSION = "1"
RUN_ID = "3f9c2d8e1b7a4c6d9e0f1a2b3c4d5e6f"
OL_RUN_ID = "019352a0-7c1e-7d4a-9b2f-5e8c3a1d6f70"
LOGGED_MODEL = "m-7d1e2f3a4b5c4d6e8f9a0b1c2d3e4f5a"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
FACETS = "https://openlineage.io/spec/facets"


def _ms(text: str) -> int:
    """Epoch milliseconds of a UTC time, the way MLflow writes timestamps."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def _yaml_value(value: Any) -> str:
    """A default as inline YAML (``[a, b]``, ``{}``, ``64``, ``text``)."""
    if isinstance(value, tuple):
        value = list(value)
    return (
        yaml.safe_dump(value, default_flow_style=True, width=1000)
        .strip()
        .removesuffix("\n...")
        .removesuffix("...")
        .strip()
    )


def schema_text(name: str) -> str:
    """The text of a schema shipped with the package (``config``, ``signoff``...)."""
    return resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json").read_text("utf-8")


def _describe(schema: dict[str, Any], *path: str) -> str:
    node: dict[str, Any] = schema
    for key in path:
        node = node["properties"][key]
    return str(node.get("description", ""))


TAG_COMMENTS = {
    "owner": "registered model: who answers for the system",
    "intended_use": "registered model: what the system is for",
    "eu_ai_act_category": "registered model: high-risk, not-high-risk or prohibited "
    "(an Annex III point with not-high-risk is an Art. 6(3) derogation)",
    "annex_iii_point": "registered model: Annex III point, e.g. 5(b)",
    "risk_level": "registered model: your internal risk level",
    "data_classification": "registered model: classification of the data it uses",
    "approved_by": "model version: who approved it",
    "approval_date": "model version: when it was approved (ISO date)",
    "validation_report": "model version: id or link of its validation report",
    "eu_ai_act_roles": "registered model: the organisation's roles for it, e.g. "
    "provider,deployer (default: eu_ai_act.roles)",
    "eu_ai_act_flags": "registered model: flags that hold for it, e.g. interacts_with_persons "
    "(docs/eu-ai-act.md lists them)",
    "placed_on_market": "registered model: when first placed on the market or put into "
    "service (ISO date; Art. 111(2))",
    "significant_design_change": "model version: true when it changes the design "
    "significantly (Art. 111(2))",
}
"""The comment above each ``tags:`` key of the generated config."""
LINK_COMMENTS = {
    "openlineage_mlflow_run_tag": "key, in the OpenLineage `tags` run facet, holding the "
    "MLflow run id",
    "mlflow_openlineage_run_tag": "MLflow run tag holding the OpenLineage run id",
    "serving_job_patterns": "regular expressions: OpenLineage jobs whose name matches "
    "are serving jobs",
    "target_columns": "column names that are the label, left out when comparing features",
}
"""The comment above each ``linking:`` key of the generated config."""


def config_text(
    schema_href: str = f"./{CONFIG_SCHEMA_NAME}", catalogs: tuple[str, ...] = DEFAULT_CATALOGS
) -> str:
    """The commented ``mldossier.yaml``: every key, its default and what it means.

    ``catalogs`` are the entries written under ``catalogs:``: the bundled catalogs' ids by
    default, the paths of the copies with ``init --with-catalogs``.
    """
    schema = load_schema("config")
    lines = [
        *_head_lines(schema, schema_href, catalogs),
        *_section_lines("tags", TagNames(), TAG_COMMENTS),
        "",
        "# How records from different tools are tied together.",
        *_section_lines("linking", Linking(), LINK_COMMENTS),
        *_tail_lines(schema),
    ]
    return "\n".join(lines)


def _head_lines(schema: dict[str, Any], schema_href: str, catalogs: tuple[str, ...]) -> list[str]:
    """The schema line, then organisation, evidence, catalogs, limits and production."""
    d = Config()
    return [
        f"# yaml-language-server: $schema={schema_href}",
        "# mldossier configuration. Every key is optional: the values below are the defaults,",
        "# so delete what you do not change. Relative paths are relative to this file.",
        "",
        f"# {_describe(schema, 'organisation')}",
        f"organisation: {_yaml_value(d.organisation)}",
        "",
        "# The evidence folder, and which of its files are not evidence (or, in short,",
        f"# evidence: {d.evidence.as_posix()}).",
        "evidence:",
        f"  # {_describe(schema, 'evidence', 'dir')}",
        f"  dir: {d.evidence.as_posix()}",
        f"  # {_describe(schema, 'evidence', 'ignore')}",
        "  # For example: [requests/, '*.csv', '!model-card.md']",
        f"  ignore: {_yaml_value(list(d.evidence_ignore))}",
        f"  # {_describe(schema, 'evidence', 'systems_of_record')}",
        "  systems_of_record: {}",
        "",
        f"# {_describe(schema, 'catalogs')}",
        "# An entry is a bundled catalog's id or the path of a catalog file;",
        "# `mldossier init --with-catalogs` copies the bundled ones here to edit.",
        f"catalogs: {_yaml_value(list(catalogs))}",
        "",
        "# Size limits: larger files are refused with a message.",
        "limits:",
        f"  # {_describe(schema, 'limits', 'max_document_mb')}",
        f"  max_document_mb: {d.max_document_bytes // (1024 * 1024)}",
        f"  # {_describe(schema, 'limits', 'max_stream_mb')}",
        f"  max_stream_mb: {d.max_stream_bytes // (1024 * 1024)}",
        "",
        f"# {_describe(schema, 'production')}",
        "production:",
        "  # MLflow stages (deprecated by MLflow, still returned) that mean production.",
        f"  stages: {_yaml_value(Production().stages)}",
        "  # Registered-model aliases that mean production.",
        f"  aliases: {_yaml_value(Production().aliases)}",
        "",
        f"# {_describe(schema, 'tags')} Rename one if your registry uses another key.",
    ]


def _section_lines(name: str, defaults: TagNames | Linking, comments: dict[str, str]) -> list[str]:
    """``name:`` and every field of the ``defaults`` dataclass, each under its comment."""
    lines = [f"{name}:"]
    for f in fields(defaults):
        lines.append(f"  # {comments[f.name]}")
        lines.append(f"  {f.name}: {_yaml_value(getattr(defaults, f.name))}")
    return lines


def _tail_lines(schema: dict[str, Any]) -> list[str]:
    """Freshness, cache, collect's bounds, trusted signers and check parameters."""
    d = Config()
    return [
        "",
        "# When evidence is judged about to go stale.",
        "freshness:",
        f"  # {schema['properties']['freshness']['properties']['warn_days']['description']}",
        f"  warn_days: {d.warn_days}",
        "",
        f"# {_describe(schema, 'monitoring')}",
        "monitoring:",
        f"  # {_describe(schema, 'monitoring', 'max_quality_drop')}",
        f"  max_quality_drop: {d.monitoring.max_quality_drop}",
        f"  # {_describe(schema, 'monitoring', 'quality_warning_drop')}",
        f"  quality_warning_drop: {d.monitoring.quality_warning_drop}",
        f"  # {_describe(schema, 'monitoring', 'quality_limits')}",
        "  # For example: {f1: 0.8, fnr: 0.05}",
        "  quality_limits: {}",
        "",
        f"# {_describe(schema, 'cache')}",
        "cache:",
        f"  # {_describe(schema, 'cache', 'dir')}",
        f"  dir: {d.cache_dir.as_posix()}",
        f"  # {_describe(schema, 'cache', 'max_mb')}",
        f"  max_mb: {d.cache_max_bytes // (1024 * 1024)}",
        "",
        f"# {_describe(schema, 'collect')}",
        "collect:",
        f"  # {_describe(schema, 'collect', 'max_pages')}",
        f"  max_pages: {d.collect.max_pages}",
        f"  # {_describe(schema, 'collect', 'max_response_mb')}",
        f"  max_response_mb: {d.collect.max_response_bytes // (1024 * 1024)}",
        "",
        f"# {_describe(schema, 'signatures')}",
        "signatures:",
        f"  # {_describe(schema, 'signatures', 'allowed_signers')}",
        "  allowed_signers: null",
        "",
        f"# {_describe(schema, 'eu_ai_act')}",
        "eu_ai_act:",
        f"  # {_describe(schema, 'eu_ai_act', 'roles')}",
        f"  roles: [{', '.join(d.eu_ai_act.roles)}]",
        f"  # {_describe(schema, 'eu_ai_act', 'flags')}",
        "  flags: []",
        f"  # {_describe(schema, 'eu_ai_act', 'systems')}",
        "  systems: {}",
        f"  # {_describe(schema, 'eu_ai_act', 'literal_readings')}",
        "  literal_readings: false",
        "",
        f"# {_describe(schema, 'soc2')}",
        "soc2:",
        f"  # {_describe(schema, 'soc2', 'categories')}",
        f"  categories: [{', '.join(d.soc2.categories)}]",
        f"  # {_describe(schema, 'soc2', 'boundary')}",
        "  boundary: []",
        f"  # {_describe(schema, 'soc2', 'carved_out')}",
        "  carved_out: []",
        "",
        f"# {_describe(schema, 'checks')} For example:",
        "#   monitoring_fresh: {max_age_days: 14}",
        "# The check library (docs: checks.md) lists every check and its parameters.",
        "checks: {}",
        "",
    ]


# ---------------------------------------------------------------- the evidence skeleton


def _tags(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in pairs.items()]


def _version_record(with_aliases: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": MODEL,
        "version": VERSION,
        "creation_timestamp": _ms("2026-11-02T09:40:12"),
        "last_updated_timestamp": _ms("2026-11-03T15:02:45"),
        "current_stage": "None",
        "description": "Gradient boosting on the v3 feature table.",
        "source": f"models:/{LOGGED_MODEL}",
        "run_id": RUN_ID,
        "status": "READY",
        "tags": _tags(
            {
                "approved_by": "model-risk-committee",
                "approval_date": "2026-11-03",
                "validation_report": "VR-2026-031",
            }
        ),
        "run_link": "",
    }
    if with_aliases:
        record["aliases"] = ["champion"]
    return record


def registered_model_response() -> dict[str, Any]:
    """A ``registered-models/get`` response body."""
    return {
        "registered_model": {
            "name": MODEL,
            "creation_timestamp": _ms("2026-11-02T09:30:00"),
            "last_updated_timestamp": _ms("2026-11-03T15:02:45"),
            "description": "Example AI system: replace this folder with your own exports.",
            "latest_versions": [_version_record(with_aliases=False)],
            "tags": _tags(
                {
                    "owner": "ml-platform@example.org",
                    "intended_use": "example: ranks incoming support tickets by urgency",
                    "eu_ai_act_category": "not-high-risk",
                    "risk_level": "low",
                    "data_classification": "internal",
                }
            ),
            "aliases": [{"alias": "champion", "version": VERSION}],
        }
    }


def model_version_response() -> dict[str, Any]:
    """A ``model-versions/get`` response body."""
    return {"model_version": _version_record(with_aliases=True)}


def run_response() -> dict[str, Any]:
    """A ``runs/get`` response body."""
    # Long on purpose: one literal document in the exact shape the real tool writes.
    columns = [
        {"type": "string", "name": "subject", "required": True},
        {"type": "long", "name": "length", "required": True},
        {"type": "long", "name": "label", "required": True},
    ]
    return {
        "run": {
            "info": {
                "run_uuid": RUN_ID,
                "experiment_id": "1",
                "run_name": "train-example-classifier",
                "user_id": "ml-platform",
                "status": "FINISHED",
                "start_time": _ms("2026-11-02T09:31:05"),
                "end_time": _ms("2026-11-02T09:38:41"),
                "artifact_uri": f"/srv/mlflow/artifacts/1/{RUN_ID}/artifacts",
                "lifecycle_stage": "active",
                "run_id": RUN_ID,
            },
            "data": {
                "metrics": [
                    {
                        "key": "roc_auc",
                        "value": 0.912,
                        "timestamp": _ms("2026-11-02T09:38:30"),
                        "step": 0,
                    },
                    {
                        "key": "accuracy",
                        "value": 0.874,
                        "timestamp": _ms("2026-11-02T09:38:31"),
                        "step": 0,
                    },
                ],
                "params": [
                    {"key": "model_type", "value": "GradientBoostingClassifier"},
                    {"key": "n_estimators", "value": "200"},
                ],
                "tags": _tags(
                    {
                        "mlflow.user": "ml-platform",
                        "mlflow.source.name": "jobs/train.py",
                        "mlflow.source.type": "LOCAL",
                        "mlflow.runName": "train-example-classifier",
                        "openlineage.run_id": OL_RUN_ID,
                    }
                ),
            },
            "inputs": {
                "dataset_inputs": [
                    {
                        "tags": _tags({"mlflow.data.context": "training"}),
                        "dataset": {
                            "name": "tickets-train",
                            "digest": "6b1f0c2a",
                            "source_type": "local",
                            "source": json.dumps(
                                {"uri": "file:///data/example/tickets_train.parquet"}
                            ),
                            "schema": json.dumps({"mlflow_colspec": columns}),
                            "profile": json.dumps({"num_rows": 1200, "num_elements": 3600}),
                        },
                    }
                ]
            },
            "outputs": {"model_outputs": [{"model_id": LOGGED_MODEL, "step": 0}]},
        }
    }


def _facet(name: str, version: str, **body: Any) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"{FACETS}/{version}/{name}.json#/$defs/{name}",
        **body,
    }


def openlineage_events() -> list[dict[str, Any]]:
    """START and COMPLETE RunEvents of the training job, as the file transport writes them."""
    # Long on purpose: one literal document in the exact shape the real tool writes.
    job = {
        "namespace": "example",
        "name": "example_pipeline.train_example_classifier",
        "facets": {
            "jobType": _facet(
                "JobTypeJobFacet",
                "2-0-4",
                integration="CUSTOM",
                jobType="ML_TRAINING",
                processingType="BATCH",
            ),
            "documentation": _facet(
                "DocumentationJobFacet", "1-1-0", description="Trains the example classifier."
            ),
        },
    }
    tags = _facet(
        "TagsRunFacet",
        "1-0-0",
        tags=[
            {
                "key": "openlineage_client_version",
                "source": "OPENLINEAGE_CLIENT",
                "value": "1.54.0",
            },
            {"key": "mlflow.run_id", "source": "USER", "value": RUN_ID},
        ],
    )
    table = {
        "namespace": "file",
        "name": "/data/example/tickets_train.parquet",
        "facets": {
            "schema": _facet(
                "SchemaDatasetFacet",
                "1-2-0",
                fields=[
                    {"name": "subject", "type": "string"},
                    {"name": "length", "type": "int64"},
                    {"name": "label", "type": "int64"},
                ],
            ),
            "version": _facet("DatasetVersionDatasetFacet", "1-0-1", datasetVersion="9a4c1e0b7d2f"),
        },
    }
    model = {
        "namespace": "mlflow",
        "name": f"models:/{MODEL}/{VERSION}",
        "facets": {"datasetType": _facet("DatasetTypeDatasetFacet", "1-0-1", datasetType="MODEL")},
    }

    def event(kind: str, when: str, inputs: list[Any], outputs: list[Any]) -> dict[str, Any]:
        return {
            "eventTime": when,
            "eventType": kind,
            "inputs": inputs,
            "job": job,
            "outputs": outputs,
            "producer": PRODUCER,
            "run": {"facets": {"tags": tags}, "runId": OL_RUN_ID},
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        }

    return [
        event("START", "2026-11-02T09:31:02.114000+00:00", [table], []),
        event("COMPLETE", "2026-11-02T09:38:44.902000+00:00", [table], [model]),
    ]


def evidently_report() -> dict[str, Any]:
    """An Evidently 0.7 ``snapshot.json()`` drift report: two columns, no drift."""
    # Long on purpose: one literal document in the exact shape the real tool writes.
    count_id, length_id, subject_id = (
        "5e0c1b9a7f3d4e2a8b6c0d1e2f3a4b5c",
        "7a2b3c4d5e6f40718293a4b5c6d7e8f9",
        "0f1e2d3c4b5a49687766554433221100",
    )
    count_config = {"type": "evidently:metric_v2:DriftedColumnsCount", "drift_share": 0.5}

    def value_drift(column: str, method: str, threshold: float) -> dict[str, Any]:
        return {
            "type": "evidently:metric_v2:ValueDrift",
            "column": column,
            "method": method,
            "threshold": threshold,
        }

    def drift_test(metric_id: str, config: dict[str, Any], score: float) -> dict[str, Any]:
        return {
            "id": "drift",
            "name": f"Value Drift for column {config['column']}",
            "description": (
                f"Drift score is {score:.2f}. The drift detection method is "
                f"{config['method']}. The drift threshold is "
                f"{config['threshold']}."
            ),
            "metric_config": {"metric_id": metric_id, "params": config},
            "test_config": {},
            "status": "SUCCESS",
            "bound_test": {
                "type": "evidently:bound_test:ValueDriftBoundTest",
                "test": {
                    "type": "evidently:test_v2:ValueDriftTest",
                    "is_critical": True,
                    "alias": None,
                    "label_filters": None,
                },
                "metric_fingerprint": metric_id,
            },
        }

    length = value_drift("length", "K-S p_value", 0.05)
    subject = value_drift("subject", "chi-square p_value", 0.05)
    less = {
        "type": "evidently:test_v2:LessThanMetricTest",
        "is_critical": True,
        "alias": None,
        "label_filters": None,
        "threshold": 0.5,
    }
    return {
        "metrics": [
            {
                "id": count_id,
                "metric_name": "DriftedColumnsCount(drift_share=0.5)",
                "config": count_config,
                "value": {"count": 0.0, "share": 0.0},
            },
            {
                "id": length_id,
                "metric_name": "ValueDrift(column=length,method=K-S p_value,threshold=0.05)",
                "config": length,
                "value": 0.4183,
            },
            {
                "id": subject_id,
                "metric_name": "ValueDrift(column=subject,method=chi-square "
                "p_value,threshold=0.05)",
                "config": subject,
                "value": 0.2761,
            },
        ],
        "tests": [
            {
                "id": "lt",
                "name": "Share of Drifted Columns: Less 0.500",
                "description": "Share of Drifted Columns: Actual value 0.000 < 0.500",
                "metric_config": {"metric_id": count_id, "params": count_config},
                "test_config": less,
                "status": "SUCCESS",
                "bound_test": {
                    "type": "evidently:bound_test:CountBoundTest",
                    "test": less,
                    "metric_fingerprint": count_id,
                    "is_count": False,
                },
            },
            drift_test(length_id, length, 0.4183),
            drift_test(subject_id, subject, 0.2761),
        ],
    }


SIGNOFF = f"""\
# yaml-language-server: $schema=../../{SIGNOFF_SCHEMA_NAME}
# A human decision, in mldossier's sign-off format (docs/signoff-format.md).
mldossier: signoff/v1
id: RA-2026-001
kind: risk_assessment
title: Risk assessment, {MODEL}
subject:
  system: {MODEL}            # the MLflow registered model name
  version: "{VERSION}"                      # optional, always quoted
statement: >-
  Residual risks of ranking support tickets automatically were reviewed; a human triages
  every ticket the model ranks low. Accepted for production use.
signed_by: Dana Whitfield
role: Head of Support Operations
date: 2026-11-03
expires: 2027-11-03
"""


CATALOG_FOLDER = "controls"
"""Where ``init --with-catalogs`` puts the copies of the bundled catalogs."""


def project_files(with_catalogs: bool = False) -> dict[str, str]:
    """Every file ``init`` writes, by path relative to the project folder.

    ``with_catalogs`` adds copies of the bundled catalogs (and their schema) to edit, and
    the config lists the copies instead of the bundled ids.
    """
    catalogs: dict[str, str] = {}
    if with_catalogs:
        catalogs = {
            f"{CATALOG_FOLDER}/{path.name}": path.read_text("utf-8")
            for name, path in bundled_catalogs().items()
            if name in DEFAULT_CATALOGS
        }
        catalogs[f"{CATALOG_FOLDER}/catalog.schema.json"] = schema_text("catalog")
    listed = tuple(rel for rel in catalogs if rel.endswith(".yaml")) or DEFAULT_CATALOGS
    return {
        CONFIG_NAME: config_text(catalogs=listed),
        **catalogs,
        CONFIG_SCHEMA_NAME: schema_text("config"),
        SIGNOFF_SCHEMA_NAME: schema_text("signoff"),
        f"evidence/mlflow/registered-models-get__{MODEL}.json": pretty_json(
            registered_model_response()
        ),
        f"evidence/mlflow/model-versions-get__{MODEL}__v{VERSION}.json": pretty_json(
            model_version_response()
        ),
        f"evidence/mlflow/runs-get__{RUN_ID}.json": pretty_json(run_response()),
        "evidence/openlineage/events.ndjson": "".join(
            json.dumps(e, sort_keys=True) + "\n" for e in openlineage_events()
        ),
        f"evidence/monitoring/{MODEL}/{VERSION}/drift-2026-11-20.json": pretty_json(
            evidently_report()
        ),
        "evidence/signoffs/risk-assessment.yaml": SIGNOFF,
    }


def init_project(target: Path, force: bool = False, with_catalogs: bool = False) -> list[Path]:
    """Write the config, its schemas and the evidence skeleton into ``target``.

    Refuses (UsageError naming every one) to overwrite an existing file unless ``force``.
    Returns the files written.
    """
    files = project_files(with_catalogs)
    existing = sorted(rel for rel in files if (target / rel).exists())
    if existing and not force:
        raise UsageError(
            f"{len(existing)} file(s) already exist in {target}: "
            + ", ".join(existing)
            + " (nothing was written; pass --force to overwrite them)"
        )
    written = []
    for rel, text in files.items():
        path = target / rel
        atomic_write_text(path, text)
        written.append(path)
    return written
