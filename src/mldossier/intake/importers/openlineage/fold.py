"""OpenLineage events folded into runs, jobs and datasets.

Events are folded as they are read: per run, only what its records need is kept (never
the raw events, and of the facets only what is read from them and their names; the cited
lines hold them as written). The last state by ``eventTime`` wins, whatever the order in
the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mldossier.errors import pointer
from mldossier.intake.importers import ImportResult
from mldossier.intake.importers.openlineage.facets import (
    COLUMN_LINEAGE,
    DATASET_DOCS,
    DATASET_OWNERS,
    DATASET_TYPE,
    ERROR_MESSAGE,
    JOB_DOCS,
    JOB_OWNERS,
    JOB_TYPE,
    PARENT,
    QUALITY_ASSERTIONS,
    RUN_TAGS,
    SCHEMA,
    VERSION,
    Entries,
    Ranked,
    Reading,
    SortKey,
    absorb_latest,
    latest_by_type,
    merge_facets,
    read_facet,
    value_of,
)
from mldossier.model import Citation, Dataset, DatasetUse, LineageJob, LineageRun, QualifiedName

TERMINAL_STATES = frozenset({"COMPLETE", "FAIL", "ABORT"})
# At equal eventTime, a later stage of the life cycle wins; of two endings, the worse one.
STATE_RANK = {"START": 0, "RUNNING": 1, "OTHER": 2, "COMPLETE": 3, "ABORT": 4, "FAIL": 5}

_MIN_TIME = datetime.min.replace(tzinfo=UTC)

Where = tuple[tuple[str, str], int | None, str]
"""Where an event was read: ((file, sha256), NDJSON line, pointer to the event)."""


def _cite(where: Where, *tokens: str | int) -> Citation:
    (file, sha), line, base = where
    return Citation(file, base + pointer(*tokens) if tokens else base, sha, line)


class UseFold:
    """One dataset as one run read or wrote it, merged across the run's events."""

    __slots__ = ("facets", "io_facets", "last")

    def __init__(self) -> None:
        self.facets: Entries = {}
        self.io_facets: Entries = {}
        self.last: tuple[SortKey, Where, str, int] | None = None


class RunFold:
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

    def __init__(self, run_id: str, job: QualifiedName, key: SortKey) -> None:
        self.run_id = run_id
        self.job = job
        self.job_key = key
        self.state: str | None = None
        self.state_key: SortKey | None = None
        self.started: datetime | None = None
        self.last_event: datetime | None = None
        self.run_facets: Entries = {}
        self.job_facets: Entries = {}
        self.inputs: dict[QualifiedName, UseFold] = {}
        self.outputs: dict[QualifiedName, UseFold] = {}
        self.events: list[tuple[SortKey, Where]] = []


class Fold:
    """Valid RunEvents folded run by run; then the run, job and dataset records."""

    def __init__(self, mlflow_run_tag: str) -> None:
        self.mlflow_run_tag = mlflow_run_tag
        """Key, in the ``tags`` run facet, of the MLflow run id."""
        self.runs: dict[str, RunFold] = {}
        self.versions: dict[QualifiedName, set[str]] = {}
        self.events_read = 0
        self._ids: dict[tuple[str, str], QualifiedName] = {}
        self._name_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._pointers: dict[tuple[str, str, int], str] = {}

    def read_facet(self, kind: str, facet: dict[str, Any]) -> Reading:
        """What records need of a facet of a type read here, sharing one identity per job."""
        found = read_facet(kind, facet)
        if kind == PARENT and found.value[1] is not None:  # one QualifiedName for each job
            job = found.value[1]
            found.value = (found.value[0], self._ids.setdefault((job.namespace, job.name), job))
        return found

    def add(self, event: dict[str, Any], time: datetime, where: Where) -> None:
        """Fold one valid RunEvent (its facets already readings), read at ``where``."""
        state = event.get("eventType", "OTHER")  # older clients may leave it out
        self.events_read += 1
        key: SortKey = (time, STATE_RANK[state], self.events_read)
        run, job = event["run"], event["job"]
        fold = self._run_fold(run["runId"], self._id(job), key)
        fold.events.append((key, where))
        if state != "OTHER" and (fold.state_key is None or key > fold.state_key):
            # OTHER adds facets (e.g. after the run ended) but is no state change.
            fold.state, fold.state_key = state, key
        if state == "START" and (fold.started is None or time < fold.started):
            fold.started = time
        if fold.last_event is None or time > fold.last_event:
            fold.last_event = time
        merge_facets(fold.run_facets, run.get("facets"), key)
        merge_facets(fold.job_facets, job.get("facets"), key)
        self._add_uses(event, "inputs", "inputFacets", fold.inputs, key, where)
        self._add_uses(event, "outputs", "outputFacets", fold.outputs, key, where)

    def records(self, result: ImportResult) -> None:
        """Add lineage runs, jobs and datasets to ``result``, each in a stable order."""
        runs = deque(sorted(self.runs.values(), key=_run_order))
        # Each fold is dropped once its record is made, so folds and records never all
        # coexist; jobs and datasets gather what they need on the way.
        self.runs = {}
        jobs: dict[QualifiedName, Gathered] = {}
        datasets: dict[QualifiedName, Gathered] = {}
        while runs:
            result.add("lineage_runs", self._run(runs.popleft(), jobs, datasets))
        for job in sorted(jobs):
            result.add("lineage_jobs", _job(job, jobs[job]))
        for dataset in sorted(datasets):
            result.add("datasets", self._dataset(dataset, datasets[dataset]))
        self._name_sets.clear()
        self._pointers.clear()

    def _run_fold(self, run_id: str, job: QualifiedName, key: SortKey) -> RunFold:
        """The fold of a run; a later event (by ``key``) may move it to another job."""
        fold = self.runs.get(run_id)
        if fold is None:
            fold = self.runs[run_id] = RunFold(run_id, job, key)
        elif key > fold.job_key:
            fold.job, fold.job_key = job, key
        return fold

    def _add_uses(
        self,
        event: dict[str, Any],
        field: str,
        io_field: str,
        uses: dict[QualifiedName, UseFold],
        key: SortKey,
        where: Where,
    ) -> None:
        """Fold an event's inputs or outputs into the run's uses of each dataset."""
        for index, item in enumerate(event.get(field) or ()):
            dataset = self._id(item)
            use = uses.get(dataset)
            if use is None:
                use = uses[dataset] = UseFold()
            facets = item.get("facets")
            merge_facets(use.facets, facets, key)
            merge_facets(use.io_facets, item.get(io_field), key)
            if use.last is None or key > use.last[0]:
                use.last = (key, where, field, index)
            for facet in (facets or {}).values():
                if isinstance(facet, Reading) and facet.kind == VERSION and facet.value:
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

    def _id(self, node: dict[str, Any]) -> QualifiedName:
        pair = (node["namespace"], node["name"])
        found = self._ids.get(pair)
        if found is None:
            found = self._ids[pair] = QualifiedName(*pair)
        return found

    def _run(
        self,
        fold: RunFold,
        jobs: dict[QualifiedName, Gathered],
        datasets: dict[QualifiedName, Gathered],
    ) -> LineageRun:
        events = sorted(fold.events)  # sort keys are unique
        cites = [_cite(where) for _, where in events]
        state = fold.state or "OTHER"
        ended = fold.state_key[0] if fold.state_key and state in TERMINAL_STATES else None
        run_facets = latest_by_type(fold.run_facets)
        job_facets = latest_by_type(fold.job_facets)
        job = jobs.get(fold.job)
        if job is None:
            job = jobs[fold.job] = Gathered()
        job.add(job_facets, (*events[-1], "job"), fold.run_id)
        parent_run_id, parent_job = value_of(run_facets, PARENT) or (None, None)
        tags = value_of(run_facets, RUN_TAGS) or {}
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
            job_type=value_of(job_facets, JOB_TYPE),
            error_message=value_of(run_facets, ERROR_MESSAGE),
            tags=tags,
            mlflow_run_id=tags.get(self.mlflow_run_tag),
            events=tuple(cites),
            cite=cites[-1],
        )

    def _use(
        self,
        dataset: QualifiedName,
        use: UseFold,
        io_field: str,
        datasets: dict[QualifiedName, Gathered],
    ) -> DatasetUse:
        # Input/output facets share the names; one whose key a dataset facet already has is
        # named "inputFacets.<key>" / "outputFacets.<key>".
        names = [
            *use.facets,
            *(f"{io_field}.{name}" if name in use.facets else name for name in use.io_facets),
        ]
        latest = latest_by_type(use.facets)
        assert use.last is not None  # set with the first event that names the dataset
        gathered = datasets.get(dataset)
        if gathered is None:
            gathered = datasets[dataset] = Gathered()
        gathered.add(latest, use.last)
        _, where, field, index = use.last
        return DatasetUse(
            dataset=dataset,
            version=value_of(latest, VERSION),
            schema=value_of(latest, SCHEMA) or (),
            dataset_type=value_of(latest, DATASET_TYPE),
            column_lineage=value_of(latest, COLUMN_LINEAGE) or {},
            quality_assertions=value_of(latest, QUALITY_ASSERTIONS) or (),
            facets=self._names(names),
            cite=self._cite_use(where, field, index),
        )

    def _dataset(self, dataset: QualifiedName, gathered: Gathered) -> Dataset:
        latest = gathered.latest
        assert gathered.last is not None
        _, where, *tokens = gathered.last
        return Dataset(
            id=dataset,
            versions=tuple(sorted(self.versions.get(dataset, ()))),
            schema=value_of(latest, SCHEMA) or (),
            dataset_type=value_of(latest, DATASET_TYPE),
            description=value_of(latest, DATASET_DOCS) or "",
            owners=value_of(latest, DATASET_OWNERS) or (),
            cite=_cite(where, *tokens),
        )


class Gathered:
    """What a job or dataset record needs from every run that names it."""

    __slots__ = ("latest", "last", "run_ids")

    def __init__(self) -> None:
        self.latest: dict[str, Ranked] = {}
        self.last: tuple[Any, ...] | None = None
        """(sort key, where, pointer tokens...) of the latest event naming it."""
        self.run_ids: list[str] = []

    def add(self, latest: dict[str, Ranked], last: tuple[Any, ...], run_id: str = "") -> None:
        """Take in what one run says of it: its latest facets and where it was named."""
        absorb_latest(self.latest, latest)
        if self.last is None or last[0] > self.last[0]:
            self.last = last
        if run_id:
            self.run_ids.append(run_id)


def _job(job: QualifiedName, gathered: Gathered) -> LineageJob:
    latest = gathered.latest
    assert gathered.last is not None
    _, where, *tokens = gathered.last
    return LineageJob(
        job=job,
        job_type=value_of(latest, JOB_TYPE),
        description=value_of(latest, JOB_DOCS) or "",
        owners=value_of(latest, JOB_OWNERS) or (),
        run_ids=tuple(sorted(gathered.run_ids)),
        cite=_cite(where, *tokens),
    )


def _run_order(fold: RunFold) -> tuple[Any, ...]:
    return (fold.job, fold.started is None, fold.started or _MIN_TIME, fold.run_id)
