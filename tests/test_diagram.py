"""The lineage diagram: a static, deterministic, escaped SVG laid out by Graphviz."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from test_lineage import TRAIN_RUN, graph_for, mlflow_run, ol_run, sample_folder, use, version

from mldossier.config import Config
from mldossier.intake.read import read_evidence
from mldossier.lineage import diagram
from mldossier.lineage.diagram import (
    FONT_STACK,
    DiagramError,
    graph_dot,
    graph_svg,
    lineage_dot,
    node_lines,
    render_svg,
    run_dot,
)
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.views import system_subgraph
from mldossier.model import Evidence

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>'

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> LineageGraph:
    """Real MLflow and OpenLineage exports, the training DAG linked to a production version."""
    root = sample_folder(tmp_path_factory.mktemp("diagram"), mlflow=True)
    evidence = read_evidence(Config(), root)
    runs = tuple(
        replace(r, tags={**r.tags, "openlineage.run_id": TRAIN_RUN})
        if r.run_id == "da3a687298b540b5bda2d5c88308f3e1"
        else r
        for r in evidence.mlflow_runs
    )
    return graph_for(replace(evidence, mlflow_runs=runs))


def lineage_svg(lineage: LineageGraph, system: str, max_nodes: int = diagram.MAX_NODES) -> str:
    """One system's diagram, the way the build draws it (DOT source, then ``dot``)."""
    return render_svg(*lineage_dot(lineage, system, max_nodes))


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_system_diagram_is_valid_static_svg_naming_every_node(sample: LineageGraph) -> None:
    svg = lineage_svg(sample, "breast-cancer-classifier")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    shown = set(texts(svg))
    sub = system_subgraph(sample, "breast-cancer-classifier")
    assert sub.number_of_nodes() == 25
    for node in sub.nodes:
        for line in node_lines(node, sub.nodes[node]):
            assert line in shown, (node, line)
    assert "Legend" in shown and "model version in production" in shown
    assert "<script" not in svg and "<!--" not in svg and "DOCTYPE" not in svg
    assert "href" not in svg and "http://www.w3.org/2000/svg" in svg
    assert {t.get("font-family") for t in root.iter(f"{SVG}text")} == {FONT_STACK}
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert "model version: breast-cancer-classifier v2" in titles


def test_diagram_is_deterministic(sample: LineageGraph) -> None:
    first = lineage_svg(sample, "breast-cancer-classifier")
    again = lineage_svg(graph_for(sample.evidence), "breast-cancer-classifier")
    assert first == again
    assert "graphviz version" not in first.lower()


def test_hostile_names_appear_only_escaped() -> None:
    runs = (
        ol_run(
            "t",
            'train \\N "quoted"',
            inputs=(use(HOSTILE, version="1"),),
            outputs=(use("models:/credit/1", "mlflow"),),
            mlflow_run_id="ml1",
        ),
    )
    graph = graph_for(
        Evidence(
            root=".",
            files=(),
            lineage_runs=runs,
            mlflow_runs=(mlflow_run(),),
            model_versions=(version(stage="Production"),),
        ),
        Config(),
    )
    svg = lineage_svg(graph, "credit")
    assert "<script" not in svg
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in svg
    shown = texts(svg)
    assert HOSTILE in shown
    assert 'train \\N "quoted"' in shown  # the backslash is not a Graphviz escape
    dot = graph_dot(system_subgraph(graph, "credit"), "t")
    assert '\\\\N \\"quoted\\"' in dot


def test_two_hundred_node_graph_is_laid_out() -> None:
    runs = []
    for i in range(70):
        runs.append(
            ol_run(
                f"r{i}",
                f"job_{i % 7}.task_{i}",
                inputs=(use(f"/data/zone/table_{i}.parquet", version="1"),),
                outputs=(use(f"/data/zone/table_{i + 1}.parquet", version="1"),),
                start=f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00",
                end=None,
            )
        )
    runs.append(
        ol_run(
            "t",
            "train",
            inputs=(use("/data/zone/table_70.parquet", version="1"),),
            outputs=(use("models:/credit/1", "mlflow"),),
            start="2026-01-02T00:00:00",
            end=None,
        )
    )
    graph = graph_for(
        Evidence(
            root=".", files=(), lineage_runs=tuple(runs), model_versions=(version(run_id=None),)
        ),
        Config(),
    )
    sub = system_subgraph(graph, "credit")
    big = nx.MultiDiGraph(sub)
    for i in range(60):  # widen it with sign-offs hanging off the version
        big.add_node(f"signoff:s{i}", kind="signoff", label=f"sign-off {i}")
        big.add_edge("mv:credit@1", f"signoff:s{i}", key="signed_off_by", kind="signed_off_by")
    assert big.number_of_nodes() > 200
    svg = graph_svg(big, "Lineage of credit")
    shown = set(texts(svg))
    assert "sign-off 59" in shown and "/data/zone/table_0.parquet" in shown
    assert len(list(ET.fromstring(svg).iter(f"{SVG}g"))) > 200


def test_png_rendering_for_a_visual_check(sample: LineageGraph, tmp_path: Path) -> None:
    png = run_dot(graph_dot(system_subgraph(sample, "breast-cancer-classifier"), "Lineage"), "png")
    assert png.startswith(b"\x89PNG")
    (tmp_path / "lineage.png").write_bytes(png)


def test_missing_graphviz_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    with pytest.raises(DiagramError) as caught:
        graph_svg(nx.MultiDiGraph(), "empty")
    assert str(caught.value) == (
        "Graphviz is not installed: the `dot` command was not found (install the graphviz "
        "package, e.g. `apt-get install graphviz`)"
    )


def test_graphviz_failure_is_reported() -> None:
    with pytest.raises(DiagramError) as caught:
        run_dot("digraph {", "svg")
    assert str(caught.value).startswith("Graphviz `dot` failed: ")


def test_long_labels_wrap_and_control_characters_go() -> None:
    lines = node_lines(
        "dataset:x",
        {"label": "/very/long/path/to/a/dataset/in/the/lake/with_a_name_that_goes_on.parquet\x07"},
    )
    assert lines == [
        "/very/long/path/to/a/dataset/in/",
        "the/lake/with_a_name_that_goes_",
        "on.parquet",
    ]
    assert "".join(lines) == (
        "/very/long/path/to/a/dataset/in/the/lake/with_a_name_that_goes_on.parquet"
    )
    many = node_lines("n", {"label": "x" * 500})
    assert len(many) == 4 and many[-1].endswith("…")


def test_unknown_system_draws_an_empty_diagram(sample: LineageGraph) -> None:
    svg = lineage_svg(sample, "no-such-system")
    assert texts(svg) == ["Lineage of no-such-system"]


def test_large_system_draws_production_and_latest_versions(sample: LineageGraph) -> None:
    svg = lineage_svg(sample, "breast-cancer-classifier", max_nodes=10)
    shown = texts(svg)
    assert shown[0] == (
        "Lineage of breast-cancer-classifier (versions 2, 3 of 3: in production "
        "and latest; the others are left out to keep the diagram legible)"
    )
    assert "breast-cancer-classifier v2" in shown and "breast-cancer-classifier v3" in shown
    assert "breast-cancer-classifier v1" not in shown


def test_many_signoffs_of_one_system_are_drawn_as_one_node() -> None:
    import networkx as nx

    from mldossier.lineage.diagram import collapse_signoffs, graph_dot

    graph = nx.MultiDiGraph()
    graph.add_node("rm:s", kind="registered_model", label="s")
    for i in range(5):
        graph.add_node(f"signoff:{i}", kind="signoff", label=f"sign-off {i}")
        graph.add_edge("rm:s", f"signoff:{i}", kind="signed_off_by")
    collapsed = collapse_signoffs(graph)
    assert sorted(collapsed.nodes) == ["rm:s", "signoffs:rm:s"]
    assert collapsed.nodes["signoffs:rm:s"]["label"].startswith("5 sign-offs")
    assert "legend [shape=plaintext" in graph_dot(collapsed, "t")
    # three or fewer stay as they are
    few = nx.MultiDiGraph(graph)
    few.remove_nodes_from(["signoff:3", "signoff:4"])
    assert collapse_signoffs(few) is few
