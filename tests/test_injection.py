"""Injection: evidence whose every free-text field is markup, script, template or a 100k line.

One evidence folder is made from the real sample exports with every free-text field of every
input kind (MLflow registry, runs, logged models, experiments and MLmodel signatures;
OpenLineage job and dataset names and facets; Evidently snapshots; sign-offs and their
attachments; waivers; collection logs; the config's organisation and a control catalog)
replaced by a tagged payload: HTML, ``<script>``, ``javascript:`` links, Markdown, Jinja
(``{{ 7*7 }}``, ``{% raw %}``), CSS ``url()`` and a 100,000-character line. ``mldossier
build`` turns it into the site and the PDF, and then:

- no page of the site holds an element, attribute or URL that came from the evidence
  (no ``<script>`` from it, no ``on*=`` attribute, no ``javascript:`` or outside URL), and
  ``{{ 7*7 }}`` is shown as written, never as ``49``;
- the PDF shows the payloads as text, and WeasyPrint asks for nothing outside its own
  templates (its URL fetcher records every request);
- headless Chromium (Debian's, driven by Playwright) opens the pages and searches the site:
  no script from the evidence runs (``window.__pwned`` stays unset) and no request leaves
  127.0.0.1.

Outputs never hold the bare ``NaN``/``Infinity`` that Evidently writes into its JSON; an
unpaired surrogate (valid JSON escape, not a character) must not crash the build.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import SAMPLES

REPO = Path(__file__).resolve().parents[1]
REST = SAMPLES / "mlflow" / "rest"
MODEL_ID = "m-d2b056cd5d8b4103a43cc372e1e28fb1"

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
SVG = '<svg onload="window.__pwned=1"></svg>'
IFRAME = '<iframe src="http://evil.example/frame"></iframe>'
JS_LINK = "[click](javascript:window.__pwned=1)"
JS_URL = "javascript:window.__pwned=1"
MARKDOWN = "**bold** _em_ [site](http://evil.example/md) ![x](http://evil.example/md.png) <http://evil.example/auto>"
JINJA = "{{ 7*7 }}"
JINJA_BLOCK = "{% raw %}{{ config }}{% endraw %}{{ ''.__class__.__mro__ }}"
CSS = '<style>body{background:url("http://evil.example/css.png")}</style> url(http://evil.example/u.png)'
ENTITY = "&lt;b&gt;&amp;amp;"
PAYLOAD = " ".join(
    [
        SCRIPT,
        IMG,
        SVG,
        IFRAME,
        JS_LINK,
        JS_URL,
        MARKDOWN,
        JINJA_BLOCK,
        CSS,
        ENTITY,
        "| a | b |",
        "# heading",
        "<!-- c -->",
    ]
)
LONG = "L" * 100_000
"""A 100,000-character line without a break."""


def tagged(tag: str) -> str:
    """A payload that names its field: ``{{ 7*7 }}`` right after the tag shows a template ran."""
    return f"{tag}:{JINJA}: {PAYLOAD}"


class Fields:
    """The tags given out, by input kind: each tag marks one free-text field."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[str]] = {}

    def __call__(self, kind: str, field: str) -> str:
        tag = f"T{sum(map(len, self.by_kind.values())):03d}"
        self.by_kind.setdefault(kind, []).append(tag)
        return tagged(tag)

    @property
    def tags(self) -> list[str]:
        return [t for tags in self.by_kind.values() for t in tags]


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _pairs(items: list[dict[str, Any]], fields: Fields, kind: str, keep: set[str]) -> None:
    for item in items:
        if item["key"] not in keep:
            item["value"] = fields(kind, f"tag {item['key']}")
    items.append({"key": fields(kind, "tag key")[:60], "value": fields(kind, "tag value")})


def hostile_evidence(root: Path, fields: Fields) -> Path:
    """The sample exports with every free-text field replaced by a tagged payload."""
    ev = root
    # MLflow registry: the real production version of breast-cancer-classifier, renamed
    # nowhere (links must still hold), text fields hostile.
    model = json.loads((REST / "registered_models_get__breast-cancer-classifier.json").read_text())
    rm = model["registered_model"]
    rm["description"] = fields("mlflow", "registered model description") + "\n" + LONG
    _pairs(rm["tags"], fields, "mlflow", {"eu_ai_act_category", "annex_iii_point"})
    rm["tags"] += [
        {"key": "owner", "value": fields("mlflow", "owner")},
        {"key": "intended_use", "value": fields("mlflow", "intended use")},
    ]
    rm.pop("latest_versions", None)
    _dump(ev / "mlflow" / "registered-model.json", model)
    version = json.loads(
        (REST / "model_versions_get__breast-cancer-classifier__v2.json").read_text()
    )
    mv = version["model_version"]
    mv["description"] = fields("mlflow", "version description")
    mv["run_link"] = JS_URL
    _pairs(mv["tags"], fields, "mlflow", set())
    _dump(ev / "mlflow" / "version.json", version)
    # A second system whose very name is hostile.
    name = fields("mlflow", "registered model name")[:200]
    _dump(
        ev / "mlflow" / "hostile-model.json",
        {
            "registered_model": {
                "name": name,
                "creation_timestamp": 1795774055426,
                "last_updated_timestamp": 1795774075047,
                "description": fields("mlflow", "description 2"),
                "tags": [
                    {"key": "eu_ai_act_category", "value": "high-risk"},
                    {"key": "owner", "value": fields("mlflow", "owner 2")},
                ],
                "aliases": [{"alias": fields("mlflow", "alias")[:100], "version": "1"}],
            }
        },
    )
    _dump(
        ev / "mlflow" / "hostile-version.json",
        {
            "model_version": {
                "name": name,
                "version": "1",
                "creation_timestamp": 1795774055451,
                "last_updated_timestamp": 1795774075047,
                "current_stage": "Production",
                "description": fields("mlflow", "version description 2"),
                "source": fields("mlflow", "version source"),
                "run_id": "98dac0ed4ee2444ab0f681f25128dc26",
                "status": "READY",
                "tags": [{"key": "approved_by", "value": fields("mlflow", "approver")}],
                "run_link": "",
            }
        },
    )
    run = json.loads((REST / "runs_get__da3a687298b540b5bda2d5c88308f3e1.json").read_text())
    info, data = run["run"]["info"], run["run"]["data"]
    info["run_name"] = fields("mlflow", "run name")
    info["user_id"] = fields("mlflow", "user")
    _pairs(data["params"], fields, "mlflow", set())
    _pairs(data["tags"], fields, "mlflow", {"openlineage.run_id"})
    data["metrics"].append(
        {
            "key": fields("mlflow", "metric key")[:120],
            "value": 0.5,
            "timestamp": 1795774040757,
            "step": 0,
        }
    )
    for item in run["run"]["inputs"]["dataset_inputs"]:
        item["dataset"]["name"] = fields("mlflow", "dataset name")
        item["dataset"]["source"] = json.dumps({"uri": fields("mlflow", "dataset uri")})
    _dump(ev / "mlflow" / "run.json", run)
    logged = json.loads((REST / f"logged_models_get__{MODEL_ID}.json").read_text())
    logged["model"]["info"]["name"] = fields("mlflow", "logged model name")
    _pairs(logged["model"]["info"]["tags"], fields, "mlflow", {"mlflow.modelVersions"})
    _pairs(logged["model"]["data"]["params"], fields, "mlflow", set())
    _dump(ev / "mlflow" / "logged-model.json", logged)
    experiments = json.loads((REST / "experiments_search.json").read_text())
    for experiment in experiments["experiments"]:
        experiment["name"] = fields("mlflow", "experiment name")
        _pairs(experiment.setdefault("tags", []), fields, "mlflow", set())
    _dump(ev / "mlflow" / "experiments.json", experiments)
    mlmodel = (SAMPLES / "mlflow" / "model_artifacts" / MODEL_ID / "MLmodel").read_text()
    column = fields("mlflow", "signature column")
    spec = json.dumps(
        [
            {"type": "double", "name": column, "required": True},
            {"type": fields("mlflow", "signature type")[:80], "name": "x"},
        ]
    )
    start = mlmodel.index("signature:\n")
    end = mlmodel.index("\n", mlmodel.index("  outputs:", start))
    mlmodel = (
        mlmodel[:start]
        + "signature:\n  inputs: "
        + json.dumps(spec)
        + "\n  outputs: "
        + json.dumps(json.dumps([{"type": "long", "name": "y"}]))
        + mlmodel[end:]
    )
    (ev / "mlflow" / "artifacts" / MODEL_ID).mkdir(parents=True)
    (ev / "mlflow" / "artifacts" / MODEL_ID / "MLmodel").write_text(mlmodel)
    # OpenLineage: the real pipeline, every name and text facet hostile.
    lines = []
    renamed: dict[str, str] = {}
    for raw in (SAMPLES / "openlineage" / "events.ndjson").read_text().splitlines():
        if raw.strip():
            lines.append(json.dumps(_hostile_event(json.loads(raw), fields, renamed)))
    (ev / "openlineage").mkdir()
    (ev / "openlineage" / "events.ndjson").write_text("\n".join(lines) + "\n")
    # Evidently: the real full snapshot, linked to the version by its metadata.
    snapshot = json.loads(
        (SAMPLES / "evidently" / "data_drift_report.full_snapshot.json").read_text()
    )
    snapshot["name"] = fields("evidently", "snapshot name")
    snapshot["tags"] = [fields("evidently", "snapshot tag")]
    snapshot["metadata"] = {
        "model": "breast-cancer-classifier",
        "model_version": "2",
        "note": fields("evidently", "metadata"),
    }
    for entry in snapshot["metric_results"].values():
        params = entry["metric_value_location"]["metric"]["params"]
        if isinstance(params.get("column"), str):
            params["column"] = fields("evidently", "column")[:300]
        for test in entry.get("tests", []):
            test["name"] = fields("evidently", "test name")
            test["description"] = fields("evidently", "test description")
    _dump(ev / "monitoring" / "drift.json", snapshot)
    report = json.loads((SAMPLES / "evidently" / "data_drift_report.json").read_text())
    for metric in report["metrics"]:
        if isinstance(metric["config"].get("column"), str):
            metric["config"]["column"] = fields("evidently", "report column")[:300]
    for test in report["tests"]:
        test["name"] = fields("evidently", "report test name")
        test["description"] = fields("evidently", "report test description")
    _dump(ev / "monitoring" / "breast-cancer-classifier" / "2" / "drift-2026-11-20.json", report)
    # Sign-offs with hostile text and attachments that a browser would run.
    attachments = ev / "signoffs" / "attachments"
    attachments.mkdir(parents=True)
    (attachments / "evil.html").write_text(f"<html><body>{SCRIPT}{IMG}</body></html>\n")
    (attachments / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'onload="window.__pwned=1"><script>window.__pwned=1'
        "</script></svg>\n"
    )
    (attachments / f"note {IMG}.md").write_text(f"# {SCRIPT}\n")
    signoff = {
        "mldossier": "signoff/v1",
        "id": "RA-1",
        "kind": "risk_assessment",
        "title": fields("signoff", "title"),
        "subject": {"system": "breast-cancer-classifier"},
        "statement": fields("signoff", "statement") + "\n" + LONG,
        "signed_by": fields("signoff", "signed by"),
        "role": fields("signoff", "role"),
        "date": "2026-11-01",
        "attachments": [
            "attachments/evil.html",
            "attachments/evil.svg",
            f"attachments/note {IMG}.md",
        ],
    }
    _dump(ev / "signoffs" / "risk.json", signoff)
    validation = {
        **signoff,
        "id": "MV-1",
        "kind": "model_validation",
        "subject": {"system": "breast-cancer-classifier", "version": "2"},
        "title": fields("signoff", "title 2"),
        "statement": fields("signoff", "stmt 2"),
        "attachments": [],
    }
    _dump(ev / "signoffs" / "validation.json", validation)
    # A waiver of a real control, every text field hostile.
    waiver = {
        "mldossier": "waiver/v1",
        "waivers": [
            {
                "id": "W-1",
                "control": "EUAIA-10-3",
                "subject": "breast-cancer-classifier",
                "justification": fields("waiver", "justification"),
                "owner": fields("waiver", "owner"),
                "approver": fields("waiver", "approver"),
                "compensating_control": fields("waiver", "compensating control"),
                "granted": "2026-10-01",
                "expires": "2027-01-31",
            }
        ],
    }
    _dump(ev / "waivers" / "waivers.json", waiver)
    _dump(
        ev / "mlflow" / "collection-log.json",
        {
            "mldossier": "collection-log/v1",
            "collector": fields("collection-log", "collector"),
            "source": JS_URL,
            "calls": [
                {
                    "method": "GET",
                    "url": JS_URL,
                    "file": "run.json",
                    "sha256": "0" * 64,
                    "note": fields("collection-log", "note"),
                }
            ],
        },
    )
    return ev


def _hostile_event(
    event: dict[str, Any], fields: Fields, renamed: dict[str, str]
) -> dict[str, Any]:
    """An OpenLineage event with hostile job and dataset names (the same everywhere) and text."""
    event = copy.deepcopy(event)
    if event["job"]["name"].endswith("train_breast_cancer_model"):
        # Link the pipeline to the version, so the system page shows its lineage.
        tags = event["run"]["facets"]["tags"]["tags"]
        tags.append(
            {"key": "mlflow.run_id", "value": "da3a687298b540b5bda2d5c88308f3e1", "source": "USER"}
        )
        if event["eventType"] == "COMPLETE":
            event["outputs"].append(
                {"namespace": "mlflow", "name": "models:/breast-cancer-classifier/2"}
            )

    def rename(name: str) -> str:
        if name.startswith("models:/"):
            return name  # the link to the model version must hold
        if name not in renamed:
            renamed[name] = f"{name} {fields('openlineage', 'name ' + name)}"
        return renamed[name]

    event["job"]["name"] = rename(event["job"]["name"])
    for side in ("inputs", "outputs"):
        for item in event.get(side) or []:
            item["name"] = rename(item["name"])
    parent = (event["run"].get("facets") or {}).get("parent")
    if parent:
        parent["job"]["name"] = rename(parent["job"]["name"])
    _hostile_text(event, fields)
    return event


TEXT_KEYS = {
    "description",
    "message",
    "stackTrace",
    "assertion",
    "processing_engine",
    "jobType",
    "integration",
    "value",
    "version",
    "programmingLanguage",
}


def _hostile_text(node: Any, fields: Fields) -> None:
    """Free text inside facets (descriptions, messages, stack traces, owners, columns)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in (
                "_schemaURL",
                "_producer",
                "producer",
                "schemaURL",
                "runId",
                "eventTime",
                "eventType",
                "namespace",
                "name",
                "datasetVersion",
            ):
                continue
            if isinstance(value, str) and key in TEXT_KEYS and not value.startswith("models:/"):
                if key == "value" and node.get("key") == "mlflow.run_id":
                    continue
                node[key] = fields("openlineage", key) + (
                    ("\n" + LONG) if key == "stackTrace" else ""
                )
            else:
                _hostile_text(value, fields)
        if isinstance(node.get("name"), str) and "type" in node and "fields" not in node:
            node["name"] = fields("openlineage", "column " + node["name"])  # schema field
    elif isinstance(node, list):
        for item in node:
            _hostile_text(item, fields)


CATALOG = """\
catalog:
  id: hostile
  title: {title}
  framework: {framework}
  version: "1"
  source: https://example.org/hostile
controls:
  - id: HOST-1
    title: {control}
    reference: {reference}
    requirement: {requirement}
    applies_to:
      subject: system
    checks:
      - check: owner_assigned
    severity: high
    mode: automated
    rationale: {rationale}
"""


def hostile_catalog(path: Path, fields: Fields, framework: str | None = None) -> Path:
    values = {
        key: json.dumps(fields("catalog", key))
        for key in ("title", "control", "reference", "requirement", "rationale")
    }
    # The framework names a folder of the site: kept short here (B16 is tested apart).
    values["framework"] = json.dumps(framework or fields("catalog", "framework")[:60])
    path.write_text(CATALOG.format(**values))
    return path


def hostile_config(path: Path, fields: Fields) -> Path:
    path.write_text("organisation: " + json.dumps(fields("config", "organisation")) + "\n")
    return path


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [os.environ.get("PYTHONPATH", ""), str(REPO / "src")])
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "mldossier.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


class Hostile:
    """The hostile evidence, its build and what was put where."""

    def __init__(self, root: Path):
        self.fields = Fields()
        self.evidence = hostile_evidence(root / "evidence", self.fields)
        self.catalog = hostile_catalog(root / "hostile-catalog.yaml", self.fields)
        self.config = hostile_config(root / "mldossier.yaml", self.fields)
        self.site = root / "site"
        self.done = cli(
            "--config",
            str(self.config),
            "build",
            "--evidence",
            str(self.evidence),
            "--out",
            str(self.site),
            "--controls",
            str(REPO / "controls" / "eu-ai-act.yaml"),
            "--controls",
            str(self.catalog),
        )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    built = Hostile(tmp_path_factory.mktemp("injection"))
    assert built.done.returncode in (0, 1), built.done.stderr[-3000:]
    assert "Traceback" not in built.done.stderr
    return built


# ---------------------------------------------------------------- reading the site


class Page(HTMLParser):
    """Every element with its attributes, script bodies, style bodies and text of a page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.texts: list[str] = []
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in ("meta", "link", "img", "br", "hr", "input"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        where = self._open[-1] if self._open else ""
        {"script": self.scripts, "style": self.styles}.get(where, self.texts).append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def site_pages(site: Path) -> dict[str, Page]:
    return {
        p.relative_to(site).as_posix(): Page(p.read_text("utf-8"))
        for p in sorted(site.rglob("*.html"))
        if not p.relative_to(site).as_posix().startswith("evidence-files/")
    }


@pytest.fixture(scope="module")
def pages(hostile: Hostile) -> dict[str, Page]:
    return site_pages(hostile.site)


URL_ATTRIBUTES = (
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "srcset",
    "background",
)


@pytest.mark.slow
def test_build_succeeds_and_the_bundle_verifies(hostile: Hostile) -> None:
    assert hostile.done.returncode in (0, 1)
    checked = cli("verify", str(hostile.site))
    assert checked.returncode == 0, checked.stdout


@pytest.mark.slow
def test_no_element_or_attribute_comes_from_the_evidence(pages: dict[str, Page]) -> None:
    assert pages
    for where, page in pages.items():
        assert not any("pwned" in s for s in page.scripts), where
        assert not any("evil.example" in s for s in page.styles), where
        for tag, attrs in page.elements:
            assert tag not in ("iframe", "object", "embed", "frame"), (where, tag)
            for name, value in attrs.items():
                # An attribute that broke out of its quotes would show up as one of these.
                assert not name.startswith("on"), (where, tag, name, value)
                assert not (tag == "img" and name == "src" and value == "x"), where
                if name in URL_ATTRIBUTES or name == "style":
                    flat = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
                    assert not flat.startswith(("javascript:", "vbscript:", "data:text/html")), (
                        where,
                        tag,
                        name,
                        value,
                    )
                    assert "evil.example" not in flat, (where, tag, name, value)


@pytest.mark.slow
def test_every_kind_of_input_shows_its_payload_as_text(
    hostile: Hostile, pages: dict[str, Page]
) -> None:
    text = "\n".join(page.text for page in pages.values())
    for kind, tags in hostile.fields.by_kind.items():
        if kind == "collection-log":
            continue  # a collection log yields no records; it is offered as a raw file
        shown = [t for t in tags if f"{t}:" in text]
        assert shown, f"no {kind} field is shown on the site"
        for tag in shown:
            # The template syntax right after the tag is shown as written, never evaluated.
            assert f"{tag}:{JINJA}:" in text or f"{tag}:{JINJA}" in text, (kind, tag)
            assert f"{tag}:49:" not in text, (kind, tag)
    for payload in (SCRIPT, IMG, SVG, IFRAME, JS_LINK, JINJA_BLOCK, "**bold**", ENTITY):
        assert payload in text, payload


@pytest.mark.slow
def test_template_syntax_is_never_evaluated_anywhere(hostile: Hostile) -> None:
    for path in sorted(hostile.site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".txt"):
            raw = path.read_text("utf-8", errors="replace")
            for tag in hostile.fields.tags:
                assert f"{tag}:49:" not in raw, (path, tag)


@pytest.mark.slow
def test_the_search_index_holds_text_only(hostile: Hostile) -> None:
    index = (hostile.site / "search" / "search_index.json").read_text("utf-8")
    assert "pwned" in index
    for raw in ("<script", "<img", "<svg", "<iframe", 'onerror="', "<style"):
        assert raw not in index, raw


@pytest.mark.slow
def test_long_lines_are_kept_whole(hostile: Hostile, pages: dict[str, Page]) -> None:
    assert any(LONG in page.text for page in pages.values())


@pytest.mark.slow
def test_active_attachments_are_served_as_text(hostile: Hostile) -> None:
    files = hostile.site / "evidence-files" / "signoffs" / "attachments"
    assert not (files / "evil.html").exists() and not (files / "evil.svg").exists()
    assert (files / "evil.html.txt").read_text().startswith("<html><body><script>")
    assert (files / "evil.svg.txt").is_file()
    assert (files / f"note {IMG}.md").is_file()


# ---------------------------------------------------------------- the PDF


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.slow
def test_the_pdf_shows_the_payloads_as_text(hostile: Hostile) -> None:
    text = pdf_text(hostile.site / "report.pdf")
    flat = " ".join(text.split())
    for payload in (SCRIPT, JINJA, "[click](javascript:window.__pwned=1)", "**bold**"):
        assert payload in flat, payload
    for tag in hostile.fields.tags:
        assert f"{tag}:49:" not in flat, tag
    shown = {
        kind
        for kind, tags in hostile.fields.by_kind.items()
        if any(f"{t}:{JINJA}:" in flat for t in tags)
    }
    assert {"mlflow", "signoff", "catalog", "config"} <= shown, shown


@pytest.mark.slow
def test_weasyprint_fetches_nothing_outside_its_templates(hostile: Hostile) -> None:
    from mldossier import pipeline
    from mldossier.bundle import build
    from mldossier.config import load_config
    from mldossier.render.pdf import PDF_TEMPLATES, AssetFetcher, render_pdf

    config = load_config(hostile.config)
    analysis = pipeline.analyse(
        config, hostile.evidence, [REPO / "controls" / "eu-ai-act.yaml", hostile.catalog]
    )
    dossier = build.make_dossier(analysis)
    fetcher = AssetFetcher()
    out = hostile.site.parent / "fetch-check.pdf"
    render_pdf(
        dossier,
        out,
        report_id=analysis.report_id,
        attachments={"results.json": b"{}"},
        fetcher=fetcher,
    )
    assert fetcher.requested, "the stylesheet at least is fetched"
    templates = (PDF_TEMPLATES.as_uri(), PDF_TEMPLATES.resolve().as_uri())
    for url in fetcher.served:
        assert url.startswith(("data:", *templates)), url
    assert not any("evil.example" in url or url.startswith("http") for url in fetcher.requested), (
        fetcher.requested
    )


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def served(hostile: Hostile, serve: Callable[[Path], str]) -> str:
    return serve(hostile.site)


@pytest.mark.slow
def test_no_script_runs_and_nothing_leaves_localhost(
    hostile: Hostile, pages: dict[str, Page], served: str, browser: Any
) -> None:
    context = browser.new_context()
    outside: list[str] = []
    dialogs: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            outside.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Every page that shows a payload, plus the raw copies of the active attachments.
    visited = [where for where, p in pages.items() if "pwned" in p.text]
    assert visited
    visited += [
        "evidence-files/signoffs/attachments/evil.html.txt",
        "evidence-files/signoffs/attachments/evil.svg.txt",
    ]
    for where in visited:
        page.goto(served + where, wait_until="load")
        assert page.evaluate("() => window.__pwned") is None, where
    # The payload is in the live page as text (no script turned it back into markup).
    page.goto(served + "systems/breast-cancer-classifier/index.html", wait_until="load")
    assert SCRIPT in page.inner_text("body")
    assert page.locator("script:has-text('pwned')").count() == 0
    # Search the site for the payload: the results are built in the page from the index.
    page.goto(served + "index.html", wait_until="load")
    search = page.locator("input.md-search__input")
    search.click()
    # Until its worker has built the index, the search drops queries ("Initializing search").
    page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && m.innerText.trim() && !/initializing/i.test(m.innerText); }",
        timeout=15_000,
    )
    search.press_sequentially("heading")  # it listens to key events, not to input
    # ("heading" comes from the payload's "# heading": results show evidence text.)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    assert page.locator(".md-search-result__item").count() > 0
    page.wait_for_timeout(500)  # let any onerror= an image in the results might carry fire
    assert page.evaluate("() => window.__pwned") is None
    assert outside == []
    assert dialogs == []
    context.close()


# ---------------------------------------------------------------- NaN and broken Unicode


def _strict_json(text: str, where: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"{where} holds {token}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.slow
def test_outputs_never_hold_bare_nan_or_infinity(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        (evidence / "mlflow").mkdir(parents=True, exist_ok=True)
        shutil.copy(REST / name, evidence / "mlflow" / name)
    run = json.loads((REST / "runs_get__da3a687298b540b5bda2d5c88308f3e1.json").read_text())
    metrics = run["run"]["data"]["metrics"]
    metrics[0]["value"], metrics[1]["value"] = float("nan"), float("inf")
    metrics[2]["value"] = float("-inf")
    (evidence / "mlflow" / "run.json").write_text(json.dumps(run))
    snapshot = json.loads(
        (SAMPLES / "evidently" / "data_drift_report.full_snapshot.json").read_text()
    )
    snapshot["metadata"] = {"model": "breast-cancer-classifier", "model_version": "2"}
    values = iter([float("nan"), float("inf"), float("-inf")])
    for entry in snapshot["metric_results"].values():
        if isinstance(entry.get("value"), float):
            entry["value"] = next(values, float("nan"))
    (evidence / "monitoring").mkdir()
    (evidence / "monitoring" / "drift.json").write_text(json.dumps(snapshot))
    assert "NaN" in (evidence / "monitoring" / "drift.json").read_text()
    site = tmp_path / "site"
    done = cli("build", "--evidence", str(evidence), "--out", str(site))
    assert done.returncode == 0, done.stderr[-2000:]
    checked = cli(
        "check",
        "--evidence",
        str(evidence),
        "--json",
        str(tmp_path / "r.json"),
        "--oscal",
        str(tmp_path / "oscal.json"),
        "--junit",
        str(tmp_path / "j.xml"),
    )
    assert checked.returncode in (0, 1), checked.stderr[-2000:]
    outputs = [
        site / "results.json",
        site / "manifest.json",
        site / "manifest.intoto.json",
        site / "search" / "search_index.json",
        tmp_path / "r.json",
        tmp_path / "oscal.json",
    ]
    outputs += sorted(p for p in site.rglob("*.json") if "evidence-files" not in p.parts)
    for path in outputs:
        _strict_json(path.read_text("utf-8"), str(path))
    # The results JSON embedded in the PDF is the same strict JSON.
    detached = tmp_path / "detached"
    detached.mkdir()
    subprocess.run(
        ["pdfdetach", "-saveall", "-o", str(detached), str(site / "report.pdf")],
        check=True,
        capture_output=True,
    )
    embedded = sorted(detached.glob("*.json"))
    assert embedded, "report.pdf has no JSON attachment"
    for path in embedded:
        _strict_json(path.read_text("utf-8"), f"report.pdf:{path.name}")


def test_an_unpaired_surrogate_is_refused_before_it_reaches_an_output(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "mlflow").mkdir(parents=True)
    shutil.copy(
        REST / "registered_models_get__breast-cancer-classifier.json",
        evidence / "mlflow" / "model.json",
    )
    (evidence / "signoffs").mkdir()
    (evidence / "signoffs" / "risk.json").write_text(
        '{"mldossier": "signoff/v1", "id": "RA-1", "kind": "risk_assessment", '
        '"title": "half a pair \\ud800 here", "subject": {"system": '
        '"breast-cancer-classifier"}, "statement": "s", "signed_by": "a", "role": "r", '
        '"date": "2026-10-01"}'
    )
    done = cli("build", "--evidence", str(evidence), "--out", str(tmp_path / "site"))
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 2, done.stderr
    assert (
        "signoffs/risk.json:/title: text holds an unpaired UTF-16 surrogate, which is "
        "not a character"
    ) in done.stderr


def test_long_names_do_not_make_file_names_too_long(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "mlflow").mkdir(parents=True)
    shutil.copy(
        REST / "registered_models_get__breast-cancer-classifier.json",
        evidence / "mlflow" / "model.json",
    )
    _dump(
        evidence / "mlflow" / "long.json",
        {"registered_model": {"name": "system " + "n" * 300, "creation_timestamp": 1795774055426}},
    )
    catalog = hostile_catalog(tmp_path / "catalog.yaml", Fields(), framework="F" * 300)
    done = cli(
        "build",
        "--no-pdf",
        "--evidence",
        str(evidence),
        "--out",
        str(tmp_path / "site"),
        "--controls",
        str(catalog),
    )
    assert "internal error" not in done.stderr, done.stderr[-500:]
    assert done.returncode in (0, 1), done.stderr[-500:]
