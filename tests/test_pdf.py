"""The compliance PDF: contents, page numbers, bookmarks, PDF/A-3b attachments, byte-identical
renders (in one process and across processes) and the URL fetcher's sandbox.

The PDF is read back with poppler's command-line tools (pdftotext, pdfinfo, pdfdetach,
pdftohtml), which scripts/install-system-deps.sh installs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import SAMPLES
from factories import failed_call_log

from mldossier.bundle.build import make_dossier
from mldossier.config import Config
from mldossier.pipeline import analyse
from mldossier.render.annex_iv import Item, Section
from mldossier.render.dossier import Dossier
from mldossier.render.pdf import (
    PDF_TEMPLATES,
    WIDE_DIAGRAM_PT,
    AssetFetcher,
    URLRefused,
    matrix_tables,
    not_applicable_groups,
    render_html,
    render_pdf,
    svg_width_pt,
)
from mldossier.render.results_json import dumps, to_json
from mldossier.status import Status

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
REPORT_ID = hashlib.sha256(b"test report").hexdigest()
SYSTEMS = ("breast-cancer-classifier", "diabetes-progression-regressor", "wine-cultivar-classifier")

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils missing: run scripts/install-system-deps.sh",
)


# ------------------------------------------------------------------ helpers


def copy_samples(dest: Path) -> Path:
    """The real exports as an evidence folder: MLflow REST bodies, MLmodel files, events, reports."""
    # Not the error body: a failed call's answer kept as a file is invalid input.
    shutil.copytree(
        SAMPLES / "mlflow" / "rest",
        dest / "mlflow" / "rest",
        ignore=shutil.ignore_patterns("error_*.json"),
    )
    # Only the MLmodel files of the artifacts: the intake rejects input_example.json
    # ("unknown export shape"), which is not what this test is about.
    for mlmodel in (SAMPLES / "mlflow" / "model_artifacts").glob("*/MLmodel"):
        target = dest / "mlflow" / "model_artifacts" / mlmodel.parent.name / "MLmodel"
        target.parent.mkdir(parents=True)
        shutil.copyfile(mlmodel, target)
    shutil.copytree(SAMPLES / "openlineage", dest / "openlineage")
    shutil.copytree(SAMPLES / "evidently", dest / "evidently")
    return dest


def dossier_of(evidence: Path) -> tuple[Dossier, bytes]:
    """The dossier and results JSON of an evidence folder, as the build computes them."""
    analysis = analyse(Config(), evidence)
    return make_dossier(analysis), dumps(to_json(analysis.results)).encode()


def render_from(evidence: Path, out: Path, only_system: str | None = None) -> int:
    """Render an evidence folder's PDF (also called from a subprocess)."""
    dossier, results_json = dossier_of(evidence)
    return render_pdf(
        dossier,
        out,
        report_id=REPORT_ID,
        attachments={"results.json": results_json},
        only_system=only_system,
    )


def poppler(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def pages_text(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    return poppler("pdftotext", "-layout", pdf, "-").split("\f")[:-1]


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks as (depth, title, page), read by pdftohtml."""
    xml = poppler("pdftohtml", "-xml", "-stdout", "-i", "-q", pdf)
    start = xml.index("<outline>")
    items, depth = [], 0
    for tag in re.finditer(r'<outline>|</outline>|<item page="(\d+)">([^<]*)</item>', xml[start:]):
        if tag.group(0) == "<outline>":
            depth += 1
        elif tag.group(0) == "</outline>":
            depth -= 1
        else:
            items.append((depth, tag.group(2), int(tag.group(1))))
    return items


def pdf_objects(pdf: Path) -> bytes:
    """Every PDF object, with compressed streams (object streams too) inflated."""
    data = pdf.read_bytes()
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def hostile_dossier(dossier: Dossier) -> Dossier:
    """The dossier with hostile text in evidence-derived fields and a hostile SVG diagram."""
    system = dossier.systems[0]
    first = system.annex_iv[0]
    hostile_item = Item(
        "Intended purpose",
        'url(file:///etc/passwd) <link rel="stylesheet" '
        'href="http://evil.example/s.css"> {{ 7 * 7 }}',
        first.items[0].cite,
    )
    sections = (
        Section(first.point, first.title, (hostile_item, *first.items[1:])),
        *system.annex_iv[1:],
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="80">'
        '<style>@import url("http://evil.example/svg.css");</style>'
        '<rect width="200" height="80" fill="#dde"/>'
        '<image href="http://evil.example/y.png" width="10" height="10"/>'
        '<image xlink:href="file:///etc/passwd" width="10" height="10"/>'
        '<text x="10" y="40">train -&gt; model</text></svg>'
    )
    hostile = dataclasses.replace(
        system,
        intended_use='<img src="http://evil.example/x.png">',
        annex_iv=sections,
        diagram_svg=svg,
    )
    return dataclasses.replace(
        dossier, systems=(hostile, *dossier.systems[1:]), organisation="<b>Org</b> & co"
    )


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_samples(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="module")
def built(evidence: Path) -> tuple[Dossier, bytes]:
    return dossier_of(evidence)


@pytest.fixture(scope="module")
def report(
    built: tuple[Dossier, bytes], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, int, AssetFetcher]:
    dossier, results_json = built
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    fetcher = AssetFetcher()
    pages = render_pdf(
        dossier,
        out,
        report_id=REPORT_ID,
        attachments={"results.json": results_json},
        fetcher=fetcher,
    )
    return out, pages, fetcher


# ------------------------------------------------------------------ contents


@pytest.mark.slow
def test_report_has_every_chapter_and_the_verdicts(report, built) -> None:
    pdf, _, _ = report
    dossier, _ = built
    text = poppler("pdftotext", pdf, "-")
    for heading in (
        "AI COMPLIANCE DOSSIER",
        "Contents",
        "Executive summary",
        "Verdicts per framework",
        "Regulatory status",
        "The most severe findings",
        "Control matrix",
        "Findings and what to do",
        "Evidence requests",
        "Evidence appendix",
        "Sign-off",
        "Prepared by",
        "Reviewed by",
        "Approved by",
    ):
        assert heading in text, heading
    for system in SYSTEMS:
        assert f"AI system: {system}" in text
    for title in (
        "1. General description of the AI system",
        "2. Elements of the AI system and its development process",
        "9. Post-market performance evaluation (Art. 72)",
    ):
        assert text.count(title) == len(SYSTEMS)
    assert "MISSING" in text  # the samples hold no sign-offs
    assert "Versions and approvals" in text and "Monitoring" in text
    # Cover: organisation, frameworks, as-of date and its source, report id, tool version.
    assert "Example organisation" in text
    assert "2026-12-02 00:00 UTC (source: SOURCE_DATE_EPOCH)" in text
    assert REPORT_ID[:12] in text and "mldossier 0.1.0" in text
    # Every finding is listed with its control id and what to do.
    worst = dossier.findings[0]
    assert f"{worst.control.id} {worst.control.reference}" in text
    assert text.count("What to do") == len(dossier.findings)
    # Every reason of a listed finding is in the filed document, not only the first.
    assert "more in the site" not in text
    flat = " ".join(text.split())
    for v in dossier.findings[:20]:
        for reason in v.reasons:
            assert " ".join(reason.split())[:40] in flat, reason
    # The crosswalk is a chapter: every pair's two controls are in it.
    assert dossier.crosswalk
    after = text[text.index("Controls of different frameworks that the catalogs map") :]
    # a narrow column may break an id over two lines, and pdftotext drops the hyphen there
    crosswalk = "".join(after.split()).replace("-", "")
    for pair in dossier.crosswalk:
        for side in (pair["left"], pair["right"]):
            assert side["control"].replace("-", "") in crosswalk, side
    # The request list is a chapter: every request id is in it.
    assert dossier.requests
    for r in dossier.requests:
        assert r["id"] in text
    # The evidence appendix gives every file's SHA-256 (as two halves of 32 digits).
    for f in dossier.evidence.files:
        assert f.sha256[:32] in text and f.sha256[32:] in text, f.path


@pytest.mark.slow
def test_every_page_has_report_id_and_page_x_of_y(report) -> None:
    pdf, pages, _ = report
    texts = pages_text(pdf)
    assert len(texts) == pages
    for n, page in enumerate(texts, start=1):
        assert f"Report {REPORT_ID[:12]}" in page, n
        assert f"Page {n} of {pages}" in page, n


@pytest.mark.slow
def test_page_count_is_what_pdfinfo_reads_and_sane(report) -> None:
    pdf, pages, _ = report
    info = poppler("pdfinfo", pdf)
    assert re.search(rf"^Pages:\s+{pages}$", info, re.M)
    assert "A4" in info
    # Cover, contents, summary, matrix, three chapters, findings, appendix, sign-off.
    assert 12 <= pages <= 120


@pytest.mark.slow
def test_table_of_contents_gives_real_page_numbers(report) -> None:
    pdf, _, _ = report
    texts = pages_text(pdf)
    toc = texts[1]
    for title in (
        "Executive summary",
        "Control matrix",
        *(f"AI system: {s}" for s in SYSTEMS),
        "Findings and what to do",
        "Evidence appendix",
        "Sign-off",
    ):
        found = re.search(rf"^\s*{re.escape(title)}\s*\.+\s*(\d+)\s*$", toc, re.M)
        assert found, title
        page = int(found.group(1))
        # The chapter heading is on that page, right below the running header.
        assert re.search(rf"^\s*{re.escape(title)}\s*$", texts[page - 1], re.M), (title, page)


@pytest.mark.slow
def test_bookmarks_follow_the_chapters(report, built) -> None:
    pdf, _, _ = report
    dossier, _ = built
    unread = bool(dossier.evidence.not_read or dossier.evidence.export_errors)
    marks = outline(pdf)
    top = [(title, page) for depth, title, page in marks if depth == 1]
    titles = [t for t, _ in top]
    assert titles == [
        "Cover",
        "Contents",
        "Executive summary",
        "Control matrix",
        *(f"AI system: {s}" for s in SYSTEMS),
        "Findings and what to do",
        "Evidence requests",
        "Crosswalk between the frameworks",
        "Evidence appendix",
        *(["Export errors and files not read"] if unread else []),
        "Sign-off",
    ]
    assert [p for _, p in top] == sorted(p for _, p in top)
    assert top[0][1] == 1
    # Under each system: its sections, and under Annex IV the nine points by name.
    assert (2, "Technical documentation (Annex IV)", top[4][1]) in marks
    points = [t for d, t, _ in marks if d == 3]
    assert points[:9] == [
        f"{n}. {t}"
        for n, t in (
            ("1", "General description of the AI system"),
            ("2", "Elements of the AI system and its development process"),
            ("3", "Monitoring, functioning and control"),
            ("4", "Appropriateness of the performance metrics"),
            ("5", "Risk management system (Art. 9)"),
            ("6", "Changes through the lifecycle"),
            ("7", "Harmonised standards and other solutions applied"),
            ("8", "EU declaration of conformity (Art. 47)"),
            ("9", "Post-market performance evaluation (Art. 72)"),
        )
    ]


@pytest.mark.slow
def test_control_matrix_has_a_cell_per_control_and_system(report, built) -> None:
    pdf, _, _ = report
    dossier, _ = built
    marks = {t: p for d, t, p in outline(pdf)}
    texts = pages_text(pdf)
    eu = "\n".join(texts[marks["EU AI Act"] - 1 : marks["SOC 2"] - 1])
    (table,) = matrix_tables("EU AI Act", dossier.controls["EU AI Act"], list(SYSTEMS))
    assert table.columns == (*SYSTEMS, "(organisation)")
    starts = [eu.index(f"{r.control.id} {r.control.control.reference}") for r in table.rows]
    assert starts == sorted(starts)
    label = {s.value: s.short for s in Status} | {"": "—"}
    words = "|".join(re.escape(w) for w in label.values())
    for row, start, end in zip(table.rows, starts, [*starts[1:], len(eu)], strict=True):
        cells = re.findall(rf"(?<![\w-])({words})(?![\w-])", eu[start:end])
        assert cells == [label[c] for c in row.cells], row.control.id


@pytest.mark.slow
def test_lineage_diagrams_are_embedded_and_wide_ones_get_landscape(report, built) -> None:
    pdf, _, fetcher = report
    dossier, _ = built
    drawn = [s for s in dossier.systems if s.diagram_svg]
    assert drawn, "mldossier.lineage.diagram drew no lineage diagram for the samples"
    css = (PDF_TEMPLATES / "print.css").resolve().as_uri()
    assert fetcher.served == [
        css,
        *(u for u in fetcher.served[1:] if u.startswith("data:image/svg+xml;base64,")),
    ]
    assert len(fetcher.served) == 1 + len(drawn) and fetcher.refused == []
    marks = outline(pdf)
    lineage_pages = [p for d, t, p in marks if t == "Lineage"]
    assert len(lineage_pages) == len(SYSTEMS)
    for system, page in zip(dossier.systems, lineage_pages, strict=True):
        size = poppler("pdfinfo", "-f", page, "-l", page, pdf)
        wide = (svg_width_pt(system.diagram_svg) or 0) > WIDE_DIAGRAM_PT
        expected = "841.89 x 595.276" if wide else "595.276 x 841.89"
        assert re.search(rf"^Page\s+{page} size:\s+{expected} pts", size, re.M), system.slug


@pytest.mark.slow
def test_not_applicable_verdicts_collapse_to_one_line_per_reason(report, built) -> None:
    pdf, _, _ = report
    dossier, _ = built
    text = " ".join(poppler("pdftotext", pdf, "-").split())
    assert any(not_applicable_groups(s.verdicts) for s in dossier.systems)
    for system in dossier.systems:
        groups = not_applicable_groups(system.verdicts)
        na = {v.control.id for v in system.verdicts if v.status == "not_applicable"}
        assert sorted(i for _, ids in groups for i in ids) == sorted(na)
        # a line may break at the hyphen of a name such as breast-cancer-classifier, which
        # pdftotext then joins without it
        joined = re.sub(r"[-\s]", "", text)
        for reason, ids in groups:
            line = f"N/A {len(ids)} control(s) do not apply ({reason}): {', '.join(ids)}"
            assert re.sub(r"[-\s]", "", line) in joined, line


# ------------------------------------------------------------------ archival


@pytest.mark.slow
def test_results_json_is_embedded_byte_for_byte(report, built, tmp_path: Path) -> None:
    pdf, _, _ = report
    _, results_json = built
    assert poppler("pdfdetach", "-list", pdf).splitlines() == [
        "1 embedded files",
        "1: results.json",
    ]
    poppler("pdfdetach", "-saveall", "-o", tmp_path, pdf)
    assert (tmp_path / "results.json").read_bytes() == results_json


@pytest.mark.slow
def test_pdf_a_3b_with_data_attachment_and_metadata(report) -> None:
    pdf, _, _ = report
    xmp = poppler("pdfinfo", "-meta", pdf)
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<xmp:CreateDate>2026-12-02T00:00:00Z</xmp:CreateDate>" in xmp
    info = poppler("pdfinfo", pdf)
    assert re.search(r"^Title:\s+AI compliance dossier — Example organisation$", info, re.M)
    assert re.search(
        r"^Subject:\s+AI system compliance report \(EU AI Act, SOC 2\) as of "
        rf"2026-12-02; report {REPORT_ID[:12]}$",
        info,
        re.M,
    )
    assert re.search(r"^Author:\s+Example organisation$", info, re.M)
    assert re.search(r"^CreationDate:\s+Wed Dec\s+2 00:00:00 2026 UTC$", info, re.M)
    # PDF/A needs every font embedded: the system DejaVu fonts, subset.
    fonts = poppler("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(re.search(r"\+DejaVu-Sans\S*\s.* yes yes yes ", f) for f in fonts)
    objects = pdf_objects(pdf)
    assert b"/AFRelationship /Data" in objects
    assert b"/Lang (en)" in objects
    assert b"/CreationDate (D:20261202000000Z)" in objects  # the attachment's date
    # The permanent half of the file /ID comes from the report id, not from chance.
    assert b"/ID [(" + hashlib.sha256(REPORT_ID.encode()).hexdigest()[:32].encode() in objects


# ------------------------------------------------------------------ determinism


@pytest.mark.slow
def test_two_renders_in_one_process_are_identical(built, tmp_path: Path) -> None:
    dossier, results_json = built
    outs = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    for out in outs:
        render_pdf(
            dossier,
            out,
            report_id=REPORT_ID,
            attachments={"results.json": results_json},
            only_system=SYSTEMS[1],
        )
    assert outs[0].read_bytes() == outs[1].read_bytes()


@pytest.mark.slow
def test_render_in_another_process_is_identical(report, evidence: Path, tmp_path: Path) -> None:
    pdf, _, _ = report
    out = tmp_path / "other.pdf"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    code = (
        "import sys; from pathlib import Path; from test_pdf import render_from; "
        "render_from(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    subprocess.run([sys.executable, "-c", code, str(evidence), str(out)], check=True, env=env)
    assert (
        hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(pdf.read_bytes()).hexdigest()
    )


# ------------------------------------------------------------------ per system


@pytest.mark.slow
def test_per_system_pdf_has_only_that_system(built, tmp_path: Path) -> None:
    dossier, results_json = built
    out = tmp_path / "one.pdf"
    pages = render_pdf(
        dossier,
        out,
        report_id=REPORT_ID,
        attachments={"results.json": results_json},
        only_system=SYSTEMS[0],
    )
    text = poppler("pdftotext", out, "-")
    assert f"System report: {SYSTEMS[0]}" in text
    assert f"AI system: {SYSTEMS[0]}" in text
    assert f"AI system: {SYSTEMS[1]}" not in text and "Control matrix" not in text
    assert "Findings and what to do" in text and "Evidence appendix" in text
    system = dossier.systems[0]
    assert system.model.cite.sha256[:32] in text
    other = dossier.systems[1].model.cite
    assert other.sha256[:32] not in text  # another system's registry file is not listed
    assert poppler("pdfdetach", "-list", out).splitlines()[-1] == "1: results.json"
    assert len(pages_text(out)) == pages


def test_unknown_system_is_refused(built, tmp_path: Path) -> None:
    dossier, _ = built
    with pytest.raises(ValueError, match="no AI system named 'nope' in the dossier"):
        render_pdf(
            dossier, tmp_path / "x.pdf", report_id=REPORT_ID, attachments={}, only_system="nope"
        )


# ------------------------------------------------------------------ sandbox


@pytest.mark.slow
def test_hostile_evidence_is_text_and_fetches_nothing(built, tmp_path: Path) -> None:
    dossier, results_json = built
    out = tmp_path / "hostile.pdf"
    fetcher = AssetFetcher()
    render_pdf(
        hostile_dossier(dossier),
        out,
        report_id=REPORT_ID,
        attachments={"results.json": results_json},
        fetcher=fetcher,
        only_system=SYSTEMS[0],
    )
    text = poppler("pdftotext", out, "-")
    assert '<img src="http://evil.example/x.png">' in text
    assert "url(file:///etc/passwd)" in text and "{{ 7 * 7 }}" in text
    assert '<link rel="stylesheet"' in text and "<b>Org</b> & co" in text
    # Only the stylesheet and the diagram's data: URL were served.
    css = (PDF_TEMPLATES / "print.css").resolve().as_uri()
    assert fetcher.served[0] == css
    assert all(u == css or u.startswith("data:image/svg+xml;base64,") for u in fetcher.served)
    assert any(u.startswith("data:image/svg+xml") for u in fetcher.served)
    # What the SVG points at was asked for and refused; nothing in the HTML text was asked.
    refused = {url for url, _ in fetcher.refused}
    assert "http://evil.example/x.png" not in fetcher.requested
    assert "http://evil.example/s.css" not in fetcher.requested
    assert refused <= {
        "http://evil.example/y.png",
        "file:///etc/passwd",
        "http://evil.example/svg.css",
    }
    assert "http://evil.example/y.png" in refused


def test_fetcher_serves_only_data_and_its_own_folder(tmp_path: Path) -> None:
    fetcher = AssetFetcher()
    css = (PDF_TEMPLATES / "print.css").resolve()
    response = fetcher.fetch(css.as_uri())
    assert response.content_type == "text/css" and response.read() == css.read_bytes()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    outside = PDF_TEMPLATES.resolve().as_uri()
    for url, reason in [
        ("http://evil.example/x.png", "scheme 'http' is not allowed"),
        ("https://evil.example/x.png", "scheme 'https' is not allowed"),
        ("ftp://evil.example/x", "scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "outside the allowed folders"),
        ("file://evil.example/share/x.css", "remote file host 'evil.example'"),
        (f"{outside}/../../pyproject.toml", "'..' or backslash in the path"),
        (f"{outside}/%2e%2e/%2E%2E/pyproject.toml", "'..' or backslash in the path"),
        (f"{outside}/missing.css", "not a regular file"),
        ("print.css", "scheme '(none)' is not allowed"),
    ]:
        with pytest.raises(URLRefused, match=re.escape(reason)):
            fetcher.fetch(url)
    assert [u for u, _ in fetcher.refused][0] == "http://evil.example/x.png"
    assert len(fetcher.served) == 2


def test_fetcher_refuses_symlinks_that_lead_out(tmp_path: Path) -> None:
    root = tmp_path / "assets"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "ok.css").write_text("p {}")
    (root / "link.css").symlink_to(secret)
    (root / "dir").symlink_to(tmp_path)
    fetcher = AssetFetcher(roots=[root])
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p {}"
    for path in (root / "link.css", root / "dir" / "secret.txt"):
        with pytest.raises(URLRefused, match="outside the allowed folders"):
            fetcher.fetch(path.as_uri())


# ------------------------------------------------------------------ matrix layout


def test_matrix_splits_many_systems_into_tables(built) -> None:
    dossier, _ = built
    controls = dossier.controls["SOC 2"]
    names = [f"system-{n}" for n in range(8)] + list(SYSTEMS)
    tables = matrix_tables("SOC 2", controls, names)
    assert [len(t.columns) for t in tables] == [6, 6]
    assert [(t.part, t.parts) for t in tables] == [(1, 2), (2, 2)]
    assert tables[1].columns[-1] == "(organisation)"
    # Systems with no verdicts have empty cells; real ones have a status.
    row = tables[0].rows[0]
    assert row.cells == ("",) * 6
    assert all(len(r.cells) == 6 for t in tables for r in t.rows)
    for r in tables[1].rows:
        per_system = any(v.system for v in r.control.verdicts)
        assert all(r.cells[2:5]) == per_system, r.control.id
        assert bool(r.cells[5]) == (not per_system), r.control.id


@pytest.mark.slow
def test_a_large_estate_summary_leaves_chapters_to_per_system_pdfs(
    report, built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mldossier.render.pdf as pdf_module

    dossier, results = built
    monkeypatch.setattr(pdf_module, "CHAPTER_LIMIT", 1)
    out = tmp_path / "summary.pdf"
    pages = render_pdf(dossier, out, report_id="f" * 64, attachments={"results.json": results})
    text = "\n".join(pages_text(out))
    assert "A large estate: where the details are" in text
    assert "Executive summary" in text and "Findings and what to do" in text
    assert not any(f"AI system: {s.model.name}" in text for s in dossier.systems)
    assert "Control matrix" not in text
    _, full_pages, _ = report
    assert pages < full_pages / 2


@pytest.mark.slow
def test_files_not_read_and_export_errors_have_their_chapter(tmp_path: Path) -> None:
    evidence = copy_samples(tmp_path / "evidence")
    (evidence / "README.md").write_text("how this export was made\n")
    (evidence / "notes.json").write_text('{"who": "an analyst"}\n')
    failed_call_log(evidence / "mlflow", "http://mlflow:5000/api/2.0/mlflow/runs/get?run_id=x", 403)
    out = tmp_path / "report.pdf"
    render_from(evidence, out)
    text = " ".join(poppler("pdftotext", out, "-").split())
    assert "Export errors and files not read" in text
    assert "README.md" in text and "notes.json" in text
    assert "HTTP 403" in text and "mlflow/runs/get" in text and "run_id=x" in text
    titles = [t for depth, t, _ in outline(out) if depth == 1]
    assert titles.index("Export errors and files not read") == titles.index("Sign-off") - 1


def test_control_and_bidi_characters_are_shown_escaped_in_text_and_metadata(
    built, tmp_path: Path
) -> None:
    """A control character would make the XMP packet not XML (and the file not PDF/A-3b);
    a bidi override would print reversed. Both are shown as visible escapes, as on the site."""
    import xml.etree.ElementTree as ET

    dossier, results_json = built
    system = dossier.systems[0]
    hostile = dataclasses.replace(
        dossier,
        systems=(dataclasses.replace(system, intended_use="use \u202eevil\u202c here"),)
        + dossier.systems[1:],
        organisation="Org\x1b[31m\x07\x0b\u202eoc",
    )
    out = tmp_path / "hostile.pdf"
    render_pdf(
        hostile,
        out,
        report_id=REPORT_ID,
        attachments={"results.json": results_json},
        only_system=SYSTEMS[0],
    )
    info = poppler("pdfinfo", out)
    assert re.search(r"^Author:\s+Org\\u001b\[31m\\u0007\\u000b\\u202eoc$", info, re.M), info
    xmp = poppler("pdfinfo", "-meta", out)
    packet = xmp[xmp.index("<x:xmpmeta") : xmp.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    creator = ET.fromstring(packet).find(".//{http://purl.org/dc/elements/1.1/}creator")
    assert creator is not None and "Org\\u001b[31m" in "".join(creator.itertext())
    text = poppler("pdftotext", out, "-")
    assert "use \\u202eevil\\u202c here" in text
    assert "\u202e" not in text and "\x1b" not in text


def test_what_the_export_could_not_get_is_listed_with_the_export_errors(tmp_path: Path) -> None:
    evidence = copy_samples(tmp_path / "evidence")
    run_id = "da3a687298b540b5bda2d5c88308f3e1"
    gap = {
        "method": "GET",
        "url": f"http://mlflow:5000/api/2.0/mlflow/runs/get?run_id={run_id}",
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
    dossier, _ = dossier_of(evidence)
    html = render_html(dossier, report_id=REPORT_ID)
    section = html[html.index('id="unavailable"') :]
    section = section[: section.index("</table>")]
    for shown in (f"MLflow run {run_id}", "breast-cancer-classifier@2", "HTTP 404"):
        assert shown in section, shown
    assert "Export errors and files not read" in html
