"""Naming across the tools: dataset ids of storage URIs, MLflow model URIs, column types, versions.

These are the conventions records from different tools meet by (OpenLineage's naming spec,
MLflow's URI schemes); each is a pure function of a name, so every stage reads a name the
same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mldossier.model import QualifiedName

# ---------------------------------------------------------------- datasets


def dataset_id_from_uri(uri: str) -> QualifiedName | None:
    """The OpenLineage dataset identity of a storage URI (OpenLineage naming spec).

    ``file:///data/x.parquet`` and ``/data/x.parquet`` -> ``("file", "/data/x.parquet")``;
    ``s3://bucket/key`` -> ``("s3://bucket", "/key")`` (likewise gs, abfss, hdfs...);
    None when the text is no URI (e.g. ``sklearn.datasets.load_wine``).
    """
    uri = uri.strip()
    if uri.startswith("/"):
        return QualifiedName("file", uri)
    parts = urlsplit(uri)
    if not parts.scheme or len(parts.scheme) == 1:  # "C:\..." is a drive letter, not a scheme
        return None
    scheme = parts.scheme.lower()
    path = unquote(parts.path) or "/"
    if scheme == "file":
        return QualifiedName("file", path if path.startswith("/") else "/" + path)
    if scheme in ("dbfs",) and not parts.netloc:
        return QualifiedName("dbfs", path)
    if not parts.netloc:
        return None
    return QualifiedName(f"{scheme}://{parts.netloc}", path if path.startswith("/") else "/" + path)


# ---------------------------------------------------------------- MLflow models and runs

_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<ref>[^/]+)|@(?P<alias>[^/]+))?/?$")
_LOGGED_MODEL_SOURCE = re.compile(r"^models:/(m-[0-9A-Za-z]+)/?$")
_RUN_SOURCE = re.compile(r"^runs:/([^/]+)")


@dataclass(frozen=True, slots=True)
class ModelUri:
    """An MLflow model URI, as a dataset name or a version's source.

    ``models:/<name>/<version or stage>`` (``ref``), ``models:/<name>@<alias>`` (``alias``),
    or ``models:/m-<id>`` (neither: ``name`` is then a logged model's id).
    """

    name: str
    ref: str | None = None
    alias: str | None = None


def model_uri(uri: str) -> ModelUri | None:
    """The parts of a ``models:/`` URI, or None when the text is not one."""
    match = _MODEL_URI.match(uri)
    return None if match is None else ModelUri(match["name"], match["ref"], match["alias"])


def logged_model_of_source(source: str) -> str | None:
    """The logged model id a version's ``models:/m-<id>`` source names (MLflow 3), or None."""
    match = _LOGGED_MODEL_SOURCE.match(source)
    return match.group(1) if match else None


def run_of_source(source: str) -> str | None:
    """The run id a ``runs:/<run id>/<path>`` source names (MLflow 2), or None."""
    match = _RUN_SOURCE.match(source)
    return match.group(1) if match else None


def version_sort_key(version: str) -> tuple[int, int | str]:
    """Numeric versions in numeric order, anything else after them in text order."""
    return (0, int(version)) if version.isdigit() else (1, version)


# ---------------------------------------------------------------- column types


def normalise_type(text: str) -> str:
    """A column type in one vocabulary: double/float64 -> float, long/int64 -> int, ..."""
    base = re.split(r"[(\[<]", text.strip().lower(), maxsplit=1)[0].strip()
    return _TYPE_WORDS.get(base, base)


_TYPE_WORDS = {
    **dict.fromkeys(
        (
            "double",
            "float",
            "float64",
            "float32",
            "float16",
            "real",
            "fp64",
            "fp32",
            "double precision",
        ),
        "float",
    ),
    **dict.fromkeys(
        (
            "long",
            "int",
            "int64",
            "int32",
            "int16",
            "int8",
            "integer",
            "bigint",
            "smallint",
            "tinyint",
            "short",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        ),
        "int",
    ),
    **dict.fromkeys(
        (
            "string",
            "str",
            "object",
            "varchar",
            "text",
            "char",
            "utf8",
            "large_string",
            "category",
            "categorical",
        ),
        "string",
    ),
    **dict.fromkeys(("boolean", "bool"), "bool"),
    **dict.fromkeys(
        ("datetime", "datetime64", "timestamp", "timestamp_ntz", "timestamp_ltz"), "datetime"
    ),
    **dict.fromkeys(("binary", "bytes", "bytea", "blob"), "binary"),
}
