"""Views: the parts of the lineage graph the command line and the diagrams show."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from mldossier.lineage.graph import LineageGraph, dataset_node, model_refs, version_node
from mldossier.lineage.impact import downstream_reach
from mldossier.lineage.provenance import provenance
from mldossier.lineage.runs import serving_runs_of
from mldossier.model import LineageRun, ModelVersion, QualifiedName


def dataset_ids(lineage: LineageGraph) -> list[QualifiedName]:
    """Every dataset the graph knows (OpenLineage and mapped MLflow inputs), sorted."""
    return sorted(
        attrs["dataset"]
        for _, attrs in lineage.graph.nodes(data=True)
        if attrs.get("kind") == "dataset"
    )


def subgraph(lineage: LineageGraph, nodes: Iterable[str]) -> nx.MultiDiGraph:
    """A copy of the graph on these nodes and the edges between them."""
    result: nx.MultiDiGraph = lineage.graph.subgraph(set(nodes)).copy()
    return result


def version_nodes(lineage: LineageGraph, version: ModelVersion) -> set[str]:
    """The nodes of one version's lineage: provenance, registry, deployments, evidence."""
    graph = lineage.graph
    prov = provenance(lineage, version)
    mv = version_node(version.key)
    nodes = {mv, f"rm:{version.name}"}
    for run in prov.upstream_runs:
        nodes.add(f"run:{run.run_id}")
        nodes.update(_dataset_node_of(lineage, u.dataset) for u in run.inputs)
        nodes.update(_dataset_node_of(lineage, u.dataset) for u in run.outputs)
        if run.parent_run_id:
            nodes.add(f"run:{run.parent_run_id}")
    nodes.update(_dataset_node_of(lineage, u.dataset) for u in prov.input_datasets)
    for run in serving_runs_of(lineage, version):
        nodes.add(f"run:{run.run_id}")
        nodes.update(_dataset_node_of(lineage, u.dataset) for u in (*run.inputs, *run.outputs))
    for pred in graph.predecessors(mv):
        if graph.nodes[pred]["kind"] in ("mlflow_run", "logged_model"):
            nodes.add(pred)
            nodes.update(
                p for p in graph.predecessors(pred) if graph.nodes[p]["kind"] == "mlflow_run"
            )
    for succ in graph.successors(mv):
        if graph.nodes[succ]["kind"] != "dataset":
            nodes.add(succ)
    return {n for n in nodes if n in graph}


def system_subgraph(lineage: LineageGraph, system: str) -> nx.MultiDiGraph:
    """Everything upstream and downstream of a registered model's versions."""
    nodes: set[str] = set()
    rm = f"rm:{system}"
    if rm in lineage.graph:
        nodes.add(rm)
        nodes.update(lineage.graph.successors(rm))  # system-level sign-offs
    for version in lineage.index.versions.get(system, []):
        nodes |= version_nodes(lineage, version)
    return subgraph(lineage, nodes)


def downstream_subgraph(lineage: LineageGraph, dataset: QualifiedName) -> nx.MultiDiGraph:
    """A dataset and everything it feeds, down to model versions and their deployments."""
    graph = lineage.graph
    impacts, nodes = downstream_reach(lineage, dataset)
    for impact in impacts:
        version = lineage.index.version_by_key[impact.version_key]
        nodes.add(version_node(version.key))
        nodes.update(
            s
            for s in graph.successors(version_node(version.key))
            if graph.nodes[s]["kind"] in ("alias", "stage", "registered_model")
        )
    for run_node in [n for n in nodes if n.startswith("run:")]:
        record = graph.nodes[run_node].get("record") if run_node in graph else None
        if isinstance(record, LineageRun):
            nodes.update(_dataset_node_of(lineage, u.dataset) for u in record.outputs)
    return subgraph(lineage, nodes)


def _dataset_node_of(lineage: LineageGraph, dataset: QualifiedName) -> str:
    """The node a dataset is drawn as: its model version for ``models:/``, else its own."""
    refs = model_refs(lineage, dataset)
    return version_node(refs[0].key) if refs else dataset_node(dataset)
