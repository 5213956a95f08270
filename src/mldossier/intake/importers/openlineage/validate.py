"""Validation of OpenLineage events and their standard facets against the official schemas.

Every published version of the core spec (``1-0-0`` to ``2-0-2``) and of every standard facet
is shipped in ``schemas/openlineage`` and resolved locally, never fetched. An event is
validated as the kind and spec version its ``schemaURL`` names (RunEvent, JobEvent or
DatasetEvent, as Marquez dispatches), and each standard facet against the version its
``_schemaURL`` names; an event whose ``schemaURL`` names no shipped version is validated
against the newest spec, as the kind its shape says, and custom facets are accepted
unchecked. jsonschema-rs gives the verdicts (fast); jsonschema explains a failure (and
decides when jsonschema-rs is missing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import SCHEMA_PACKAGE, describe, most_specific
from mldossier.intake.importers.openlineage.facets import Reading, read_kind

try:  # The fast validator is optional: jsonschema alone gives the same verdicts, slower.
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None  # type: ignore[assignment]

FAST_AVAILABLE = jsonschema_rs is not None
"""Whether jsonschema-rs is installed."""
SCHEMA_FOLDER = "openlineage"
SPEC = "https://openlineage.io/spec/"
NEWEST_CORE = SPEC + "2-0-2/OpenLineage.json"
"""The newest core spec shipped: for events whose ``schemaURL`` names no shipped version."""
RUN_EVENT_REF = NEWEST_CORE + "#/$defs/RunEvent"
EVENT_KINDS = ("RunEvent", "JobEvent", "DatasetEvent")
GENERIC_FACETS = frozenset(
    {
        "BaseFacet",
        "CustomFacet",
        "RunFacet",
        "JobFacet",
        "DatasetFacet",
        "InputDatasetFacet",
        "OutputDatasetFacet",
    }
)
"""Base types the core spec defines facets from: no ``_schemaURL`` names one of them."""
CHECKED_FORMATS = ("date-time", "uuid")
"""Formats both validators check; ``uri`` (producer URLs) stays an annotation, see below."""

KEPT_FACETS = 50_000
"""How many distinct facets are remembered at most, of the types read here (kept once and
shared) and of the others (known valid, so not checked again); then they are forgotten."""

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII
)


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


_NAIVE = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?", re.ASCII)


def naive_as_utc(text: str) -> str | None:
    """A date-time without a time zone (``2021-11-03T10:53:52.427``) with ``Z`` added, the
    rule of every importer (a time without a zone is read as UTC); None for any other text."""
    return text + "Z" if _NAIVE.fullmatch(text) else None


def valid_event_time(text: str) -> datetime | None:
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
    """The official OpenLineage schemas shipped with mldossier (every version), by ``$id``.

    ``format`` keywords other than ``date-time`` and ``uuid`` are dropped on loading:
    ``jsonschema`` checks ``uri`` only when an optional package is installed and
    ``jsonschema-rs`` always does, so keeping it would make the two disagree; a producer
    URL that is not a strict URI is no reason to reject lineage evidence.
    """
    folder = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER)
    entries = [
        entry
        for part in ("core", "facets")
        for entry in sorted(folder.joinpath(part).iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        schema = _annotation_formats(json.loads(entry.read_text("utf-8")))
        found[schema["$id"]] = schema
    return found


def _definitions(schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Where a schema keeps its definitions: ``$defs`` (spec 1-0-1 on), ``definitions`` before."""
    for key in ("$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            return key, schema[key]
    return "$defs", {}


def is_core(schema_id: str) -> bool:
    """Whether a ``$id`` is a version of the core spec (``.../spec/2-0-2/OpenLineage.json``)."""
    return schema_id.startswith(SPEC) and schema_id.endswith("/OpenLineage.json")


@cache
def event_refs() -> dict[str, str]:
    """Every ``schemaURL`` an event can carry for a shipped spec version, to the reference it
    is validated with (``$id#/$defs/RunEvent``; ``#/definitions/...`` before 1-0-1, whose
    events are all RunEvents).

    Both ``$defs`` and ``definitions`` spellings of the fragment are accepted for each
    version, as producers wrote either.
    """
    refs: dict[str, str] = {}
    for schema_id, schema in shipped_schemas().items():
        if not is_core(schema_id):
            continue
        key, defs = _definitions(schema)
        for kind in EVENT_KINDS:
            if kind in defs:
                target = f"{schema_id}#/{key}/{kind}"
                for spelling in ("$defs", "definitions"):
                    refs[f"{schema_id}#/{spelling}/{kind}"] = target
    return refs


def event_kind(event: Any) -> str:
    """What an event is: the kind its ``schemaURL`` names, else what its shape says
    (``run`` or ``eventType``: a RunEvent; else ``job``: JobEvent; else ``dataset``)."""
    if isinstance(event, dict):
        url = event.get("schemaURL")
        if isinstance(url, str):
            kind = url.rpartition("/")[2]
            if kind in EVENT_KINDS and url.startswith(SPEC):
                return kind
        if "run" not in event and "eventType" not in event:
            if "job" in event:
                return "JobEvent"
            if "dataset" in event:
                return "DatasetEvent"
    return "RunEvent"


def event_ref(event: Any) -> str:
    """The schema reference to validate an event with: the spec version and kind its
    ``schemaURL`` names when that version is shipped, else the newest spec's, by shape."""
    url = event.get("schemaURL") if isinstance(event, dict) else None
    if isinstance(url, str):
        found = event_refs().get(url)
        if found is not None:
            return found
    return f"{NEWEST_CORE}#/$defs/{event_kind(event)}"


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
def facet_refs() -> dict[str, str]:
    """Every ``_schemaURL`` naming a shipped facet schema (``$id#/$defs/Name``), to the
    reference it is validated with: each version of each standard facet, and the facets
    early core specs defined themselves. ``#/$defs/`` and ``#/definitions/`` are both
    accepted, as producers wrote either whatever the schema uses."""
    refs = {}
    for schema_id, schema in shipped_schemas().items():
        key, defs = _definitions(schema)
        for name in defs:
            if name.endswith("Facet") and name not in GENERIC_FACETS:
                for spelling in ("$defs", "definitions"):
                    refs[f"{schema_id}#/{spelling}/{name}"] = f"{schema_id}#/{key}/{name}"
    return refs


def standard_facet_urls() -> frozenset[str]:
    """Every ``_schemaURL`` that names a shipped facet schema (see :func:`facet_refs`)."""
    return frozenset(facet_refs())


ALIASES_FILE = "relative-facet-refs.json"


@cache
def facet_aliases() -> dict[str, str]:
    """URIs early core specs refer to facets by (``.../spec/1-0-4/facets/X.json``, never
    published) to the ``$id`` of the facet schema that stood at that path when they were
    written."""
    folder = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER)
    found: dict[str, str] = json.loads(folder.joinpath(ALIASES_FILE).read_text("utf-8"))["aliases"]
    return found


def _resources() -> list[tuple[str, dict[str, Any]]]:
    """Every shipped schema by its ``$id``, and again by each URI that aliases it."""
    schemas = shipped_schemas()
    return [*schemas.items(), *((alias, schemas[to]) for alias, to in facet_aliases().items())]


def _offline(uri: str) -> Any:
    raise NoSuchResource(uri)


@cache
def _registry() -> Registry:
    return Registry(retrieve=_offline).with_resources(  # type: ignore[call-arg]
        (uri, DRAFT202012.create_resource(schema)) for uri, schema in _resources()
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
    return jsonschema_rs.Registry(_resources(), retriever=_no_network)


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
    """Every schema error in one event and its standard facets, as Problems.

    ``base`` is the event's own pointer (``/3`` in a JSON array), prefixed to each pointer.
    """
    found = list(_schema_problems(detailed_validator(event_ref(event)), event, file, base, line))
    refs = facet_refs()
    for tokens, facets in _facet_places(event):
        for name, facet in facets.items():
            url = facet.get("_schemaURL") if isinstance(facet, dict) else None
            if isinstance(url, str) and url in refs:
                found += _schema_problems(
                    detailed_validator(refs[url]), facet, file, base + pointer(*tokens, name), line
                )
    unique = {(p.pointer, p.message): p for p in found}
    return [unique[k] for k in sorted(unique)]


def _facet_places(event: Any) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Each facets object of an event with its pointer tokens, as far as the shape allows."""
    if not isinstance(event, dict):
        return
    for part in ("run", "job", "dataset"):
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


# ---------------------------------------------------------------- validating events


class EventValidator:
    """Validates events and their standard facets, each distinct facet once, and reads facets.

    On success, each facet of a type read here is swapped in the event for its
    :class:`Reading`, shared by equal facets (same JSON); of the other standard facets only
    that they were valid is remembered, and custom facets (or other versions) are neither
    checked nor kept. An invalid event is left as it was, for its problems.
    """

    def __init__(self, fast: bool, read: Callable[[str, dict[str, Any]], Reading]) -> None:
        self.fast = fast
        """Validate with jsonschema-rs (same verdicts; jsonschema still explains failures)."""
        self._read = read
        # Equal facets (same JSON) are kept once and validated once: jobs and datasets
        # repeat the same facets run after run, and a million events must fit in memory.
        self._read_facets: dict[bytes, Reading] = {}
        """Facets of the types read here, as JSON, with their readings."""
        self._checked: set[bytes] = set()
        """Standard facets of types not read here, as JSON, already found valid."""

    def valid(self, event: Any) -> bool:
        """Validate an event and its standard facets; read the facets of the types read here."""
        if not _validator(event_ref(event), self.fast).is_valid(event):
            return False
        swaps: list[tuple[dict[str, Any], str, Reading]] = []
        for facets in _facets_of_valid(event):
            if facets and not self._facets_valid(facets, swaps):
                return False
        for facets, name, found in swaps:
            facets[name] = found
        return True

    def forget(self) -> None:
        """Drop the facets remembered (once every event is read)."""
        self._read_facets.clear()
        self._checked.clear()

    def _facets_valid(
        self, facets: dict[str, Any], swaps: list[tuple[dict[str, Any], str, Reading]]
    ) -> bool:
        """Check one facets object; add to ``swaps`` the readings to put in its place."""
        refs = facet_refs()
        read, checked = self._read_facets, self._checked
        for name, facet in facets.items():
            url = facet.get("_schemaURL")
            kind = read_kind(url) if isinstance(url, str) else ""
            if not kind and url not in refs:
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
            if url in refs and not _validator(refs[url], self.fast).is_valid(facet):
                return False
            if kind:
                found = self._read(kind, facet)
                swaps.append((facets, name, found))
            if raw is None:
                continue
            # orjson's bytes keep a 4 KiB buffer whatever their length: a key that is
            # kept is copied to its exact size. Most facets are one run's own (its
            # parent, its dataset versions), so both memories are bounded; a facet
            # forgotten is only read or checked again.
            memory: dict[bytes, Reading] | set[bytes] = read if kind else checked
            if len(memory) >= KEPT_FACETS:
                memory.clear()
            if kind:
                read[bytes(memoryview(raw))] = found
            else:
                checked.add(bytes(memoryview(raw)))
        return True


def _facets_of_valid(event: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Every facets object of a valid event (run, job or dataset, each dataset's), absent
    ones as None."""
    # The event is valid, so what it has of run, job, dataset and datasets are objects.
    places = [
        node.get("facets")
        for node in (event.get("run"), event.get("job"), event.get("dataset"))
        if isinstance(node, dict)
    ]
    for item in event.get("inputs") or ():
        places += (item.get("facets"), item.get("inputFacets"))
    for item in event.get("outputs") or ():
        places += (item.get("facets"), item.get("outputFacets"))
    return places
