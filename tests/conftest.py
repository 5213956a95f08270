"""Shared fixtures: the real sample exports in tests/reference/samples, the demo evidence and
the hostile corpus (generated from the samples by tests/hostile/make_corpus.py)."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "reference"
"""Copies of the shared reference material (see its README), so a clone alone runs the tests."""
SAMPLES = REFERENCE / "samples"
REGULATION = REFERENCE / "regulation.md"
SHARED = REPO.parent / "shared"
"""The originals, beside the checkout when they are there."""
DEMO_EVIDENCE = REPO / "evidence"
EVALUATION_DATE = "2026-12-02"
"""The tests' evaluation date: without one it would be today, and the pinned ages would drift."""
os.environ.setdefault("SOURCE_DATE_EPOCH", "1796169600")  # 2026-12-02T00:00:00Z
# The build cache keeps its key in $XDG_STATE_HOME/mldossier: the tests' builds use a
# folder of their own, never the user's real state folder (test_cache.py sets its own).
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="mldossier-test-state-")
HOSTILE = REPO / "tests" / "hostile"
"""The hostile corpus's generator, expected outcomes and README (the corpus itself is made)."""


@pytest.fixture(scope="session")
def samples() -> Path:
    """The folder of real exports written by MLflow, OpenLineage and Evidently."""
    assert SAMPLES.is_dir(), f"the real sample exports are expected at {SAMPLES}"
    return SAMPLES


# ---------------------------------------------------------------- the hostile corpus


@functools.cache
def hostile_generator() -> Any:
    """``tests/hostile/make_corpus.py``, imported (it is not a package module)."""
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_hostile_corpus() -> dict[str, bytes]:
    """Every hostile corpus file, path (``syntax/empty.json``) to bytes, made in memory.

    The generator is deterministic: the same bytes in every run (301 files, 67 MB, in about
    0.5 s). The corpus is not committed.
    """
    return dict(hostile_generator().corpus().files)


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile corpus, generated once per session into a temporary folder (its root)."""
    root = tmp_path_factory.mktemp("hostile-corpus")
    hostile_generator().corpus().write(root)
    return root


# ---------------------------------------------------------------- headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (make system-deps installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return ""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright; in CI a missing browser fails, never skips."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve a folder on 127.0.0.1 (a free port) with http.server; returns its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(root: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
