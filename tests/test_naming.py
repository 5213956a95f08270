"""Naming conventions shared by the importers and the later stages (intake/naming.py)."""

from __future__ import annotations

import pytest

from mldossier.intake.naming import (
    ModelUri,
    dataset_id_from_uri,
    logged_model_of_source,
    model_uri,
    normalise_type,
    run_of_source,
    version_sort_key,
)
from mldossier.model import QualifiedName


def test_dataset_ids_of_storage_uris_follow_the_openlineage_naming_spec() -> None:
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
    assert dataset_id_from_uri("dbfs:/mnt/x") == QualifiedName("dbfs", "/mnt/x")
    assert dataset_id_from_uri("sklearn.datasets.load_wine") is None
    assert dataset_id_from_uri("C:\\data\\x.csv") is None


def test_one_name_for_dataset_and_job_identities() -> None:
    assert str(QualifiedName("airflow", "dag.task")) == "airflow:dag.task"
    assert QualifiedName("a", "z") < QualifiedName("b", "a")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/credit/1", ModelUri("credit", ref="1")),
        ("models:/credit/Production/", ModelUri("credit", ref="Production")),
        ("models:/credit@champion", ModelUri("credit", alias="champion")),
        ("models:/m-0123abc", ModelUri("m-0123abc")),
        ("models:/credit/1/extra", None),
        ("runs:/abc/model", None),
    ],
)
def test_model_uris(uri: str, expected: ModelUri | None) -> None:
    assert model_uri(uri) == expected


def test_version_sources_name_their_logged_model_or_run() -> None:
    assert logged_model_of_source("models:/m-0123abc") == "m-0123abc"
    assert logged_model_of_source("models:/m-0123abc/") == "m-0123abc"
    assert logged_model_of_source("models:/credit/1") is None
    assert run_of_source("runs:/6f1c/model") == "6f1c"
    assert run_of_source("s3://bucket/runs:/6f1c") is None


def test_versions_sort_numerically_then_as_text() -> None:
    assert sorted(["10", "2", "b", "1", "a"], key=version_sort_key) == ["1", "2", "10", "a", "b"]


def test_column_types_in_one_vocabulary() -> None:
    assert {normalise_type(t) for t in ("double", "float64", "FLOAT", "float32")} == {"float"}
    assert {normalise_type(t) for t in ("long", "int64", "integer", "bigint")} == {"int"}
    assert {normalise_type(t) for t in ("string", "str", "object", "varchar(20)")} == {"string"}
    assert normalise_type("datetime64[ns]") == "datetime"
    assert normalise_type("decimal(10,2)") == "decimal"
