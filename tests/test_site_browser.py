"""The built site in a real browser: Debian's headless Chromium, driven by Playwright.

The site is served by ``http.server`` on 127.0.0.1, as an auditor would; every request the
pages make is recorded (and anything not on 127.0.0.1 is blocked and reported). These tests
skip only on a developer machine without Chromium or Playwright; with ``CI`` set they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from test_site import (
    HOSTILE_DESCRIPTION,
    HOSTILE_FILE,
    HOSTILE_SLUG,
    SCRIPT,
    Built,
    analysed,
    build_site,
    hostile_evidence,
    sample_evidence,
)

from mldossier.config import load_config

pytestmark = pytest.mark.slow  # a real browser over built sites

REPO = Path(__file__).resolve().parents[1]
DEMO_EVIDENCE = REPO / "evidence"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The demo site: the bundled demo evidence when it is there, else the real samples."""
    if DEMO_EVIDENCE.is_dir() and any(p.is_file() for p in DEMO_EVIDENCE.rglob("*")):
        evidence, config = DEMO_EVIDENCE, load_config(REPO / "mldossier.yaml")
    else:
        evidence, config = sample_evidence(tmp_path_factory.mktemp("evidence")), None
    analysis, dossier = analysed(evidence, config)
    out = tmp_path_factory.mktemp("browser") / "demo"
    return Built(analysis, dossier, evidence, out, build_site(analysis, dossier, out))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Built:
    evidence = hostile_evidence(tmp_path_factory.mktemp("hostile"))
    analysis, dossier = analysed(evidence)
    out = tmp_path_factory.mktemp("browser") / "hostile"
    return Built(analysis, dossier, evidence, out, build_site(analysis, dossier, out))


@pytest.fixture(scope="session")
def demo_url(demo: Built, serve: Any) -> str:
    return serve(demo.site)


@pytest.fixture(scope="session")
def hostile_url(hostile: Built, serve: Any) -> str:
    return serve(hostile.site)


class Tab:
    """A fresh browser context and page that record requests and console errors."""

    def __init__(self, browser: Any):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname != "127.0.0.1":
            self.blocked.append(url)
            route.abort()
        else:
            route.continue_()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def open(self, url: str) -> Any:
        response = self.page.goto(url, wait_until="load")
        assert response is None or response.ok, f"{url}: HTTP {response.status}"
        return response

    def pwned(self) -> Any:
        return self.page.evaluate("() => window.__pwned")

    def assert_clean(self) -> None:
        """No console error, and no request to anything but 127.0.0.1 (or the disk)."""
        assert self.errors == []
        assert self.blocked == []
        for url in self.requests:
            parts = urlsplit(url)
            assert parts.scheme == "file" or parts.hostname == "127.0.0.1", url

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.close()


def search(tab: Tab, text: str) -> list[dict[str, str]]:
    """Type into mkdocs-material's search box; the results (title, link) it shows."""
    box = tab.page.locator("input.md-search__input")
    box.click()
    # Until its worker has built the index, the search drops queries ("Initializing search").
    tab.page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && m.innerText.trim() && !/initializing/i.test(m.innerText); }",
        timeout=15_000,
    )
    # The search listens to key events, not to input: type it.
    box.press_sequentially(text)
    tab.page.wait_for_selector(".md-search-result__item", timeout=15_000)
    return tab.page.eval_on_selector_all(
        ".md-search-result__item a", "links => links.map(a => ({href: a.href, text: a.innerText}))"
    )


# ---------------------------------------------------------------- the demo site


def test_overview_shows_the_real_counts(tab: Tab, demo: Built, demo_url: str) -> None:
    tab.open(demo_url)
    tables = tab.page.evaluate("""() => Object.fromEntries(
        ['framework-counts', 'control-counts'].map(id => [id, Object.fromEntries(
            [...document.querySelectorAll(`#${id} tr[data-framework]`)].map(row => [
                row.dataset.framework, Object.fromEntries([...row.querySelectorAll(
                    'td[data-status]')].map(td => [td.dataset.status,
                                                   Number(td.innerText)]))]))]))""")
    dossier = demo.dossier
    from mldossier.render.site.pages import STATUS_CLASS, STATUS_COLUMNS

    assert tables["framework-counts"] == {
        f: {STATUS_CLASS[s]: n for s, n in dossier.framework_counts[f].items()}
        for f in dossier.frameworks
    }
    assert tables["control-counts"] == {
        f: {
            STATUS_CLASS[s]: [v.status for v in dossier.controls[f]].count(s)
            for s in STATUS_COLUMNS
        }
        for f in dossier.frameworks
    }
    assert tab.page.locator("h1").inner_text().startswith(dossier.organisation)
    tab.assert_clean()


def test_system_page_shows_its_lineage_diagram(tab: Tab, demo: Built, demo_url: str) -> None:
    drawn = [s for s in demo.dossier.systems if s.diagram_svg]
    assert drawn, "no system has a lineage diagram"
    for system in drawn[:3]:
        tab.open(f"{demo_url}systems/{system.slug}/")
        image = tab.page.locator("#lineage-diagram")
        image.scroll_into_view_if_needed()
        assert tab.page.evaluate(
            "() => { const i = document.querySelector('#lineage-diagram');"
            " return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; }"
        )
        box = image.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 10
        assert tab.page.locator("h1").inner_text().startswith(system.model.name)
    tab.assert_clean()


def test_search_finds_a_control_by_its_reference(tab: Tab, demo_url: str) -> None:
    tab.open(demo_url)
    results = search(tab, "CC8.1")
    target = f"{demo_url}controls/soc-2/soc2-cc8-1/index.html"
    assert target in [urldefrag(r["href"])[0].split("?")[0] for r in results]
    tab.page.locator(".md-search-result__item a").first.click()
    tab.page.wait_for_load_state("load")
    assert "CC8.1" in tab.page.locator("h1").inner_text()
    tab.assert_clean()


def test_every_page_is_reachable_and_every_link_resolves(
    tab: Tab, demo: Built, demo_url: str
) -> None:
    pending, seen_pages, checked = [demo_url + "index.html"], set(), set()
    broken = []
    collect = """() => [...document.querySelectorAll('a[href], link[href], img[src], script[src]')]
        .map(e => e.href || e.src)"""
    while pending:
        url = pending.pop()
        if url in seen_pages:
            continue
        seen_pages.add(url)
        tab.open(url)
        for found in tab.page.evaluate(collect):
            target = urldefrag(found)[0]
            if not target.startswith(demo_url):
                assert urlsplit(target).scheme not in ("http", "https"), f"{url} -> {found}"
                continue
            if target.endswith((".html", "/")):
                pending.append(target + ("index.html" if target.endswith("/") else ""))
            elif target not in checked:
                checked.add(target)
                response = tab.context.request.get(target)
                if not response.ok:
                    broken.append(f"{url} -> {target}: HTTP {response.status}")
    assert broken == []
    built = {
        demo_url + p.relative_to(demo.site).as_posix()
        for p in demo.site.rglob("*.html")
        if p.name != "404.html"
    }
    assert built - seen_pages == set()
    tab.assert_clean()


def test_search_works_from_disk(tab: Tab, demo: Built) -> None:
    tab.open((demo.site / "index.html").as_uri())
    results = search(tab, "CC8.1")
    assert any("controls/soc-2/soc2-cc8-1/index.html" in r["href"] for r in results)
    tab.page.locator(".md-search-result__item a").first.click()
    tab.page.wait_for_load_state("load")
    assert "CC8.1" in tab.page.locator("h1").inner_text()
    tab.assert_clean()


# ---------------------------------------------------------------- hostile evidence


def test_hostile_evidence_runs_no_script(tab: Tab, hostile: Built, hostile_url: str) -> None:
    tab.open(f"{hostile_url}systems/{HOSTILE_SLUG}/")
    assert tab.pwned() is None
    description = tab.page.locator("#description").inner_text()
    assert description == HOSTILE_DESCRIPTION
    assert "49" not in description
    assert tab.page.locator("h1").inner_text().startswith("hostile<script>")
    assert tab.page.title().startswith("hostile<script>window.__pwned=1</script> - ")
    facts = tab.page.locator("#facts").inner_text()
    assert '<img src=x onerror="window.__pwned=1">' in facts
    assert "[x](javascript:window.__pwned=1) {{ 7*7 }}" in facts
    assert tab.page.locator("#facts a[href^='javascript']").count() == 0
    for path in (
        "",
        "systems/",
        "findings/",
        "evidence/",
        "unlinked/",
        "controls/eu-ai-act/euaia-6/",
    ):
        tab.open(hostile_url + path)
        assert tab.pwned() is None, path
    # The results show the system's name (and the text around a hit) as text.
    results = search(tab, "hostile")
    assert any("hostile<script>window.__pwned=1</script>" in r["text"] for r in results)
    assert tab.pwned() is None
    tab.assert_clean()


def test_raw_evidence_copies_do_not_run(tab: Tab, hostile_url: str) -> None:
    response = tab.open(f"{hostile_url}evidence-files/signoffs/attachments/evil.html.txt")
    assert response.headers["content-type"].startswith("text/plain")
    assert SCRIPT in tab.page.locator("body").inner_text()
    assert tab.pwned() is None
    response = tab.context.request.get(
        hostile_url
        + "evidence-files/"
        + HOSTILE_FILE.replace(" ", "%20")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace('"', "%22")
    )
    assert response.ok and b"mldossier: signoff/v1" in response.body()
    tab.assert_clean()
