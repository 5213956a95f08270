"""``mldossier collect mlflow``: a real ``mlflow server``, and small local servers for failures.

The integration test starts MLflow 3.17.2's own tracking server (a test dependency) on a
sqlite store, registers models with MLflow's own client, collects and reads the collection
back. The other tests answer from the real REST bodies in tests/reference/samples/mlflow, or fail
on purpose (401, 404, a server that stops, one that is too slow), and pin the messages.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import click
import pytest
from click.testing import CliRunner, Result
from conftest import SAMPLES
from factories import COLLECTION_OWN_FIX as OWN_FIX
from factories import COLLECTION_REPLACE_FIX as REPLACE_FIX
from factories import GAPS_CATALOG, read_collection

from mldossier.cli import main
from mldossier.cli.collect import collect
from mldossier.cli.common import Context
from mldossier.collect import LOG_NAME, safe_name
from mldossier.collect.http import HttpClient, HttpSettings
from mldossier.collect.progress import Progress
from mldossier.intake.ignore import IgnoreRules

REST = SAMPLES / "mlflow" / "rest"
MODEL_ARTIFACTS = SAMPLES / "mlflow" / "model_artifacts"
API = "/api/2.0/mlflow"

ENV_NAMES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials or proxies from the machine running the tests."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


# ---------------------------------------------------------------- helpers


def cli() -> click.Group:
    """A stand-in for the main group: sets the shared Context, holds ``collect``."""

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = Context(None, False)

    root.add_command(collect)
    return root


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``mldossier collect ...`` in-process."""
    return CliRunner().invoke(cli(), ["collect", *args], env=env)


def old_collection(out: Path) -> bytes:
    """An earlier collection in ``out``, to prove a failure leaves it alone."""
    out.mkdir(parents=True)
    content = b'{"registered_models": []}\n'
    (out / "old.json").write_bytes(content)
    log = {"mldossier": "collection-log/v1", "calls": [{"file": "old.json"}]}
    (out / LOG_NAME).write_text(json.dumps(log))
    return content


def assert_untouched(out: Path, content: bytes) -> None:
    assert sorted(p.name for p in out.iterdir()) == [LOG_NAME, "old.json"]
    assert (out / "old.json").read_bytes() == content
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


Answer = tuple[int, dict[str, str], bytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    answer: Callable[[BaseHTTPRequestHandler], Answer | None]
    requests: list[tuple[str, str, dict[str, str]]]
    bodies: list[bytes]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A handler still sleeping when its client gave up writes to a closed socket; its
        # traceback would land in whichever test's stderr is being captured at that moment.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        answer = self.server.answer(self)
        if answer is None:
            self.close_connection = True
            return
        status, headers, body = answer
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


@contextmanager
def local_server(
    answer: Callable[[BaseHTTPRequestHandler], Answer | None],
) -> Iterator[tuple[str, _Server]]:
    """A server on 127.0.0.1 answering with ``answer`` (None: drop the connection)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.answer = answer
    server.requests = []
    server.bodies = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


def replay(handler: BaseHTTPRequestHandler) -> Answer:
    """Answer like the MLflow 3.17.2 server that wrote the sample bodies."""
    url = urlsplit(handler.path)
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    path = url.path
    files = {
        f"{API}/registered-models/search": "registered_models_search.json",
        f"{API}/model-versions/search": "model_versions_search.json",
        f"{API}/experiments/search": "experiments_search.json",
        f"{API}/registered-models/get": f"registered_models_get__{q.get('name')}.json",
        f"{API}/model-versions/get": f"model_versions_get__{q.get('name')}__v{q.get('version')}.json",
        f"{API}/runs/get": f"runs_get__{q.get('run_id')}.json",
    }
    if path in files:
        file = REST / files[path]
    elif path.startswith("/ajax-api/2.0/mlflow/logged-models/"):
        model_id = path.split("/")[5]
        file = MODEL_ARTIFACTS / model_id / q.get("artifact_file_path", "")
    elif path.startswith(f"{API}/logged-models/"):
        file = REST / f"logged_models_get__{path.rsplit('/', 1)[1]}.json"
    else:
        file = None
    if file is None or not file.is_file():
        return 404, {}, (REST / "error_registered_models_get_missing.json").read_bytes()
    kind = "text/plain" if file.name == "MLmodel" else "application/json"
    return 200, {"Content-Type": kind}, file.read_bytes()


def fast(*args: str) -> list[str]:
    """Options that keep failure tests quick."""
    return ["--timeout", "0.5", "--max-tries", "2", "--backoff", "0", *args]


# ---------------------------------------------------------------- replayed real bodies


def test_collects_the_real_bodies_byte_for_byte_and_they_validate(tmp_path: Path) -> None:
    out = tmp_path / "evidence" / "mlflow"
    with local_server(replay) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Collected 3 registered model(s), 7 version(s) (3 in production), 7 logged model(s), "
        "7 run(s), 3 experiment(s) and 3 MLmodel file(s) in 30 calls into "
        f"{out} (see collection-log.json)\n"
    )
    assert result.stderr == ""

    # Every body is stored exactly as the server sent it.
    for name in [
        "registered_models_search_page1.json",
        "model_versions_search_page1.json",
        "experiments_search_page1.json",
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
        "runs_get__da3a687298b540b5bda2d5c88308f3e1.json",
        "logged_models_get__m-d2b056cd5d8b4103a43cc372e1e28fb1.json",
    ]:
        sample = name.replace("_page1", "")
        assert (out / name).read_bytes() == (REST / sample).read_bytes(), name
    for model_id in [
        "m-d2b056cd5d8b4103a43cc372e1e28fb1",
        "m-8199f4b839354685864eef747939cb1e",
        "m-c339a42f76334fdd9271d79d6325b7cc",
    ]:
        assert (out / "artifacts" / model_id / "MLmodel").read_bytes() == (
            MODEL_ARTIFACTS / model_id / "MLmodel"
        ).read_bytes()
    assert sorted(p.name for p in (out / "artifacts").iterdir()) == [
        "m-8199f4b839354685864eef747939cb1e",
        "m-c339a42f76334fdd9271d79d6325b7cc",
        "m-d2b056cd5d8b4103a43cc372e1e28fb1",
    ]

    # max_results is always sent explicitly; experiments include deleted ones.
    paths = [path for _, path, _ in server.requests]
    assert paths[0] == f"{API}/registered-models/search?max_results=100"
    assert paths[1] == f"{API}/model-versions/search?max_results=100"
    assert f"{API}/experiments/search?view_type=ALL&max_results=100" in paths
    assert (
        "/ajax-api/2.0/mlflow/logged-models/m-d2b056cd5d8b4103a43cc372e1e28fb1/artifacts/"
        "files?artifact_file_path=MLmodel"
    ) in paths

    evidence = read_collection(out)
    assert [m.name for m in evidence.registered_models] == [
        "breast-cancer-classifier",
        "diabetes-progression-regressor",
        "wine-cultivar-classifier",
    ]
    assert len(evidence.model_versions) == 7
    assert {s.model_id for s in evidence.signatures} == {
        "m-d2b056cd5d8b4103a43cc372e1e28fb1",
        "m-8199f4b839354685864eef747939cb1e",
        "m-c339a42f76334fdd9271d79d6325b7cc",
    }


def test_the_request_log_records_every_call(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    with local_server(replay) as (url, _):
        assert run("mlflow", "--tracking-uri", url, "--out", str(out)).exit_code == 0
    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert log["mldossier"] == "collection-log/v1"
    assert log["collector"] == "mlflow"
    assert log["source"] == url
    assert log["settings"] == {
        "page_size": 100,
        "production_stages": ["Production"],
        "production_aliases": ["champion"],
        "timeout_seconds": 30.0,
        "total_timeout_seconds": 300.0,
        "max_pages": 1000,
        "max_response_bytes": 64 * 1024 * 1024,
        "max_tries": 5,
        "tls_verify": True,
        "auth": "none",
    }
    assert log["counts"]["calls"] == len(log["calls"]) == 30
    first = log["calls"][0]
    assert first["method"] == "GET"
    assert first["url"] == f"{url}{API}/registered-models/search?max_results=100"
    assert first["redirected_from"] == []
    assert first["query"] == {"max_results": "100"}
    assert first["status"] == 200 and first["tries"] == 1
    assert first["retrieved"].endswith("Z") and first["retrieved"] >= log["started"]
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files - {LOG_NAME} == {call["file"] for call in log["calls"]}
    for call in log["calls"]:
        body = (out / call["file"]).read_bytes()
        assert call["sha256"] == hashlib.sha256(body).hexdigest()
        assert call["size"] == len(body)


def test_production_is_what_the_options_say(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    with local_server(replay) as (url, _):
        result = run(
            "mlflow",
            "--tracking-uri",
            url,
            "--out",
            str(out),
            "--production-stage",
            "Staging",
            "--production-alias",
            "baseline",
        )
    assert result.exit_code == 0, result.output
    # Staging: breast-cancer v3, wine v1; alias baseline: diabetes v1.
    assert sorted(p.name for p in (out / "artifacts").iterdir()) == [
        "m-5035713fd72c412cabc8ab8ceef51d10",
        "m-c339a42f76334fdd9271d79d6325b7cc",
        "m-dc54fa26f1a84161a1ea7cd15ca9ac1a",
    ]


def test_retries_429_and_503_respecting_retry_after(tmp_path: Path) -> None:
    failures = iter([(429, {"Retry-After": "0"}), (503, {})])

    def flaky(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(f"{API}/registered-models/search"):
            status_headers = next(failures, None)
            if status_headers is not None:
                return status_headers[0], status_headers[1], b'{"error_code": "TEMPORARILY"}'
        return replay(handler)

    out = tmp_path / "mlflow"
    with local_server(flaky) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out), "--backoff", "0")
    assert result.exit_code == 0, result.output
    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert log["calls"][0]["tries"] == 3
    read_collection(out)


def test_a_new_collection_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    old_collection(out)
    with local_server(replay) as (url, _):
        assert run("mlflow", "--tracking-uri", url, "--out", str(out)).exit_code == 0
    assert not (out / "old.json").exists()
    assert (out / LOG_NAME).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["mlflow"]


# ---------------------------------------------------------------- failures


def test_401_names_the_url_and_the_variables(tmp_path: Path) -> None:
    def unauthorized(handler: BaseHTTPRequestHandler) -> Answer:
        return (
            401,
            {"WWW-Authenticate": 'Basic realm="mlflow"', "Content-Type": "text/plain"},
            (
                b"You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/"
                b"index.html#authenticating-to-mlflow on how to authenticate."
            ),
        )

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(unauthorized) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
        assert result.exit_code == 2
        assert result.stderr == (
            f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> "
            "401 Unauthorized (set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)\n"
        )
        assert "Authorization" not in server.requests[0][2]
        assert len(server.requests) == 1  # a 401 is not retried
        assert_untouched(out, content)

        result = run(
            "mlflow",
            "--tracking-uri",
            url,
            "--out",
            str(out),
            env={"MLFLOW_TRACKING_TOKEN": "s3cret"},
        )
        assert result.exit_code == 2
        assert result.stderr.endswith(
            "-> 401 Unauthorized (the server refused the credentials in MLFLOW_TRACKING_TOKEN; "
            "check them)\n"
        )
        assert server.requests[-1][2]["Authorization"] == "Bearer s3cret"

        result = run(
            "mlflow",
            "--tracking-uri",
            url,
            "--out",
            str(out),
            env={
                "MLFLOW_TRACKING_USERNAME": "alice",
                "MLFLOW_TRACKING_PASSWORD": "pw",
                "MLFLOW_TRACKING_TOKEN": "ignored",
            },
        )
        assert result.stderr.endswith(
            "(the server refused the credentials in MLFLOW_TRACKING_USERNAME/PASSWORD; "
            "check them)\n"
        )
        assert server.requests[-1][2]["Authorization"] == (
            "Basic " + base64.b64encode(b"alice:pw").decode()
        )
    assert "s3cret" not in result.output
    assert_untouched(out, content)


def test_403_says_what_is_missing(tmp_path: Path) -> None:
    def forbidden(handler: BaseHTTPRequestHandler) -> Answer:
        return 403, {}, b'{"error_code": "PERMISSION_DENIED", "message": "Permission denied"}'

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(forbidden) as (url, _):
        result = run(
            "mlflow", "--tracking-uri", url, "--out", str(out), env={"MLFLOW_TRACKING_TOKEN": "t"}
        )
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> 403 Forbidden: "
        "PERMISSION_DENIED: Permission denied (the credentials lack permission; ask for read "
        "access to the registry)\n"
    )
    assert_untouched(out, content)


def test_a_servers_message_cannot_rewrite_the_terminal_or_the_ci_log(tmp_path: Path) -> None:
    """ESC, BEL and a line feed that starts ``::error::`` in a server's message are shown
    escaped, on the one line of the error (issue 23)."""

    def hostile(handler: BaseHTTPRequestHandler) -> Answer:
        message = "denied\x1b[2J\x07\n::error::owned\r##[warning]x"
        body = json.dumps({"error_code": "PERMISSION_DENIED", "message": message})
        return 403, {}, body.encode()

    out = tmp_path / "mlflow"
    with local_server(hostile) as (url, _):
        result = run(
            "mlflow", "--tracking-uri", url, "--out", str(out), env={"MLFLOW_TRACKING_TOKEN": "t"}
        )
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> 403 Forbidden: "
        "PERMISSION_DENIED: denied\\x1b[2J\\x07\\x0a::error::owned\\x0d#\\u0023[warning]x "
        "(the credentials lack permission; ask for read access to the registry)\n"
    )


def test_404_on_the_first_call_names_the_url_and_the_servers_message(tmp_path: Path) -> None:
    # The first call is the registry itself: a 404 there is a wrong URL, not one lost object.
    def no_registry(handler: BaseHTTPRequestHandler) -> Answer:
        return 404, {}, (REST / "error_registered_models_get_missing.json").read_bytes()

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(no_registry) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> "
        "404 Not Found: RESOURCE_DOES_NOT_EXIST: Registered Model with name=does-not-exist "
        "not found (check that the URL is the MLflow server's base URL, and that the object "
        "still exists)\n"
    )
    assert len(server.requests) == 1
    assert_untouched(out, content)


PURGED_RUN = "da3a687298b540b5bda2d5c88308f3e1"
"""The run of breast-cancer-classifier@2 (in production) in the replayed bodies."""
BROKEN_MODEL = "m-8199f4b839354685864eef747939cb1e"
"""A production version's logged model whose MLmodel the replayed server cannot read."""


def dangling(handler: BaseHTTPRequestHandler) -> Answer:
    """The replayed server after ``mlflow gc`` purged a run and an artifact store lost a file."""
    if handler.path == f"{API}/runs/get?run_id={PURGED_RUN}":
        body = {
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": f"Run with id={PURGED_RUN} not found",
        }
        return 404, {}, json.dumps(body).encode()
    if f"/logged-models/{BROKEN_MODEL}/artifacts/" in handler.path:
        body = {"error_code": "INTERNAL_ERROR", "message": "The artifact could not be read"}
        return 500, {}, json.dumps(body).encode()
    return replay(handler)


def test_a_purged_run_and_an_unreadable_mlmodel_are_unavailable_the_rest_collected(
    tmp_path: Path,
) -> None:
    out = tmp_path / "mlflow"
    with local_server(dangling) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out), *fast())
    assert result.exit_code == 0, result.output
    run_url = f"{url}{API}/runs/get?run_id={PURGED_RUN}"
    mlmodel_url = (
        f"{url}/ajax-api/2.0/mlflow/logged-models/{BROKEN_MODEL}/artifacts/files"
        "?artifact_file_path=MLmodel"
    )
    assert result.stderr == (
        f"warning: GET {run_url} -> 404 Not Found: RESOURCE_DOES_NOT_EXIST: Run with "
        f"id={PURGED_RUN} not found (run {PURGED_RUN} is unavailable; recorded in "
        "collection-log.json, the collection goes on)\n"
        f"warning: GET {mlmodel_url} -> 500 Internal Server Error: INTERNAL_ERROR: The "
        f"artifact could not be read (MLmodel models:/{BROKEN_MODEL}/MLmodel is unavailable; "
        "recorded in collection-log.json, the collection goes on)\n"
    )
    assert result.stdout == (
        "Collected 3 registered model(s), 7 version(s) (3 in production), 7 logged model(s), "
        "6 run(s), 3 experiment(s) and 2 MLmodel file(s) in 30 calls (2 unavailable) into "
        f"{out} (see collection-log.json)\n"
    )
    # A 404 is not retried; a 500 is, up to --max-tries.
    paths = [path for _, path, _ in server.requests]
    assert paths.count(f"{API}/runs/get?run_id={PURGED_RUN}") == 1
    assert sum(f"/logged-models/{BROKEN_MODEL}/artifacts/" in p for p in paths) == 2
    assert not (out / f"runs_get__{PURGED_RUN}.json").exists()
    assert not (out / "artifacts" / BROKEN_MODEL).exists()

    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert log["counts"]["unavailable"] == 2
    gaps = [c for c in log["calls"] if "unavailable" in c]
    for gap in gaps:
        assert gap.pop("retrieved").endswith("Z")
    body = json.dumps(
        {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Run with id={PURGED_RUN} not found"}
    ).encode()
    assert gaps[0] == {
        "method": "GET",
        "url": run_url,
        "redirected_from": [],
        "query": {"run_id": PURGED_RUN},
        "status": 404,
        "tries": 1,
        "content_type": "application/json",
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "file": None,
        "unavailable": {
            "object": "run",
            "id": PURGED_RUN,
            "model_versions": ["breast-cancer-classifier@2"],
            "message": f"RESOURCE_DOES_NOT_EXIST: Run with id={PURGED_RUN} not found",
        },
    }
    assert (gaps[1]["status"], gaps[1]["tries"], gaps[1]["unavailable"]) == (
        500,
        2,
        {
            "object": "mlmodel",
            "id": f"models:/{BROKEN_MODEL}/MLmodel",
            "model_versions": ["diabetes-progression-regressor@2"],
            "message": "INTERNAL_ERROR: The artifact could not be read",
        },
    )

    evidence = read_collection(out)
    assert evidence.export_errors == ()
    assert [(u.kind, u.id, u.versions, u.code) for u in evidence.unavailable] == [
        ("run", PURGED_RUN, ("breast-cancer-classifier@2",), "HTTP 404"),
        (
            "mlmodel",
            f"models:/{BROKEN_MODEL}/MLmodel",
            ("diabetes-progression-regressor@2",),
            "HTTP 500",
        ),
    ]
    assert {u.cite.pointer for u in evidence.unavailable} == {
        f"/calls/{log['calls'].index(g)}" for g in log["calls"] if "unavailable" in g
    }


def test_a_failed_search_page_is_unavailable_and_an_export_error(tmp_path: Path) -> None:
    def no_experiments(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(f"{API}/experiments/search"):
            return 400, {}, b'{"error_code": "INVALID_PARAMETER_VALUE", "message": "no"}'
        return replay(handler)

    out = tmp_path / "mlflow"
    with local_server(no_experiments) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: GET {url}{API}/experiments/search?view_type=ALL&max_results=100 -> 400 Bad "
        "Request: INVALID_PARAMETER_VALUE: no (experiments/search page 1 is unavailable; "
        "recorded in collection-log.json, the collection goes on)\n"
    )
    (gap,) = [c for c in json.loads((out / LOG_NAME).read_text())["calls"] if c["status"] != 200]
    assert gap["unavailable"] == {
        "object": "search_page",
        "id": "experiments/search page 1",
        "model_versions": [],
        "message": "INVALID_PARAMETER_VALUE: no",
    }
    # What the page would have held is unknown: not a gap of known versions, a failed call.
    evidence = read_collection(out)
    assert evidence.unavailable == ()
    assert [(e.code, e.message) for e in evidence.export_errors] == [
        ("HTTP 400", f"GET {url}{API}/experiments/search?view_type=ALL&max_results=100")
    ]


def test_a_403_after_the_first_call_is_one_object_unavailable(tmp_path: Path) -> None:
    # MLflow's auth grants per experiment: a registry reader may not read one training run.
    def forbidden_run(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path == f"{API}/runs/get?run_id={PURGED_RUN}":
            return 403, {}, b'{"error_code": "PERMISSION_DENIED", "message": "Permission denied"}'
        return replay(handler)

    out = tmp_path / "mlflow"
    with local_server(forbidden_run) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: GET {url}{API}/runs/get?run_id={PURGED_RUN} -> 403 Forbidden: "
        f"PERMISSION_DENIED: Permission denied (run {PURGED_RUN} is unavailable; recorded in "
        "collection-log.json, the collection goes on)\n"
    )
    (gap,) = read_collection(out).unavailable
    assert (gap.kind, gap.code, gap.message) == (
        "run",
        "HTTP 403",
        "PERMISSION_DENIED: Permission denied",
    )


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (401, "set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD"),
        (429, "after 2 tries; the server is failing; try again later"),
        (503, "after 2 tries; the server is failing; try again later"),
    ],
)
def test_what_stops_the_collection_even_after_the_first_call(
    tmp_path: Path, status: int, fix: str
) -> None:
    # Refused credentials, rate limiting, a server down: no later call would fare better.
    def refuses_runs(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(f"{API}/runs/get"):
            return status, {}, b""
        return replay(handler)

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(refuses_runs) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out), *fast())
    assert result.exit_code == 2
    phrase = {401: "Unauthorized", 429: "Too Many Requests", 503: "Service Unavailable"}[status]
    assert result.stderr == (
        f"mldossier: GET {url}{API}/runs/get?run_id=0c420392191248f0b715bc938040629b -> "
        f"{status} {phrase} ({fix})\n"
    )
    assert_untouched(out, content)


def test_a_server_that_stops_mid_collection(tmp_path: Path) -> None:
    stopped = threading.Event()

    def stops_after_the_searches(handler: BaseHTTPRequestHandler) -> Answer | None:
        if handler.path.startswith(f"{API}/runs/get") or stopped.is_set():
            if not stopped.is_set():
                stopped.set()
                # Stop listening before this connection drops, so the retry finds no server.
                handler.server.shutdown()
                handler.server.server_close()
            return None
        return replay(handler)

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(stops_after_the_searches) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out), *fast("--max-tries", "3"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/runs/get?run_id=0c420392191248f0b715bc938040629b -> "
        "connection failed: [Errno 111] Connection refused (after 3 tries; check the URL and "
        "that the server is running and reachable)\n"
    )
    assert_untouched(out, content)


def test_a_server_slower_than_the_timeout(tmp_path: Path) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> Answer:
        time.sleep(3.0)
        return replay(handler)

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(slow) as (url, server):
        started = time.monotonic()
        result = run(
            "mlflow",
            "--tracking-uri",
            url,
            "--out",
            str(out),
            "--timeout",
            "0.2",
            "--max-tries",
            "2",
            "--backoff",
            "0",
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> no answer "
        "within 0.2 s (after 2 tries; raise --timeout, or check that the server is not "
        "overloaded)\n"
    )
    assert len(server.requests) == 2
    assert elapsed < 2.5  # gave up after 2 x 0.2 s, did not wait for the answer
    assert_untouched(out, content)


def test_5xx_after_the_last_try(tmp_path: Path) -> None:
    def failing(handler: BaseHTTPRequestHandler) -> Answer:
        return 503, {"Content-Type": "text/html"}, b"<html>upstream down</html>"

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(failing) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out), *fast())
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> 503 Service "
        "Unavailable (after 2 tries; the server is failing; try again later)\n"
    )
    assert len(server.requests) == 2
    assert_untouched(out, content)


def test_a_page_that_is_not_json(tmp_path: Path) -> None:
    def login_page(handler: BaseHTTPRequestHandler) -> Answer:
        return 200, {"Content-Type": "text/html"}, b"<!doctype html><title>Sign in</title>"

    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(login_page) as (url, _):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> 200 but the "
        "body is not JSON (it starts '<!doctype html><title>Sign in</title>'; check that the "
        "URL is the server itself, not a login page or proxy)\n"
    )
    assert_untouched(out, content)


def test_a_page_token_that_repeats(tmp_path: Path) -> None:
    def loops(handler: BaseHTTPRequestHandler) -> Answer:
        return 200, {}, b'{"registered_models": [], "next_page_token": "again"}'

    out = tmp_path / "mlflow"
    with local_server(loops) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100&page_token=again "
        "-> the server sent a next_page_token it had sent before, so paging would never end "
        "(report this to the server's maintainers; try a different --page-size)\n"
    )
    assert len(server.requests) == 2
    assert not out.exists()


def test_the_server_is_not_running(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = run("mlflow", "--tracking-uri", url, "--out", str(tmp_path / "m"), *fast())
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: GET {url}{API}/registered-models/search?max_results=100 -> connection "
        "failed: [Errno 111] Connection refused (after 2 tries; check the URL and that the "
        "server is running and reachable)\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--tracking-uri", "sqlite:///mlflow.db"],
            {},
            "mldossier: --tracking-uri 'sqlite:///mlflow.db' is not an http:// or https:// URL "
            "(collect talks to a running tracking server; start `mlflow server` on a file or "
            "database store and pass its URL)\n",
        ),
        (
            ["--tracking-uri", "http://bob:pw@127.0.0.1:1/"],
            {},
            "mldossier: --tracking-uri 'http://127.0.0.1:1/' carries a user name or password (set "
            "MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN instead: URLs end up in "
            "logs)\n",
        ),
        (
            ["--tracking-uri", "http://127.0.0.1:1"],
            {"MLFLOW_TRACKING_USERNAME": "alice"},
            "mldossier: MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not (set "
            "both for Basic authentication, or neither)\n",
        ),
        (
            ["--tracking-uri", "http://127.0.0.1:1"],
            {"MLFLOW_TRACKING_INSECURE_TLS": "maybe"},
            "mldossier: MLFLOW_TRACKING_INSECURE_TLS='maybe' is not a boolean (use true or false, "
            "as MLflow does)\n",
        ),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], env: dict[str, str], message: str) -> None:
    result = run("mlflow", *args, "--out", str(tmp_path / "m"), env=env)
    assert result.exit_code == 2
    assert result.stderr == message
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_the_current_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 23: a collection swapped in over the current folder deleted its other files.
    (tmp_path / "NOTES.txt").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    result = run("mlflow", "--tracking-uri", "http://127.0.0.1:1", "--out", ".")
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out . is the current folder {OWN_FIX}\n",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["NOTES.txt"]


def test_a_collection_is_replaced_by_the_next_into_the_same_folder(tmp_path: Path) -> None:
    # Its log names every file it wrote, so the next collection knows the folder as its own.
    out = tmp_path / "mlflow"
    with local_server(replay) as (url, _):
        assert run("mlflow", "--tracking-uri", url, "--out", str(out)).exit_code == 0
        first = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        again = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert again.exit_code == 0, again.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == first
    assert len(first) > 5


def test_out_holding_files_it_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    old_collection(out)
    (out / "sub").mkdir()
    (out / "sub" / "HEAD").write_text("mine\n")
    with local_server(replay) as (url, server):
        result = run("mlflow", "--tracking-uri", url, "--out", str(out))
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out {out} holds sub/HEAD, which its collection-log.json does not list "
        f"{REPLACE_FIX}\n",
    )
    assert server.requests == []
    assert (out / "sub" / "HEAD").read_text() == "mine\n"


def test_tracking_uri_comes_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "m"
    with local_server(replay) as (url, _):
        result = run("mlflow", "--out", str(out), env={"MLFLOW_TRACKING_URI": url})
    assert result.exit_code == 0, result.output
    assert (out / LOG_NAME).is_file()


def test_the_client_never_shows_credentials_from_a_url() -> None:
    client = HttpClient("https://bob:pw@mlflow.internal:5000/", HttpSettings())
    assert client.base_url == "https://mlflow.internal:5000"


# ---------------------------------------------------------------- names and progress


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("breast-cancer-classifier", "breast-cancer-classifier"),
        ("Kredit Prüfung (EU)", "Kredit Pr%C3%BCfung %28EU%29"),
        ("a/b\\c", "a%2Fb%5Cc"),
        (".hidden", "%2Ehidden"),
        ("trailing. ", "trailing.%20"),
        ("100%~", "100%25%7E"),
        # What evidence.ignore's defaults skip (_*, README*, *.md, *.txt, *.log) is escaped.
        ("_internal", "%5Finternal"),
        ("README", "%52EADME"),
        ("model-card.md", "model-card%2Emd"),
        ("_notes.txt", "%5Fnotes%2Etxt"),
        ("x_y.log.json", "x_y.log.json"),
    ],
)
def test_safe_names_are_readable_and_distinct(name: str, safe: str) -> None:
    assert safe_name(name) == safe
    assert unquote(safe) == name  # reversible
    assert IgnoreRules().reason(safe) is None


def test_long_names_end_in_a_hash() -> None:
    long_a, long_b = "x" * 300, "x" * 299 + "y"
    assert len(safe_name(long_a)) <= 120
    assert safe_name(long_a) != safe_name(long_b)
    assert safe_name("é" * 100).count("%") % 2 == 0  # never cut inside an escape
    assert "%C3~" not in safe_name("é" * 100)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_only() -> None:
    terminal = _Terminal()
    progress = Progress(terminal, environ={})
    progress.calls = 7
    progress.update("model versions", 3, 6)
    progress.close()
    assert terminal.getvalue() == (
        "\r\x1b[Kmodel versions         [############............] 3/6  (7 calls)\r\x1b[K"
    )
    for stream, environ in [(_Terminal(), {"CI": "true"}), (io.StringIO(), {})]:
        quiet = Progress(stream, environ=environ)
        quiet.update("model versions", 3, 6)
        quiet.close()
        assert stream.getvalue() == ""


# ---------------------------------------------------------------- a real MLflow server


MLMODEL_V2_STYLE = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.7
mlflow_version: 2.21.3
run_id: {run_id}
signature:
  inputs: '[{{"type": "double", "name": "income", "required": true}}]'
  outputs: '[{{"type": "long", "required": true}}]'
  params: null
utc_time_created: '2026-11-27 10:00:00.000000'
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _need_mlflow() -> None:
    if importlib.util.find_spec("mlflow") is None:
        if os.environ.get("CI"):
            pytest.fail("mlflow==3.17.2 is a test dependency: pip install -e '.[test]'")
        pytest.skip("mlflow is not installed (pip install -e '.[test]')")


@contextmanager
def started_mlflow_server(root: Path) -> Iterator[dict[str, Any]]:
    """``mlflow server`` on a sqlite store in ``root``, artifacts proxied into
    ``root/artifacts``; its URL, backend store URI and artifact root."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    backend = f"sqlite:///{root / 'mlflow.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend,
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
        start_new_session=True,
    )  # its own process group: the server forks a uvicorn child
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "mlflow server did not start:\n"
                    + (root / "server.log").read_text("utf-8", "replace")[-3000:]
                )
            time.sleep(0.3)
        yield {"url": url, "backend": backend, "artifacts": root / "artifacts", "env": env}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real ``mlflow server`` on a sqlite store, with a registry built by MLflow's client."""
    _need_mlflow()
    with started_mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as server:
        yield {"url": server["url"], **_register(server["url"])}


def _register(url: str, build: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """Models, versions, tags, aliases and stages, made with MLflow's own client (by
    ``build``, :func:`_build_registry` unless told)."""
    import warnings

    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(url)

    class Echo(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
        # MLflow reads predict's type hints to infer a signature, and warns about them each
        # time the class is made (also when log_model unpickles it) unless told to skip the
        # check; the signature here is given explicitly, so: no hints, and skip the check.
        _skip_type_hint_validation = True

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input

    with warnings.catch_warnings():
        # Stage transitions are deprecated since MLflow 2.9 but still work and still matter.
        warnings.simplefilter("ignore")
        try:
            build = build or _build_registry
            return build(mlflow, MlflowClient(url), Echo, infer_signature, pd)
        finally:
            mlflow.set_tracking_uri(previous)


def _build_registry(
    mlflow: Any, client: Any, echo: type, infer_signature: Any, pd: Any
) -> dict[str, Any]:
    """Two logged models, three registered models, versions, tags, aliases, stages."""
    signature = infer_signature(pd.DataFrame({"income": [1.0]}), pd.DataFrame({"y": [1]}))
    mlflow.set_experiment("collect-integration")
    logged = []
    for _ in range(2):
        with mlflow.start_run():
            mlflow.log_param("C", "1.0")
            # Given requirements: inferring them would start a subprocess per model.
            logged.append(
                mlflow.pyfunc.log_model(
                    name="model",
                    python_model=echo(),
                    signature=signature,
                    pip_requirements=["mlflow==3.17.2"],
                )
            )
    gone = client.create_experiment("abandoned")
    client.delete_experiment(gone)

    client.create_registered_model(
        "credit-scorer", tags={"owner": "risk-team", "risk_level": "high"}
    )
    for info in (logged[0], logged[1], logged[1]):
        mlflow.register_model(info.model_uri, "credit-scorer")
    client.set_model_version_tag("credit-scorer", "2", "validated", "true")
    client.set_registered_model_alias("credit-scorer", "champion", "2")
    client.set_registered_model_alias("credit-scorer", "challenger", "3")
    client.transition_model_version_stage("credit-scorer", "1", "Archived")

    name = "Kredit Prüfung (EU)"
    client.create_registered_model(name, tags={"owner": "kredit"})
    with mlflow.start_run() as legacy:
        mlflow.log_text(MLMODEL_V2_STYLE.format(run_id=legacy.info.run_id), "model/MLmodel")
    client.create_model_version(
        name, f"runs:/{legacy.info.run_id}/model", run_id=legacy.info.run_id, tags={"legacy": "yes"}
    )
    client.transition_model_version_stage(name, "1", "Production")
    mlflow.register_model(logged[0].model_uri, name)

    client.create_registered_model("churn-model")
    return {"logged": [info.model_id for info in logged], "legacy_run": legacy.info.run_id}


@pytest.mark.slow
def test_collects_a_real_mlflow_server(mlflow_server: dict[str, Any], tmp_path: Path) -> None:
    url = mlflow_server["url"]
    champion_model, legacy_run = mlflow_server["logged"][1], mlflow_server["legacy_run"]
    out = tmp_path / "evidence" / "mlflow"
    old_collection(out)
    result = run("mlflow", "--tracking-uri", url, "--out", str(out), "--page-size", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Collected 3 registered model(s), 5 version(s) (2 in production), 2 logged model(s), "
        "3 run(s), 3 experiment(s) and 2 MLmodel file(s) in 22 calls into "
        f"{out} (see collection-log.json)\n"
    )

    assert not (out / "old.json").exists()  # the earlier collection was replaced whole
    kredit = safe_name("Kredit Prüfung (EU)")
    assert kredit == "Kredit Pr%C3%BCfung %28EU%29"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    runs = sorted(p for p in files if p.startswith("runs_get__"))
    assert len(runs) == 3
    assert sorted(set(files) - set(runs)) == sorted(
        [
            LOG_NAME,
            "registered_models_search_page1.json",
            "registered_models_search_page2.json",
            "model_versions_search_page1.json",
            "model_versions_search_page2.json",
            "model_versions_search_page3.json",
            "experiments_search_page1.json",
            "experiments_search_page2.json",
            "registered_models_get__credit-scorer.json",
            "registered_models_get__churn-model.json",
            f"registered_models_get__{kredit}.json",
            "model_versions_get__credit-scorer__v1.json",
            "model_versions_get__credit-scorer__v2.json",
            "model_versions_get__credit-scorer__v3.json",
            f"model_versions_get__{kredit}__v1.json",
            f"model_versions_get__{kredit}__v2.json",
            *(f"logged_models_get__{m}.json" for m in mlflow_server["logged"]),
            f"artifacts/{champion_model}/MLmodel",
            f"artifacts/{legacy_run}/model/MLmodel",
        ]
    )

    # Paging followed to the end: every page but the last carries a token.
    for stem, pages in [
        ("registered_models_search", 2),
        ("model_versions_search", 3),
        ("experiments_search", 2),
    ]:
        tokens = [
            json.loads((out / f"{stem}_page{n}.json").read_bytes()).get("next_page_token")
            for n in range(1, pages + 1)
        ]
        assert all(tokens[:-1]) and tokens[-1] is None, stem

    # Unmodified: a fresh call returns the same bytes.
    with urllib.request.urlopen(f"{url}{API}/runs/get?run_id={legacy_run}") as answer:
        assert answer.read() == (out / f"runs_get__{legacy_run}.json").read_bytes()
    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert {c["status"] for c in log["calls"]} == {200}
    assert len(log["calls"]) == 22

    evidence = read_collection(out)
    assert [m.name for m in evidence.registered_models] == [
        "Kredit Prüfung (EU)",
        "churn-model",
        "credit-scorer",
    ]
    models = {m.name: m for m in evidence.registered_models}
    assert models["credit-scorer"].tags == {"owner": "risk-team", "risk_level": "high"}
    assert models["Kredit Prüfung (EU)"].tags == {"owner": "kredit"}
    versions = {(v.name, v.version): v for v in evidence.model_versions}
    assert sorted(versions) == [
        ("Kredit Prüfung (EU)", "1"),
        ("Kredit Prüfung (EU)", "2"),
        ("credit-scorer", "1"),
        ("credit-scorer", "2"),
        ("credit-scorer", "3"),
    ]
    assert versions[("credit-scorer", "2")].aliases == ("champion",)
    assert versions[("credit-scorer", "3")].aliases == ("challenger",)
    assert versions[("credit-scorer", "2")].tags == {"validated": "true"}
    assert versions[("credit-scorer", "1")].stage == "Archived"
    assert versions[("credit-scorer", "2")].logged_model_id == champion_model
    assert versions[("Kredit Prüfung (EU)", "1")].stage == "Production"
    assert versions[("Kredit Prüfung (EU)", "1")].tags == {"legacy": "yes"}
    assert versions[("Kredit Prüfung (EU)", "1")].run_id == legacy_run
    assert sorted(e.name for e in evidence.experiments) == [
        "Default",
        "abandoned",
        "collect-integration",
    ]
    assert {r.run_id for r in evidence.mlflow_runs} >= {legacy_run}
    signatures = {s.model_id or s.run_id: s for s in evidence.signatures}
    assert set(signatures) == {champion_model, legacy_run}
    assert [c.name for c in signatures[champion_model].inputs] == ["income"]
    assert [c.name for c in signatures[legacy_run].inputs] == ["income"]


def _build_dangling_registry(
    mlflow: Any, client: Any, echo: type, infer_signature: Any, pd: Any
) -> dict[str, Any]:
    """Two production versions: one from a logged model whose run is then deleted, one
    from a run's artifacts (MLflow 2 style), both with metrics."""
    signature = infer_signature(pd.DataFrame({"income": [1.0]}), pd.DataFrame({"y": [1]}))
    mlflow.set_experiment("dangling")
    with mlflow.start_run() as doomed:
        mlflow.log_metric("auc", 0.91)
        logged = mlflow.pyfunc.log_model(
            name="model",
            python_model=echo(),
            signature=signature,
            pip_requirements=["mlflow==3.17.2"],
        )
    client.create_registered_model("credit-scorer")
    mlflow.register_model(logged.model_uri, "credit-scorer")
    client.set_registered_model_alias("credit-scorer", "champion", "1")
    with mlflow.start_run() as legacy:
        mlflow.log_metric("auc", 0.88)
        mlflow.log_text(MLMODEL_V2_STYLE.format(run_id=legacy.info.run_id), "model/MLmodel")
    client.create_registered_model("legacy-scorer")
    client.create_model_version(
        "legacy-scorer", f"runs:/{legacy.info.run_id}/model", run_id=legacy.info.run_id
    )
    client.transition_model_version_stage("legacy-scorer", "1", "Production")
    client.delete_run(doomed.info.run_id)
    return {"doomed": doomed.info.run_id, "legacy": legacy.info.run_id, "model": logged.model_id}


@pytest.mark.slow
def test_a_purged_run_and_a_broken_artifact_on_a_real_server(tmp_path: Path) -> None:
    _need_mlflow()
    (tmp_path / "server").mkdir()
    evidence = tmp_path / "evidence"
    out = evidence / "mlflow"
    with started_mlflow_server(tmp_path / "server") as server:
        url = server["url"]
        made = _register(url, _build_dangling_registry)
        doomed, legacy = made["doomed"], made["legacy"]
        # The run is purged from the server's own store, as an operator does it.
        gc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mlflow",
                "gc",
                "--backend-store-uri",
                server["backend"],
                "--run-ids",
                doomed,
                "--tracking-uri",
                url,
            ],
            env=server["env"],
            cwd=tmp_path / "server",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert gc.returncode == 0, gc.stderr[-3000:]
        # The artifact store loses the legacy version's MLmodel.
        (mlmodel,) = server["artifacts"].glob(f"*/{legacy}/artifacts/model/MLmodel")
        stored = mlmodel.relative_to(server["artifacts"]).as_posix()
        mlmodel.unlink()
        result = run(
            "mlflow", "--tracking-uri", url, "--out", str(out), "--max-tries", "2", "--backoff", "0"
        )
    assert result.exit_code == 0, result.output
    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    gaps = {c["unavailable"]["object"]: c for c in log["calls"] if "unavailable" in c}
    assert sorted(gaps) == ["mlmodel", "run"]
    purged, broken = gaps["run"], gaps["mlmodel"]
    assert purged["status"] == 404
    assert purged["unavailable"] == {
        "object": "run",
        "id": doomed,
        "model_versions": ["credit-scorer@1"],
        "message": f"RESOURCE_DOES_NOT_EXIST: Run with id={doomed} not found",
    }
    assert broken["status"] == 404
    assert broken["unavailable"] == {
        "object": "mlmodel",
        "id": f"runs:/{legacy}/model/MLmodel",
        "model_versions": ["legacy-scorer@1"],
        "message": f"RESOURCE_DOES_NOT_EXIST: No such artifact: '{stored}'",
    }
    assert result.stderr.count("warning: ") == 2
    assert result.stdout.startswith(
        "Collected 2 registered model(s), 2 version(s) (2 in production), 1 logged model(s), "
        "1 run(s), 2 experiment(s) and 1 MLmodel file(s) in "
    )
    assert "(2 unavailable)" in result.stdout
    # The logged model's own MLmodel is still there: only the run is gone.
    assert (out / "artifacts" / made["model"] / "MLmodel").is_file()

    catalog = tmp_path / "gaps.yaml"
    catalog.write_text(GAPS_CATALOG)
    config = tmp_path / "mldossier.yaml"
    config.write_text("evidence: evidence\n")
    results = tmp_path / "r.json"
    checked = CliRunner().invoke(
        main,
        ["--config", str(config), "check", "--controls", str(catalog), "--json", str(results)],
    )
    # The gaps are not_evidenced, which does not fail the default gate; nothing passes.
    assert checked.exit_code == 0, checked.stdout
    verdicts = {(r["control"], r["subject"]): r for r in json.loads(results.read_text())["results"]}
    log_sha = hashlib.sha256((out / LOG_NAME).read_bytes()).hexdigest()
    for control, subject, entry in [
        ("GAP-1", "credit-scorer@1", purged),
        ("GAP-2", "legacy-scorer@1", broken),
    ]:
        verdict = verdicts[(control, subject)]
        assert verdict["status"] == "not_evidenced", (control, verdict)
        cite = {
            "file": "mlflow/collection-log.json",
            "pointer": f"/calls/{log['calls'].index(entry)}",
            "sha256": log_sha,
        }
        assert cite in verdict["citations"], (control, verdict["citations"])
        assert entry["url"] in verdict["reasons"][0]
    # The other two verdicts pass on what was collected.
    assert verdicts[("GAP-2", "credit-scorer@1")]["status"] == "no_exception"
    assert verdicts[("GAP-1", "legacy-scorer@1")]["status"] == "no_exception"
