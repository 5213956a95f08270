"""A small HTTP client for the collectors: MLflow's auth variables, TLS, timeouts, retries.

Standard library only. Every answer comes back with its body as raw bytes, so a collector
can store it exactly as the server sent it. Calls that retrying cannot fix (401, 403, 404,
other 4xx, TLS failures) and calls still failing after the last try raise
:class:`CollectError`, whose message names the method and URL.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from mldossier.errors import UsageError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers worth another try: rate limiting and server-side failures."""
MAX_RETRY_AFTER_SECONDS = 300.0
"""Longest ``Retry-After`` honoured; a server asking for more is treated as failing."""

TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"
USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"
PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD"
INSECURE_ENV = "MLFLOW_TRACKING_INSECURE_TLS"
SERVER_CERT_ENV = "MLFLOW_TRACKING_SERVER_CERT_PATH"

Query = Sequence[tuple[str, str]]


class CollectError(UsageError):
    """A collection failed; the message names the call and says what to do."""


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class HttpSettings:
    """How to reach a server: timeout, retries, TLS and credentials."""

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
        )


@dataclass(frozen=True)
class Response:
    """One successful answer, body untouched."""

    method: str
    url: str
    status: int
    body: bytes
    content_type: str
    retrieved: str
    """When the body was received, UTC ISO 8601."""
    tries: int

    def json(self) -> Any:
        """The body parsed as JSON; a :class:`CollectError` if it is not JSON."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            start = self.body[:40].decode("utf-8", "replace")
            raise CollectError(
                f"{self.method} {self.url} -> {self.status} but the body is not JSON "
                f"(it starts {start!r}; check that the URL is the server itself, not a "
                "login page or proxy)"
            ) from None


class HttpClient:
    """Calls one server below a base URL, with retries; reports every call it makes."""

    def __init__(self, base_url: str, settings: HttpSettings) -> None:
        self.base_url = public_url(base_url).rstrip("/")
        self.settings = settings
        self._context = _ssl_context(settings)
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._context)
        )

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
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/json")
            request.add_header("User-Agent", _user_agent())
            if data is not None:
                request.add_header("Content-Type", "application/json")
            auth = self._authorization()
            if auth:
                # Unredirected: the credentials are not replayed to wherever a redirect leads.
                request.add_unredirected_header("Authorization", auth)
            try:
                with self._opener.open(request, timeout=self.settings.timeout) as answer:
                    payload = answer.read()
                    return Response(
                        method,
                        url,
                        answer.status,
                        payload,
                        answer.headers.get("Content-Type", ""),
                        utc_now(),
                        attempt,
                    )
            except urllib.error.HTTPError as exc:
                status = exc.code
                payload = _read_quietly(exc)
                if status in RETRY_STATUSES and not last:
                    wait = _retry_after(exc.headers.get("Retry-After"))
                    if wait is None or wait <= MAX_RETRY_AFTER_SECONDS:
                        time.sleep(wait if wait is not None else self._backoff(attempt))
                        continue
                raise CollectError(
                    self._status_message(method, url, status, payload, attempt)
                ) from None
            except Exception as exc:  # noqa: BLE001 - sorted into kinds just below
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if isinstance(reason, ssl.SSLCertVerificationError):
                    raise CollectError(_tls_message(method, url, reason)) from None
                if isinstance(reason, TimeoutError):
                    failure = f"no answer within {self.settings.timeout:g} s"
                    fix = "raise --timeout, or check that the server is not overloaded"
                elif isinstance(reason, OSError | http.client.HTTPException | str):
                    failure = f"connection failed: {_reason(reason)}"
                    fix = "check the URL and that the server is running and reachable"
                else:
                    raise
            if last:
                raise CollectError(f"{method} {url} -> {failure} ({_tries(attempt)}{fix})")
            time.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

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

    def _status_message(
        self, method: str, url: str, status: int, payload: bytes, attempt: int
    ) -> str:
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
            fix = f"{_tries(attempt)}the server is failing; try again later"
        else:
            fix = "the server refused the call; check its version and the options given"
        return f"{head} ({fix})"


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, so it can be logged and shown."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


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


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), or None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_detail(payload: bytes) -> str:
    """``ERROR_CODE: message`` from an MLflow error body, else ''."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    code, message = data.get("error_code"), data.get("message")
    if isinstance(code, str) and isinstance(message, str):
        return f"{code}: {message}"
    return message if isinstance(message, str) else ""


def _reason(reason: object) -> str:
    if isinstance(reason, BaseException):
        text = str(reason) or type(reason).__name__
        return text if isinstance(reason, OSError) else f"{type(reason).__name__}: {text}"
    return str(reason)


def _tries(attempt: int) -> str:
    return f"after {attempt} tries; " if attempt > 1 else ""


def _tls_message(method: str, url: str, exc: BaseException) -> str:
    return (
        f"{method} {url} -> TLS failed: {getattr(exc, 'reason', None) or exc} "
        f"(set {SERVER_CERT_ENV} to the CA bundle that signed the server's certificate, "
        f"or, only for a test server, pass --insecure)"
    )
