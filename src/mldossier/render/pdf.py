"""The compliance officers' PDF: the dossier as a PDF/A-3b document rendered with WeasyPrint.

The renderer reads only the :class:`~mldossier.render.dossier.Dossier`. WeasyPrint may load nothing
but ``data:`` URLs and the files of ``templates/pdf`` (plus any folder the caller allows):
:class:`AssetFetcher` refuses the network, other files, ``..`` and symlinks that lead out.
Evidence text reaches the page only through Jinja's autoescaping in a sandboxed
environment, so a hostile ``<img src=...>`` in a description prints as text. Two renders of
the same dossier give the same bytes: the dates come from ``dossier.as_of``, the PDF ``/ID``
from the report id, and fonts are subset by HarfBuzz.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from weasyprint import HTML, Attachment, URLFetcher
from weasyprint.urls import URLFetcherResponse

from mldossier import data_folder
from mldossier.cache import (
    Cache,
    cache_key,
    code_fingerprint,
    fonts_fingerprint,
    hash_parts,
    library_versions,
)
from mldossier.evaluate.verdicts import ORGANISATION, Verdict
from mldossier.formats.text import human_size
from mldossier.model import Citation, SourceFile
from mldossier.render.dossier import ControlView, Dossier, SystemView, group_by_system, slugify
from mldossier.render.text import counts_line
from mldossier.status import STATUSES, Status, worst

PDF_TEMPLATES = data_folder("templates") / "pdf"
"""The PDF's own templates and print stylesheet: the only files WeasyPrint may read."""
MATRIX_COLUMNS = 6
"""Systems per control-matrix table; more systems continue in a further table."""
CHAPTER_LIMIT = 25
"""Above this many systems the summary PDF leaves chapters and matrix to per-system PDFs."""
FINDINGS_LIMIT = 200
"""Findings listed in a large estate's summary PDF (worst first); the rest are in the site."""
REQUESTS_LIMIT = 200
"""Evidence requests the PDF lists; requests.csv and requests.json in the bundle have them all."""
ROOT_CAUSES_LIMIT = 25
"""Shared root causes the findings chapter opens with."""
TOP_FINDINGS = 8
"""Findings the executive summary lists (the findings chapter lists them all)."""
MONITORING_ROWS = 12
"""Latest monitoring reports shown per system (the site shows the whole history)."""
WIDE_DIAGRAM_PT = 600.0
"""Diagrams wider than this (in points) get a landscape page, so their labels stay legible."""


class URLRefused(ValueError):
    """A URL the PDF renderer is not allowed to load."""


class AssetFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``data:`` URLs and regular files inside ``roots``; refuses everything else.

    Every URL asked for is recorded in :attr:`requested`, the refused ones (with the reason)
    in :attr:`refused`, so tests can show that nothing else was fetched.
    """

    def __init__(self, roots: Sequence[Path] = (PDF_TEMPLATES,)) -> None:
        # No redirects, a short timeout and two schemes: belt and braces on top of fetch(),
        # which never hands anything but a data: URL to urllib.
        super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
        self.roots = tuple(Path(os.path.realpath(r)) for r in roots)
        self.requested: list[str] = []
        self.refused: list[tuple[str, str]] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The resource at ``url``, or :class:`URLRefused` when it is not allowed."""
        self.requested.append(url)
        try:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                response = super().fetch(url, headers)
            elif scheme == "file":
                path = self.allowed_path(url)
                media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                response = URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media})
            else:
                raise URLRefused(f"scheme {scheme or '(none)'!r} is not allowed")
        except URLRefused as exc:
            self.refused.append((url, str(exc)))
            raise
        self.served.append(url)
        return response

    def allowed_path(self, url: str) -> Path:
        """The local file a ``file:`` URL names, if it lies inside one of the roots."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLRefused(f"remote file host {parts.netloc!r}")
        raw = parts.path
        decoded = unquote(raw)
        if ".." in raw.split("/") or ".." in decoded.split("/") or "\\" in decoded:
            raise URLRefused("'..' or backslash in the path")
        if "\x00" in decoded:
            raise URLRefused("NUL in the path")
        real = Path(os.path.realpath(decoded))
        for root in self.roots:
            if real == root or root in real.parents:
                break
        else:
            raise URLRefused("outside the allowed folders")
        if not real.is_file():
            raise URLRefused("not a regular file")
        return real


# ------------------------------------------------------------------ view helpers


@dataclass(frozen=True)
class MatrixRow:
    """One control in a control-matrix table, with its status per column."""

    control: ControlView
    cells: tuple[str, ...]
    """A status per column, or "" where the control was not evaluated for that column."""


@dataclass(frozen=True)
class MatrixTable:
    """A control matrix (controls × systems) for one framework and up to N systems."""

    framework: str
    columns: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    part: int
    parts: int


@dataclass(frozen=True)
class Chapter:
    """A table-of-contents entry: anchor, title and its sub-entries."""

    anchor: str
    title: str
    children: tuple[Chapter, ...] = ()


def matrix_tables(
    framework: str,
    controls: Sequence[ControlView],
    systems: Sequence[str],
    width: int = MATRIX_COLUMNS,
) -> list[MatrixTable]:
    """The control matrix of one framework, split into tables of at most ``width`` columns."""
    has_org = any(v.subject == ORGANISATION for c in controls for v in c.verdicts)
    columns = [*systems, *([ORGANISATION] if has_org else [])]
    chunks = [columns[i : i + width] for i in range(0, len(columns), width)] or [[]]
    # Each control's verdicts by column, once: a scan per cell would grow with systems
    # times verdicts.
    by_column = [_statuses_by_column(control) for control in controls]
    tables = []
    for n, chunk in enumerate(chunks, start=1):
        rows = []
        for control, statuses in zip(controls, by_column, strict=True):
            cells = tuple(worst(statuses[column]) if column in statuses else "" for column in chunk)
            rows.append(MatrixRow(control, cells))
        tables.append(MatrixTable(framework, tuple(chunk), tuple(rows), n, len(chunks)))
    return tables


def _statuses_by_column(control: ControlView) -> dict[str, list[str]]:
    """A control's verdict statuses by matrix column: its system, or the organisation."""
    found: dict[str, list[str]] = defaultdict(list)
    for v in control.verdicts:
        found[ORGANISATION if v.subject == ORGANISATION else v.system].append(v.status)
    return found


def system_files(system: SystemView) -> set[str]:
    """Paths of every evidence file a system's chapter or verdicts cite."""
    cites: list[Citation] = [system.model.cite]
    cites += [v.version.cite for v in system.versions]
    cites += [i.cite for s in system.annex_iv for i in s.items if i.cite is not None]
    cites += [m.cite for m in system.monitoring]
    for verdict in system.verdicts:
        cites += verdict.citations
        cites += [c for check in verdict.checks for c in check.citations]
    return {c.file for c in cites}


def _short_cite(cite: Citation | None) -> str:
    if cite is None:
        return ""
    where = cite.file if cite.line is None else f"{cite.file}:{cite.line}"
    return f"{where}:{cite.pointer or '/'} · {cite.sha256[:12]}"


def _status_label(status: str) -> str:
    return Status(status).label


def _status_short(status: str) -> str:
    return Status(status).short


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).date().isoformat() if moment else "—"


def _moment(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# As on the site (render.site.safety), control characters and bidi embeddings, overrides and
# isolates are shown as visible escapes (\u202e): WeasyPrint would reorder the text after an
# override, and it copies the title, author and subject into the XMP packet, where a control
# character is not XML and the file no longer PDF/A-3b. Tab, line feed and CR are HTML
# white space (and legal XML); the Unicode line breaks become line feeds, as on the site.
_UNSHOWN = {
    code: f"\\u{code:04x}"
    for code in (
        *range(0x00, 0x09),
        0x0B,
        0x0C,
        *range(0x0E, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0xFFFE,
        0xFFFF,
    )
} | {code: "\n" for code in (0x85, 0x2028, 0x2029)}


def shown_in_pdf(value: object) -> object:
    """What every ``{{ }}`` of the PDF templates prints: text with no character that acts
    instead of showing (escaped visibly), before autoescaping; other values as they are."""
    if isinstance(value, Markup):
        return Markup(str(value).translate(_UNSHOWN))
    if isinstance(value, str):
        return value.translate(_UNSHOWN)
    return value


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(PDF_TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=shown_in_pdf,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        status=_status_label,
        short_status=_status_short,
        cite=_short_cite,
        day=_day,
        moment=_moment,
        size=human_size,
        slug=slugify,
        counts=counts_line,
    )
    return env


def _period(span: tuple[datetime, datetime] | None, as_of: datetime) -> str:
    if span is None:
        return f"up to {_day(as_of)}"
    return f"{_day(span[0])} to {_day(max(span[1], as_of))}"


@dataclass(frozen=True)
class _Scope:
    """What one PDF covers: the summary of every system, or one system's report."""

    only_system: str | None
    systems: list[SystemView]
    summary_only: bool
    """A large estate's summary: no chapter per system, no matrix, findings and files cut."""
    findings: list[Verdict]
    findings_total: int
    findings_by_system: dict[str, tuple[Verdict, ...]]
    """The findings listed, by system name ("" for organisation-wide ones)."""
    files: list[SourceFile]
    files_total: int
    requests: list[dict[str, str]]
    """The evidence request list's rows for what the PDF covers."""

    @property
    def names(self) -> list[str]:
        """The names of the systems covered."""
        return [s.model.name for s in self.systems]

    @property
    def chapter_systems(self) -> list[SystemView]:
        """The systems that get a chapter."""
        return [] if self.summary_only else self.systems

    def findings_groups(self) -> list[tuple[str, tuple[Verdict, ...]]]:
        """The findings by system, the system with the most severe finding first (the
        findings are in :func:`~mldossier.evaluate.verdicts.finding_order`)."""
        return [(name or ORGANISATION, group) for name, group in self.findings_by_system.items()]


def _scope(dossier: Dossier, only_system: str | None) -> _Scope:
    systems = [s for s in dossier.systems if only_system in (None, s.model.name)]
    if only_system is not None and not systems:
        raise ValueError(f"no AI system named {only_system!r} in the dossier")
    # A filed summary of a large estate keeps to what an officer reads: the chapters, the
    # matrix and the long tail of findings and files stay in the per-system PDFs and the site.
    summary_only = only_system is None and len(systems) > CHAPTER_LIMIT
    by_system = dossier.findings_by_system
    if only_system is None:
        findings = list(dossier.findings)
    else:
        findings = list(by_system.get(only_system, ()))
        by_system = {only_system: tuple(findings)} if findings else {}
    findings_total = len(findings)
    files = list(dossier.evidence.files)
    if only_system is not None:
        # The system's own files, in the evidence's order, without a scan of every file for
        # every system's PDF.
        places = dossier.file_places
        files = [
            files[i] for i in sorted(places[p] for p in system_files(systems[0]) if p in places)
        ]
    files_total = len(files)
    if summary_only:
        findings = findings[:FINDINGS_LIMIT]
        by_system = group_by_system(findings)
        cited = {c.file for v in findings for c in v.citations}
        files = [f for f in files if f.path in cited]
    return _Scope(
        only_system,
        systems,
        summary_only,
        findings,
        findings_total,
        by_system,
        files,
        files_total,
        list(dossier.requests)
        if only_system is None
        else list(dossier.requests_by_system.get(only_system, ())),
    )


def _chapters(dossier: Dossier, scope: _Scope) -> list[Chapter]:
    summary = scope.only_system is None
    chapters: list[Chapter] = []
    if summary:
        chapters.append(Chapter("summary", "Executive summary"))
    if summary and (dossier.changes is not None or dossier.evidence.waivers):
        chapters.append(Chapter("changes", "Waivers and changes"))
    if scope.summary_only:
        chapters.append(Chapter("estate", "A large estate: where the details are"))
    elif summary:
        chapters.append(
            Chapter(
                "matrix",
                "Control matrix",
                tuple(Chapter(f"matrix-{slugify(fw)}", fw) for fw in dossier.frameworks),
            )
        )
    for s in scope.chapter_systems:
        chapters.append(Chapter(f"system-{s.slug}", f"AI system: {s.model.name}"))
    chapters.append(Chapter("findings", "Findings and what to do"))
    chapters.append(Chapter("requests", "Evidence requests"))
    if summary and dossier.crosswalk:
        chapters.append(Chapter("crosswalk", "Crosswalk between the frameworks"))
    chapters.append(Chapter("evidence", "Evidence appendix"))
    if dossier.evidence.quarantined:
        chapters.append(Chapter("quarantined", "Quarantined input"))
    if dossier.evidence.export_errors or dossier.evidence.unavailable or dossier.evidence.not_read:
        chapters.append(Chapter("not-read", "Export errors and files not read"))
    chapters.append(Chapter("signoff", "Sign-off"))
    return chapters


def _context(
    dossier: Dossier, report_id: str, only_system: str | None, attachments: dict[str, str]
) -> dict[str, Any]:
    scope = _scope(dossier, only_system)
    chapter_systems = scope.chapter_systems
    matrices = (
        {
            fw: matrix_tables(fw, dossier.controls.get(fw, ()), scope.names)
            for fw in dossier.frameworks
        }
        if only_system is None and not scope.summary_only
        else {}
    )
    return {
        "d": dossier,
        "title": "AI compliance dossier — "
        + (dossier.organisation if only_system is None else only_system),
        "only_system": only_system,
        "report_id": report_id,
        "report_id_short": report_id[:12],
        "systems": scope.systems,
        "chapter_systems": chapter_systems,
        "summary_only": scope.summary_only,
        "chapter_limit": CHAPTER_LIMIT,
        "findings_total": scope.findings_total,
        "files_total": scope.files_total,
        "catalogs": list(dossier.results.catalogs),
        "period": _period(dossier.evidence_span, dossier.as_of),
        "created": _w3c(dossier.as_of),
        "statuses": STATUSES,
        "framework_counts": dossier.framework_counts,
        "top_findings": scope.findings[:TOP_FINDINGS],
        "root_causes": [
            g
            for g in dossier.root_causes
            if len(g.verdicts) > 1 and (only_system is None or g.systems == (only_system,))
        ][:ROOT_CAUSES_LIMIT],
        "requests": scope.requests[:REQUESTS_LIMIT],
        "requests_total": len(scope.requests),
        "priority": sorted(dossier.results.priority),
        "crosswalk": list(dossier.crosswalk) if only_system is None else [],
        "control_status": {
            view.id: view.status for views in dossier.controls.values() for view in views
        },
        "findings": scope.findings,
        "findings_groups": scope.findings_groups(),
        "matrices": matrices,
        "files": scope.files,
        "chapters": _chapters(dossier, scope),
        "attachments": attachments,
        "monitoring_rows": MONITORING_ROWS,
        "organisation_subject": ORGANISATION,
        "diagrams": {s.slug: _svg_data_uri(s.diagram_svg) for s in chapter_systems},
        "not_applicable": {s.slug: not_applicable_groups(s.verdicts) for s in chapter_systems},
        "wide_diagrams": {
            s.slug for s in chapter_systems if (svg_width_pt(s.diagram_svg) or 0) > WIDE_DIAGRAM_PT
        },
    }


def svg_width_pt(svg: str) -> float | None:
    """The width of an SVG's root element in points, when it states one."""
    root = re.search(r"<svg\b[^>]*>", svg)
    width = re.search(r'\swidth="([0-9.]+)(pt|px|)"', root.group(0)) if root else None
    if width is None:
        return None
    return float(width.group(1)) * (1.0 if width.group(2) == "pt" else 0.75)


def not_applicable_groups(verdicts: Iterable[Verdict]) -> list[tuple[str, list[str]]]:
    """Not-applicable verdicts grouped by their reason: (reason, control ids), in order."""
    groups: dict[str, list[str]] = {}
    for v in verdicts:
        if v.status == "not_applicable":
            ids = groups.setdefault(v.reasons[0] if v.reasons else "", [])
            if v.control.id not in ids:
                ids.append(v.control.id)
    return list(groups.items())


def _svg_data_uri(svg: str) -> str:
    if not svg.strip():
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


def render_html(
    dossier: Dossier,
    *,
    report_id: str,
    only_system: str | None = None,
    attachments: dict[str, str] | None = None,
) -> str:
    """The report as HTML (what WeasyPrint lays out); evidence appears only as escaped text.

    ``attachments`` maps each embedded file's name to its SHA-256, listed on the sign-off page.
    """
    env = _environment()
    return env.get_template("report.html.j2").render(
        **_context(dossier, report_id, only_system, dict(attachments or {}))
    )


PDF_NAMESPACE = "pdf"


def pdf_key(
    html: str,
    *,
    report_id: str,
    only_system: str | None,
    attachments: dict[str, bytes],
    moment: datetime,
) -> str:
    """The cache key of a PDF: its HTML and attachments, the code, WeasyPrint and the fonts.

    Everything else the PDF is made of comes from ``templates/pdf`` (in the code
    fingerprint), the fonts and the libraries that lay it out.
    """
    try:
        from weasyprint.text.ffi import pango

        pango_version = str(pango.pango_version())
    except (ImportError, AttributeError, OSError):
        pango_version = ""
    return cache_key(
        PDF_NAMESPACE,
        code_fingerprint(),
        library_versions(
            "weasyprint",
            "pydyf",
            "tinycss2",
            "cssselect2",
            "tinyhtml5",
            "Pyphen",
            "Pillow",
            "fonttools",
        ),
        pango_version,
        fonts_fingerprint(),
        PDF_TEMPLATES.as_posix(),
        html,
        report_id,
        only_system or "",
        moment.isoformat(),
        hash_parts(
            (name, hashlib.sha256(attachments[name]).hexdigest()) for name in sorted(attachments)
        ),
    )


def render_pdf(
    dossier: Dossier,
    out_path: Path,
    *,
    report_id: str,
    attachments: dict[str, bytes],
    only_system: str | None = None,
    fetcher: AssetFetcher | None = None,
    cache: Cache | None = None,
) -> int:
    """Write the PDF/A-3b report (or one system's report) and return its page count.

    ``attachments`` (name to bytes, e.g. ``results.json``) are embedded as PDF file
    attachments with the relationship ``Data``. ``fetcher`` may be passed to inspect every
    URL WeasyPrint asked for (the cache is then not used). With a ``cache``, a PDF of the
    same HTML, attachments and tools is copied from it instead of laid out again.
    """
    cache = cache if cache is not None and fetcher is None else Cache(None)
    fetcher = fetcher or AssetFetcher()
    html = render_html(
        dossier,
        report_id=report_id,
        only_system=only_system,
        attachments={
            name: hashlib.sha256(attachments[name]).hexdigest() for name in sorted(attachments)
        },
    )
    moment = dossier.as_of.astimezone(UTC).replace(tzinfo=None)
    key = (
        pdf_key(
            html,
            report_id=report_id,
            only_system=only_system,
            attachments=attachments,
            moment=moment,
        )
        if cache.enabled
        else ""
    )
    cached = cache.get(PDF_NAMESPACE, key) if key else None
    if cached is not None and b"\n" in cached[:12] and cached.split(b"\n", 1)[0].isdigit():
        pages, data = cached.split(b"\n", 1)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(data)
        return int(pages)
    data, count = _lay_out(html, attachments, fetcher, report_id, only_system, moment)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    if key:
        cache.put(PDF_NAMESPACE, key, b"%d\n" % count + data)
    return count


def _lay_out(
    html: str,
    attachments: dict[str, bytes],
    fetcher: AssetFetcher,
    report_id: str,
    only_system: str | None,
    moment: datetime,
) -> tuple[bytes, int]:
    """The PDF/A-3b bytes of the report's HTML and its page count (WeasyPrint)."""
    files = [
        Attachment(
            string=attachments[name],
            name=name,
            url_fetcher=fetcher,
            description=f"{name} of report {report_id[:12]}",
            created=moment,
            modified=moment,
            relationship="Data",
        )
        for name in sorted(attachments)
    ]
    # The first half of the /ID is permanent for a document (ISO 32000 14.4): the report
    # id, so the same inputs give the same bytes; each per-system PDF gets its own.
    seed = report_id if only_system is None else f"{report_id}:{only_system}"
    identifier = hashlib.sha256(seed.encode()).hexdigest()[:32].encode()
    document = HTML(
        string=html, base_url=PDF_TEMPLATES.as_uri() + "/", url_fetcher=fetcher
    ).render()
    data = document.write_pdf(
        None,
        pdf_variant="pdf/a-3b",
        attachments=files,
        pdf_identifier=identifier,
        uncompressed_pdf=False,
    )
    return data, len(document.pages)


__all__ = [
    "AssetFetcher",
    "URLRefused",
    "matrix_tables",
    "not_applicable_groups",
    "pdf_key",
    "render_html",
    "render_pdf",
    "svg_width_pt",
    "system_files",
]
