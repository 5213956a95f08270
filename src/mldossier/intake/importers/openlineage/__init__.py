"""OpenLineage RunEvents folded into runs, jobs and datasets.

Input: RunEvents as NDJSON (the Python client's file transport writes one event per line),
a JSON array of events, or one event per ``.json`` file. Every event is validated against the
official RunEvent schema and its standard facets against theirs (:mod:`.validate`); an
invalid event is reported and skipped and the rest is still read. Facets are recognised by
their ``_schemaURL``, not by the key a producer chose (:mod:`.facets`).

Each event is validated as the kind and spec version its ``schemaURL`` names (RunEvent,
JobEvent, DatasetEvent: Marquez dispatches the same way), so a JobEvent that also carries an
``eventType`` is a JobEvent. Static metadata events (DatasetEvent, JobEvent) are validated
like runs, and an invalid one is a problem; they describe no run, so only RunEvents become
lineage records.

Events are folded as they are read (:mod:`.fold`): per run, only what its records need is
kept. The last state by ``eventTime`` wins, whatever the order in the file.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from mldossier.errors import Problem, pointer
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.openlineage.fold import Fold, Where
from mldossier.intake.importers.openlineage.validate import (
    FAST_AVAILABLE,
    EventValidator,
    event_kind,
    event_problems,
    naive_as_utc,
    valid_event_time,
)

GC_THRESHOLD = 1_000_000
"""First-generation threshold of the garbage collector while events are read (default 700)."""


class OpenLineageImporter:
    """Reads OpenLineage RunEvents (NDJSON, JSON array or one event per file) into runs.

    DatasetEvent and JobEvent (static metadata) are validated, then left out of the fold:
    they describe no run, and runs are what the evidence is about.
    """

    name: ClassVar[str] = "openlineage"
    kind: ClassVar[str] = "openlineage"

    def __init__(self, context: ImportContext, fast: bool = True) -> None:
        self.context = context
        self.fold = Fold(context.settings.linking.openlineage_mlflow_run_tag)
        self.validator = EventValidator(fast and FAST_AVAILABLE, self.fold.read_facet)
        """Validates with jsonschema-rs when ``fast`` (same verdicts; jsonschema explains)."""
        self._naive: list[tuple[int | None, str]] = []
        """Where the file being read has event times without a zone (line, pointer)."""

    def detect(self, doc: Document) -> bool:
        """OpenLineage events: one object, or an array or NDJSON file that starts with one."""
        data = doc.data
        if doc.format not in ("json", "ndjson"):
            return False
        if isinstance(data, list):
            return bool(data) and looks_like_event(data[0])
        return looks_like_event(data)

    def resembles(self, doc: Document) -> bool:
        """An object (or an array or stream that starts with one) with ``eventTime``,
        ``eventType`` or an OpenLineage ``schemaURL``: an event :meth:`detect` refused."""
        if doc.format not in ("json", "ndjson"):
            return False
        first = doc.data[0] if isinstance(doc.data, list) and doc.data else doc.data
        if not isinstance(first, dict):
            return False
        url = first.get("schemaURL")
        return (
            "eventTime" in first
            or "eventType" in first
            or (isinstance(url, str) and "openlineage" in url.lower())
        )

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate and fold every event of one file; invalid ones become problems."""
        with _rare_gc():
            self._read(doc, result)

    def _read(self, doc: Document, result: ImportResult) -> None:
        source = (doc.file.path, doc.file.sha256)
        self._naive = []
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
        if self._naive:
            first, where = self._naive[0]
            result.problems.append(
                Problem(
                    doc.file.path,
                    where,
                    f"{len(self._naive)} event(s) have an eventTime without a time zone, read "
                    "as UTC (the first here)",
                    "write times with Z or an offset, e.g. 2026-11-27T10:10:07Z: a producer's "
                    "local time read as UTC is hours off",
                    first,
                    severity="warning",
                )
            )

    def finish(self, result: ImportResult) -> None:
        """Emit lineage runs, jobs and datasets, each in a stable order."""
        with _rare_gc():
            self.fold.records(result)
            self.validator.forget()

    def _event(self, event: Any, where: Where, result: ImportResult) -> None:
        """Validate one event and fold it; an invalid one adds its problems instead."""
        (file, _), line, base = where
        stamp = event.get("eventTime") if isinstance(event, dict) else None
        if isinstance(stamp, str) and (as_utc := naive_as_utc(stamp)) is not None:
            # One rule in every importer: a time without a zone is UTC, with a warning. The
            # cited bytes stay as written; only the value read gets its zone.
            event["eventTime"] = as_utc
            self._naive.append((line, base + "/eventTime"))
        if not self.validator.valid(event):
            problems = event_problems(event, file, base, line)
            if problems:
                result.problems.extend(problems)
                return
            # The fast validator said no but jsonschema (the reference) found nothing:
            # trust the reference rather than drop a valid event.
        if event_kind(event) != "RunEvent":
            return  # a valid static event: no run to fold
        time = valid_event_time(event["eventTime"])
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
        self.fold.add(event, time, where)


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
