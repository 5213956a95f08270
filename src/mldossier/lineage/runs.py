"""Runs in the lineage: when they ran, whose output a read used, which serve or train a version.

The helpers on one run (its times, its order, its JSON form) come first; then the questions
about runs that need the graph's indexes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mldossier.lineage.graph import Key, LineageGraph
from mldossier.model import (
    Citation,
    DatasetUse,
    LineageRun,
    MlflowRun,
    ModelVersion,
    RunLink,
)

FAILED_STATES = frozenset({"FAIL", "ABORT"})
SERVING_JOB_TYPES = frozenset(
    {"SERVING", "ML_SERVING", "MODEL_SERVING", "INFERENCE", "ML_INFERENCE", "MODEL_INFERENCE"}
)


# ---------------------------------------------------------------- one run


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 text, None when unknown."""
    return moment.isoformat() if moment else None


def stamp(moment: datetime | None) -> float | None:
    """A time as a POSIX timestamp (naive times taken as UTC), None when unknown."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def read_time(run: LineageRun) -> float | None:
    """When a run read its inputs: its start, else its first known event."""
    return stamp(run.started or run.last_event or run.ended)


def done_time(run: LineageRun) -> float | None:
    """When a run's output became available: its end, else its last event."""
    return stamp(run.ended or run.last_event or run.started)


def run_order(run: LineageRun) -> tuple[str, str]:
    """The sort key that lists runs in time order (then by id)."""
    return (iso(run.started or run.last_event) or "", run.run_id)


def is_model_dataset(use: DatasetUse) -> bool:
    """Whether a read or write is of a model (``models:/...`` or dataset type MODEL)."""
    return use.dataset.name.startswith("models:/") or (use.dataset_type or "").upper() == "MODEL"


def unique_cites(cites: Iterable[Citation]) -> tuple[Citation, ...]:
    """Citations without repeats, in their sort order."""
    return tuple(sorted(set(cites)))


def run_json(run: LineageRun) -> dict[str, Any]:
    """The identifying part of a lineage run, JSON-ready."""
    return {
        "run_id": run.run_id,
        "job": str(run.job),
        "state": run.state,
        "started": iso(run.started),
        "ended": iso(run.ended),
        "cite": run.cite.to_json(),
    }


def use_json(use: DatasetUse) -> dict[str, Any]:
    """A dataset as read, JSON-ready."""
    return {
        "dataset": str(use.dataset),
        "version": use.version,
        "schema": [[c.name, c.type] for c in use.schema],
        "cite": use.cite.to_json(),
    }


# ---------------------------------------------------------------- runs of a version


def is_serving(lineage: LineageGraph, run: LineageRun) -> bool:
    """Whether a run is a serving run: jobType SERVING, or a job name pattern matches."""
    if (run.job_type or "").upper() in SERVING_JOB_TYPES:
        return True
    return any(p.search(run.job.name) for p in lineage.serving_patterns)


def serving_runs_of(lineage: LineageGraph, version: ModelVersion) -> list[LineageRun]:
    """Serving runs that read the version (any state: a live server may only START)."""
    runs = {
        r.run_id: r for r in lineage.model_readers.get(version.key, ()) if is_serving(lineage, r)
    }
    return sorted(runs.values(), key=run_order)


def training_links_of(lineage: LineageGraph, version: ModelVersion) -> list[RunLink]:
    """How the OpenLineage runs that trained the version are linked to it, in run order:
    to its MLflow run by tag, output or dataset+time, else as writers of its model."""
    links = lineage.index.training_links_of(version)
    runs = lineage.index.lineage_runs
    return sorted(links, key=lambda x: run_order(runs[x.lineage_run_id]))


def training_runs_of(lineage: LineageGraph, version: ModelVersion) -> list[LineageRun]:
    """OpenLineage runs that trained the version (:func:`training_links_of`), in run order."""
    runs = lineage.index.lineage_runs
    return [runs[x.lineage_run_id] for x in training_links_of(lineage, version)]


def mlflow_inputs(lineage: LineageGraph, run_id: str | None) -> list[DatasetUse]:
    """An MLflow run's dataset inputs as dataset uses (digest as version), training last."""
    # Training inputs last, so they win when two splits map to one dataset.
    items = sorted(
        lineage.mlflow_inputs.get(run_id or "", ()),
        key=lambda pair: pair[1].context == "training",
    )
    return [
        DatasetUse(
            dataset,
            item.digest or None,
            item.schema,
            None,
            {},
            (),
            (),
            item.cite,
            item.context or None,
        )
        for dataset, item in items
    ]


# ---------------------------------------------------------------- whose output a read used


@dataclass(frozen=True)
class WriterOrder:
    """The writers of one dataset, ordered by when their output was done."""

    times: list[float]
    """The done times of ``timed``, ascending (for bisection)."""
    timed: list[LineageRun]
    untimed: list[LineageRun]
    """Writers with no time at all, by run id."""


def writers_of(
    lineage: LineageGraph, reader: LineageRun | MlflowRun | None, use: DatasetUse
) -> list[LineageRun]:
    """The runs whose output a read (by an OpenLineage or MLflow run) used.

    The writers of the exact version read when versions match; otherwise the latest
    COMPLETE writer that finished before the reader started, plus any writer after it that
    did not complete (its partial output may have been read). Writers with no time are
    always included, since they cannot be ordered.
    """
    if isinstance(reader, LineageRun):
        return _writers_at(lineage, use, read_time(reader), reader.run_id)
    return _writers_at(lineage, use, stamp(reader.start) if reader else None, None)


def _writers_at(
    lineage: LineageGraph, use: DatasetUse, at: float | None, own: str | None
) -> list[LineageRun]:
    if use.version:
        exact = [
            r
            for r in lineage.writers_by_version.get(
                (use.dataset.namespace, use.dataset.name, use.version), ()
            )
            if r.run_id != own
        ]
        if exact:
            return sorted(exact, key=run_order)
    key = (use.dataset.namespace, use.dataset.name)
    if key not in lineage.writers:
        return []
    order = _writer_order(lineage, key)
    cut = len(order.timed) if at is None else bisect_right(order.times, at)
    chosen: list[LineageRun] = []
    for i in range(cut - 1, -1, -1):
        run = order.timed[i]
        if run.run_id == own:
            continue
        chosen.append(run)
        if run.state == "COMPLETE":
            break
    chosen.extend(r for r in order.untimed if r.run_id != own)
    return sorted(chosen, key=run_order)


def _writer_order(lineage: LineageGraph, key: Key) -> WriterOrder:
    order = lineage.memo.writer_order.get(key)
    if order is None:
        writers = [(done_time(run), run) for run in lineage.writers[key]]
        timed = sorted(
            ((done, run.run_id, run) for done, run in writers if done is not None),
            key=lambda t: (t[0], t[1]),
        )
        untimed = sorted((run for done, run in writers if done is None), key=lambda r: r.run_id)
        order = WriterOrder([t[0] for t in timed], [t[2] for t in timed], untimed)
        lineage.memo.writer_order[key] = order
    return order


def superseded(lineage: LineageGraph, run: LineageRun) -> bool:
    """Whether a failed run was followed by a COMPLETE run of the same job."""
    latest = _latest_complete(lineage).get((run.job.namespace, run.job.name))
    failed_at = done_time(run)
    return latest is not None and failed_at is not None and latest > failed_at


def _latest_complete(lineage: LineageGraph) -> dict[Key, float]:
    """Job -> when its latest COMPLETE run was done."""
    latest = lineage.memo.latest_complete
    if latest is None:
        latest = {}
        for run in lineage.evidence.lineage_runs:
            if run.state == "COMPLETE" and (done := done_time(run)) is not None:
                job = (run.job.namespace, run.job.name)
                if job not in latest or done > latest[job]:
                    latest[job] = done
        lineage.memo.latest_complete = latest
    return latest
