"""The auditors' site: real mkdocs-material builds of dossiers made from the real sample exports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import shutil
from dataclasses import replace
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import SAMPLES
from factories import failed_call_log

from mldossier import pipeline
from mldossier.bundle import build
from mldossier.config import Config, Soc2
from mldossier.errors import InputError
from mldossier.render import site
from mldossier.render.dossier import Dossier
from mldossier.render.results_json import dumps, to_json
from mldossier.render.site import pages as site_pages
from mldossier.render.site import render_site
from mldossier.render.site.pages import paginate
from mldossier.render.site.safety import escape_text, raw_copy_path, safe_svg
from mldossier.status import BY_SEVERITY

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates" / "site"

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LINK = "[x](javascript:window.__pwned=1)"
JINJA = "{{ 7*7 }}"
HOSTILE_NAME = "hostile" + SCRIPT
HOSTILE_SLUG = "hostile-script-window-pwned-1-script"
HOSTILE_DESCRIPTION = "\n".join(
    [
        SCRIPT,
        IMG,
        LINK,
        JINJA,
        "| a | b |",
        "# not a heading",
        "<!-- comment -->",
        "*em* _em_ `code` \\ ~~s~~",
    ]
)
HOSTILE_FILE = f"signoffs/risk {IMG}.yaml"


# ---------------------------------------------------------------- evidence folders


MISSING_MODEL_URL = "http://mlflow:5000/api/2.0/mlflow/registered-models/get?name=does-not-exist"


def sample_evidence(target: Path) -> Path:
    """The real sample exports as an evidence folder; the drift report also filed by version.

    The Evidently drift report is copied under ``monitoring/<model>/<version>/`` with dates
    in the file names (the folder and filename conventions), so a system has a monitoring
    history of three reports.
    """
    rest = target / "mlflow" / "rest"
    rest.mkdir(parents=True)
    for f in sorted((SAMPLES / "mlflow" / "rest").iterdir()):
        if not f.name.startswith("error_") or f.suffix != ".json":  # error bodies: invalid input
            shutil.copy(f, rest / f.name)
    # The failed call as an export records it: in its collection log.
    failed_call_log(target / "mlflow", MISSING_MODEL_URL)
    for mlmodel in sorted((SAMPLES / "mlflow" / "model_artifacts").glob("*/MLmodel")):
        folder = target / "mlflow" / "model_artifacts" / mlmodel.parent.name
        folder.mkdir(parents=True)
        shutil.copy(mlmodel, folder / "MLmodel")
    shutil.copytree(SAMPLES / "openlineage", target / "openlineage")
    shutil.copytree(SAMPLES / "evidently", target / "evidently")
    monitoring = target / "monitoring" / "breast-cancer-classifier" / "2"
    monitoring.mkdir(parents=True)
    for day in ("2026-11-01", "2026-11-08", "2026-11-15"):
        shutil.copy(
            SAMPLES / "evidently" / "data_drift_report.json", monitoring / f"drift-{day}.json"
        )
    return target


def hostile_evidence(target: Path) -> Path:
    """The samples plus a registered model, version and sign-off full of markup and payloads."""
    sample_evidence(target)
    tags = [
        {"key": "owner", "value": IMG},
        {"key": "intended_use", "value": f"{LINK} {JINJA}"},
        {"key": "eu_ai_act_category", "value": "high-risk"},
        {"key": "risk_level", "value": "a | b"},
    ]
    model = {
        "registered_model": {
            "name": HOSTILE_NAME,
            "creation_timestamp": 1795774055426,
            "last_updated_timestamp": 1795774075047,
            "description": HOSTILE_DESCRIPTION,
            "tags": tags,
            "aliases": [{"alias": SCRIPT, "version": "1"}],
        }
    }
    version = {
        "model_version": {
            "name": HOSTILE_NAME,
            "version": "1",
            "creation_timestamp": 1795774055451,
            "last_updated_timestamp": 1795774075047,
            "current_stage": "Production",
            "description": IMG,
            "source": "models:/m-c339a42f76334fdd9271d79d6325b7cc",
            "run_id": "98dac0ed4ee2444ab0f681f25128dc26",
            "status": "READY",
            "tags": [
                {"key": "approved_by", "value": SCRIPT},
                {"key": "approval_date", "value": JINJA},
            ],
            "run_link": "",
            "aliases": [SCRIPT],
        }
    }
    rest = target / "mlflow" / "rest"
    (rest / "registered_models_get__hostile.json").write_text(json.dumps(model, indent=2))
    (rest / "model_versions_get__hostile__v1.json").write_text(json.dumps(version, indent=2))
    attachments = target / "signoffs" / "attachments"
    attachments.mkdir(parents=True)
    (attachments / "evil.html").write_text(f"<html><body>{SCRIPT}</body></html>\n")
    (target / HOSTILE_FILE).write_text(
        "mldossier: signoff/v1\nid: RA-1\nkind: risk_assessment\n"
        f"title: {json.dumps(SCRIPT + ' risk')}\n"
        f"subject:\n  system: {json.dumps(HOSTILE_NAME)}\n"
        f"statement: {json.dumps(HOSTILE_DESCRIPTION)}\nsigned_by: {json.dumps(IMG)}\n"
        f"role: {json.dumps(LINK)}\ndate: 2026-10-01\n"
        "attachments:\n  - attachments/evil.html\n"
    )
    return target


def analysed(evidence_dir: Path, config: Config | None = None) -> tuple[pipeline.Analysis, Dossier]:
    """The analysis and dossier of an evidence folder, as ``mldossier build`` makes them."""
    analysis = pipeline.analyse(config or Config(), evidence_dir)
    return analysis, build.make_dossier(analysis)


class MkdocsWarnings(logging.Handler):
    """Collects what mkdocs logs at WARNING and above while a site is built."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def build_site(
    analysis: pipeline.Analysis, dossier: Dossier, out: Path, pdf_name: str | None = None
) -> list[str]:
    """Render the site into ``out``; return the warnings mkdocs and the renderer logged."""
    out.mkdir(parents=True)
    collect = MkdocsWarnings()
    loggers = [logging.getLogger("mkdocs"), logging.getLogger("mldossier")]
    for logger in loggers:
        logger.addHandler(collect)
    try:
        render_site(
            dossier,
            out,
            report_id=analysis.report_id,
            results_json=dumps(to_json(analysis.results)).encode(),
            pdf_name=pdf_name,
        )
    finally:
        for logger in loggers:
            logger.removeHandler(collect)
    return collect.messages


@dataclasses.dataclass
class Built:
    """A built site and what it was built from."""

    analysis: pipeline.Analysis
    dossier: Dossier
    evidence: Path
    site: Path
    warnings: list[str]


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    evidence = sample_evidence(tmp_path_factory.mktemp("evidence"))
    analysis, dossier = analysed(evidence)
    out = tmp_path_factory.mktemp("sites") / "sample"
    return Built(analysis, dossier, evidence, out, build_site(analysis, dossier, out))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    evidence = hostile_evidence(tmp_path_factory.mktemp("hostile"))
    analysis, dossier = analysed(evidence)
    out = tmp_path_factory.mktemp("sites") / "hostile"
    return Built(
        analysis, dossier, evidence, out, build_site(analysis, dossier, out, pdf_name="report.pdf")
    )


# ---------------------------------------------------------------- reading built pages


class Scan(HTMLParser):
    """Every element (tag and attributes), script body and text node of one HTML page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.texts: list[str] = []
        self._stack: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] == "script":
            self.scripts.append(data)
        else:
            self.texts.append(data)

    def urls(self) -> list[tuple[str, str, str]]:
        """(tag, attribute, value) of every href and src."""
        return [
            (tag, name, value)
            for tag, attrs in self.elements
            for name, value in attrs.items()
            if name in ("href", "src") and value
        ]


def pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


class CellText(HTMLParser):
    """The text of the element with a given id (first one), tags dropped."""

    def __init__(self, text: str, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def table_counts(html: str, table_id: str) -> dict[str, dict[str, int]]:
    """``data-framework`` row -> ``data-status`` cell -> number, from one summary table."""
    counts: dict[str, dict[str, int]] = {}

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.in_table = False
            self.row: str | None = None
            self.cell: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "table":
                self.in_table = a.get("id") == table_id
            elif self.in_table and tag == "tr" and a.get("data-framework"):
                self.row = a["data-framework"]
                counts[self.row or ""] = {}
            elif self.in_table and self.row and tag == "td" and a.get("data-status"):
                self.cell = a["data-status"]

        def handle_data(self, data: str) -> None:
            if self.row and self.cell and data.strip():
                counts[self.row][self.cell] = int(data)
                self.cell = None

        def handle_endtag(self, tag: str) -> None:
            if tag == "table":
                self.in_table, self.row = False, None

    Reader().feed(html)
    return counts


def expected_counts(counts: dict[str, int]) -> dict[str, int]:
    return {site_pages.STATUS_CLASS[s]: n for s, n in counts.items()}


# ---------------------------------------------------------------- escaping


def test_escape_text_makes_html_and_markdown_inert() -> None:
    text = '<a href="x">[y](z) | *b* _c_ {{ 7*7 }}\n# h</a> & `d` \\ !'
    assert escape_text(text) == (
        "&lt;a href=&quot;x&quot;&gt;&#91;y&#93;(z) &#124; &#42;b&#42; &#95;c&#95; "
        "&#123;&#123; 7&#42;7 &#125;&#125;&#10;&#35; h&lt;/a&gt; &amp; &#96;d&#96; &#92; &#33;"
    )


def test_escape_text_shows_control_and_bidi_characters() -> None:
    assert escape_text("a\u202eb\x00c\r\nd\te") == "a&#92;u202eb&#92;u0000c&#10;&#10;d e"


SAFE_FILTERS = {
    "when",
    "exact",
    "size",
    "number",
    "joined",
    "cite_groups",
    "length",
    "sum",
    "dictsort",
}
"""Filters that return plain data (escaped later) or text mldossier.render.site escaped itself."""


def test_templates_never_splice_text_around_the_escaping() -> None:
    # `~` and Jinja's own string filters (|join, |e, |safe, |format, |urlize, |tojson...) build
    # Markup that is HTML-escaped only, which the finalize step would pass on as trusted.
    offenders = []
    for template in sorted((TEMPLATES / "pages").glob("*.j2")):
        code = " ".join(re.findall(r"\{\{.*?\}\}|\{%.*?%\}", template.read_text(), re.S))
        if "~" in code:
            offenders.append(f"{template.name}: ~")
        for name in sorted(set(re.findall(r"\|\s*(\w+)", code)) - SAFE_FILTERS):
            offenders.append(f"{template.name}: |{name}")
    assert offenders == []


def test_raw_copies_of_active_formats_get_a_txt_suffix() -> None:
    assert raw_copy_path("a/report.json") == "evidence-files/a/report.json"
    assert raw_copy_path("mlflow/model_artifacts/m-1/MLmodel") == (
        "evidence-files/mlflow/model_artifacts/m-1/MLmodel"
    )
    assert raw_copy_path("signoffs/risk.yaml") == "evidence-files/signoffs/risk.yaml"
    for name in ("x.html", "x.HTM", "x.svg", "x.xml", "x.js", "x.xhtml"):
        assert raw_copy_path(name) == f"evidence-files/{name}.txt"
    # what a web server serving the site would run or obey, and Windows would run (issue 23)
    for name in ("a/x.php", "x.PHTML", "x.aspx", "x.jsp", "x.cgi", "x.hta", "x.wsf", "x.shtml"):
        assert raw_copy_path(name) == f"evidence-files/{name}.txt", name
    for name in ("a/.htaccess", ".HTACCESS", "b/web.config", ".user.ini"):
        assert raw_copy_path(name) == f"evidence-files/{name}.txt", name
    assert raw_copy_path("a/notes.txt") == "evidence-files/a/notes.txt"


def test_safe_svg_removes_scripts_handlers_and_external_references() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' onload="alert(1)" width="10" height="10"><script>alert(2)</script>'
        '<a xlink:href="javascript:alert(3)"><text x="1" y="2">run</text></a>'
        '<a xlink:href="#node1"><g id="node1"/></a>'
        '<image href="https://example.org/x.png"/><foreignObject><p>x</p></foreignObject>'
        '<rect style="fill:url(http://example.org/f)" fill="url(#grad)"/></svg>'
    )
    cleaned = safe_svg(svg)
    assert cleaned is not None
    text = cleaned.decode()
    for gone in (
        "onload",
        "<script",
        "alert",
        "javascript",
        "example.org",
        "foreignObject",
        "<image",
    ):
        assert gone not in text
    assert 'xlink:href="#node1"' in text and 'fill="url(#grad)"' in text
    assert safe_svg("<html><body>not svg</body></html>") is None
    assert safe_svg("not xml at all <") is None


# ---------------------------------------------------------------- pagination


def test_paginate_names_pages_stably_and_shows_a_window_of_page_links() -> None:
    pages_ = paginate("findings", list(range(950)), 50)
    assert [src for src, _, _ in pages_][:3] == [
        "findings/index.md",
        "findings/page-2.md",
        "findings/page-3.md",
    ]
    assert len(pages_) == 19
    _, pager, chunk = pages_[9]
    assert (pager.number, pager.count, pager.first_item, pager.last_item) == (10, 19, 451, 500)
    assert list(chunk) == list(range(450, 500))
    assert [n for n, _ in pager.links] == [1, None, 7, 8, 9, 10, 11, 12, 13, None, 19]
    assert dict(pager.links)[1] == "findings/index.html"
    assert dict(pager.links)[7] == "findings/page-7.html"
    only = paginate("unlinked", [], 100)
    assert len(only) == 1 and only[0][0] == "unlinked/index.md" and only[0][1].count == 1


# ---------------------------------------------------------------- the sample site


def test_build_logs_no_warning(sample_site: Built, hostile_site: Built) -> None:
    assert sample_site.warnings == []
    assert hostile_site.warnings == []


def test_every_system_and_control_has_its_permalink(sample_site: Built) -> None:
    root, dossier = sample_site.site, sample_site.dossier
    assert [s.slug for s in dossier.systems] == [
        "breast-cancer-classifier",
        "diabetes-progression-regressor",
        "wine-cultivar-classifier",
    ]
    for system in dossier.systems:
        page = root / "systems" / system.slug / "index.html"
        assert page.is_file()
        assert f"Permalink: <code>systems/{system.slug}/</code>" in page.read_text()
    controls = [
        (framework, view) for framework, views in dossier.controls.items() for view in views
    ]
    assert len(controls) == sum(len(c.controls) for c in dossier.results.catalogs)
    for framework, view in controls:
        slug = {"EU AI Act": "eu-ai-act", "SOC 2": "soc-2"}[framework]
        assert (root / "controls" / slug / view.slug / "index.html").is_file(), view.id
    assert (root / "controls/soc-2/soc2-cc8-1/index.html").is_file()
    for section in ("findings", "evidence", "unlinked", "crosswalk", "systems", "controls"):
        assert (root / section / "index.html").is_file()


def test_overview_shows_the_counts_of_the_dossier(sample_site: Built) -> None:
    dossier = sample_site.dossier
    html = (sample_site.site / "index.html").read_text()
    verdicts = table_counts(html, "framework-counts")
    assert verdicts == {f: expected_counts(dossier.framework_counts[f]) for f in dossier.frameworks}
    controls = table_counts(html, "control-counts")
    for framework in dossier.frameworks:
        statuses = [v.status for v in dossier.controls[framework]]
        assert controls[framework] == {
            site_pages.STATUS_CLASS[s]: statuses.count(s) for s in site_pages.STATUS_COLUMNS
        }
    assert sum(verdicts["SOC 2"].values()) == len(
        [v for v in dossier.results.verdicts if v.control.framework == "SOC 2"]
    )
    provenance = CellText(html, "provenance").text
    assert sample_site.analysis.report_id in provenance
    assert dossier.results.manifest_sha256 in provenance
    for catalog in dossier.results.catalogs:
        assert catalog.sha256 in provenance and catalog.id in provenance
    assert f"mldossier {dossier.tool_version}" in provenance
    assert f"{dossier.as_of.isoformat()} (from {dossier.as_of_source})" in provenance
    # The browser's title names the page once, then the site.
    titles = re.findall(r"<title>(.*?)</title>", html.split("</head>")[0])
    assert titles == [f"Overview - {html_escape(dossier.organisation)}: AI compliance dossier"]


def test_every_link_and_source_resolves_inside_the_site(sample_site: Built) -> None:
    root = sample_site.site
    broken = []
    for page in pages(root):
        for tag, attribute, url in Scan(page.read_text()).urls():
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{page}: {tag} {attribute}={url}"
            if not parts.path:
                continue  # a link to an anchor of the same page
            # mkdocs writes 404.html (served for any missing path) with root-relative URLs.
            base = root if page.name == "404.html" and parts.path.startswith("/") else page.parent
            target = (base / unquote(parts.path.lstrip("/"))).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or not target.is_relative_to(root.resolve()):
                broken.append(f"{page.relative_to(root)}: {url}")
    assert broken == []


def test_nothing_is_fetched_from_the_network(sample_site: Built) -> None:
    for page in pages(sample_site.site):
        for tag, attribute, url in Scan(page.read_text()).urls():
            assert not re.match(r"(?i)\s*(https?:|//|ftp:|data:|javascript:)", url), (
                f"{page}: <{tag} {attribute}={url}>"
            )
    css = "".join(p.read_text() for p in sample_site.site.rglob("*.css"))
    assert "@import" not in css and "fonts.googleapis" not in css
    assert not re.search(r"url\(\s*['\"]?https?:", css)
    # mkdocs-material's offline plugin would add a web-worker polyfill from unpkg.com unless a
    # local one is named: ours.
    shim = (sample_site.site / "assets/javascripts/iframe-worker.js").read_text()
    assert not re.search(r"https?://", shim)
    for page in pages(sample_site.site):
        assert "unpkg.com" not in page.read_text(), page


def test_evidence_files_are_copied_byte_for_byte(sample_site: Built) -> None:
    files = sample_site.dossier.evidence.files
    not_read = sample_site.dossier.evidence.not_read
    # The samples' MLflow error message saved as text is ignored (*.txt): listed, not copied.
    assert [f.path for f in not_read] == ["mlflow/rest/error_logged_models_search_GET_method.txt"]
    on_disk = [p for p in sample_site.evidence.rglob("*") if p.is_file()]
    assert len(files) + len(not_read) == len(on_disk)
    assert not (sample_site.site / raw_copy_path(not_read[0].path)).exists()
    for f in files:
        copy = sample_site.site / raw_copy_path(f.path)
        assert copy.read_bytes() == (sample_site.evidence / f.path).read_bytes()
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == f.sha256
    index = (sample_site.site / "evidence" / "index.html").read_text()
    for f in files[: site_pages.ROWS_PER_PAGE]:
        assert f.sha256 in index


def test_the_evidence_page_lists_the_files_not_read_and_the_failed_calls(
    sample_site: Built,
) -> None:
    index = (sample_site.site / "evidence" / "index.html").read_text()
    unread = CellText(index, "unread-files").text
    assert "mlflow/rest/error_logged_models_search_GET_method.txt" in unread
    assert "ignored" in unread and "matches `*.txt`, a default of evidence.ignore" in unread
    (txt,) = sample_site.dossier.evidence.not_read
    assert txt.sha256 in unread
    # The sample evidence's collection log lists one failed call: the export's own error.
    failed = CellText(index, "failed-export-calls").text
    assert "HTTP 404" in failed and "collection log" in failed and MISSING_MODEL_URL in failed
    assert "mlflow/collection-log.json" in failed
    links = [url for _, name, url in Scan(index).urls() if name == "href"]
    assert "../" + raw_copy_path("mlflow/collection-log.json") in links


def test_a_folder_whose_every_file_is_read_says_so(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        (evidence / "mlflow").mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / "mlflow" / "rest" / name, evidence / "mlflow" / name)
    analysis, dossier = analysed(evidence)
    out = tmp_path / "site"
    assert build_site(analysis, dossier, out) == []
    index = (out / "evidence" / "index.html").read_text()
    assert dossier.evidence.not_read == ()
    assert CellText(index, "unread-files").text.strip().endswith("Every file was read.")
    assert "failed-export-calls" not in index and "Export errors" not in index


def test_the_evidence_page_lists_what_the_export_could_not_get(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "mlflow").mkdir(parents=True)
    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        shutil.copy(SAMPLES / "mlflow" / "rest" / name, evidence / "mlflow" / name)
    run_id = "da3a687298b540b5bda2d5c88308f3e1"
    gap = {
        "method": "GET",
        "url": f"http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id={run_id}",
        "status": 404,
        "file": None,
        "sha256": None,
        "size": 0,
        "unavailable": {
            "object": "run",
            "id": run_id,
            "model_versions": ["breast-cancer-classifier@2"],
            "message": f"RESOURCE_DOES_NOT_EXIST: Run with id={run_id} not found",
        },
    }
    log = {"mldossier": "collection-log/v1", "collector": "mlflow", "calls": [gap]}
    (evidence / "mlflow" / "collection-log.json").write_text(json.dumps(log))
    analysis, dossier = analysed(evidence)
    out = tmp_path / "site"
    build_site(analysis, dossier, out)
    index = (out / "evidence" / "index.html").read_text()
    table = CellText(index, "unavailable-in-the-export").text
    for shown in (
        f"MLflow run {run_id}",
        "breast-cancer-classifier@2",
        "HTTP 404",
        f"RESOURCE_DOES_NOT_EXIST: Run with id={run_id} not found",
        "mlflow/collection-log.json",
    ):
        assert shown in table, shown
    assert "failed-export-calls" not in index  # known versions: not an export error


def test_results_json_is_published_and_linked(sample_site: Built, hostile_site: Built) -> None:
    published = (sample_site.site / "results.json").read_text()
    assert json.loads(published) == to_json(sample_site.analysis.results)
    overview = Scan((sample_site.site / "index.html").read_text())
    links = [url for _, name, url in overview.urls() if name == "href"]
    assert "results.json" in links and "report.pdf" not in links
    hostile_links = [
        url for _, name, url in Scan((hostile_site.site / "index.html").read_text()).urls()
    ]
    assert "report.pdf" in hostile_links


def test_two_builds_of_the_same_dossier_are_byte_identical(
    sample_site: Built, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    assert build_site(sample_site.analysis, sample_site.dossier, again) == []
    first = sorted(
        p.relative_to(sample_site.site) for p in sample_site.site.rglob("*") if p.is_file()
    )
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    different = [
        str(p) for p in first if (sample_site.site / p).read_bytes() != (again / p).read_bytes()
    ]
    assert different == []


def test_a_file_changed_after_reading_is_refused(sample_site: Built, tmp_path: Path) -> None:
    evidence = sample_evidence(tmp_path / "evidence")
    analysis, dossier = analysed(evidence)
    changed = "mlflow/rest/registered_models_get__wine-cultivar-classifier.json"
    before = hashlib.sha256((evidence / changed).read_bytes()).hexdigest()
    with open(evidence / changed, "a") as fh:
        fh.write("\n")
    after = hashlib.sha256((evidence / changed).read_bytes()).hexdigest()
    with pytest.raises(InputError) as caught:
        build_site(analysis, dossier, tmp_path / "site")
    assert str(caught.value) == (
        f"{changed}:/: changed while the report was built: SHA-256 is now {after[:12]}, "
        f"was {before[:12]} when read (build again once nothing writes to the evidence folder)"
    )


def test_system_page_shows_annex_iv_lineage_monitoring_and_verdicts(sample_site: Built) -> None:
    system = next(s for s in sample_site.dossier.systems if s.slug == "breast-cancer-classifier")
    html = (sample_site.site / "systems" / system.slug / "index.html").read_text()
    scan = Scan(html)
    missing = sum(1 for section in system.annex_iv for item in section.items if item.missing)
    assert missing > 0
    assert html.count('<tr class="ml-missing">') == missing
    assert [
        a.get("data-point")
        for t, a in scan.elements
        if t == "table" and "ml-annex" in (a.get("class") or "")
    ] == [str(n) for n in range(1, 10)]
    # The lineage diagram is a file shown through <img>, never inline SVG from the graph.
    images = [a["src"] for t, a in scan.elements if t == "img" and a.get("id") == "lineage-diagram"]
    assert images == [f"../../assets/lineage/{system.slug}.svg"]
    assert safe_svg((sample_site.site / "assets/lineage" / f"{system.slug}.svg").read_text())
    # Three dated drift reports: three rows and three points on the chart.
    assert len(system.monitoring) == 3
    monitoring = CellText(html, "monitoring").text
    for day in ("2026-11-01", "2026-11-08", "2026-11-15"):
        assert day in monitoring
    assert html.count('<circle class="ml-point') == 3
    rows = [a for t, a in scan.elements if t == "tr" and "data-status" in a]
    assert len(rows) == len(system.verdicts)
    assert [r["data-status"] for r in rows] == [
        site_pages.STATUS_CLASS[v.status] for v in system.verdicts
    ]


def test_control_page_lists_a_verdict_per_subject_with_citations(sample_site: Built) -> None:
    framework, view = next(
        (f, v) for f, vs in sample_site.dossier.controls.items() for v in vs if v.id == "SOC2-CC8-1"
    )
    html = (sample_site.site / "controls/soc-2/soc2-cc8-1/index.html").read_text()
    assert "<strong>CC8.1</strong>" in html
    assert view.control.requirement.replace("'", "&#39;") in html
    rows = [a for t, a in Scan(html).elements if t == "tr" and "data-status" in a]
    assert len(rows) == len(view.verdicts)
    for verdict in view.verdicts:
        for cite in verdict.citations:
            assert f'href="../../../{raw_copy_path(cite.file)}"' in html
            assert cite.sha256[:12] in html


def test_crosswalk_links_controls_of_both_frameworks(sample_site: Built) -> None:
    pairs = sample_site.dossier.crosswalk
    assert pairs
    html = (sample_site.site / "crosswalk" / "index.html").read_text()
    assert html.count('<span class="ml-mark" title="mapped">') == len(pairs)
    partners = sorted(p["left"]["control"] for p in pairs if p["right"]["control"] == "SOC2-CC8-1")
    assert partners
    control = (sample_site.site / "controls/soc-2/soc2-cc8-1/index.html").read_text()
    facts = CellText(control, "control-facts").text
    for partner in partners:
        assert f"{partner} (EU AI Act)" in facts
        assert f'href="../../eu-ai-act/{partner.lower()}/index.html"' in control


def test_findings_are_worst_first_with_what_to_do(sample_site: Built) -> None:
    findings = sample_site.dossier.findings
    html = (sample_site.site / "findings" / "index.html").read_text()
    statuses = [
        a["data-status"] for t, a in Scan(html).elements if t == "tr" and "data-status" in a
    ]
    assert statuses == [
        site_pages.STATUS_CLASS[v.status] for v in findings[: site_pages.ROWS_PER_PAGE]
    ]
    order = [s.css_class for s in BY_SEVERITY]
    assert statuses == sorted(statuses, key=order.index)
    first = findings[0]
    assert str(escape_text(first.fix)) in html


def test_search_index_finds_a_control_by_its_reference(sample_site: Built) -> None:
    index = json.loads((sample_site.site / "search" / "search_index.json").read_text())
    hits = [d["location"] for d in index["docs"] if "CC8.1" in d["title"]]
    assert "controls/soc-2/soc2-cc8-1/index.html" in hits
    # The offline plugin inlines the same index for pages opened from disk.
    inlined = (sample_site.site / "search" / "search_index.js").read_text()
    assert inlined.startswith("var __index = ")


def test_navigation_does_not_list_every_page(
    sample_site: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # 60 systems, 25 a page: three list pages, and no system page in any page's navigation.
    monkeypatch.setattr(site.pages, "SYSTEMS_PER_PAGE", 25)
    dossier = sample_site.dossier
    systems = []
    for i in range(60):
        s = dossier.systems[i % len(dossier.systems)]
        systems.append(
            dataclasses.replace(
                s,
                model=dataclasses.replace(s.model, name=f"{s.model.name}-{i:02d}"),
                slug=f"{s.slug}-{i:02d}",
            )
        )
    big = dataclasses.replace(dossier, systems=tuple(sorted(systems, key=lambda s: s.slug)))
    out = tmp_path / "site"
    assert build_site(sample_site.analysis, big, out) == []
    assert sorted(p.name for p in (out / "systems").glob("*.html")) == [
        "index.html",
        "page-2.html",
        "page-3.html",
    ]
    page = (out / "systems" / "wine-cultivar-classifier-59" / "index.html").read_text()
    others = [s.slug for s in systems if s.slug != "wine-cultivar-classifier-59"]
    assert [slug for slug in others if slug in page] == []
    second = (out / "systems" / "page-2.html").read_text()
    assert second.count('<tr data-system="') == 25
    assert 'href="page-3.html"' in second and 'href="index.html"' in second


def test_evidence_without_any_ai_system_is_refused_before_anything_is_rendered(
    tmp_path: Path,
) -> None:
    # Nothing passes on nothing: lineage events alone are no AI system to report on.
    evidence = tmp_path / "evidence"
    shutil.copytree(SAMPLES / "openlineage", evidence / "openlineage")
    with pytest.raises(InputError) as refused:
        analysed(evidence)
    (problem,) = refused.value.problems
    assert str(problem).startswith(
        f"{evidence.as_posix()}/: no AI system found: 1 file read (1 openlineage), "
        "0 MLflow registered models (an AI system is an MLflow registered model"
    )


# ---------------------------------------------------------------- hostile evidence


def test_hostile_evidence_renders_as_text_everywhere(hostile_site: Built) -> None:
    root = hostile_site.site
    page = root / "systems" / HOSTILE_SLUG / "index.html"
    assert page.is_file()
    for path in pages(root):
        scan = Scan(path.read_text())
        where = path.relative_to(root)
        assert not any("pwned" in s for s in scan.scripts), where
        for tag, attrs in scan.elements:
            assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), where
            for name in ("href", "src"):
                assert "javascript:" not in (attrs.get(name) or "").lower(), (where, tag)
    html = page.read_text()
    assert CellText(html, "description").text == HOSTILE_DESCRIPTION
    assert "49" not in CellText(html, "description").text
    text = "".join(Scan(html).texts)
    for payload in (SCRIPT, IMG, LINK, JINJA):
        assert payload in text
    assert re.search(r"<title>hostile&lt;script&gt;window\.__pwned=1&lt;/script&gt; - ", html)


def test_hostile_evidence_stays_text_in_the_search_index(hostile_site: Built) -> None:
    index = (hostile_site.site / "search" / "search_index.json").read_text()
    assert "pwned" in index
    for raw in ("<script", "<img", 'onerror="'):
        assert raw not in index


def test_hostile_file_names_and_active_files_are_served_inert(hostile_site: Built) -> None:
    root = hostile_site.site
    assert (root / "evidence-files" / HOSTILE_FILE).is_file()
    assert not (root / "evidence-files/signoffs/attachments/evil.html").exists()
    copy = root / "evidence-files/signoffs/attachments/evil.html.txt"
    assert copy.read_text() == f"<html><body>{SCRIPT}</body></html>\n"
    index = (root / "evidence" / "index.html").read_text()
    assert (
        'href="../evidence-files/signoffs/risk%20%3Cimg%20src%3Dx%20onerror%3D%22window.'
        '__pwned%3D1%22%3E.yaml" download'
    ) in index
    assert 'href="../evidence-files/signoffs/attachments/evil.html.txt" download' in index


def test_the_request_list_and_root_causes_have_their_page(sample_site: Built) -> None:
    html = (sample_site.site / "requests" / "index.html").read_text()
    ids = [a["data-request"] for t, a in Scan(html).elements if t == "tr" and "data-request" in a]
    assert ids == [r["id"] for r in sample_site.dossier.requests]
    assert ids and len(set(ids)) == len(ids)
    for cause in sample_site.dossier.root_causes:
        assert str(escape_text(cause.cause)) in html


def test_versions_outside_the_population_are_listed_with_the_reason(sample_site: Built) -> None:
    for system in sample_site.dossier.systems:
        html = (sample_site.site / "systems" / system.slug / "index.html").read_text()
        outside = [
            o
            for o in sample_site.dossier.results.out_of_population
            if o.system == system.model.name
        ]
        assert ('id="out-of-population"' in html) == bool(outside)
        for o in outside:
            assert str(escape_text(o.reason)) in html


def test_approvals_show_their_evidence_strength(sample_site: Built) -> None:
    shown = 0
    for system in sample_site.dossier.systems:
        html = (sample_site.site / "systems" / system.slug / "index.html").read_text()
        for view in system.versions:
            if view.approved_by:
                strength = view.approval_strength or "asserted"
                assert f'data-strength="{strength}"' in html, (system.model.name, view)
                shown += 1
            if view.validation_report:
                assert f"validation report: {escape_text(view.validation_report)}" in html
        # every verdict that records a strength says it beside its status
        for v in system.verdicts:
            if v.strength:
                assert f"evidence: {v.strength}" in html
    assert shown > 0


def test_the_overview_shows_the_regulatory_status_panel_from_the_catalog(
    sample_site: Built,
) -> None:
    html = (sample_site.site / "index.html").read_text()
    eu = next(c for c in sample_site.dossier.results.catalogs if c.id == "eu-ai-act")
    assert eu.regulatory_status and 'id="regulatory-status-eu-ai-act"' in html
    for entry in eu.regulatory_status:
        assert str(escape_text(entry["topic"])) in html and entry["as_of"] in html
    assert str(escape_text(eu.legal_text)) in html


def test_a_control_page_shows_its_date_and_its_house_rule_apart(sample_site: Built) -> None:
    pages = sample_site.site / "controls" / "eu-ai-act"
    risk = (pages / "euaia-9" / "index.html").read_text()
    assert 'id="applies-from"' in risk and "2027-12-02" in risk
    assert 'id="house-rule"' in risk and "House rule, not in the Act" in risk
    chapter_ix = (pages / "euaia-72" / "index.html").read_text()
    assert "a reading of an unsettled point" in chapter_ix and "2026-08-02" in chapter_ix


def test_carved_out_subservice_organisations_are_named_on_the_overview(tmp_path: Path) -> None:
    evidence = sample_evidence(tmp_path / "evidence")
    config = replace(Config(), soc2=Soc2(carved_out=("CloudCo <hosting>",)))
    analysis, dossier = analysed(evidence, config)
    assert dossier.carved_out == ("CloudCo <hosting>",)
    build_site(analysis, dossier, tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'id="carved-out"' in html and "CloudCo &lt;hosting&gt;" in html
    # without a carve-out the dossier names none
    assert analysed(evidence)[1].carved_out == ()
