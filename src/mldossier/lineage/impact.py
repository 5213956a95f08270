"""Impact: the model versions a dataset feeds, directly or through other runs; who serves them."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from mldossier.intake.linking import is_production
from mldossier.intake.naming import version_sort_key
from mldossier.lineage.graph import LineageGraph, dataset_node, version_node
from mldossier.lineage.runs import (
    run_json,
    run_order,
    serving_runs_of,
    training_runs_of,
    unique_cites,
)
from mldossier.model import Citation, LineageRun, ModelVersion, QualifiedName


@dataclass(frozen=True)
class Impact:
    """A model version a dataset feeds, directly or through other runs."""

    version_key: str
    in_production: bool
    stage: str | None
    aliases: tuple[str, ...]
    via: tuple[str, ...]
    """Jobs (``namespace:name``) on the shortest path from the dataset to the version."""
    serving_runs: tuple[LineageRun, ...]
    """Serving runs that read the version (its deployments)."""
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "version": self.version_key,
            "in_production": self.in_production,
            "stage": self.stage,
            "aliases": list(self.aliases),
            "via": list(self.via),
            "serving_runs": [run_json(r) for r in self.serving_runs],
            "citations": [c.to_json() for c in self.citations],
        }


def downstream(lineage: LineageGraph, dataset: QualifiedName) -> list[Impact]:
    """Every model version the dataset feeds, transitively, with its deployments."""
    impacts, _ = downstream_reach(lineage, dataset)
    return impacts


def downstream_reach(
    lineage: LineageGraph, dataset: QualifiedName
) -> tuple[list[Impact], set[str]]:
    """The impacts of a dataset and the nodes on the way to them (for its subgraph)."""
    reached, nodes = _walk(lineage, dataset)
    impacts = []
    for key, (via, cites) in reached.items():
        version = lineage.index.version_by_key[key]
        serving = serving_runs_of(lineage, version)
        nodes.update(f"run:{r.run_id}" for r in serving)
        impacts.append(
            Impact(
                version_key=key,
                in_production=is_production(version, lineage.config),
                stage=version.stage if version.stage != "None" else None,
                aliases=tuple(sorted(version.aliases)),
                via=tuple(dict.fromkeys(via)),
                serving_runs=tuple(serving),
                citations=unique_cites([version.cite, *cites, *(r.cite for r in serving)]),
            )
        )
    impacts.sort(
        key=lambda i: (
            i.version_key.rsplit("@", 1)[0],
            version_sort_key(i.version_key.rsplit("@", 1)[1]),
        )
    )
    return impacts, nodes


_Reached = dict[str, tuple[tuple[str, ...], list[Citation]]]
"""Version key -> the jobs on the first path that reached it, and the citations of each way."""


def _walk(lineage: LineageGraph, dataset: QualifiedName) -> tuple[_Reached, set[str]]:
    """Breadth first from a dataset through the runs that read it to the versions they train.

    The queue holds datasets and, once reached, model versions (by key: their serving runs
    read them too), each with the jobs on the way there.
    """
    training_of = trained_by(lineage)
    by_mlflow_run = versions_of_mlflow_run(lineage)
    seen_runs: set[str] = set()
    seen_data: set[QualifiedName] = {dataset}
    reached: _Reached = {}
    nodes: set[str] = {dataset_node(dataset)}
    queue: deque[tuple[QualifiedName | str, tuple[str, ...]]] = deque([(dataset, ())])

    def reach(key: str, via: tuple[str, ...], cite: Citation) -> None:
        if key not in reached:
            reached[key] = (via, [])
            queue.append((key, via))
        reached[key][1].append(cite)

    while queue:
        item, via = queue.popleft()
        if isinstance(item, QualifiedName):
            readers = lineage.readers.get((item.namespace, item.name), [])
            for mrun_id in sorted(set(lineage.mlflow_readers.get((item.namespace, item.name), ()))):
                nodes.add(f"mlflow_run:{mrun_id}")
                for version in by_mlflow_run.get(mrun_id, ()):
                    reach(version.key, via, lineage.index.runs[mrun_id].cite)
        else:
            readers = lineage.model_readers.get(item, [])
            nodes.add(version_node(item))
        for run in sorted(readers, key=run_order):
            if run.run_id in seen_runs:
                continue
            path = (*via, str(run.job))
            seen_runs.add(run.run_id)
            nodes.add(f"run:{run.run_id}")
            for key in sorted(training_of.get(run.run_id, ())):
                reach(key, path, run.cite)
            for use in run.outputs:
                if use.dataset.name.startswith("models:/"):
                    continue  # reached as a model version through training_of
                if use.dataset not in seen_data:
                    seen_data.add(use.dataset)
                    nodes.add(dataset_node(use.dataset))
                    queue.append((use.dataset, path))
    return reached, nodes


def trained_by(lineage: LineageGraph) -> dict[str, set[str]]:
    """OpenLineage run id -> the keys of the versions it trained."""
    found = lineage.memo.trained_by
    if found is None:
        grouped: dict[str, set[str]] = defaultdict(set)
        for version in lineage.evidence.model_versions:
            for run in training_runs_of(lineage, version):
                grouped[run.run_id].add(version.key)
        found = lineage.memo.trained_by = dict(grouped)
    return found


def versions_of_mlflow_run(lineage: LineageGraph) -> dict[str, list[ModelVersion]]:
    """MLflow run id -> the versions it produced."""
    found = lineage.memo.versions_of_mlflow_run
    if found is None:
        grouped: dict[str, list[ModelVersion]] = defaultdict(list)
        for version in lineage.evidence.model_versions:
            run_id = lineage.index.run_id_of(version)
            if run_id:
                grouped[run_id].append(version)
        found = lineage.memo.versions_of_mlflow_run = dict(grouped)
    return found
