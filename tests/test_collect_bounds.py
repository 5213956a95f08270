"""``collect mlflow`` against misbehaving servers: every case ends within its bound.

Each server runs on 127.0.0.1 in a thread and misbehaves on purpose: redirects elsewhere,
trickles, pages for ever, sends a body of gigabytes (generated, never stored), bad
``Retry-After`` values, numbers of thousands of digits, storms of 401/403/429/500. The bounds
given are small, so each case takes seconds; each message is pinned, and each failure leaves
the earlier collection as it was.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_collect_mlflow import (
    API,
    Answer,
    assert_untouched,
    clean_env,
    fast,
    local_server,
    old_collection,
    replay,
    run,
)

from mldossier.collect import LOG_NAME
from mldossier.collect.http import retry_after_seconds

__all__ = ["clean_env"]  # the autouse fixture: no credentials or proxies from the machine

SEARCH = f"{API}/registered-models/search?max_results=100"
"""The first call of every collection."""


# ---------------------------------------------------------------- a server that writes raw


class _RawServer(ThreadingHTTPServer):
    daemon_threads = True
    behave: Callable[[BaseHTTPRequestHandler], None]
    requests: list[str]
    sent: int

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hung up on purpose: that is the point of these servers


class _RawHandler(BaseHTTPRequestHandler):
    server: _RawServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        self.server.behave(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


@contextmanager
def raw_server(behave: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[tuple[str, Any]]:
    """A server on 127.0.0.1 whose handler ``behave`` writes whatever it likes."""
    server = _RawServer(("127.0.0.1", 0), _RawHandler)
    server.behave, server.requests, server.sent = behave, [], 0
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


def collect(url: str, out: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """``collect mlflow`` from ``url`` into ``out``, and how long it took."""
    started = time.monotonic()
    result = run("mlflow", "--tracking-uri", url, "--out", str(out), *args, env=env)
    result.elapsed = time.monotonic() - started
    return result


def redirect_to(location: str, only: str = "") -> Callable[[BaseHTTPRequestHandler], Answer]:
    """Redirect every call (or those whose path starts with ``only``) to ``location``."""

    def answer(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(only):
            return 302, {"Location": location}, b""
        return replay(handler)

    return answer


# ---------------------------------------------------------------- redirects


def test_a_redirect_to_another_host_is_refused_unfollowed(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(lambda h: (0, {}, b"")) as (url, server):
        port = url.rsplit(":", 1)[1]
        # localhost is this very server under another name: any call to it would show here.
        target = f"http://localhost:{port}{API}/registered-models/search"
        server.answer = redirect_to(target)
        result = collect(url, out, *fast(), env={"MLFLOW_TRACKING_TOKEN": "s3cret"})
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> 302 Found to {target}, which is not on {url} (not "
        "followed: collect follows redirects only to the same scheme, host and port; if the "
        "server is there, pass that URL as --tracking-uri)\n",
    )
    assert len(server.requests) == 1  # refused before any connection, and not retried
    assert_untouched(out, content)


def test_a_redirect_to_another_port_is_refused_unfollowed(tmp_path: Path) -> None:
    with local_server(replay) as (other, elsewhere):
        target = f"{other}/steal"
        with local_server(redirect_to(target)) as (url, _):
            result = collect(url, tmp_path / "m", *fast())
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mldossier: GET {url}{SEARCH} -> 302 Found to {target}, ")
    assert elsewhere.requests == []


def test_a_redirect_to_ftp_is_refused_without_connecting(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        target = f"ftp://127.0.0.1:{listener.getsockname()[1]}/registry.json"
        with local_server(redirect_to(target)) as (url, _):
            result = collect(url, tmp_path / "m", *fast())
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> 302 Found to {target}, which is not on {url} (not "
        "followed: collect follows redirects only to the same scheme, host and port; if the "
        "server is there, pass that URL as --tracking-uri)\n",
    )


def test_a_redirect_names_no_credentials_of_its_target(tmp_path: Path) -> None:
    with local_server(redirect_to("https://bob:pw@evil.example/x")) as (url, _):
        result = collect(url, tmp_path / "m", *fast())
    assert result.exit_code == 2
    assert "https://evil.example/x, which is not on" in result.stderr
    assert "pw" not in result.stderr


def test_a_same_origin_redirect_is_followed_and_logged_with_the_final_url(
    tmp_path: Path,
) -> None:
    def moved(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith("/moved/"):
            handler.path = handler.path.removeprefix("/moved")
            return replay(handler)
        if handler.path.startswith(f"{API}/registered-models/search"):
            # Relative, as servers often write it; the query goes along.
            return 307, {"Location": "/moved" + handler.path}, b""
        return replay(handler)

    out = tmp_path / "mlflow"
    with local_server(moved) as (url, server):
        result = collect(url, out, env={"MLFLOW_TRACKING_TOKEN": "t"})
    assert result.exit_code == 0, result.stderr
    first = json.loads((out / LOG_NAME).read_text("utf-8"))["calls"][0]
    assert first["url"] == f"{url}/moved{SEARCH}"
    assert first["redirected_from"] == [f"{url}{SEARCH}"]
    assert (out / first["file"]).is_file()
    # The credentials go along: the redirect stays on the server they are meant for.
    assert [h.get("Authorization") for _, p, h in server.requests[:2]] == ["Bearer t"] * 2


def test_a_redirect_loop_ends_at_the_bound(tmp_path: Path) -> None:
    def loops(handler: BaseHTTPRequestHandler) -> Answer:
        hop = int(handler.path.rsplit("hop=", 1)[1]) if "hop=" in handler.path else 0
        return 302, {"Location": f"/loop?hop={hop + 1}"}, b""

    with local_server(loops) as (url, server):
        result = collect(url, tmp_path / "m", *fast())
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> more than 5 redirects (the last to {url}/loop?hop=6; "
        "check --tracking-uri, the server may redirect in a loop)\n",
    )
    assert len(server.requests) == 6


def test_a_redirect_without_a_location(tmp_path: Path) -> None:
    with local_server(lambda h: (302, {}, b"")) as (url, _):
        result = collect(url, tmp_path / "m", *fast())
    assert result.stderr == (
        f"mldossier: GET {url}{SEARCH} -> 302 Found without a Location header (the server's "
        "redirect leads nowhere; check --tracking-uri)\n"
    )


# ---------------------------------------------------------------- deadlines


def _trickle_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.4)


def _trickle_headers(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(1000):
        handler.wfile.write(b"X")
        handler.wfile.flush()
        time.sleep(0.4)


def _trickle_without_length(handler: BaseHTTPRequestHandler) -> None:
    # No length: the end of the body is the end of the connection, so a cut must not pass
    # for a complete answer.
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}")
    for _ in range(1000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.4)


@pytest.mark.parametrize("trickle", [_trickle_body, _trickle_headers, _trickle_without_length])
def test_a_trickling_server_ends_at_the_total_deadline(
    tmp_path: Path, trickle: Callable[[BaseHTTPRequestHandler], None]
) -> None:
    # Each byte comes well within --timeout, so only the total deadline can end it.
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with raw_server(trickle) as (url, server):
        result = collect(url, out, "--timeout", "2", "--total-timeout", "1.5", "--backoff", "0")
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> the answer did not finish within 1.5 s, the most "
        "collect waits for one response (raise --total-timeout if the server is slow but "
        "working)\n",
    )
    assert 1.4 < result.elapsed < 4
    assert len(server.requests) == 1  # a server this slow is not asked again
    assert_untouched(out, content)


def test_the_total_deadline_covers_the_redirects(tmp_path: Path) -> None:
    def slow_redirects(handler: BaseHTTPRequestHandler) -> Answer:
        time.sleep(0.4)
        return 302, {"Location": f"/hop{len(handler.server.requests)}"}, b""  # type: ignore[attr-defined]

    with local_server(slow_redirects) as (url, server):
        result = collect(url, tmp_path / "m", "--total-timeout", "1", "--backoff", "0")
    assert result.stderr.endswith(
        "-> the answer did not finish within 1 s, the most collect "
        "waits for one response (raise --total-timeout if the "
        "server is slow but working)\n"
    )
    assert len(server.requests) == 3
    assert result.elapsed < 3


# ---------------------------------------------------------------- pages and bytes


def _endless_pages(handler: BaseHTTPRequestHandler) -> Answer:
    number = len(handler.server.requests)  # type: ignore[attr-defined]
    return 200, {}, json.dumps({"registered_models": [], "next_page_token": f"t{number}"}).encode()


def test_a_server_that_pages_for_ever_stops_at_max_pages(tmp_path: Path) -> None:
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(_endless_pages) as (url, server):
        result = collect(url, out, "--max-pages", "3")
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH}&page_token=t2 -> page 3 still has a next_page_token, "
        "and collect follows at most 3 pages per search (raise --max-pages, or "
        "collect.max_pages in mldossier.yaml, if the registry is that large; a larger "
        "--page-size needs fewer pages)\n",
    )
    assert len(server.requests) == 3
    assert_untouched(out, content)


def test_max_pages_comes_from_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mldossier.yaml").write_text("collect:\n  max_pages: 2\n")
    monkeypatch.chdir(tmp_path)
    with local_server(_endless_pages) as (url, server):
        result = collect(url, tmp_path / "m")
    assert "page 2 still has a next_page_token, and collect follows at most 2 pages" in (
        result.stderr
    )
    assert len(server.requests) == 2


def test_the_default_page_bound_does_not_stop_a_real_collection(tmp_path: Path) -> None:
    # The replayed registry has one page per search: max pages 1 is enough for it.
    with local_server(replay) as (url, _):
        result = collect(url, tmp_path / "m", "--max-pages", "1")
    assert result.exit_code == 0, result.stderr


GIB = 1024**3


def _huge(chunked: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    """10 GiB of zeros, made as they are sent: with a Content-Length, or chunked."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(10 * GIB))
        handler.end_headers()
        block = b"0" * (1024 * 1024)
        piece = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
        for _ in range(10 * 1024):
            handler.wfile.write(piece)
            handler.server.sent += len(block)  # type: ignore[attr-defined]

    return behave


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_body_stops_at_max_response_mb(tmp_path: Path, chunked: bool) -> None:
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with raw_server(_huge(chunked)) as (url, server):
        result = collect(url, out, "--max-response-mb", "1", *fast())
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> 200 but the body is over 1 MiB, the most collect "
        "reads per response (raise --max-response-mb, or collect.max_response_mb in "
        "mldossier.yaml)\n",
    )
    assert len(server.requests) == 1
    assert server.sent < 64 * 1024 * 1024  # stopped reading at the bound, long before 10 GiB
    assert result.elapsed < 10
    assert_untouched(out, content)


def test_max_response_mb_comes_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mldossier.yaml").write_text("collect:\n  max_response_mb: 0.0001\n")
    monkeypatch.chdir(tmp_path)
    with local_server(replay) as (url, _):
        result = collect(url, tmp_path / "m")
    assert result.stderr.endswith(
        "-> 200 but the body is over 104 bytes, the most collect reads per response (raise "
        "--max-response-mb, or collect.max_response_mb in mldossier.yaml)\n"
    )


def test_a_body_at_the_bound_is_kept_whole(tmp_path: Path) -> None:
    # Exactly 1 MiB (every other replayed body is smaller); one byte more would be refused.
    body = b'{"registered_models": []'.ljust(1024 * 1024 - 1) + b"}"

    def exact(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(f"{API}/registered-models/search"):
            return 200, {}, body
        return replay(handler)

    out = tmp_path / "m"
    with local_server(exact) as (url, _):
        result = collect(url, out, "--max-response-mb", "1")
    assert result.exit_code == 0, result.stderr
    assert (out / "registered_models_search_page1.json").read_bytes() == body


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    "value",
    ["²", "1.5", "-1", "0x10", "soon", "Sun, 06 Nov 1994 08:49:37 GMT", ""],
)
def test_a_bad_or_past_retry_after_falls_back_to_the_backoff(tmp_path: Path, value: str) -> None:
    failures = iter([value])

    def once(handler: BaseHTTPRequestHandler) -> Answer:
        if handler.path.startswith(f"{API}/registered-models/search"):
            header = next(failures, None)
            if header is not None:
                return 503, {"Retry-After": header}, b""
        return replay(handler)

    out = tmp_path / "m"
    with local_server(once) as (url, _):
        result = collect(url, out, "--backoff", "0")
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / LOG_NAME).read_text("utf-8"))["calls"][0]["tries"] == 2
    assert result.elapsed < 5


@pytest.mark.parametrize(
    "value",
    ["9" * 5001, "301", format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)],
    ids=["5001-digits", "301-seconds", "date-in-2-hours"],
)
def test_a_retry_after_over_the_cap_fails_at_once(tmp_path: Path, value: str) -> None:
    with local_server(lambda h: (429, {"Retry-After": value}, b"")) as (url, server):
        result = collect(url, tmp_path / "m", *fast())
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> 429 Too Many Requests (its Retry-After asks for a "
        "wait of more than 300 s, the most collect waits; try again later)\n",
    )
    assert len(server.requests) == 1


def test_retry_after_is_parsed_strictly() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds(" 7\t", now) == 7.0
    assert retry_after_seconds("9" * 5001, now) == float("inf")
    assert retry_after_seconds("Wed, 02 Dec 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 02 Dec 2026 11:00:00 GMT", now) == 0.0
    for bad in [None, "²", "١٢", "1.5", "+3", "-1", "1e3", "tomorrow", "Wed, 99 Dec 2026"]:
        assert retry_after_seconds(bad, now) is None, bad


# ---------------------------------------------------------------- numbers


def test_a_5001_digit_integer_in_a_body_is_a_clear_error(tmp_path: Path) -> None:
    huge = b'{"registered_models": [], "total": 1' + b"0" * 5000 + b"}"
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(lambda h: (200, {}, huge)) as (url, _):
        result = collect(url, out)
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> 200 but the body cannot be read as evidence: a "
        "number has more than 4,300 digits (no real export writes such a number; check how "
        "the file was made)\n",
    )
    assert_untouched(out, content)


def test_a_5001_digit_integer_in_an_error_body(tmp_path: Path) -> None:
    huge = b'{"error_code": "INTERNAL_ERROR", "message": "x", "n": ' + b"7" * 5001 + b"}"
    with local_server(lambda h: (500, {}, huge)) as (url, _):
        result = collect(url, tmp_path / "m", *fast())
    assert result.stderr == (
        f"mldossier: GET {url}{SEARCH} -> 500 Internal Server Error (after 2 tries; the "
        "server is failing; try again later)\n"
    )


def test_a_duplicate_key_is_refused_as_intake_refuses_it(tmp_path: Path) -> None:
    twice = b'{"registered_models": [], "registered_models": [{"name": "x"}]}'
    with local_server(lambda h: (200, {}, twice)) as (url, _):
        result = collect(url, tmp_path / "m")
    assert result.stderr == (
        f"mldossier: GET {url}{SEARCH} -> 200 but the body cannot be read as evidence: "
        "duplicate key 'registered_models' in an object (each key may appear once; remove "
        "the repeated one)\n"
    )


# ---------------------------------------------------------------- storms


@pytest.mark.parametrize(
    ("status", "headers", "requests", "message"),
    [
        (
            401,
            {},
            1,
            "401 Unauthorized (set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)",
        ),
        (
            403,
            {},
            1,
            "403 Forbidden (the credentials lack permission; ask for read access to the registry)",
        ),
        (
            429,
            {"Retry-After": "0"},
            4,
            "429 Too Many Requests (after 4 tries; the server is failing; try again later)",
        ),
        (
            500,
            {},
            4,
            "500 Internal Server Error (after 4 tries; the server is failing; try again later)",
        ),
    ],
)
def test_a_storm_of_errors_ends_after_bounded_tries(
    tmp_path: Path, status: int, headers: dict[str, str], requests: int, message: str
) -> None:
    out = tmp_path / "mlflow"
    content = old_collection(out)
    with local_server(lambda h: (status, headers, b"")) as (url, server):
        result = collect(url, out, "--max-tries", "4", "--backoff", "0")
    assert (result.exit_code, result.stderr) == (2, f"mldossier: GET {url}{SEARCH} -> {message}\n")
    assert len(server.requests) == requests
    assert result.elapsed < 5
    assert_untouched(out, content)


def test_a_storm_waits_as_the_backoff_says(tmp_path: Path) -> None:
    # 0.2 + 0.4 s between three tries: the waits double, and stay bounded.
    with local_server(lambda h: (503, {}, b"")) as (url, server):
        result = collect(url, tmp_path / "m", "--max-tries", "3", "--backoff", "0.2")
    assert result.stderr.endswith("(after 3 tries; the server is failing; try again later)\n")
    assert len(server.requests) == 3
    assert 0.55 < result.elapsed < 3


def test_an_error_body_of_gigabytes_is_not_read(tmp_path: Path) -> None:
    def huge_error(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(500)
        handler.send_header("Content-Length", str(10 * GIB))
        handler.end_headers()
        for _ in range(10 * 1024):
            handler.wfile.write(b"0" * (1024 * 1024))
            handler.server.sent += 1024 * 1024  # type: ignore[attr-defined]

    with raw_server(huge_error) as (url, server):
        result = collect(url, tmp_path / "m", *fast())
    assert result.stderr == (
        f"mldossier: GET {url}{SEARCH} -> 500 Internal Server Error (after 2 tries; the "
        "server is failing; try again later)\n"
    )
    assert server.sent < 2 * 64 * 1024 * 1024


# ---------------------------------------------------------------- proxies


def test_a_proxy_from_the_environment_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The replaying server stands in for a forward proxy: it gets absolute URLs.
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    out = tmp_path / "m"
    with local_server(replay) as (proxy, server):
        monkeypatch.setenv("http_proxy", f"http://user:pw@{proxy.removeprefix('http://')}")
        result = collect("http://mlflow.invalid:5000", out)
    assert result.exit_code == 0, result.stderr
    assert server.requests[0][1] == f"http://mlflow.invalid:5000{SEARCH}"
    assert server.requests[0][2]["Proxy-Authorization"] == "Basic dXNlcjpwdw=="
    first = json.loads((out / LOG_NAME).read_text("utf-8"))["calls"][0]
    assert first["url"] == f"http://mlflow.invalid:5000{SEARCH}"


# ---------------------------------------------------------------- the disk


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.ENOSPC, "No space left on device (free some space"),
        (errno.EDQUOT, "Disk quota exceeded (free some space or raise the quota"),
        (errno.EROFS, "Read-only file system (mount it read-write"),
    ],
)
def test_a_disk_that_fills_during_collect_is_a_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, fix: str
) -> None:
    out = tmp_path / "mlflow"
    content = old_collection(out)
    real_write = pathlib.Path.write_bytes
    written: list[Path] = []

    def fills_up(self: Path, data: Any) -> int:
        if len(written) == 3:  # the fourth body finds the disk full
            raise OSError(code, os.strerror(code), str(self))
        written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", fills_up)
    with local_server(replay) as (url, _):
        result = collect(url, out)
    monkeypatch.undo()
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: cannot write the collection into {out}: {fix}, or collect into another "
        "folder with --out)\n",
    )
    assert_untouched(out, content)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "max_response_mb: .nan",
            "/collect/max_response_mb: NaN is not a size in MiB (write a positive number such "
            "as 64)",
        ),
        (
            "max_response_mb: 1.0e+15",
            "/collect/max_response_mb: 1000000000000000.0 is out of range (maximum 1048576) "
            "(fix the value)",
        ),
        ("max_pages: 0", "/collect/max_pages: 0 is out of range (minimum 1) (fix the value)"),
    ],
)
def test_a_bad_bound_in_the_config_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, message: str
) -> None:
    (tmp_path / "mldossier.yaml").write_text(f"collect:\n  {setting}\n")
    monkeypatch.chdir(tmp_path)
    result = collect("http://127.0.0.1:1", tmp_path / "m")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: mldossier.yaml:{message}\nmldossier: 1 problem(s) in the input; nothing was "
        "written\n",
    )


# ---------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlflow test server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@contextmanager
def tls_server(certificate: tuple[Path, Path]) -> Iterator[str]:
    """The replaying server over HTTPS with the self-signed certificate."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with local_server(replay) as (url, server):
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield url.replace("http://", "https://")


def test_https_is_verified_against_the_ca_bundle_given(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    with tls_server(certificate) as url:
        refused = collect(url, tmp_path / "a", *fast())
        trusted = collect(
            url, tmp_path / "b", env={"MLFLOW_TRACKING_SERVER_CERT_PATH": str(certificate[0])}
        )
        insecure = collect(url, tmp_path / "c", "--insecure")
    assert (refused.exit_code, refused.stderr) == (
        2,
        f"mldossier: GET {url}{SEARCH} -> TLS failed: CERTIFICATE_VERIFY_FAILED (set "
        "MLFLOW_TRACKING_SERVER_CERT_PATH to the CA bundle that signed the server's "
        "certificate, or, only for a test server, pass --insecure)\n",
    )
    assert (trusted.exit_code, insecure.exit_code) == (0, 0), trusted.stderr + insecure.stderr
    first = json.loads((tmp_path / "b" / LOG_NAME).read_text("utf-8"))["calls"][0]
    assert first["url"] == f"{url}{SEARCH}"


def test_a_tls_handshake_that_never_ends_stops_at_the_total_deadline(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts the connection, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}"
        result = collect(url, tmp_path / "m", "--timeout", "5", "--total-timeout", "1")
    assert result.stderr == (
        f"mldossier: GET {url}{SEARCH} -> the answer did not finish within 1 s, the most "
        "collect waits for one response (raise --total-timeout if the server is slow but "
        "working)\n"
    )
    assert result.elapsed < 3


@contextmanager
def connect_proxy() -> Iterator[tuple[str, list[bytes]]]:
    """A forward proxy on 127.0.0.1 that only tunnels (``CONNECT``); records each request head."""
    heads: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def tunnel(client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        heads.append(head)
        host, port = head.split(b" ")[1].decode().rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=tunnel, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        listener.close()


def test_https_goes_through_a_proxy_in_a_tunnel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> None:
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    out = tmp_path / "m"
    with tls_server(certificate) as url, connect_proxy() as (proxy, heads):
        monkeypatch.setenv("https_proxy", proxy.replace("http://", "http://a%40b:pw@"))
        env = {"MLFLOW_TRACKING_SERVER_CERT_PATH": str(certificate[0])}
        result = collect(url, out, env=env)
    assert result.exit_code == 0, result.stderr
    host = url.removeprefix("https://")
    assert heads[0].startswith(f"CONNECT {host} HTTP/1.".encode())
    assert b"Proxy-Authorization: Basic YUBiOnB3\r\n" in heads[0]  # a@b:pw
    assert len(heads) == len(json.loads((out / LOG_NAME).read_text("utf-8"))["calls"])
