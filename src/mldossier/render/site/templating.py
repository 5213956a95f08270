"""Writing the pages: the sandboxed Jinja environment, its filters, and the Markdown it renders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from mldossier.formats.text import human_size
from mldossier.model import Citation
from mldossier.render.dossier import Dossier, SystemView
from mldossier.render.results_json import RESULTS_NAME
from mldossier.render.site.pages import (
    SITE_TEMPLATES,
    STATUS_CLASS,
    STATUS_COLUMNS,
    STATUS_LABEL,
    Page,
    SiteIndex,
    plan_pages,
    system_url,
)
from mldossier.render.site.safety import Html, escape_text, finalize, relative_url, title_html

# ---------------------------------------------------------------- small formatting filters


def _last_monitoring(system: SystemView) -> str:
    return system.last_monitored


def _production(system: SystemView) -> str:
    return ", ".join(f"v{v.version.version}" for v in system.versions if v.production)


def when(value: datetime | date | None) -> str:
    """A moment as the site shows it (UTC when it has a time zone), or ``undated``."""
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


# ---------------------------------------------------------------- rendering


def template_environment() -> SandboxedEnvironment:
    """The sandboxed Jinja environment the page templates run in (autoescape on)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(SITE_TEMPLATES / "pages")),
        autoescape=True,
        finalize=finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        when=when,
        exact=_exact,
        size=human_size,
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
    meta: dict[str, Any] = {"title": title_html(page.title)}
    if not page.search:
        meta["search"] = {"exclude": True}
    if page.hide:
        meta["hide"] = list(page.hide)
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True) + "---\n\n"


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
    templates: dict[str, Template] = {}
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
