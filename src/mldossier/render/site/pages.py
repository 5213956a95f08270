"""Planning the site: which pages there are, where each lives and the data its template renders."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mldossier import data_folder
from mldossier.evaluate.catalog import Catalog
from mldossier.evaluate.verdicts import Verdict
from mldossier.model import FileRole
from mldossier.render.dossier import ControlView, CrosswalkPair, CrosswalkSide, Dossier, SystemView
from mldossier.render.site.safety import raw_copy_path
from mldossier.status import BY_SEVERITY, STATUSES, Status

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

LINEAGE_DIR = "assets/lineage"

ROLE_LABEL = {FileRole.IGNORED: "ignored", FileRole.NOT_EVIDENCE: "not evidence"}
"""How the evidence page names why a file was not read."""

STATUS_COLUMNS = tuple(s.value for s in BY_SEVERITY)
"""Statuses in summary tables and lists: worst (what needs action) first."""
STATUS_LABEL = {s.value: s.label for s in STATUSES}
STATUS_CLASS = {s.value: s.css_class for s in STATUSES}


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
    catalogs: tuple[Catalog, ...]
    controls: tuple[ControlView, ...]
    verdict_counts: dict[str, int]
    control_counts: dict[str, int]
    """Controls by their worst status over all subjects."""

    @property
    def url(self) -> str:
        """The framework's control list."""
        return f"controls/{self.slug}/index.html"


class SiteIndex:
    """Look-ups the templates need: where each system, control and evidence file lives."""

    def __init__(self, dossier: Dossier):
        self.dossier = dossier
        self.systems_by_name = {s.model.name: s for s in dossier.systems}
        self.framework_slugs = dossier.framework_slugs
        self.controls: dict[str, ControlView] = {
            view.id: view for views in dossier.controls.values() for view in views
        }
        self.partners: dict[str, list[CrosswalkSide]] = defaultdict(list)
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
        view = self.controls.get(control_id)
        if view is None:
            return None
        return control_url(self.framework_slugs[view.control.framework], view.slug)

    def control_status(self, control_id: str) -> str | None:
        """A control's worst status over its subjects (None: it has no verdict)."""
        view = self.controls.get(control_id)
        return view.status if view else None

    def related(self, control_id: str) -> list[CrosswalkSide]:
        """Controls of other frameworks mapped onto this one (``control``, ``framework``,
        ``reference``), either way round."""
        return sorted(
            self.partners.get(control_id, []), key=lambda c: (c["framework"], c["control"])
        )

    @cached_property
    def framework_summaries(self) -> tuple[FrameworkSummary, ...]:
        """Per framework: catalogs, controls, verdicts and controls per status."""
        d = self.dossier
        return tuple(
            FrameworkSummary(
                name=framework,
                slug=self.framework_slugs[framework],
                catalogs=tuple(c for c in d.results.catalogs if c.framework == framework),
                controls=tuple(d.controls.get(framework, ())),
                verdict_counts=d.framework_counts[framework],
                control_counts=d.control_counts[framework],
            )
            for framework in d.frameworks
        )


# ---------------------------------------------------------------- planning the pages


def plan_pages(dossier: Dossier, site: SiteIndex) -> list[Page]:
    """Every page of the site, with the data its template renders."""
    systems = list(dossier.systems)
    findings = list(dossier.findings)
    files = sorted(dossier.evidence.files, key=lambda f: f.path)
    kinds = [(k.kind, k.files, k.size) for k in dossier.evidence_kinds]
    unlinked = sorted(dossier.evidence.unlinked, key=lambda u: (u.kind, u.cite.file, u.key))
    summaries = site.framework_summaries
    return [
        _overview(dossier, site),
        *_paged(
            ("systems", "systems.md.j2", "AI systems"),
            systems,
            SYSTEMS_PER_PAGE,
            "systems",
            {"status_counts": dossier.system_counts},
            first_only=True,
        ),
        *(_system_page(system, dossier) for system in systems),
        Page("controls/index.md", "controls.md.j2", "Controls", {"summaries": summaries}),
        *(page for summary in summaries for page in _framework_pages(summary, site)),
        *_paged(
            ("findings", "findings.md.j2", "Findings"),
            findings,
            ROWS_PER_PAGE,
            "findings",
            {"counts": dossier.findings_counts},
            search=False,
        ),
        *_paged(
            ("evidence", "evidence.md.j2", "Evidence index"),
            files,
            ROWS_PER_PAGE,
            "files",
            {
                "kinds": kinds,
                "not_read": [
                    (f.path, ROLE_LABEL.get(f.role, str(f.role)), f.reason, f.size, f.sha256)
                    for f in dossier.evidence.not_read
                ],
                "export_errors": list(dossier.evidence.export_errors),
                "unavailable": list(dossier.evidence.unavailable),
                "quarantined": list(dossier.evidence.quarantined),
            },
        ),
        Page(
            "crosswalk/index.md",
            "crosswalk.md.j2",
            "Crosswalk",
            {"matrices": _crosswalk_matrices(dossier, site)},
        ),
        Page(
            "requests/index.md",
            "requests.md.j2",
            "Evidence requests",
            {"rows": list(dossier.requests), "causes": list(dossier.root_causes)},
            search=False,
        ),
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
        ),
        *_paged(
            ("unlinked", "unlinked.md.j2", "Unlinked evidence"), unlinked, ROWS_PER_PAGE, "unlinked"
        ),
    ]


def _paged(
    where: tuple[str, str, str],
    items: Sequence[Any],
    size: int,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    search: bool = True,
    first_only: bool = False,
) -> list[Page]:
    """A list as pages of ``size`` items: ``where`` is (base path, template, title); each
    page's chunk goes to its template as ``name``. ``first_only``: only page 1 is searched."""
    base, template, title = where
    return [
        Page(
            src,
            template,
            title + _page_suffix(pager),
            {"pager": pager, name: chunk, **(context or {})},
            search=pager.number == 1 if first_only else search,
        )
        for src, pager, chunk in paginate(base, items, size)
    ]


def _overview(dossier: Dossier, site: SiteIndex) -> Page:
    systems = dossier.systems
    worst_first = sorted(
        systems,
        key=lambda s: (
            Status(s.status).rank,
            s.model.name,
        ),
    )
    # "Overview": the browser's title adds the site name, which the page's heading repeats.
    return Page(
        "index.md",
        "overview.md.j2",
        "Overview",
        {
            "summaries": site.framework_summaries,
            "freshness": dossier.evidence_kinds,
            "system_counts": dossier.system_counts,
            "worst_systems": worst_first[:OVERVIEW_SYSTEMS],
            "unmonitored": [s.model.name for s in systems if not s.monitoring],
            "total_size": dossier.evidence_size,
        },
        hide=("navigation",),
    )


def _system_page(system: SystemView, dossier: Dossier) -> Page:
    return Page(
        f"systems/{system.slug}/index.md",
        "system.md.j2",
        system.model.name,
        {
            "system": system,
            "outside": list(dossier.out_of_population_by_system.get(system.model.name, ())),
            "permalink": f"systems/{system.slug}/",
            "lineage": (f"{LINEAGE_DIR}/{system.slug}.svg" if system.diagram_svg else None),
        },
        hide=("navigation",),
    )


def _framework_pages(summary: FrameworkSummary, site: SiteIndex) -> list[Page]:
    """A framework's control list, then every page of each of its controls."""
    pages = _paged(
        (f"controls/{summary.slug}", "framework.md.j2", summary.name),
        summary.controls,
        CONTROLS_PER_PAGE,
        "controls",
        {"summary": summary},
    )
    for view in summary.controls:
        base = f"controls/{summary.slug}/{view.slug}"
        pages += _paged(
            (base, "control.md.j2", f"{view.control.reference}: {view.control.title} ({view.id})"),
            sorted(view.verdicts, key=_verdict_order),
            VERDICTS_PER_PAGE,
            "verdicts",
            {
                "summary": summary,
                "view": view,
                "permalink": f"{base}/",
                "related": site.related(view.id),
                "counts": view.counts,
            },
            first_only=True,
        )
    return pages


def _page_suffix(pager: Pager) -> str:
    return f" (page {pager.number} of {pager.count})" if pager.number > 1 else ""


def _verdict_order(v: Verdict) -> tuple[int, str]:
    return (Status(v.status).rank, v.subject)


@dataclass(frozen=True)
class CrosswalkMatrix:
    """Controls of two frameworks and which pairs bear on the same evidence."""

    left: str
    right: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    pairs: tuple[CrosswalkPair, ...]
    marked: frozenset[tuple[str, str]]
    labels: dict[str, str]
    """Control id to its heading: the reference, with the id where references repeat."""


def _labels(references: dict[str, str]) -> dict[str, str]:
    repeated = {r for r, n in Counter(references.values()).items() if n > 1}
    return {cid: f"{ref} ({cid})" if ref in repeated else ref for cid, ref in references.items()}


def _crosswalk_matrices(dossier: Dossier, site: SiteIndex) -> list[CrosswalkMatrix]:
    grouped: dict[tuple[str, str], list[CrosswalkPair]] = defaultdict(list)
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
