"""OpenLineage facets: the types the importer reads, what it reads from each, and which is latest.

A facet is recognised by the type its ``_schemaURL`` names, not by the key a producer chose;
of several facets of one type, the one of the latest event wins (in one event, the one
under the type's usual key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

from mldossier.model import Column, QualifiedName, QualityAssertion

# Facet types this importer reads, by the name their _schemaURL ends with.
SCHEMA = "SchemaDatasetFacet"
VERSION = "DatasetVersionDatasetFacet"
COLUMN_LINEAGE = "ColumnLineageDatasetFacet"
QUALITY_ASSERTIONS = "DataQualityAssertionsDatasetFacet"
DATASET_TYPE = "DatasetTypeDatasetFacet"
DATASET_DOCS = "DocumentationDatasetFacet"
DATASET_OWNERS = "OwnershipDatasetFacet"
JOB_TYPE = "JobTypeJobFacet"
JOB_DOCS = "DocumentationJobFacet"
JOB_OWNERS = "OwnershipJobFacet"
PARENT = "ParentRunFacet"
ERROR_MESSAGE = "ErrorMessageRunFacet"
RUN_TAGS = "TagsRunFacet"
CANONICAL_KEYS = {
    SCHEMA: "schema",
    VERSION: "version",
    COLUMN_LINEAGE: "columnLineage",
    QUALITY_ASSERTIONS: "dataQualityAssertions",
    DATASET_TYPE: "datasetType",
    DATASET_DOCS: "documentation",
    DATASET_OWNERS: "ownership",
    JOB_TYPE: "jobType",
    JOB_DOCS: "documentation",
    JOB_OWNERS: "ownership",
    PARENT: "parent",
    ERROR_MESSAGE: "errorMessage",
    RUN_TAGS: "tags",
}

SortKey = tuple[datetime, int, int]
"""(eventTime, state rank, order read): what "later" means when folding events."""


@cache
def facet_type(schema_url: str) -> str:
    """The facet type a ``_schemaURL`` names: ``.../1-2-0/SchemaDatasetFacet.json#/$defs/X`` -> X.

    Older producers point into the core spec (``OpenLineage.json#/definitions/X``); the
    fragment names the type there too. Without a fragment, the file name does.
    """
    path, _, fragment = schema_url.partition("#")
    if fragment.strip("/"):
        return fragment.rstrip("/").rsplit("/", 1)[-1]
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name[:-5] if name.endswith(".json") else name


class Reading:
    """What this importer reads from one facet (its type and a small value), not the facet.

    A million events carry a million facets; holding each as parsed JSON until every event
    is folded would cost a kilobyte or more a run. The values are shared between the runs
    whose facets are equal, so they are never changed.
    """

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value


def read_facet(kind: str, facet: dict[str, Any]) -> Reading:
    """Read a facet of a type this importer reads (``kind``) into what records need."""
    value: Any
    if kind == PARENT:
        run = facet.get("run")
        value = (_text(run if isinstance(run, dict) else None, "runId"), _ident(facet, "job"))
    elif kind == RUN_TAGS:
        value = _tags(facet)
    elif kind == SCHEMA:
        value = tuple(_columns(facet.get("fields")))
    elif kind == COLUMN_LINEAGE:
        fields = facet.get("fields")
        value = fields if isinstance(fields, dict) else {}
    elif kind == QUALITY_ASSERTIONS:
        value = _assertions(facet)
    elif kind in (DATASET_OWNERS, JOB_OWNERS):
        value = _owners(facet)
    else:
        value = _text(facet, TEXT_FIELDS[kind])
    return Reading(kind, value)


TEXT_FIELDS = {
    VERSION: "datasetVersion",
    DATASET_TYPE: "datasetType",
    DATASET_DOCS: "description",
    JOB_TYPE: "jobType",
    JOB_DOCS: "description",
    ERROR_MESSAGE: "message",
}
"""The one text field read from each facet type whose reading is a text."""

Entries = dict[str, tuple[SortKey, "Reading | None"]]
"""Facets by key, each with the sort key of the event that last wrote it and its reading
(None for the types not read here: of those, the name is enough)."""


def merge_facets(entries: Entries, facets: dict[str, Any] | None, key: SortKey) -> None:
    """Take an event's facets into ``entries``: a later event (by eventTime) replaces, per key."""
    if not facets:
        return
    for name, value in facets.items():
        held = entries.get(name)
        if held is None or key > held[0]:
            entries[name] = (key, value if isinstance(value, Reading) else None)


Ranked = tuple[SortKey, bool, str, Reading]
"""A facet's reading with what ranks it: sort key of its event, under its usual key?, its
key."""


def _beats(new: Ranked, held: Ranked) -> bool:
    """Whether ``new`` is the later facet: by event; in one event, the usual key, then name."""
    if new[0] != held[0]:
        return new[0] > held[0]
    return (new[1], held[2]) > (held[1], new[2])


def latest_by_type(entries: Entries) -> dict[str, Ranked]:
    """The latest facet of each type this importer reads, whatever its key."""
    best: dict[str, Ranked] = {}
    for name, (key, value) in entries.items():
        if value is None:
            continue
        kind = value.kind
        found = (key, name == CANONICAL_KEYS[kind], name, value)
        held = best.get(kind)
        if held is None or _beats(found, held):
            best[kind] = found
    return best


def absorb_latest(into: dict[str, Ranked], latest: dict[str, Ranked]) -> None:
    """Keep in ``into`` the later of each type (one run's facets into a job's or dataset's)."""
    for kind, found in latest.items():
        held = into.get(kind)
        if held is None or _beats(found, held):
            into[kind] = found


def value_of(latest: dict[str, Ranked], kind: str) -> Any:
    """The reading of the latest facet of a type, or None when no event wrote one."""
    found = latest.get(kind)
    return None if found is None else found[3].value


@cache
def read_kind(schema_url: str) -> str:
    """The type a ``_schemaURL`` names if this importer reads that type, else ""."""
    kind = facet_type(schema_url)
    return kind if kind in CANONICAL_KEYS else ""


def _text(facet: dict[str, Any] | None, field: str) -> str | None:
    value = facet.get(field) if facet else None
    return value if isinstance(value, str) else None


def _columns(fields: Any, prefix: str = "") -> Iterator[Column]:
    """Schema facet fields as columns; nested struct fields become dotted leaf names."""
    if not isinstance(fields, list):
        return
    for item in fields:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name = prefix + item["name"]
        nested = item.get("fields")
        if isinstance(nested, list) and nested:
            yield from _columns(nested, name + ".")
        else:
            kind = item.get("type")
            yield Column(name, kind if isinstance(kind, str) else "")


def _assertions(facet: dict[str, Any] | None) -> tuple[QualityAssertion, ...]:
    items = facet.get("assertions") if facet else None
    if not isinstance(items, list):
        return ()
    return tuple(
        QualityAssertion(
            item["assertion"],
            item["success"],
            item.get("column") if isinstance(item.get("column"), str) else None,
        )
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("assertion"), str)
        and isinstance(item.get("success"), bool)
    )


def _owners(facet: dict[str, Any] | None) -> tuple[str, ...]:
    items = facet.get("owners") if facet else None
    if not isinstance(items, list):
        return ()
    return tuple(
        item["name"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    )


def _tags(facet: dict[str, Any] | None) -> dict[str, str]:
    items = facet.get("tags") if facet else None
    if not isinstance(items, list):
        return {}
    return {
        item["key"]: _as_text(item.get("value"))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value)


def _ident(node: Any, *path: str) -> QualifiedName | None:
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    if (
        isinstance(node, dict)
        and isinstance(node.get("namespace"), str)
        and isinstance(node.get("name"), str)
    ):
        return QualifiedName(node["namespace"], node["name"])
    return None
