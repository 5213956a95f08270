"""Static SVG diagrams of the lineage graph, laid out by Graphviz ``dot``.

The SVG is self-contained (no script, no external reference, a system font stack) and is
a function of the graph alone: nodes and edges go to ``dot`` sorted and under synthetic ids,
and the Graphviz version comment is dropped, so the same graph gives the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import networkx as nx

from mldossier.cache import Cache, cache_key, code_fingerprint, dot_version, fonts_fingerprint
from mldossier.errors import UsageError
from mldossier.intake.linking import is_production
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.views import subgraph, system_subgraph, version_nodes
from mldossier.model import LineageRun, ModelVersion

FONT = "DejaVu Sans"
FONT_STACK = "DejaVu Sans, sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
LINE_WIDTH = 34
MAX_LINES = 4
DOT_TIMEOUT = 120.0
MAX_NODES = 600
"""Above this many nodes a system diagram shows only its production and latest versions."""

# kind: (shape, fill, extra style, legend words), in legend order (left to right in data flow).
NODE_STYLES: dict[str, tuple[str, str, str, str]] = {
    "dataset": ("cylinder", "#dbeafe", "", "dataset"),
    "dataset_version": ("note", "#e0f2fe", "", "dataset version"),
    "job": ("component", "#f3f4f6", "", "job"),
    "run": ("box", "#fef3c7", "rounded", "pipeline run (OpenLineage)"),
    "mlflow_run": ("box3d", "#ede9fe", "", "MLflow run"),
    "logged_model": ("folder", "#f5d0fe", "", "logged model"),
    "model_version": ("box", "#bbf7d0", "rounded", "model version"),
    "registered_model": ("tab", "#86efac", "", "AI system (registered model)"),
    "alias": ("cds", "#fde68a", "", "alias"),
    "stage": ("cds", "#fcd34d", "", "stage"),
    "monitoring_report": ("note", "#cffafe", "", "monitoring report"),
    "signoff": ("octagon", "#fce7f3", "", "sign-off"),
    "unknown": ("ellipse", "#ffffff", "", "other"),
}
FAILED_FILL = "#fca5a5"
PRODUCTION_FILL = "#4ade80"
EDGE_STYLES: dict[str, str] = {
    "read": 'color="#334155"',
    "wrote": 'color="#334155"',
    "parent_of": 'color="#94a3b8", style=dashed, arrowhead=odot',
    "run_of": 'color="#7c3aed", style=dotted',
    "produced": 'color="#15803d", penwidth=1.5',
    "trained": 'color="#15803d", penwidth=1.5',
    "registered_as": 'color="#15803d", penwidth=1.5',
    "version_of": 'color="#64748b"',
    "promoted_to": 'color="#b45309", style=dotted',
    "monitored_by": 'color="#0e7490", style=dotted',
    "signed_off_by": 'color="#be185d", style=dotted',
}
DEFAULT_EDGE = 'color="#334155"'
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DiagramError(UsageError):
    """Graphviz is missing or failed to lay out a diagram."""


def lineage_dot(
    lineage: LineageGraph, system: str, max_nodes: int = MAX_NODES
) -> tuple[str, list[str]]:
    """The DOT source of one system's lineage diagram and its nodes' hover titles.

    When every version together would exceed ``max_nodes``, only the versions in production
    and the latest one are drawn, and the title says how many were left out.
    """
    graph = system_subgraph(lineage, system)
    title = f"Lineage of {system}"
    versions = lineage.index.versions.get(system, [])
    if graph.number_of_nodes() > max_nodes and len(versions) > 1:
        keep = [v for v in versions if is_production(v, lineage.config)]
        if versions[-1] not in keep:
            keep.append(versions[-1])
        nodes = {n for v in keep for n in version_nodes(lineage, v)}
        graph = subgraph(lineage, nodes)
        drawn = ", ".join(v.version for v in keep)
        title += (
            f" (versions {drawn} of {len(versions)}: in production and latest; "
            "the others are left out to keep the diagram legible)"
        )
    graph = collapse_signoffs(graph)
    return graph_dot(graph, title), node_titles(graph)


SVG_NAMESPACE = "lineage-svg"


def svg_key(dot_source: str, titles: list[str]) -> str:
    """The cache key of a finished SVG: DOT source, titles, code, ``dot`` and fonts."""
    return cache_key(
        SVG_NAMESPACE,
        code_fingerprint(),
        dot_version(),
        fonts_fingerprint(),
        dot_source,
        "\n".join(titles),
    )


def lineage_svgs(
    lineage: LineageGraph,
    systems: list[str],
    cache: Cache | None = None,
    workers: int | None = None,
) -> dict[str, str]:
    """Every system's lineage diagram, by name: from the cache, else laid out by ``dot``.

    The diagrams are independent, so the ``dot`` runs still to do go on every core at once
    (threads that wait for ``dot`` processes); the bytes do not depend on which ran first.
    """
    cache = cache if cache is not None else Cache(None)
    sources = {name: lineage_dot(lineage, name) for name in systems}
    keys = {name: svg_key(*source) for name, source in sources.items()} if cache.enabled else {}
    found: dict[str, str] = {}
    for name in sources:
        data = cache.get(SVG_NAMESPACE, keys[name]) if name in keys else None
        if data is not None:
            try:
                found[name] = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
    todo = [name for name in sources if name not in found]
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max(1, min(workers, len(todo) or 1))) as pool:
        laid_out = pool.map(lambda name: run_dot(sources[name][0], "svg"), todo)
        for name, raw in zip(todo, laid_out, strict=True):
            found[name] = clean_svg(raw.decode("utf-8"), sources[name][1])
            if name in keys:
                cache.put(SVG_NAMESPACE, keys[name], found[name].encode("utf-8"))
    return {name: found[name] for name in systems}


def collapse_signoffs(graph: nx.MultiDiGraph, keep: int = 3) -> nx.MultiDiGraph:
    """Sign-offs hanging off one node, drawn as one node listing them when there are many.

    A system with a dozen sign-offs would otherwise fan out into a dozen boxes and make the
    diagram too wide to read; the sign-offs themselves are listed in the documentation.
    """
    by_owner: dict[str, list[str]] = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == "signoff":
            for owner in sorted(graph.predecessors(node)):
                by_owner.setdefault(owner, []).append(node)
    crowded = {owner: nodes for owner, nodes in by_owner.items() if len(nodes) > keep}
    if not crowded:
        return graph
    collapsed = nx.MultiDiGraph(graph)
    for owner, nodes in sorted(crowded.items()):
        kinds = sorted(
            {
                str(getattr(graph.nodes[n].get("record"), "kind", "sign-off")).replace("_", " ")
                for n in nodes
            }
        )
        group = f"signoffs:{owner}"
        collapsed.remove_nodes_from(n for n in nodes if graph.in_degree(n) == 1)
        collapsed.add_node(
            group, kind="signoff", label=f"{len(nodes)} sign-offs\n" + ", ".join(kinds)
        )
        collapsed.add_edge(owner, group, kind="signed_off_by")
    return collapsed


def graph_svg(graph: nx.MultiDiGraph, title: str) -> str:
    """Any lineage (sub)graph as a static SVG."""
    return render_svg(graph_dot(graph, title), node_titles(graph))


def node_lines(node: str, attrs: dict[str, Any]) -> list[str]:
    """The text lines shown in a node's box: its label, cleaned, wrapped, at most 4 lines.

    The full label stays in the node's hover title.
    """
    lines: list[str] = []
    for part in str(attrs.get("label") or node).split("\n"):
        lines.extend(_wrap(_clean(part)))
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: LINE_WIDTH - 1] + "…"]
    return lines


def node_titles(graph: nx.MultiDiGraph) -> list[str]:
    """Hover text per node, in the order the nodes are written to dot: kind and full label."""
    titles = []
    for node in sorted(graph.nodes):
        attrs = graph.nodes[node]
        label = " / ".join(_clean(p) for p in str(attrs.get("label") or node).split("\n"))
        titles.append(f"{str(attrs.get('kind', 'unknown')).replace('_', ' ')}: {label}")
    return titles


def graph_dot(graph: nx.MultiDiGraph, title: str) -> str:
    """The DOT source of a lineage graph: sorted, quoted, styled, with a legend."""
    ids = {node: f"n{i}" for i, node in enumerate(sorted(graph.nodes))}
    out = [
        "digraph lineage {",
        f"  graph [rankdir=LR, newrank=true, nodesep=0.2, ranksep=0.45, splines=true, "
        f"fontname={_q(FONT)}, fontsize=16, labelloc=t, label={_q(_clean(title))}, "
        'bgcolor="#ffffff", pad=0.3];',
        f"  node [fontname={_q(FONT)}, fontsize=10, style=filled, penwidth=1, "
        'color="#475569", margin="0.12,0.06"];',
        f"  edge [fontname={_q(FONT)}, fontsize=9, arrowsize=0.7];",
    ]
    kinds_seen: set[str] = set()
    failed_seen = production_seen = False
    for node in sorted(graph.nodes):
        attrs = graph.nodes[node]
        kind = attrs.get("kind", "unknown")
        kind = kind if kind in NODE_STYLES else "unknown"
        kinds_seen.add(kind)
        shape, fill, style, _ = NODE_STYLES[kind]
        styles = ["filled", *([style] if style else [])]
        penwidth = 1.0
        record = attrs.get("record")
        if isinstance(record, LineageRun) and record.state in ("FAIL", "ABORT"):
            fill, failed_seen = FAILED_FILL, True
            penwidth = 2.0
        if isinstance(record, ModelVersion) and attrs.get("production"):
            fill, production_seen = PRODUCTION_FILL, True
            penwidth = 2.5
        if attrs.get("missing"):
            styles.append("dashed")
        label = "\\n".join(_escape(line) for line in node_lines(node, attrs))
        out.append(
            f'  {ids[node]} [label="{label}", shape={shape}, fillcolor="{fill}", '
            f'style="{",".join(styles)}", penwidth={penwidth}];'
        )
    edges = sorted(
        (ids[u], ids[v], data.get("kind", ""), data.get("basis", ""))
        for u, v, data in graph.edges(data=True)
    )
    for u, v, kind, basis in dict.fromkeys(edges):
        # An MLflow link says what it rests on (tag, output, dataset+time).
        label = f', label="{basis}", fontsize=9' if basis else ""
        out.append(f"  {u} -> {v} [{EDGE_STYLES.get(kind, DEFAULT_EDGE)}{label}];")
    out.extend(_legend(kinds_seen, failed_seen, production_seen))
    out.append("}")
    return "\n".join(out) + "\n"


def _legend(kinds: set[str], failed: bool, production: bool) -> list[str]:
    """One compact legend node: a table of the node kinds drawn, in their colours and shapes."""
    entries = [
        (words, shape, fill) for k, (shape, fill, _, words) in NODE_STYLES.items() if k in kinds
    ]
    if failed:
        entries.append(("failed run", "box", FAILED_FILL))
    if production:
        entries.append(("model version in production", "box", PRODUCTION_FILL))
    if not entries:
        return []
    per_row = 4
    rows = []
    for start in range(0, len(entries), per_row):
        cells = "".join(
            f'<TD BGCOLOR="{fill}" BORDER="1" COLOR="#94a3b8">{_html(words)}'
            f'<BR/><FONT POINT-SIZE="8" COLOR="#475569">{_html(SHAPE_WORDS.get(shape, shape))}'
            "</FONT></TD>"
            for words, shape, fill in entries[start : start + per_row]
        )
        rows.append(f"<TR>{cells}</TR>")
    table = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="4">'
        '<TR><TD COLSPAN="4" ALIGN="LEFT"><B>Legend</B></TD></TR>' + "".join(rows) + "</TABLE>"
    )
    return [f'  legend [shape=plaintext, style="", fontsize=9, label=<{table}>];']


SHAPE_WORDS = {
    "cylinder": "cylinder",
    "box": "rounded box",
    "box3d": "3-D box",
    "folder": "folder",
    "tab": "tab",
    "cds": "arrow tag",
    "note": "note",
    "octagon": "octagon",
    "component": "component",
    "ellipse": "ellipse",
}


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def render_svg(
    dot_source: str, titles: list[str] | None = None, timeout: float = DOT_TIMEOUT
) -> str:
    """Lay out DOT source with Graphviz and return a clean, deterministic SVG."""
    raw = run_dot(dot_source, "svg", timeout)
    return clean_svg(raw.decode("utf-8"), titles or [])


def run_dot(dot_source: str, fmt: str, timeout: float = DOT_TIMEOUT) -> bytes:
    """Run ``dot -T<fmt>`` on DOT source; a clear error when Graphviz is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            "Graphviz is not installed: the `dot` command was not found "
            "(install the graphviz package, e.g. `apt-get install graphviz`)"
        )
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DiagramError(
            f"Graphviz `dot` took longer than {timeout:g} s to lay out the "
            "diagram (the graph is too large; draw one model version)"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise DiagramError(f"Graphviz `dot` failed: {message}")
    return done.stdout


def clean_svg(svg: str, titles: list[str]) -> str:
    """Drop comments and the DOCTYPE, set the font stack and the node hover titles."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)  # the parser drops comments and the DOCTYPE
    for element in root.iter():
        if "font-family" in element.attrib:
            element.set("font-family", FONT_STACK)
        if element.tag == f"{{{SVG_NS}}}g" and element.get("class") == "node":
            title = element.find(f"{{{SVG_NS}}}title")
            if title is not None and title.text and title.text.startswith("n"):
                index = title.text[1:]
                if index.isdigit() and int(index) < len(titles):
                    title.text = titles[int(index)]
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + text + "\n"


def _clean(text: str) -> str:
    """One line of evidence text, safe for XML: no control characters, no line breaks."""
    return _CONTROL.sub("", text.replace("\r", " ").replace("\n", " ").replace("\t", " "))


def _escape(text: str) -> str:
    """Text for the inside of a DOT double-quoted string (backslash escapes kept literal)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _q(text: str) -> str:
    return f'"{_escape(text)}"'


def _wrap(text: str, width: int = LINE_WIDTH) -> list[str]:
    """Break a long name into lines, preferably after a separator, never losing text."""
    lines = []
    while len(text) > width:
        cut = width
        for separators in ("/ ", "_-:@", "."):  # path breaks read best, then word breaks
            best = max(text.rfind(sep, 0, width) for sep in separators)
            if best >= width // 2:
                cut = best + 1
                break
        lines.append(text[:cut])
        text = text[cut:]
    lines.append(text)
    return lines
