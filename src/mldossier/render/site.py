"""The auditors' site: the dossier as Markdown pages from Jinja templates, built by mkdocs-material.

The renderer reads only the :class:`~mldossier.render.dossier.Dossier`. Raw evidence files are
copied into ``evidence-files/`` for download, after checking that their SHA-256 is still the
one that was read. Every string from the evidence reaches a page through
:func:`escape_text`, which neutralises it for HTML *and* Markdown; templates are loaded from
files and run in a Jinja sandbox, and evidence is only ever data, never template source.

Layout (``use_directory_urls`` is off so the site also works from disk; every page is the
``index.html`` of a folder named after a stable slug, so ``systems/<slug>/`` is a permalink):

- ``index.html``: the overview;
- ``systems/`` (paginated list), ``systems/<system-slug>/``;
- ``controls/``, ``controls/<framework-slug>/`` (paginated), ``controls/<framework-slug>/<control-slug>/``;
- ``findings/``, ``evidence/``, ``unlinked/`` (paginated), ``crosswalk/``;
- ``evidence-files/<path>``, ``assets/lineage/<system-slug>.svg``, ``results.json``.

Only the section index pages are in the navigation, so a page's navigation does not grow with
the number of systems and the build stays linear.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import posixpath
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import yaml
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from mkdocs.plugins import BasePlugin

from mldossier import data_folder
from mldossier.cache import Cache, cache_key, code_fingerprint
from mldossier.errors import InputError, Problem
from mldossier.evaluate.verdicts import Verdict
from mldossier.model import Citation, SourceFile
from mldossier.render.dossier import ControlView, Dossier, SystemView, slugify
from mldossier.status import BY_SEVERITY, STATUSES

log = logging.getLogger(__name__)

SITE_TEMPLATES = data_folder("templates") / "site"
"""Page templates (``pages/``), the fixed part of ``mkdocs.yml`` and the site's own assets."""

SYSTEMS_PER_PAGE = 50
CONTROLS_PER_PAGE = 50
ROWS_PER_PAGE = 100
"""Findings, evidence files and unlinked records per list page."""
VERDICTS_PER_PAGE = 200
"""Verdicts per control page (a control applies to every system: 500 systems, 500 rows)."""
OVERVIEW_SYSTEMS = 50
"""Systems listed on the overview (worst first); the rest are one click away."""

EVIDENCE_FILES_DIR = "evidence-files"
LINEAGE_DIR = "assets/lineage"
RESULTS_NAME = "results.json"

STATUS_COLUMNS = tuple(s.value for s in BY_SEVERITY)
"""Statuses in summary tables and lists: worst (what needs action) first."""
STATUS_LABEL = {s.value: s.label for s in STATUSES}
STATUS_CLASS = {s.value: s.css_class for s in STATUSES}
"""CSS class suffix of each status (``ml-fail``...)."""

# Characters that mean something to HTML or to Python-Markdown (and its extensions enabled in
# mkdocs.yml) become numeric character references: the browser shows them as the character,
# Markdown sees no syntax. Newlines become &#10; so evidence can never start a Markdown line
# (a heading, a list, a table row) or end a raw HTML block; control characters and bidi
# overrides are shown as visible escapes instead of silently reordering text.
_MARKDOWN_SPECIALS = "\\`*_{}[]|!#~^"
_HTML_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def _escape_table(with_html: bool) -> dict[int, str]:
    table: dict[int, str] = {ord(c): f"&#{ord(c)};" for c in _MARKDOWN_SPECIALS}
    if with_html:
        table.update({ord(c): entity for c, entity in _HTML_SPECIALS.items()})
    for code in (
        *range(0x00, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ):
        table[code] = f"&#92;u{code:04x}"
    table[ord("\t")] = " "
    for code in (0x0A, 0x0D, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029):
        table[code] = "&#10;"
    return table


_ESCAPE_ALL = _escape_table(with_html=True)
_ESCAPE_MARKDOWN = _escape_table(with_html=False)
_ESCAPE_HTML = {
    k: v for k, v in _ESCAPE_ALL.items() if chr(k) not in _MARKDOWN_SPECIALS and v != "&#10;"
} | {code: " " for code, v in _ESCAPE_ALL.items() if v == "&#10;"}


def escape_text(value: object) -> Markup:
    """Text made inert for both HTML and Markdown: it renders exactly as written."""
    if isinstance(value, Markup):
        # Already HTML-escaped by Jinja (e.g. a concatenation): only Markdown is left to defuse.
        return Markup(str(value).translate(_ESCAPE_MARKDOWN))
    return Markup(str(value).translate(_ESCAPE_ALL))


class Html(Markup):
    """HTML the renderer built itself from escaped parts; passed through to the page as is."""

    __slots__ = ()


def _finalize(value: object) -> object:
    """Every ``{{ }}`` in a template: trusted HTML (macro output, Html) as is, the rest escaped."""
    if value is None:
        return Markup("")
    if isinstance(value, Markup):
        # Markup comes from template code (macros, blocks), whose own {{ }} went through this
        # same function, or from helpers here (Html). Templates never build strings with `~`
        # or Jinja's string filters (tests/test_site.py checks), which would escape HTML only.
        return value
    return escape_text(value)


# ---------------------------------------------------------------- pages and links


@dataclass(frozen=True)
class Page:
    """One generated page: its source path in the docs folder, template, title and data."""

    src: str
    """Docs-relative Markdown path, always ``.../index.md`` or ``.../page-N.md``."""
    template: str
    title: str
    """Plain text; escaped when written into the front matter."""
    context: dict[str, Any] = field(default_factory=dict)
    search: bool = True
    """Whether the page goes into the search index."""
    hide: tuple[str, ...] = ("navigation", "toc")
    """mkdocs-material parts left out: the tabs replace the navigation sidebar everywhere."""

    @property
    def url(self) -> str:
        """Site-relative URL of the built page."""
        return self.src[: -len(".md")] + ".html"


@dataclass(frozen=True)
class Pager:
    """Where one page of a paginated list stands among its siblings."""

    number: int
    count: int
    links: tuple[tuple[int | None, str], ...]
    """(page number, url) pairs to show; None marks a gap."""
    first_item: int
    last_item: int
    total: int


def _list_src(base: str, number: int) -> str:
    return f"{base}/index.md" if number == 1 else f"{base}/page-{number}.md"


def paginate(base: str, items: Sequence[Any], size: int) -> list[tuple[str, Pager, Sequence[Any]]]:
    """Split a list into pages ``base/index.md``, ``base/page-2.md``...; at least one page."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]
    count = len(chunks)
    pages = []
    for n, chunk in enumerate(chunks, start=1):
        shown = sorted({1, count, *range(max(1, n - 3), min(count, n + 3) + 1)})
        links: list[tuple[int | None, str]] = []
        for previous, current in zip([0, *shown], shown, strict=False):
            if current - previous > 1:
                links.append((None, ""))
            links.append((current, _list_src(base, current)[: -len(".md")] + ".html"))
        first = (n - 1) * size + 1 if items else 0
        pages.append(
            (
                _list_src(base, n),
                Pager(
                    n,
                    count,
                    tuple(links),
                    first,
                    first + len(chunk) - 1 if items else 0,
                    len(items),
                ),
                chunk,
            )
        )
    return pages


def relative_url(from_url: str, to_path: str) -> str:
    """The URL of a site path relative to the folder of the page at ``from_url``."""
    start = posixpath.dirname(from_url) or "."
    return quote(posixpath.relpath(to_path, start), safe="/")


_ACTIVE_TYPES = ("html", "xml", "javascript", "ecmascript", "svg")
_ACTIVE_SUFFIXES = {
    ".htm",
    ".html",
    ".shtml",
    ".xht",
    ".xhtml",
    ".svg",
    ".svgz",
    ".xml",
    ".xsl",
    ".xslt",
    ".js",
    ".mjs",
    ".swf",
    ".mht",
    ".mhtml",
}


def raw_copy_path(path: str) -> str:
    """Where the copy of an evidence file lives in the site.

    Files a browser would render actively (HTML, SVG, XML, scripts) get ``.txt`` appended so
    that opening the copy shows its text instead of running it in the site's origin.
    """
    guessed = mimetypes.guess_type(path, strict=False)[0] or ""
    active = PurePosixPath(path).suffix.lower() in _ACTIVE_SUFFIXES or any(
        t in guessed for t in _ACTIVE_TYPES
    )
    return f"{EVIDENCE_FILES_DIR}/{path}" + (".txt" if active else "")


def system_url(slug: str) -> str:
    """Permalink of a system page."""
    return f"systems/{slug}/index.html"


def control_url(framework_slug: str, control_slug: str) -> str:
    """Permalink of a control page."""
    return f"controls/{framework_slug}/{control_slug}/index.html"


# ---------------------------------------------------------------- what templates look up


@dataclass(frozen=True)
class FrameworkSummary:
    """One framework's line on the overview and the controls index."""

    name: str
    slug: str
    catalogs: tuple[Any, ...]
    controls: tuple[ControlView, ...]
    verdict_counts: dict[str, int]
    control_counts: dict[str, int]
    """Controls by their worst status over all subjects."""

    @property
    def url(self) -> str:
        """The framework's control list."""
        return f"controls/{self.slug}/index.html"


@dataclass(frozen=True)
class Freshness:
    """How recent one kind of evidence is."""

    kind: str
    files: int
    dated: int
    newest: datetime | None
    oldest: datetime | None
    age_days: int | None
    """Days from the newest file of this kind to the evaluation time."""


class SiteIndex:
    """Look-ups the templates need: where each system, control and evidence file lives."""

    def __init__(self, dossier: Dossier):
        self.dossier = dossier
        self.systems_by_name = {s.model.name: s for s in dossier.systems}
        self.framework_slugs: dict[str, str] = {}
        taken: set[str] = set()
        for framework in dossier.frameworks:
            slug = base = slugify(framework)
            n = 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            self.framework_slugs[framework] = slug
        self.controls: dict[str, tuple[str, ControlView]] = {}
        for framework, views in dossier.controls.items():
            for view in views:
                self.controls[view.id] = (framework, view)
        self.partners: dict[str, list[dict[str, str]]] = defaultdict(list)
        for pair in dossier.crosswalk:
            self.partners[pair["left"]["control"]].append(pair["right"])
            self.partners[pair["right"]["control"]].append(pair["left"])
        self.raw_paths = {f.path: raw_copy_path(f.path) for f in dossier.evidence.files}

    def system_url(self, name: str) -> str | None:
        """The page of a system, by name (None for the organisation or an unknown name)."""
        system = self.systems_by_name.get(name)
        return system_url(system.slug) if system else None

    def control_url(self, control_id: str) -> str | None:
        """The page of a control, by id."""
        found = self.controls.get(control_id)
        if found is None:
            return None
        framework, view = found
        return control_url(self.framework_slugs[framework], view.slug)

    def control_status(self, control_id: str) -> str | None:
        """A control's worst status over its subjects (None: it has no verdict)."""
        found = self.controls.get(control_id)
        return found[1].status if found else None

    def related(self, control_id: str) -> list[dict[str, str]]:
        """Controls of other frameworks mapped onto this one (``control``, ``framework``,
        ``reference``), either way round."""
        return sorted(
            self.partners.get(control_id, []), key=lambda c: (c["framework"], c["control"])
        )

    def framework_summaries(self) -> list[FrameworkSummary]:
        """Per framework: catalogs, controls, verdicts and controls per status."""
        summaries = []
        for framework in self.dossier.frameworks:
            views = self.dossier.controls.get(framework, ())
            summaries.append(
                FrameworkSummary(
                    name=framework,
                    slug=self.framework_slugs[framework],
                    catalogs=tuple(
                        c for c in self.dossier.results.catalogs if c.framework == framework
                    ),
                    controls=tuple(views),
                    verdict_counts=self.dossier.framework_counts(framework),
                    control_counts=_count(v.status for v in views),
                )
            )
        return summaries

    def freshness(self) -> list[Freshness]:
        """Per kind of evidence: how many files, how many dated, newest, oldest, age."""
        by_kind: dict[str, list[SourceFile]] = defaultdict(list)
        for f in self.dossier.evidence.files:
            by_kind[f.kind].append(f)
        rows = []
        for kind in sorted(by_kind):
            times = sorted(f.time for f in by_kind[kind] if f.time is not None)
            newest = times[-1] if times else None
            rows.append(
                Freshness(
                    kind,
                    len(by_kind[kind]),
                    len(times),
                    newest,
                    times[0] if times else None,
                    _age_days(newest, self.dossier.as_of),
                )
            )
        return rows


def _count(statuses: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in STATUSES), 0)
    counts.update(Counter(statuses))
    return counts


def _age_days(moment: datetime | date | None, as_of: datetime) -> int | None:
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return (as_of.date() - day).days


def _last_monitoring(system: SystemView) -> str:
    dated = [p.when for p in system.monitoring if p.when != "undated"]
    return max(dated) if dated else ""


def _production(system: SystemView) -> str:
    return ", ".join(f"v{v.version.version}" for v in system.versions if v.production)


# ---------------------------------------------------------------- small formatting filters


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "undated"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def _exact(value: datetime) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class CiteGroup:
    """Citations into one file: the file once, then every place cited in it."""

    file: str
    sha256: str
    places: tuple[tuple[str, int | None], ...]


def cite_groups(citations: Iterable[Citation]) -> list[CiteGroup]:
    """Citations grouped by file (and hash), in order of first appearance, without repeats."""
    groups: dict[tuple[str, str], list[tuple[str, int | None]]] = {}
    for c in citations:
        places = groups.setdefault((c.file, c.sha256), [])
        if (c.pointer, c.line) not in places:
            places.append((c.pointer, c.line))
    return [CiteGroup(file, sha, tuple(places)) for (file, sha), places in groups.items()]


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:.{digits}e}"


def _joined(values: Iterable[object], separator: str = ", ") -> Markup:
    return Markup(escape_text(separator).join(escape_text(v) for v in values))


def drift_chart(system: SystemView) -> Html:
    """A small static SVG of the drift share over time (no script), or nothing without data."""
    points = [p for p in system.monitoring if p.share is not None]
    if not points:
        return Html("")
    width, height, pad_x, pad_y = 640, 170, 44, 22
    top = max([1.0, *(p.share or 0 for p in points), *(p.threshold or 0 for p in points)])
    step = (width - 2 * pad_x) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return pad_x + (i * step if len(points) > 1 else (width - 2 * pad_x) / 2)

    def y(v: float) -> float:
        return height - pad_y - (v / top) * (height - 2 * pad_y)

    parts = [
        f'<svg class="ml-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Share of drifted columns per monitoring report, {len(points)} report(s)</title>",
        f'<line class="ml-axis" x1="{pad_x}" y1="{y(0):.1f}" x2="{width - pad_x}" '
        f'y2="{y(0):.1f}"/>',
        f'<text class="ml-tick" x="{pad_x - 6}" y="{y(0):.1f}" text-anchor="end">0</text>',
        f'<text class="ml-tick" x="{pad_x - 6}" y="{y(top) + 4:.1f}" '
        f'text-anchor="end">{top:.2g}</text>',
    ]
    thresholds = sorted({p.threshold for p in points if p.threshold is not None})
    for t in thresholds:
        parts.append(
            f'<line class="ml-threshold" x1="{pad_x}" y1="{y(t):.1f}" '
            f'x2="{width - pad_x}" y2="{y(t):.1f}"/>'
            f'<text class="ml-tick" x="{width - pad_x + 4}" y="{y(t) + 4:.1f}">'
            f"{t:.2g}</text>"
        )
    line = " ".join(f"{x(i):.1f},{y(p.share or 0):.1f}" for i, p in enumerate(points))
    parts.append(f'<polyline class="ml-line" points="{line}"/>')
    for i, p in enumerate(points):
        label = escape_text(f"{p.when} v{p.version} {p.name}: share {p.share:.3g}")
        parts.append(
            f'<circle class="ml-point{" ml-drifted" if p.drifted else ""}" '
            f'cx="{x(i):.1f}" cy="{y(p.share or 0):.1f}" r="4"><title>{label}</title>'
            f"</circle>"
        )
    parts.append(
        f'<text class="ml-tick" x="{x(0):.1f}" y="{height - 4}" text-anchor="start">'
        f"{escape_text(points[0].when)}</text>"
    )
    if len(points) > 1:
        parts.append(
            f'<text class="ml-tick" x="{x(len(points) - 1):.1f}" y="{height - 4}" '
            f'text-anchor="end">{escape_text(points[-1].when)}</text>'
        )
    parts.append("</svg>")
    return Html("".join(parts))


# ---------------------------------------------------------------- the lineage SVG

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_DROP_ELEMENTS = {
    "script",
    "foreignObject",
    "iframe",
    "object",
    "embed",
    "style",
    "image",
    "use",
    "animate",
    "set",
    "animateTransform",
    "animateMotion",
    "handler",
}


def safe_svg(text: str) -> bytes | None:
    """The lineage SVG with anything active or external removed; None if it is not SVG.

    Shown through ``<img>`` no script in it could run anyway; this also keeps the file inert
    when opened directly, and makes sure it refers to nothing outside itself.
    """
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != f"{{{_SVG_NS}}}svg":
        return None
    for parent in list(root.iter()):
        for child in list(parent):
            local = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if (
                not isinstance(child.tag, str)
                or local in _DROP_ELEMENTS
                or (child.tag.startswith("{") and not child.tag.startswith(f"{{{_SVG_NS}}}"))
            ):
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            value = element.attrib[name].strip().lower()
            if (
                local.startswith("on")
                or (local == "href" and not value.startswith("#"))
                or ("url(" in value and "url(#" not in value.replace(" ", ""))
                or local == "style"
                and ("url(" in value or "@import" in value)
            ):
                del element.attrib[name]
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- planning the pages


def plan_pages(dossier: Dossier, site: SiteIndex) -> list[Page]:
    """Every page of the site, with the data its template renders."""
    systems = list(dossier.systems)
    worst_first = sorted(
        systems,
        key=lambda s: (
            STATUS_COLUMNS.index(s.status) if s.status in STATUS_COLUMNS else 99,
            s.model.name,
        ),
    )
    # "Overview": the browser's title adds the site name, which the page's heading repeats.
    pages = [
        Page(
            "index.md",
            "overview.md.j2",
            "Overview",
            {
                "summaries": site.framework_summaries(),
                "freshness": site.freshness(),
                "system_counts": _count(s.status for s in systems),
                "worst_systems": worst_first[:OVERVIEW_SYSTEMS],
                "unmonitored": [s.model.name for s in systems if not s.monitoring],
                "total_size": sum(f.size for f in dossier.evidence.files),
            },
            hide=("navigation",),
        )
    ]
    for src, pager, chunk in paginate("systems", systems, SYSTEMS_PER_PAGE):
        pages.append(
            Page(
                src,
                "systems.md.j2",
                "AI systems" + _page_suffix(pager),
                {
                    "pager": pager,
                    "systems": chunk,
                    "status_counts": _count(s.status for s in systems),
                },
                search=pager.number == 1,
            )
        )
    for system in systems:
        pages.append(
            Page(
                f"systems/{system.slug}/index.md",
                "system.md.j2",
                system.model.name,
                {
                    "system": system,
                    "permalink": f"systems/{system.slug}/",
                    "lineage": (f"{LINEAGE_DIR}/{system.slug}.svg" if system.diagram_svg else None),
                },
                hide=("navigation",),
            )
        )
    summaries = site.framework_summaries()
    pages.append(Page("controls/index.md", "controls.md.j2", "Controls", {"summaries": summaries}))
    for summary in summaries:
        for src, pager, chunk in paginate(
            f"controls/{summary.slug}", summary.controls, CONTROLS_PER_PAGE
        ):
            pages.append(
                Page(
                    src,
                    "framework.md.j2",
                    summary.name + _page_suffix(pager),
                    {"summary": summary, "pager": pager, "controls": chunk},
                )
            )
        for view in summary.controls:
            base = f"controls/{summary.slug}/{view.slug}"
            verdicts = sorted(view.verdicts, key=_verdict_order)
            for src, pager, chunk in paginate(base, verdicts, VERDICTS_PER_PAGE):
                pages.append(
                    Page(
                        src,
                        "control.md.j2",
                        f"{view.control.reference}: {view.control.title} ({view.id})"
                        + _page_suffix(pager),
                        {
                            "summary": summary,
                            "view": view,
                            "pager": pager,
                            "verdicts": chunk,
                            "permalink": f"{base}/",
                            "related": site.related(view.id),
                            "counts": _count(v.status for v in view.verdicts),
                        },
                        search=pager.number == 1,
                    )
                )
    findings = list(dossier.findings)
    for src, pager, chunk in paginate("findings", findings, ROWS_PER_PAGE):
        pages.append(
            Page(
                src,
                "findings.md.j2",
                "Findings" + _page_suffix(pager),
                {"pager": pager, "findings": chunk, "counts": _count(v.status for v in findings)},
                search=False,
            )
        )
    files = sorted(dossier.evidence.files, key=lambda f: f.path)
    for src, pager, chunk in paginate("evidence", files, ROWS_PER_PAGE):
        pages.append(
            Page(
                src,
                "evidence.md.j2",
                "Evidence index" + _page_suffix(pager),
                {"pager": pager, "files": chunk, "kinds": _evidence_kinds(files)},
            )
        )
    pages.append(
        Page(
            "crosswalk/index.md",
            "crosswalk.md.j2",
            "Crosswalk",
            {"matrices": _crosswalk_matrices(dossier, site)},
        )
    )
    pages.append(
        Page(
            "changes/index.md",
            "changes.md.j2",
            "Waivers and changes",
            {
                "waivers": sorted(dossier.evidence.waivers, key=lambda w: w.id),
                "changes": dossier.changes,
                "today": dossier.as_of.date(),
            },
            search=False,
        )
    )
    unlinked = sorted(dossier.evidence.unlinked, key=lambda u: (u.kind, u.cite.file, u.key))
    for src, pager, chunk in paginate("unlinked", unlinked, ROWS_PER_PAGE):
        pages.append(
            Page(
                src,
                "unlinked.md.j2",
                "Unlinked evidence" + _page_suffix(pager),
                {"pager": pager, "unlinked": chunk},
            )
        )
    return pages


def _page_suffix(pager: Pager) -> str:
    return f" (page {pager.number} of {pager.count})" if pager.number > 1 else ""


def _verdict_order(v: Verdict) -> tuple[int, str]:
    return (STATUS_COLUMNS.index(v.status) if v.status in STATUS_COLUMNS else 99, v.subject)


def _evidence_kinds(files: list[SourceFile]) -> list[tuple[str, int, int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f in files:
        counts[f.kind][0] += 1
        counts[f.kind][1] += f.size
    return [(kind, n, size) for kind, (n, size) in sorted(counts.items())]


@dataclass(frozen=True)
class CrosswalkMatrix:
    """Controls of two frameworks and which pairs bear on the same evidence."""

    left: str
    right: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    pairs: tuple[dict[str, Any], ...]
    marked: frozenset[tuple[str, str]]
    labels: dict[str, str]
    """Control id to its heading: the reference, with the id where references repeat."""


def _labels(references: dict[str, str]) -> dict[str, str]:
    repeated = {r for r, n in Counter(references.values()).items() if n > 1}
    return {cid: f"{ref} ({cid})" if ref in repeated else ref for cid, ref in references.items()}


def _crosswalk_matrices(dossier: Dossier, site: SiteIndex) -> list[CrosswalkMatrix]:
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for pair in dossier.crosswalk:
        grouped[(pair["left"]["framework"], pair["right"]["framework"])].append(pair)
    order = {f: i for i, f in enumerate(dossier.frameworks)}
    matrices = []
    for (left, right), pairs in sorted(
        grouped.items(), key=lambda kv: (order.get(kv[0][0], 99), order.get(kv[0][1], 99), kv[0])
    ):
        catalog_order = {cid: i for i, cid in enumerate(site.controls)}
        rows = sorted(
            {p["left"]["control"] for p in pairs}, key=lambda c: (catalog_order.get(c, 1 << 30), c)
        )
        columns = sorted(
            {p["right"]["control"] for p in pairs}, key=lambda c: (catalog_order.get(c, 1 << 30), c)
        )
        matrices.append(
            CrosswalkMatrix(
                left,
                right,
                tuple(rows),
                tuple(columns),
                tuple(pairs),
                frozenset((p["left"]["control"], p["right"]["control"]) for p in pairs),
                _labels(
                    {
                        p[side]["control"]: p[side]["reference"]
                        for p in pairs
                        for side in ("left", "right")
                    }
                ),
            )
        )
    return matrices


# ---------------------------------------------------------------- rendering


def template_environment() -> SandboxedEnvironment:
    """The sandboxed Jinja environment the page templates run in (autoescape on)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(SITE_TEMPLATES / "pages")),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        when=_when,
        exact=_exact,
        size=_size,
        number=_number,
        joined=_joined,
        cite_groups=cite_groups,
    )
    env.globals.update(
        status_label=STATUS_LABEL,
        status_class=STATUS_CLASS,
        status_columns=STATUS_COLUMNS,
        system_url=system_url,
        production=_production,
        last_monitoring=_last_monitoring,
        drift_chart=drift_chart,
    )
    return env


def _front_matter(page: Page) -> str:
    # mkdocs-material writes the title into <title>, the header and search results without
    # escaping it, so it is escaped here, for HTML only (it is not Markdown).
    meta: dict[str, Any] = {"title": _title_html(page.title)}
    if not page.search:
        meta["search"] = {"exclude": True}
    if page.hide:
        meta["hide"] = list(page.hide)
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True) + "---\n\n"


SLOT = re.compile(r'<div class="ml-slot" data-ml-slot="(\d+)"></div>')
"""Where a pre-rendered HTML block goes into a built page (see :class:`SlotFiller`)."""


class SlotFiller(BasePlugin):  # type: ignore[type-arg]
    """Puts the big HTML blocks of a page (verdict tables) into the built page.

    Those blocks are rendered straight to HTML (every value escaped) and left out of the
    Markdown: Python-Markdown and the search indexer would otherwise parse tens of
    megabytes of tables that are not searched anyway, which dominated the build time.
    """

    def __init__(self, slots_dir: Path):
        self.slots_dir = slots_dir

    def on_post_page(self, output: str, /, *, page: Any, config: Any) -> str:
        """Replace each placeholder by its block."""
        path = self.slots_dir / f"{page.file.src_uri}.json"
        if not path.is_file():
            return output
        blocks = json.loads(path.read_text(encoding="utf-8"))
        return SLOT.sub(lambda m: blocks[int(m.group(1))], output)


def render_pages(
    dossier: Dossier, docs_dir: Path, *, report_id: str, pdf_name: str | None, slots_dir: Path
) -> list[Page]:
    """Write every page's Markdown into ``docs_dir`` (big HTML blocks into ``slots_dir``)."""
    site = SiteIndex(dossier)
    env = template_environment()
    pages = plan_pages(dossier, site)
    common = {
        "d": dossier,
        "site": site,
        "report_id": report_id,
        "pdf_name": pdf_name,
        "results_name": RESULTS_NAME,
    }
    templates: dict[str, Any] = {}
    for page in pages:
        template = templates.get(page.template) or env.get_template(page.template)
        templates[page.template] = template
        blocks: list[str] = []
        context = {
            **common,
            **page.context,
            "page": page,
            "href": _hrefs(page),
            "raw": _raw_hrefs(page, site),
            "slot": _slot(blocks),
        }
        text = _front_matter(page) + template.render(context)
        target = docs_dir / page.src
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        if blocks:
            slot_file = slots_dir / f"{page.src}.json"
            slot_file.parent.mkdir(parents=True, exist_ok=True)
            slot_file.write_text(json.dumps(blocks, ensure_ascii=False), encoding="utf-8")
    return pages


def _slot(blocks: list[str]) -> Callable[[Markup], Html]:
    def slot(html: Markup) -> Html:
        blocks.append(str(html))
        return Html(f'<div class="ml-slot" data-ml-slot="{len(blocks) - 1}"></div>')

    return slot


def _hrefs(page: Page) -> Callable[[str | None], Html | None]:
    def href(path: str | None) -> Html | None:
        return Html(relative_url(page.url, path)) if path else None

    return href


def _raw_hrefs(page: Page, site: SiteIndex) -> Callable[[str], Html | None]:
    def raw(path: str) -> Html | None:
        copy = site.raw_paths.get(path)
        return Html(relative_url(page.url, copy)) if copy else None

    return raw


def _title_html(text: str) -> str:
    """Text for places mkdocs-material writes as HTML without escaping (titles, nav, footer)."""
    return text.translate(_ESCAPE_HTML)


def _nav(site: SiteIndex) -> list[Any]:
    controls: list[Any] = ["controls/index.md"]
    controls += [
        {_title_html(f): f"controls/{site.framework_slugs[f]}/index.md"}
        for f in site.dossier.frameworks
    ]
    return [
        {"Overview": "index.md"},
        {"Systems": "systems/index.md"},
        {"Controls": controls},
        {"Findings": "findings/index.md"},
        {"Crosswalk": "crosswalk/index.md"},
        {"Evidence": "evidence/index.md"},
        {"Unlinked": "unlinked/index.md"},
        {"Waivers and changes": "changes/index.md"},
    ]


def mkdocs_config(
    dossier: Dossier, docs_dir: Path, site: SiteIndex, report_id: str
) -> dict[str, Any]:
    """The site's mkdocs.yml: the fixed part from the templates plus what this dossier sets."""
    config = yaml.safe_load((SITE_TEMPLATES / "mkdocs.yml").read_text(encoding="utf-8"))
    config["site_name"] = _title_html(f"{dossier.organisation}: AI compliance dossier")
    config["docs_dir"] = str(docs_dir)
    config["nav"] = _nav(site)
    config["copyright"] = _title_html(
        f"mldossier {dossier.tool_version} · report {report_id[:12]} · evaluated as of "
        f"{_when(dossier.as_of)} ({dossier.as_of_source})"
    )
    config.setdefault("extra", {})["polyfills"] = ["assets/javascripts/iframe-worker.js"]
    return config


def _copy_assets(
    docs_dir: Path, dossier: Dossier, results_json: bytes, cache: Cache | None = None
) -> None:
    shutil.copytree(SITE_TEMPLATES / "assets", docs_dir / "assets", dirs_exist_ok=True)
    (docs_dir / RESULTS_NAME).write_bytes(results_json)
    for system in dossier.systems:
        if not system.diagram_svg:
            continue
        data = cached_safe_svg(system.diagram_svg, cache or Cache(None))
        if data is None:
            log.warning("lineage diagram of %s is not SVG; left out of the site", system.model.name)
            continue
        target = docs_dir / LINEAGE_DIR / f"{system.slug}.svg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


SAFE_SVG_NAMESPACE = "site-svg"


def cached_safe_svg(text: str, cache: Cache) -> bytes | None:
    """:func:`safe_svg`, from the cache when the same SVG was made safe before."""
    key = cache_key(SAFE_SVG_NAMESPACE, code_fingerprint(), text) if cache.enabled else ""
    data = cache.get(SAFE_SVG_NAMESPACE, key) if key else None
    if data is None:
        data = safe_svg(text)
        if data is not None and key:
            cache.put(SAFE_SVG_NAMESPACE, key, data)
    return data


def copy_evidence(dossier: Dossier, out_dir: Path) -> None:
    """Copy every evidence file into ``evidence-files/``, checking it is what was read.

    Raises :class:`InputError` when a file is gone or changed since it was hashed: the site
    would otherwise offer a file that is not the one its verdicts rest on.
    """
    root = Path(dossier.evidence.root)
    target_root = (out_dir / EVIDENCE_FILES_DIR).resolve()
    problems = []
    for f in sorted(dossier.evidence.files, key=lambda f: f.path):
        target = (out_dir / raw_copy_path(f.path)).resolve()
        if not target.is_relative_to(target_root) or PurePosixPath(f.path).is_absolute():
            problems.append(
                Problem(f.path, "", "evidence path leaves the evidence folder", "rename the file")
            )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with open(root / f.path, "rb") as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
        except OSError as exc:
            problems.append(
                Problem(
                    f.path,
                    "",
                    f"could not be copied into the site: {exc.strerror or exc}",
                    "keep the evidence folder in place until the build ends",
                )
            )
            continue
        if digest.hexdigest() != f.sha256:
            problems.append(
                Problem(
                    f.path,
                    "",
                    f"changed while the report was built: SHA-256 is now "
                    f"{digest.hexdigest()[:12]}, was {f.sha256[:12]} when read",
                    "build again once nothing writes to the evidence folder",
                )
            )
    if problems:
        raise InputError(problems)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, site_dir: Path, epoch: int, slots_dir: Path) -> list[str]:
    """A real mkdocs build of ``config_file`` into ``site_dir``; returns mkdocs' warnings."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    saved = os.environ.get("SOURCE_DATE_EPOCH")
    # mkdocs dates the sitemap and the gzip header from SOURCE_DATE_EPOCH: the evaluation
    # time makes two builds of the same dossier identical.
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir))
        config.plugins["mldossier-slots"] = SlotFiller(slots_dir)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    finally:
        logger.removeHandler(collect)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return collect.messages


def render_site(
    dossier: Dossier,
    out_dir: Path,
    *,
    report_id: str,
    results_json: bytes,
    pdf_name: str | None,
    cache: Cache | None = None,
    work_dir: Path | None = None,
) -> None:
    """Build the static site of the dossier into ``out_dir`` (an existing, empty folder).

    With a ``cache``, the lineage diagrams made safe before are taken from it. The pages'
    sources are written to a temporary folder in ``work_dir`` (default: the system's).
    """
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="mldossier-site-", dir=work_dir) as tmp:
        docs_dir = Path(tmp) / "docs"
        docs_dir.mkdir()
        slots_dir = Path(tmp) / "slots"
        site = SiteIndex(dossier)
        render_pages(dossier, docs_dir, report_id=report_id, pdf_name=pdf_name, slots_dir=slots_dir)
        _copy_assets(docs_dir, dossier, results_json, cache)
        config_file = Path(tmp) / "mkdocs.yml"
        config_file.write_text(
            yaml.safe_dump(
                mkdocs_config(dossier, docs_dir, site, report_id),
                allow_unicode=True,
                sort_keys=False,
            ),
            encoding="utf-8",
        )
        warnings = run_mkdocs(
            config_file, out_dir, max(0, int(dossier.as_of.timestamp())), slots_dir
        )
        for message in warnings:
            log.warning("mkdocs: %s", message)
    copy_evidence(dossier, out_dir)


__all__ = [
    "Html",
    "Page",
    "SiteIndex",
    "copy_evidence",
    "escape_text",
    "paginate",
    "plan_pages",
    "raw_copy_path",
    "render_pages",
    "render_site",
    "safe_svg",
]
