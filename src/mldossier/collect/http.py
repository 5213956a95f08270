"""A small HTTP client for the collectors: MLflow's auth variables, TLS, bounds, retries.

Standard library only (:mod:`http.client`): no third-party client gives a deadline for a
whole response, which is the bound that matters against a server trickling its answer, and
redirects, proxies and byte bounds take little code here. Every answer comes back with its
body as raw bytes, so a collector can store it exactly as the server sent it.

Every call is bounded: ``timeout`` for the connection and for each read, ``total_timeout``
for the whole answer (redirects included), ``max_response_bytes`` for its body. Redirects
are followed only to the same scheme, host and port as the base URL; any other is refused
before it is attempted. Calls that retrying cannot fix (401, 403, 404, other 4xx, TLS
failures, a bound reached) and calls still failing after the last try raise
:class:`CollectError`, whose message names the method and URL.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import math
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from mldossier.config import Collect
from mldossier.errors import UsageError
from mldossier.formats import MIB, InputProblem
from mldossier.formats.json import JsonSyntaxProblem, parse_json_text

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers worth another try: rate limiting and server-side failures."""
MAX_RETRY_AFTER_SECONDS = 300.0
"""Longest ``Retry-After`` honoured; a server asking for more is treated as failing."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""Answers whose ``Location`` is followed, when it is on the same origin."""
MAX_REDIRECTS = 5
"""Redirects followed per call before it is given up as a loop."""
ERROR_BODY_BYTES = 64 * 1024
"""Most of an error answer read for its message; the rest is never read."""
DEFAULT_TOTAL_TIMEOUT = 300.0
"""Seconds a whole answer may take by default (``--total-timeout``)."""
DEFAULT_MAX_RESPONSE_BYTES = Collect.max_response_bytes
"""Largest body read by default (``collect.max_response_mb``, ``--max-response-mb``)."""
_CHUNK = 64 * 1024

TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"
USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"
PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD"
INSECURE_ENV = "MLFLOW_TRACKING_INSECURE_TLS"
SERVER_CERT_ENV = "MLFLOW_TRACKING_SERVER_CERT_PATH"

Query = Sequence[tuple[str, str]]


class CollectError(UsageError):
    """A collection failed; the message names the call and says what to do."""


class StatusError(CollectError):
    """The server answered a call with an error status (after the last try, if retried)."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status: int,
        detail: str,
        body: bytes,
        tries: int,
        retrieved: str,
        content_type: str = "",
    ) -> None:
        super().__init__(message)
        self.method, self.url, self.status = method, url, status
        self.detail = detail
        """The server's message (``ERROR_CODE: message`` from an MLflow error body), or ''."""
        self.body, self.tries, self.retrieved = body, tries, retrieved
        self.content_type = content_type

    @property
    def phrase(self) -> str:
        """The status's reason phrase (``Not Found``)."""
        return _phrase(self.status)


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class HttpSettings:
    """How to reach a server: timeouts, bounds, retries, TLS and credentials."""

    timeout: float = 30.0
    """Seconds to wait for a connection or for each read."""
    max_tries: int = 5
    """Tries per call, the first included."""
    backoff: float = 1.0
    """Seconds before the second try; doubled before each further try."""
    verify_tls: bool = True
    ca_bundle: str | None = None
    """A CA bundle to trust instead of the system's (``MLFLOW_TRACKING_SERVER_CERT_PATH``)."""
    token: str | None = None
    username: str | None = None
    password: str | None = None
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    """Seconds one try may take as a whole, from connecting to the body's last byte."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """Largest body read; a larger one stops the collection unread beyond this."""

    @property
    def auth(self) -> str:
        """``basic``, ``bearer`` or ``none``: which credentials go with each call."""
        if self.username and self.password:
            return "basic"
        return "bearer" if self.token else "none"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        timeout: float,
        max_tries: int,
        backoff: float,
        insecure: bool,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> HttpSettings:
        """Settings from MLflow's own environment variables, as MLflow's client reads them."""
        username = environ.get(USERNAME_ENV) or None
        password = environ.get(PASSWORD_ENV) or None
        if bool(username) != bool(password):
            given, missing = (
                (USERNAME_ENV, PASSWORD_ENV) if username else (PASSWORD_ENV, USERNAME_ENV)
            )
            raise UsageError(
                f"{given} is set but {missing} is not (set both for Basic "
                f"authentication, or neither)"
            )
        raw = environ.get(INSECURE_ENV, "").strip().lower()
        if raw not in ("", "true", "false", "1", "0"):
            raise UsageError(
                f"{INSECURE_ENV}={environ[INSECURE_ENV]!r} is not a boolean "
                "(use true or false, as MLflow does)"
            )
        insecure = insecure or raw in ("true", "1")
        ca_bundle = environ.get(SERVER_CERT_ENV) or None
        if insecure and ca_bundle:
            raise UsageError(
                f"TLS verification is off ({INSECURE_ENV} or --insecure) but "
                f"{SERVER_CERT_ENV} is set (use one or the other)"
            )
        return cls(
            timeout=timeout,
            max_tries=max_tries,
            backoff=backoff,
            verify_tls=not insecure,
            ca_bundle=ca_bundle,
            token=environ.get(TOKEN_ENV) or None,
            username=username,
            password=password,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
        )


@dataclass(frozen=True)
class Response:
    """One successful answer, body untouched."""

    method: str
    url: str
    """The URL that answered: the one asked for, or where same-origin redirects led."""
    status: int
    body: bytes
    content_type: str
    retrieved: str
    """When the body was received, UTC ISO 8601."""
    tries: int
    redirected_from: tuple[str, ...] = ()
    """The URLs that answered with a redirect on the way to :attr:`url`, in order."""

    def json(self) -> Any:
        """The body parsed as strict JSON, as intake reads it; a :class:`CollectError` if not."""
        try:
            return parse_json_text(self.body.decode("utf-8"))
        except (UnicodeDecodeError, JsonSyntaxProblem):
            start = self.body[:40].decode("utf-8", "replace")
            raise CollectError(
                f"{self.method} {self.url} -> {self.status} but the body is not JSON "
                f"(it starts {start!r}; check that the URL is the server itself, not a "
                "login page or proxy)"
            ) from None
        except InputProblem as problem:
            where = f" at {problem.pointer}" if problem.pointer else ""
            raise CollectError(
                f"{self.method} {self.url} -> {self.status} but the body cannot be read as "
                f"evidence: {problem.message}{where} ({problem.fix})"
            ) from None


@dataclass(frozen=True)
class _Answer:
    """What one try got: the last answer and the redirects that led to it."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str
    redirected_from: tuple[str, ...]


class _Retryable(Exception):
    """A try that failed in a way another try may not: a timeout or a broken connection."""

    def __init__(self, failure: str, fix: str) -> None:
        super().__init__(failure)
        self.failure, self.fix = failure, fix


class HttpClient:
    """Calls one server below a base URL, with retries; reports every call it makes."""

    def __init__(self, base_url: str, settings: HttpSettings) -> None:
        self.base_url = _requote(public_url(base_url)).rstrip("/")
        self.settings = settings
        self.origin = _origin(self.base_url)
        self._context = _ssl_context(settings)

    def get(self, path: str, query: Query = ()) -> Response:
        """GET ``path`` (below the base URL) with query parameters."""
        return self.request("GET", path, query=query)

    def url(self, path: str, query: Query = ()) -> str:
        """The full URL of a call, as logged and named in messages."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(list(query), quote_via=urllib.parse.quote)
        return url

    def request(
        self, method: str, path: str, query: Query = (), body: Mapping[str, Any] | None = None
    ) -> Response:
        """One call, tried up to ``max_tries`` times on 429, 5xx and broken connections."""
        url = self.url(path, query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        tries = max(1, self.settings.max_tries)
        for attempt in range(1, tries + 1):
            last = attempt == tries
            try:
                answer = self._try(method, url, data)
            except _Retryable as exc:
                if last:
                    raise CollectError(
                        f"{method} {url} -> {exc.failure} ({_tries(attempt)}{exc.fix})"
                    ) from None
                time.sleep(self._backoff(attempt))
                continue
            if 200 <= answer.status < 300:
                return Response(
                    method,
                    answer.url,
                    answer.status,
                    answer.body,
                    answer.headers.get("Content-Type", ""),
                    utc_now(),
                    attempt,
                    answer.redirected_from,
                )
            if answer.status in RETRY_STATUSES and not last:
                wait = retry_after_seconds(answer.headers.get("Retry-After"))
                if wait is None:
                    wait = self._backoff(attempt)
                elif wait > MAX_RETRY_AFTER_SECONDS:
                    fix = (
                        f"{_tries(attempt)}its Retry-After asks for a wait of more than "
                        f"{MAX_RETRY_AFTER_SECONDS:g} s, the most collect waits; try again later"
                    )
                    raise self._status_error(method, url, answer, attempt, fix)
                time.sleep(wait)
                continue
            fix = f"{_tries(attempt)}the server is failing; try again later"
            raise self._status_error(method, url, answer, attempt, fix)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------ one try

    def _try(self, method: str, url: str, data: bytes | None) -> _Answer:
        """One try: the call and the same-origin redirects it leads to, in one deadline."""
        deadline = time.monotonic() + self.settings.total_timeout
        hops: list[str] = []
        current = url
        while True:
            status, headers, body = self._exchange(method, url, current, data, deadline)
            if status not in REDIRECT_STATUSES:
                return _Answer(status, headers, body, current, tuple(hops))
            target = self._redirect_target(method, url, current, status, headers)
            if len(hops) == MAX_REDIRECTS:
                raise CollectError(
                    f"{method} {url} -> more than {MAX_REDIRECTS} redirects (the last to "
                    f"{target}; check --tracking-uri, the server may redirect in a loop)"
                )
            hops.append(current)
            current = target
            if status == 303 or (status in (301, 302) and method != "GET"):
                method, data = "GET", None

    def _redirect_target(
        self, method: str, url: str, current: str, status: int, headers: http.client.HTTPMessage
    ) -> str:
        """Where a redirect leads, if that is on the base URL's origin; else a CollectError."""
        location = headers.get("Location")
        if not location:
            raise CollectError(
                f"{method} {url} -> {status} {_phrase(status)} without a Location header "
                "(the server's redirect leads nowhere; check --tracking-uri)"
            )
        # Credentials in a Location are never sent (only the path goes in the request line),
        # so neither logged nor shown.
        target = public_url(_requote(urllib.parse.urljoin(current, location.strip())))
        if _origin(target) != self.origin:
            raise CollectError(
                f"{method} {url} -> {status} {_phrase(status)} to {target}, "
                f"which is not on {_origin_text(self.origin)} (not followed: collect follows "
                "redirects only to the same scheme, host and port; if the server is there, "
                "pass that URL as --tracking-uri)"
            )
        return target

    def _exchange(
        self, method: str, shown: str, url: str, data: bytes | None, deadline: float
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """Send one request to ``url`` and read its answer within ``deadline``.

        ``shown`` is the URL messages name (the call's, before any redirect). A watchdog cuts
        the connection at the deadline, whatever it is waiting for: the connection, the TLS
        handshake, the headers or the body trickling in.
        """
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._deadline_error(method, shown)
        conn, target = self._connection(url, min(self.settings.timeout, remaining))
        watchdog = _Watchdog(conn, remaining)
        answer: http.client.HTTPResponse | None = None
        try:
            conn.connect()
            watchdog.hold()
            conn.request(method, target, body=data, headers=self._headers(data))
            answer = conn.getresponse()
            if answer.status in REDIRECT_STATUSES:
                body = b""
            elif 200 <= answer.status < 300:
                body = self._bounded_body(method, shown, answer)
            else:
                body = answer.read(ERROR_BODY_BYTES)
            if watchdog.fired.is_set():  # the cut may have ended a body without a length
                raise self._deadline_error(method, shown)
            return answer.status, answer.headers, body
        except CollectError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted into kinds just below
            # A socket timeout cut short to the time left ends at the deadline too.
            if watchdog.fired.is_set() or (
                isinstance(exc, TimeoutError) and remaining < self.settings.timeout
            ):
                raise self._deadline_error(method, shown) from None
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise CollectError(_tls_message(method, shown, exc)) from None
            if isinstance(exc, TimeoutError):
                raise _Retryable(
                    f"no answer within {self.settings.timeout:g} s",
                    "raise --timeout, or check that the server is not overloaded",
                ) from None
            if isinstance(exc, OSError | http.client.HTTPException):
                raise _Retryable(
                    f"connection failed: {_reason(exc)}",
                    "check the URL and that the server is running and reachable",
                ) from None
            raise
        finally:
            watchdog.cancel()
            # The response holds the socket once the connection lets go of it: close both,
            # so a body not read to its end stops at once (a traceback keeps this frame).
            if answer is not None:
                answer.close()
            conn.close()

    def _connection(self, url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
        """A connection for ``url`` (through the environment's proxy, if any) and the
        request target to send on it."""
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "", parts.port
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        proxy = _proxy_for(parts)
        if proxy is None:
            if parts.scheme == "https":
                return http.client.HTTPSConnection(
                    host, port, timeout=timeout, context=self._context
                ), target
            return http.client.HTTPConnection(host, port, timeout=timeout), target
        proxy_headers = _proxy_authorization(proxy)
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                proxy.hostname or "", proxy.port, timeout=timeout, context=self._context
            )
            conn.set_tunnel(host, port, headers=proxy_headers)
            return conn, target
        plain = _ProxiedConnection(proxy.hostname or "", proxy.port, timeout=timeout)
        plain.proxy_headers = proxy_headers
        return plain, urllib.parse.urlunsplit(parts._replace(fragment=""))

    def _headers(self, data: bytes | None) -> dict[str, str]:
        # One connection per try, closed after it: the server need not keep it open.
        headers = {
            "Accept": "application/json",
            "User-Agent": _user_agent(),
            "Connection": "close",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        # Redirects stay on the base URL's origin, so the credentials go only there.
        auth = self._authorization()
        if auth:
            headers["Authorization"] = auth
        return headers

    def _bounded_body(self, method: str, shown: str, answer: http.client.HTTPResponse) -> bytes:
        """The body, read in chunks; a CollectError as soon as it passes the bound."""
        limit = self.settings.max_response_bytes
        if answer.length is not None and answer.length > limit:
            raise self._too_large(method, shown, answer.status)
        body = bytearray()
        while chunk := answer.read(min(_CHUNK, limit + 1 - len(body))):
            body += chunk
            if len(body) > limit:
                raise self._too_large(method, shown, answer.status)
        return bytes(body)

    def _too_large(self, method: str, url: str, status: int) -> CollectError:
        limit = _size_text(self.settings.max_response_bytes)
        return CollectError(
            f"{method} {url} -> {status} but the body is over {limit}, the most collect reads "
            "per response (raise --max-response-mb, or collect.max_response_mb in "
            "mldossier.yaml)"
        )

    def _deadline_error(self, method: str, url: str) -> CollectError:
        return CollectError(
            f"{method} {url} -> the answer did not finish within {self.settings.total_timeout:g} "
            "s, the most collect waits for one response (raise --total-timeout if the server "
            "is slow but working)"
        )

    def _authorization(self) -> str | None:
        s = self.settings
        if s.auth == "basic":
            pair = f"{s.username}:{s.password}".encode()
            return "Basic " + base64.standard_b64encode(pair).decode("ascii")
        if s.auth == "bearer":
            return f"Bearer {s.token}"
        return None

    def _backoff(self, attempt: int) -> float:
        return float(self.settings.backoff * 2 ** (attempt - 1))

    def _status_error(
        self, method: str, url: str, answer: _Answer, tries: int, fix: str
    ) -> StatusError:
        """The error of a call answered with ``answer``'s status; messages name ``url``, the
        URL asked for (redirects, if any, led to ``answer.url``)."""
        return StatusError(
            self._status_message(method, url, answer.status, answer.body, fix),
            method=method,
            url=url,
            status=answer.status,
            detail=_error_detail(answer.body),
            body=answer.body,
            tries=tries,
            retrieved=utc_now(),
            content_type=answer.headers.get("Content-Type", ""),
        )

    def _status_message(
        self, method: str, url: str, status: int, payload: bytes, retry_fix: str
    ) -> str:
        """``METHOD url -> status phrase: detail (fix)``; ``retry_fix`` for 429 and 5xx."""
        phrase = _phrase(status)
        detail = _error_detail(payload)
        head = f"{method} {url} -> {status} {phrase}" + (f": {detail}" if detail else "")
        if status == 401:
            if self.settings.auth == "none":
                fix = f"set {TOKEN_ENV} or {USERNAME_ENV}/PASSWORD"
            else:
                used = TOKEN_ENV if self.settings.auth == "bearer" else f"{USERNAME_ENV}/PASSWORD"
                fix = f"the server refused the credentials in {used}; check them"
        elif status == 403:
            fix = "the credentials lack permission; ask for read access to the registry"
        elif status == 404:
            fix = (
                "check that the URL is the MLflow server's base URL, and that the object "
                "still exists"
            )
        elif status in RETRY_STATUSES:
            fix = retry_fix
        else:
            fix = "the server refused the call; check its version and the options given"
        return f"{head} ({fix})"


class _ProxiedConnection(http.client.HTTPConnection):
    """A plain HTTP connection to a forward proxy, its credentials on every request."""

    proxy_headers: dict[str, str] = {}  # noqa: RUF012 - replaced per instance

    def putrequest(
        self, method: str, url: str, skip_host: bool = False, skip_accept_encoding: bool = False
    ) -> None:
        """The request line and, for the proxy, its ``Proxy-Authorization``."""
        super().putrequest(method, url, skip_host, skip_accept_encoding)
        for key, value in self.proxy_headers.items():
            self.putheader(key, value)


class _Watchdog:
    """Cuts a connection at a deadline, whatever it waits for: the connection, the TLS
    handshake, the headers or a body trickling in."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.conn = conn
        self.sock: socket.socket | None = None
        self.fired = threading.Event()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def hold(self) -> None:
        """Keep the connected socket: a connection that will close hands it to its response
        and forgets it (``conn.sock`` becomes None) once the headers are read."""
        self.sock = self.conn.sock

    def cancel(self) -> None:
        """The try is over: no cut."""
        self._timer.cancel()

    def _cut(self) -> None:
        self.fired.set()
        sock = self.sock or self.conn.sock
        if sock is not None:
            try:
                # socket.socket's own shutdown, also for a TLS socket: it only wakes the
                # reader, which then sees the end of the stream.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: ASCII digits or an HTTP date; None when absent or neither.

    Strict, as RFC 9110 writes it: ``²`` or ``1.5`` are not seconds. A number too long to
    matter is infinite (longer than any wait honoured), never converted.
    """
    if value is None:
        return None
    value = value.strip(" \t")
    if _SECONDS.fullmatch(value):
        return float(value) if len(value) <= 9 else math.inf
    if not value.isascii():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


_SECONDS = re.compile(r"[0-9]+")


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, so it can be logged and shown."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, default ports filled in; None for any other."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # not a port number
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _origin_text(origin: tuple[str, str, int] | None) -> str:
    if origin is None:  # pragma: no cover - the base URL was checked
        return "the server"
    scheme, host, port = origin
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


_URL_SAFE = "!$%&'()*+,/:;=?@[]~"
"""What stays as it is in a path or query: reserved characters, and ``%`` of escapes."""


def _requote(url: str) -> str:
    """``url`` with what may not stand in a request line (spaces, control characters,
    non-ASCII) percent-encoded in its path and query, and without a fragment."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(
        parts._replace(
            path=urllib.parse.quote(parts.path, safe=_URL_SAFE),
            query=urllib.parse.quote(parts.query, safe=_URL_SAFE),
            fragment="",
        )
    )


def _proxy_for(parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult | None:
    """The proxy the environment names for this URL (``HTTPS_PROXY``, ``NO_PROXY``...)."""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.netloc):
        return None
    return urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _proxy_authorization(proxy: urllib.parse.SplitResult) -> dict[str, str]:
    if proxy.username is None:
        return {}
    pair = f"{urllib.parse.unquote(proxy.username)}:{urllib.parse.unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}


def _size_text(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    return f"{size:,} bytes"


def _ssl_context(settings: HttpSettings) -> ssl.SSLContext:
    if not settings.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=settings.ca_bundle)


def _user_agent() -> str:
    from mldossier import __version__

    return f"mldossier/{__version__}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_detail(payload: bytes) -> str:
    """``ERROR_CODE: message`` from an MLflow error body, else ''."""
    try:
        data = parse_json_text(payload.decode("utf-8"))
    except (UnicodeDecodeError, InputProblem):
        return ""
    if not isinstance(data, dict):
        return ""
    code, message = data.get("error_code"), data.get("message")
    if isinstance(code, str) and isinstance(message, str):
        return f"{code}: {message}"
    return message if isinstance(message, str) else ""


def _reason(reason: BaseException) -> str:
    text = str(reason) or type(reason).__name__
    return text if isinstance(reason, OSError) else f"{type(reason).__name__}: {text}"


def _tries(attempt: int) -> str:
    return f"after {attempt} tries; " if attempt > 1 else ""


def _tls_message(method: str, url: str, exc: BaseException) -> str:
    return (
        f"{method} {url} -> TLS failed: {getattr(exc, 'reason', None) or exc} "
        f"(set {SERVER_CERT_ENV} to the CA bundle that signed the server's certificate, "
        f"or, only for a test server, pass --insecure)"
    )
