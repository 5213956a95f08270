"""OpenLineage RunEvents folded into runs, jobs and datasets.

Input: RunEvents as NDJSON (the Python client's file transport writes one event per line),
a JSON array of events, or one event per ``.json`` file. Every event is validated against the
official RunEvent schema (Draft 2020-12, shipped in ``schemas/openlineage`` and resolved
locally, never fetched); an invalid event is reported and skipped and the rest is still
read. Standard facets whose ``_schemaURL`` names exactly a shipped facet schema are validated
against it too; facets of other versions and custom facets are accepted and never fail.
Facets are recognised by their ``_schemaURL``, not by the key a producer chose.

Static metadata events (DatasetEvent, JobEvent: no ``run``) carry no run and are skipped
without a problem; only RunEvents become lineage records.

Events are folded as they are read: per run, only what its records need is kept (never
the raw events, and of the facets only what is read from them and their names; the cited
lines hold them as written). The last state by ``eventTime`` wins, whatever the order in
the file.
"""

from __future__ import annotations

import gc
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, ClassVar

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import describe, most_specific
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import (
    Citation,
    Column,
    Dataset,
    DatasetId,
    DatasetUse,
    LineageJob,
    LineageRun,
    QualityAssertion,
)

try:  # The fast validator is optional: jsonschema alone gives the same verdicts, slower.
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None  # type: ignore[assignment]

SCHEMA_FOLDER = "openlineage"
CORE_SCHEMA_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_REF = CORE_SCHEMA_ID + "#/$defs/RunEvent"
DEFAULT_MLFLOW_RUN_TAG = "mlflow.run_id"
CHECKED_FORMATS = ("date-time", "uuid")
"""Formats both validators check; ``uri`` (producer URLs) stays an annotation, see below."""

KEPT_FACETS = 50_000
"""How many distinct facets are remembered at most, of the types read here (kept once and
shared) and of the others (known valid, so not checked again); then they are forgotten."""
GC_THRESHOLD = 1_000_000
"""First-generation threshold of the garbage collector while events are read (default 700)."""

TERMINAL_STATES = frozenset({"COMPLETE", "FAIL", "ABORT"})
# At equal eventTime, a later stage of the life cycle wins; of two endings, the worse one.
STATE_RANK = {"START": 0, "RUNNING": 1, "OTHER": 2, "COMPLETE": 3, "ABORT": 4, "FAIL": 5}

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

_MIN_TIME = datetime.min.replace(tzinfo=UTC)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII
)

SortKey = tuple[datetime, int, int]
"""(eventTime, state rank, order read): what "later" means when folding events."""


# ---------------------------------------------------------------- times and formats


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time (``Z`` or an offset) as an aware UTC datetime; None if it is not one."""
    if not is_datetime(text):
        return None
    leap = text[17:19] == "60"
    if leap:  # datetime has no 60th second; RFC 3339 allows it (a leap second)
        text = text[:17] + "59" + text[19:]
    try:
        value = datetime.fromisoformat(text.upper()).astimezone(UTC)
        return value + timedelta(seconds=1) if leap else value
    except (ValueError, OverflowError):  # valid RFC 3339 but outside datetime, e.g. year 0
        return None


def _valid_event_time(text: str) -> datetime | None:
    """``parse_time`` for a time already checked as RFC 3339: the common case made fast."""
    if text[17:19] != "60":
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except (ValueError, OverflowError):  # lower-case t/z, or beyond datetime's range
            pass
    return parse_time(text)


def is_datetime(value: object) -> bool:
    """JSON Schema ``date-time`` (RFC 3339), checked as jsonschema-rs checks it."""
    if not isinstance(value, str):
        return True
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = 0
    if match.group(9):
        off_hour, off_minute = int(match.group(10)), int(match.group(11))
        if off_hour > 23 or off_minute > 59:
            return False
        offset = (off_hour * 60 + off_minute) * (1 if match.group(9) == "+" else -1)
    # A leap second only exists at 23:59:60 UTC.
    return second < 60 or (hour * 60 + minute - offset) % 1440 == 23 * 60 + 59


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def is_uuid(value: object) -> bool:
    """JSON Schema ``uuid``: 8-4-4-4-12 hex digits, any case."""
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None


# ---------------------------------------------------------------- schemas


@cache
def shipped_schemas() -> dict[str, dict[str, Any]]:
    """The official OpenLineage schemas shipped with mldossier, by ``$id``.

    ``format`` keywords other than ``date-time`` and ``uuid`` are dropped on loading:
    ``jsonschema`` checks ``uri`` only when an optional package is installed and
    ``jsonschema-rs`` always does, so keeping it would make the two disagree; a producer
    URL that is not a strict URI is no reason to reject lineage evidence.
    """
    folder = resources.files("mldossier.schemas").joinpath(SCHEMA_FOLDER)
    entries = [folder.joinpath("OpenLineage.json")]
    entries += sorted(
        (e for e in folder.joinpath("facets").iterdir() if e.name.endswith(".json")),
        key=lambda e: e.name,
    )
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        schema = _annotation_formats(json.loads(entry.read_text("utf-8")))
        found[schema["$id"]] = schema
    return found


def _annotation_formats(node: Any) -> Any:
    if isinstance(node, dict):
        # A property *named* "format" has an object value; only the keyword is a string.
        return {
            key: _annotation_formats(value)
            for key, value in node.items()
            if not (key == "format" and isinstance(value, str) and value not in CHECKED_FORMATS)
        }
    if isinstance(node, list):
        return [_annotation_formats(item) for item in node]
    return node


@cache
def standard_facet_urls() -> frozenset[str]:
    """Every ``_schemaURL`` naming a shipped facet schema exactly (``$id#/$defs/Name``)."""
    return frozenset(
        f"{schema_id}#/$defs/{name}"
        for schema_id, schema in shipped_schemas().items()
        if schema_id != CORE_SCHEMA_ID
        for name in schema.get("$defs", {})
        if name.endswith("Facet")
    )


def _offline(uri: str) -> Any:
    raise NoSuchResource(uri)


@cache
def _registry() -> Registry:
    return Registry(retrieve=_offline).with_resources(  # type: ignore[call-arg]
        (uri, DRAFT202012.create_resource(schema)) for uri, schema in shipped_schemas().items()
    )


@cache
def detailed_validator(ref: str = RUN_EVENT_REF) -> Draft202012Validator:
    """``jsonschema`` validator for a RunEvent or a facet (by schema URL), with error details."""
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_datetime)
    checker.checks("uuid")(is_uuid)
    return Draft202012Validator({"$ref": ref}, registry=_registry(), format_checker=checker)


def _no_network(uri: str) -> Any:
    raise ValueError(f"{uri} is not shipped with mldossier and is not fetched")


@cache
def _rs_registry() -> Any:
    return jsonschema_rs.Registry(list(shipped_schemas().items()), retriever=_no_network)


@cache
def fast_validator(ref: str = RUN_EVENT_REF) -> Any:
    """``jsonschema-rs`` validator of the same schema (None when it is not installed)."""
    if jsonschema_rs is None:
        return None
    # Its built-in date-time and uuid checks: Python callbacks would cost more than the rest.
    return jsonschema_rs.Draft202012Validator(
        {"$ref": ref}, registry=_rs_registry(), validate_formats=True, retriever=_no_network
    )


def _validator(ref: str, fast: bool) -> Any:
    found = fast_validator(ref) if fast else None
    return found if found is not None else detailed_validator(ref)


def _schema_problems(
    validator: Draft202012Validator, value: Any, file: str, base: str, line: int | None
) -> Iterator[Problem]:
    for error in validator.iter_errors(value):
        best = most_specific(error)
        where = base + pointer(*best.absolute_path)
        if best.validator == "required" and isinstance(best.instance, dict):
            for name in best.validator_value:
                if name not in best.instance:
                    yield Problem(
                        file,
                        where + pointer(name),
                        f"missing required field {name!r}",
                        f"add {name!r}",
                        line,
                    )
            continue
        message, fix = describe(best)
        yield Problem(file, where, message, fix, line)


def event_problems(event: Any, file: str, base: str = "", line: int | None = None) -> list[Problem]:
    """Every schema error in one RunEvent and its standard facets, as Problems.

    ``base`` is the event's own pointer (``/3`` in a JSON array), prefixed to each pointer.
    """
    found = list(_schema_problems(detailed_validator(), event, file, base, line))
    standard = standard_facet_urls()
    for tokens, facets in _facet_places(event):
        for name, facet in facets.items():
            url = facet.get("_schemaURL") if isinstance(facet, dict) else None
            if isinstance(url, str) and url in standard:
                found += _schema_problems(
                    detailed_validator(url), facet, file, base + pointer(*tokens, name), line
                )
    unique = {(p.pointer, p.message): p for p in found}
    return [unique[k] for k in sorted(unique)]


def _facet_places(event: Any) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Each facets object of an event with its pointer tokens, as far as the shape allows."""
    if not isinstance(event, dict):
        return
    for part in ("run", "job"):
        node = event.get(part)
        if isinstance(node, dict) and isinstance(node.get("facets"), dict):
            yield (part, "facets"), node["facets"]
    for field, io_field in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        items = event.get(field)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict):
                for kind in ("facets", io_field):
                    if isinstance(item.get(kind), dict):
                        yield (field, index, kind), item[kind]


# ---------------------------------------------------------------- facets


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


class _Reading:
    """What this importer reads from one facet (its type and a small value), not the facet.

    A million events carry a million facets; holding each as parsed JSON until every event
    is folded would cost a kilobyte or more a run. The values are shared between the runs
    whose facets are equal, so they are never changed.
    """

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value


def _reading(kind: str, facet: dict[str, Any]) -> _Reading:
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
    return _Reading(kind, value)


TEXT_FIELDS = {
    VERSION: "datasetVersion",
    DATASET_TYPE: "datasetType",
    DATASET_DOCS: "description",
    JOB_TYPE: "jobType",
    JOB_DOCS: "description",
    ERROR_MESSAGE: "message",
}
"""The one text field read from each facet type whose reading is a text."""

Entries = dict[str, tuple[SortKey, "_Reading | None"]]
"""Facets by key, each with the sort key of the event that last wrote it and its reading
(None for the types not read here: of those, the name is enough)."""


def _merge(entries: Entries, facets: dict[str, Any] | None, key: SortKey) -> None:
    # A later event (by eventTime) enriches or replaces what earlier ones said, per facet.
    if not facets:
        return
    for name, value in facets.items():
        held = entries.get(name)
        if held is None or key > held[0]:
            entries[name] = (key, value if isinstance(value, _Reading) else None)


Ranked = tuple[SortKey, bool, str, _Reading]
"""A facet's reading with what ranks it: sort key of its event, under its usual key?, its
key."""


def _beats(new: Ranked, held: Ranked) -> bool:
    """Whether ``new`` is the later facet: by event; in one event, the usual key, then name."""
    if new[0] != held[0]:
        return new[0] > held[0]
    return (new[1], held[2]) > (held[1], new[2])


def _latest(entries: Entries) -> dict[str, Ranked]:
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


def _absorb(into: dict[str, Ranked], latest: dict[str, Ranked]) -> None:
    """Keep in ``into`` the later of each type (one run's facets into a job's or dataset's)."""
    for kind, found in latest.items():
        held = into.get(kind)
        if held is None or _beats(found, held):
            into[kind] = found


def _get(latest: dict[str, Ranked], kind: str) -> Any:
    """The reading of the latest facet of a type, or None when no event wrote one."""
    found = latest.get(kind)
    return None if found is None else found[3].value


@cache
def _read_kind(schema_url: str) -> str:
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


def _ident(node: Any, *path: str) -> DatasetId | None:
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    if (
        isinstance(node, dict)
        and isinstance(node.get("namespace"), str)
        and isinstance(node.get("name"), str)
    ):
        return DatasetId(node["namespace"], node["name"])
    return None


# ---------------------------------------------------------------- folding

Where = tuple[tuple[str, str], int | None, str]
"""Where an event was read: ((file, sha256), NDJSON line, pointer to the event)."""


def _cite(where: Where, *tokens: str | int) -> Citation:
    (file, sha), line, base = where
    return Citation(file, base + pointer(*tokens) if tokens else base, sha, line)


class _UseFold:
    """One dataset as one run read or wrote it, merged across the run's events."""

    __slots__ = ("facets", "io_facets", "last")

    def __init__(self) -> None:
        self.facets: Entries = {}
        self.io_facets: Entries = {}
        self.last: tuple[SortKey, Where, str, int] | None = None


class _RunFold:
    """What one run's records need, updated event by event."""

    __slots__ = (
        "run_id",
        "job",
        "job_key",
        "state",
        "state_key",
        "started",
        "last_event",
        "run_facets",
        "job_facets",
        "inputs",
        "outputs",
        "events",
    )

    def __init__(self, run_id: str, job: DatasetId, key: SortKey) -> None:
        self.run_id = run_id
        self.job = job
        self.job_key = key
        self.state: str | None = None
        self.state_key: SortKey | None = None
        self.started: datetime | None = None
        self.last_event: datetime | None = None
        self.run_facets: Entries = {}
        self.job_facets: Entries = {}
        self.inputs: dict[DatasetId, _UseFold] = {}
        self.outputs: dict[DatasetId, _UseFold] = {}
        self.events: list[tuple[SortKey, Where]] = []


class OpenLineageImporter:
    """Reads OpenLineage RunEvents (NDJSON, JSON array or one event per file) into runs.

    DatasetEvent and JobEvent (static metadata, no ``run``) are recognised and skipped
    without a problem: they describe no run, and runs are what the evidence is about.
    """

    name: ClassVar[str] = "openlineage"
    kind: ClassVar[str] = "openlineage"

    def __init__(self, context: ImportContext, fast: bool = True) -> None:
        self.context = context
        linking = getattr(context.settings, "linking", None)
        self.mlflow_run_tag: str = getattr(
            linking, "openlineage_mlflow_run_tag", DEFAULT_MLFLOW_RUN_TAG
        )
        self.fast = fast and jsonschema_rs is not None
        """Validate with jsonschema-rs (same verdicts; jsonschema still explains failures)."""
        self.runs: dict[str, _RunFold] = {}
        self.versions: dict[DatasetId, set[str]] = {}
        self.events_read = 0
        # Equal facets (same JSON) are kept once and validated once: jobs and datasets
        # repeat the same facets run after run, and a million events must fit in memory.
        self._read_facets: dict[bytes, _Reading] = {}
        """Facets of the types read here, as JSON, with their readings."""
        self._checked: set[bytes] = set()
        """Standard facets of types not read here, as JSON, already found valid."""
        self._ids: dict[tuple[str, str], DatasetId] = {}
        self._name_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._pointers: dict[tuple[str, str, int], str] = {}

    # -------------------------------------------------------- Importer interface

    def detect(self, doc: Document) -> bool:
        """OpenLineage events: one object, or an array or NDJSON file that starts with one."""
        data = doc.data
        if doc.format not in ("json", "ndjson"):
            return False
        if isinstance(data, list):
            return bool(data) and looks_like_event(data[0])
        return looks_like_event(data)

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate and fold every event of one file; invalid ones become problems."""
        with _rare_gc():
            self._read(doc, result)

    def _read(self, doc: Document, result: ImportResult) -> None:
        source = (doc.file.path, doc.file.sha256)
        if doc.format == "ndjson":
            for line, value, problem in doc.records():
                if problem is not None:
                    result.problems.append(problem)
                    continue
                self._event(value, (source, line, ""), result)
        elif isinstance(doc.data, list):
            for index, value in enumerate(doc.data):
                self._event(value, (source, None, pointer(index)), result)
        else:
            self._event(doc.data, (source, None, ""), result)

    def finish(self, result: ImportResult) -> None:
        """Emit lineage runs, jobs and datasets, each in a stable order."""
        with _rare_gc():
            self._finish(result)

    def _finish(self, result: ImportResult) -> None:
        runs = deque(sorted(self.runs.values(), key=_run_order))
        # Each fold is dropped once its record is made, so folds and records never all
        # coexist; jobs and datasets gather what they need on the way.
        self.runs = {}
        jobs: dict[DatasetId, _Gathered] = {}
        datasets: dict[DatasetId, _Gathered] = {}
        while runs:
            result.add("lineage_runs", self._run(runs.popleft(), jobs, datasets))
        for job in sorted(jobs):
            result.add("lineage_jobs", _job(job, jobs[job]))
        for dataset in sorted(datasets):
            result.add("datasets", self._dataset(dataset, datasets[dataset]))
        self._read_facets.clear()
        self._checked.clear()
        self._name_sets.clear()
        self._pointers.clear()

    # -------------------------------------------------------- reading

    def _valid(self, event: Any) -> bool:
        """Validate an event and its standard facets; read the facets of the types read here.

        On success, each facet of a type read here is swapped in the event for its
        ``_Reading``, shared by equal facets (same JSON); of the other standard facets only
        that they were valid is remembered, and custom facets (or other versions) are
        neither checked nor kept. An invalid event is left as it was, for its problems.
        """
        if not _validator(RUN_EVENT_REF, self.fast).is_valid(event):
            return False
        standard = standard_facet_urls()
        read, checked = self._read_facets, self._checked
        swaps: list[tuple[dict[str, Any], str, _Reading]] = []
        # The event is valid, so run, job and datasets are objects (facets maybe absent).
        places = [event["run"].get("facets"), event["job"].get("facets")]
        for item in event.get("inputs") or ():
            places += (item.get("facets"), item.get("inputFacets"))
        for item in event.get("outputs") or ():
            places += (item.get("facets"), item.get("outputFacets"))
        for facets in places:
            if not facets:
                continue
            for name, facet in facets.items():
                url = facet.get("_schemaURL")
                kind = _read_kind(url) if isinstance(url, str) else ""
                if not kind and url not in standard:
                    continue
                try:
                    raw: bytes | None = orjson.dumps(facet)
                except TypeError:  # integers beyond 64 bits: valid JSON, not orjson's
                    raw = None
                if raw is not None and kind:
                    same = read.get(raw)
                    if same is not None:
                        swaps.append((facets, name, same))
                        continue
                elif raw is not None and raw in checked:
                    continue
                if url in standard and not _validator(url, self.fast).is_valid(facet):
                    return False
                if kind:
                    reading = self._reading(kind, facet)
                    swaps.append((facets, name, reading))
                if raw is None:
                    continue
                # orjson's bytes keep a 4 KiB buffer whatever their length: a key that is
                # kept is copied to its exact size. Most facets are one run's own (its
                # parent, its dataset versions), so both memories are bounded; a facet
                # forgotten is only read or checked again.
                memory: dict[bytes, _Reading] | set[bytes] = read if kind else checked
                if len(memory) >= KEPT_FACETS:
                    memory.clear()
                if kind:
                    read[bytes(memoryview(raw))] = reading
                else:
                    checked.add(bytes(memoryview(raw)))
        for facets, name, reading in swaps:
            facets[name] = reading
        return True

    def _reading(self, kind: str, facet: dict[str, Any]) -> _Reading:
        found = _reading(kind, facet)
        if kind == PARENT and found.value[1] is not None:  # one DatasetId for each job
            job = found.value[1]
            found.value = (found.value[0], self._ids.setdefault((job.namespace, job.name), job))
        return found

    def _event(self, event: Any, where: Where, result: ImportResult) -> None:
        if not is_run_event(event):
            return
        (file, _), line, base = where
        if not self._valid(event):
            problems = event_problems(event, file, base, line)
            if problems:
                result.problems.extend(problems)
                return
            # The fast validator said no but jsonschema (the reference) found nothing:
            # trust the reference rather than drop a valid event.
        time = _valid_event_time(event["eventTime"])
        if time is None:  # only for dates datetime cannot hold, such as year 0
            result.problems.append(
                Problem(
                    file,
                    base + "/eventTime",
                    f"{event['eventTime']!r} cannot be read as a time",
                    "write an RFC 3339 time such as 2026-11-27T10:10:07Z",
                    line,
                )
            )
            return
        state = event.get("eventType", "OTHER")  # older clients may leave it out
        self.events_read += 1
        key: SortKey = (time, STATE_RANK[state], self.events_read)
        run, job = event["run"], event["job"]
        job_id = self._id(job)
        fold = self.runs.get(run["runId"])
        if fold is None:
            fold = self.runs[run["runId"]] = _RunFold(run["runId"], job_id, key)
        elif key > fold.job_key:
            fold.job, fold.job_key = job_id, key
        fold.events.append((key, where))
        if state != "OTHER" and (fold.state_key is None or key > fold.state_key):
            # OTHER adds facets (e.g. after the run ended) but is no state change.
            fold.state, fold.state_key = state, key
        if state == "START" and (fold.started is None or time < fold.started):
            fold.started = time
        if fold.last_event is None or time > fold.last_event:
            fold.last_event = time
        _merge(fold.run_facets, run.get("facets"), key)
        _merge(fold.job_facets, job.get("facets"), key)
        for field, io_field, uses in (
            ("inputs", "inputFacets", fold.inputs),
            ("outputs", "outputFacets", fold.outputs),
        ):
            for index, item in enumerate(event.get(field) or ()):
                dataset = self._id(item)
                use = uses.get(dataset)
                if use is None:
                    use = uses[dataset] = _UseFold()
                facets = item.get("facets")
                _merge(use.facets, facets, key)
                _merge(use.io_facets, item.get(io_field), key)
                if use.last is None or key > use.last[0]:
                    use.last = (key, where, field, index)
                for facet in (facets or {}).values():
                    if isinstance(facet, _Reading) and facet.kind == VERSION and facet.value:
                        self.versions.setdefault(dataset, set()).add(facet.value)

    def _names(self, names: Iterable[str]) -> tuple[str, ...]:
        """Facet names in order, one shared tuple for each distinct set (most repeat)."""
        found = tuple(sorted(names))
        return self._name_sets.setdefault(found, found)

    def _cite_use(self, where: Where, field: str, index: int) -> Citation:
        (file, sha), line, base = where
        place = self._pointers.get((base, field, index))
        if place is None:
            place = self._pointers[base, field, index] = base + pointer(field, index)
        return Citation(file, place, sha, line)

    def _id(self, node: dict[str, Any]) -> DatasetId:
        pair = (node["namespace"], node["name"])
        found = self._ids.get(pair)
        if found is None:
            found = self._ids[pair] = DatasetId(*pair)
        return found

    # -------------------------------------------------------- records

    def _run(
        self, fold: _RunFold, jobs: dict[DatasetId, _Gathered], datasets: dict[DatasetId, _Gathered]
    ) -> LineageRun:
        events = sorted(fold.events)  # sort keys are unique
        cites = [_cite(where) for _, where in events]
        state = fold.state or "OTHER"
        ended = fold.state_key[0] if fold.state_key and state in TERMINAL_STATES else None
        run_facets = _latest(fold.run_facets)
        job_facets = _latest(fold.job_facets)
        job = jobs.get(fold.job)
        if job is None:
            job = jobs[fold.job] = _Gathered()
        job.add(job_facets, (*events[-1], "job"), fold.run_id)
        parent_run_id, parent_job = _get(run_facets, PARENT) or (None, None)
        tags = _get(run_facets, RUN_TAGS) or {}
        uses = []
        for io_field, side in (("inputFacets", fold.inputs), ("outputFacets", fold.outputs)):
            uses.append(
                tuple(
                    self._use(dataset, side[dataset], io_field, datasets)
                    for dataset in sorted(side)
                )
            )
        return LineageRun(
            run_id=fold.run_id,
            job=fold.job,
            state=state,
            started=fold.started,
            ended=ended,
            last_event=fold.last_event,
            parent_run_id=parent_run_id,
            parent_job=parent_job,
            inputs=uses[0],
            outputs=uses[1],
            run_facets=self._names(fold.run_facets),
            job_facets=self._names(fold.job_facets),
            job_type=_get(job_facets, JOB_TYPE),
            error_message=_get(run_facets, ERROR_MESSAGE),
            tags=tags,
            mlflow_run_id=tags.get(self.mlflow_run_tag),
            events=tuple(cites),
            cite=cites[-1],
        )

    def _use(
        self, dataset: DatasetId, use: _UseFold, io_field: str, datasets: dict[DatasetId, _Gathered]
    ) -> DatasetUse:
        # Input/output facets share the names; one whose key a dataset facet already has is
        # named "inputFacets.<key>" / "outputFacets.<key>".
        names = [
            *use.facets,
            *(f"{io_field}.{name}" if name in use.facets else name for name in use.io_facets),
        ]
        latest = _latest(use.facets)
        assert use.last is not None  # set with the first event that names the dataset
        gathered = datasets.get(dataset)
        if gathered is None:
            gathered = datasets[dataset] = _Gathered()
        gathered.add(latest, use.last)
        _, where, field, index = use.last
        return DatasetUse(
            dataset=dataset,
            version=_get(latest, VERSION),
            schema=_get(latest, SCHEMA) or (),
            dataset_type=_get(latest, DATASET_TYPE),
            column_lineage=_get(latest, COLUMN_LINEAGE) or {},
            quality_assertions=_get(latest, QUALITY_ASSERTIONS) or (),
            facets=self._names(names),
            cite=self._cite_use(where, field, index),
        )

    def _dataset(self, dataset: DatasetId, gathered: _Gathered) -> Dataset:
        latest = gathered.latest
        assert gathered.last is not None
        _, where, *tokens = gathered.last
        return Dataset(
            id=dataset,
            versions=tuple(sorted(self.versions.get(dataset, ()))),
            schema=_get(latest, SCHEMA) or (),
            dataset_type=_get(latest, DATASET_TYPE),
            description=_get(latest, DATASET_DOCS) or "",
            owners=_get(latest, DATASET_OWNERS) or (),
            cite=_cite(where, *tokens),
        )


class _Gathered:
    """What a job or dataset record needs from every run that names it."""

    __slots__ = ("latest", "last", "run_ids")

    def __init__(self) -> None:
        self.latest: dict[str, Ranked] = {}
        self.last: tuple[Any, ...] | None = None
        """(sort key, where, pointer tokens...) of the latest event naming it."""
        self.run_ids: list[str] = []

    def add(self, latest: dict[str, Ranked], last: tuple[Any, ...], run_id: str = "") -> None:
        _absorb(self.latest, latest)
        if self.last is None or last[0] > self.last[0]:
            self.last = last
        if run_id:
            self.run_ids.append(run_id)


def _job(job: DatasetId, gathered: _Gathered) -> LineageJob:
    latest = gathered.latest
    assert gathered.last is not None
    _, where, *tokens = gathered.last
    return LineageJob(
        job=job,
        job_type=_get(latest, JOB_TYPE),
        description=_get(latest, JOB_DOCS) or "",
        owners=_get(latest, JOB_OWNERS) or (),
        run_ids=tuple(sorted(gathered.run_ids)),
        cite=_cite(where, *tokens),
    )


@contextmanager
def _rare_gc() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while events are folded.

    Each event is a tree of a thousand or so fresh objects and the folds keep growing; with
    the default thresholds the collector walks both again and again and doubles the time
    per event. Nothing here makes reference cycles (reference counting frees each event),
    so collecting rarely loses nothing. The previous thresholds are restored.
    """
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        # What was read lives to the end of the run: frozen, no later collection walks it
        # (a collection right here would walk every young object once, seconds at 1M events).
        gc.freeze()
        gc.set_threshold(*before)


def _run_order(fold: _RunFold) -> tuple[Any, ...]:
    return (fold.job, fold.started is None, fold.started or _MIN_TIME, fold.run_id)


# ---------------------------------------------------------------- recognising events


def looks_like_event(data: Any) -> bool:
    """Whether a JSON value is an OpenLineage event (run, job or dataset event)."""
    if not isinstance(data, dict):
        return False
    url = data.get("schemaURL")
    if (
        isinstance(url, str)
        and "openlineage" in url.lower()
        and url.rsplit("/", 1)[-1] in {"RunEvent", "JobEvent", "DatasetEvent"}
    ):
        return True
    if "run" in data and "job" in data:
        return True
    return "eventTime" in data and any(k in data for k in ("eventType", "run", "job", "dataset"))


def is_run_event(data: Any) -> bool:
    """Whether to read a value as a RunEvent; False only for static Dataset/Job events."""
    if not isinstance(data, dict) or "run" in data or "eventType" in data:
        return True
    url = data.get("schemaURL")
    if isinstance(url, str) and url.endswith(("/DatasetEvent", "/JobEvent")):
        return False
    return not ("dataset" in data or "job" in data)
