"""Collect the model registry of a running MLflow tracking server over its REST API.

What is fetched, in this order: every registered model (``registered-models/search``, paged,
then ``registered-models/get`` for each), every version (``model-versions/search``, paged,
then ``model-versions/get`` for each, the only call that returns a version's aliases), the
logged model behind every ``models:/m-...`` source, every run a version or logged model names
(``runs/get``), every experiment (``experiments/search``, paged, deleted ones included), and
the ``MLmodel`` file of every production version. Bodies are stored exactly as received;
``collection-log.json`` records each call. The ``mlflow`` package is not needed.

One dangling object does not lose the rest. A call the server refuses (a run purged by
``mlflow gc`` answers 404, an MLmodel an artifact store cannot serve 500, a search page
that fails) is recorded in the log as *unavailable*, with its status, the server's message
and the object it was for (:data:`UNAVAILABLE_KINDS`), and the collection carries on. What
still stops it (exit 2, nothing written): any failure of the first call, which is the
registry itself; 401 (the credentials are refused: every call would be), 429 after the last
try (the server asks to stop), 502, 503 and 504 after the last try (the server or its
gateway is down, not one object); a connection that fails, a TLS failure, every bound of
:mod:`~mldossier.collect.http` and an answer that is not MLflow's JSON.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mldossier.collect.http import (
    CollectError,
    HttpClient,
    HttpSettings,
    Response,
    StatusError,
    public_url,
    utc_now,
)
from mldossier.collect.progress import Progress
from mldossier.collect.staging import LOG_NAME, StagedFolder, new_log, safe_name
from mldossier.config import Collect
from mldossier.intake.naming import logged_model_of_source, version_sort_key

API = "/api/2.0/mlflow"
"""Prefix of MLflow's REST API below the tracking URI."""
LOGGED_MODEL_FILE = "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files"
"""MLflow 3: one artifact file of a logged model (``artifact_file_path``). The server mounts
``get_logged_model_artifact_handler`` only under ``/ajax-api`` (``/api/2.0/...`` is a 404)."""
RUN_ARTIFACT = "/get-artifact"
"""MLflow 2 and ``runs:/`` sources: one artifact file of a run (``path``, ``run_uuid``)."""
VERSION_ARTIFACT = "/model-versions/get-artifact"
"""Any other source: one artifact file of a model version (``name``, ``version``, ``path``)."""
MAX_PAGE_SIZE = 1000
"""``registered-models/search`` refuses ``max_results`` above 1000; the others allow more."""
DEFAULT_MAX_PAGES = Collect.max_pages
"""Pages followed per paged search by default (``collect.max_pages``, ``--max-pages``)."""

STOPPING_STATUSES = frozenset({401, 429, 502, 503, 504})
"""Refusals that stop the collection wherever they come: no later call would fare better."""
UNAVAILABLE_KINDS = (
    "search_page",
    "registered_model",
    "model_version",
    "logged_model",
    "run",
    "mlmodel",
)
"""What an unavailable call was for, as the log's ``unavailable.object`` names it."""

_RUN_SOURCE = re.compile(r"^runs:/([^/]+)/?(.*)$")


@dataclass(frozen=True)
class _Wanted:
    """The object a call fetches, for the log when the server refuses it."""

    kind: str
    id: str
    versions: tuple[str, ...] = ()
    """The model versions (``name@version``) that needed it."""


@dataclass(frozen=True)
class MlflowOptions:
    """What to collect from where."""

    tracking_uri: str
    page_size: int = 100
    """``max_results`` of every paged search (always sent: server defaults differ)."""
    production_stages: tuple[str, ...] = ("Production",)
    production_aliases: tuple[str, ...] = ("champion",)
    max_pages: int = DEFAULT_MAX_PAGES
    """Pages followed per paged search; a server still sending a ``next_page_token`` on the
    last one stops the collection (a server that never stops paging)."""


@dataclass(frozen=True)
class MlflowSummary:
    """What a collection fetched."""

    out: Path
    registered_models: int
    model_versions: int
    production_versions: int
    logged_models: int
    runs: int
    experiments: int
    mlmodel_files: int
    calls: int
    unavailable: tuple[str, ...] = ()
    """One line per call the server refused, recorded as unavailable (see the module)."""

    def line(self) -> str:
        """One line for the terminal."""
        gaps = f" ({len(self.unavailable)} unavailable)" if self.unavailable else ""
        return (
            f"Collected {self.registered_models} registered model(s), "
            f"{self.model_versions} version(s) ({self.production_versions} in production), "
            f"{self.logged_models} logged model(s), {self.runs} run(s), "
            f"{self.experiments} experiment(s) and {self.mlmodel_files} MLmodel file(s) "
            f"in {self.calls} calls{gaps} into {self.out} (see {LOG_NAME})"
        )


def check_tracking_uri(uri: str) -> str:
    """The tracking URI if it is an http(s) URL with a host; a :class:`CollectError` if not."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CollectError(
            f"--tracking-uri {public_url(uri)!r} is not an http:// or https:// URL (collect "
            "talks to a running tracking server; start `mlflow server` on a file or database "
            "store and pass its URL)"
        )
    if parts.username is not None or parts.password is not None:
        raise CollectError(
            f"--tracking-uri {public_url(uri)!r} carries a user name or "
            "password (set MLFLOW_TRACKING_USERNAME/PASSWORD or "
            "MLFLOW_TRACKING_TOKEN instead: URLs end up in logs)"
        )
    if parts.query or parts.fragment:
        raise CollectError(
            f"--tracking-uri {public_url(uri)!r} has a query or fragment "
            "(pass the server's base URL only)"
        )
    return uri


def collect_mlflow(
    options: MlflowOptions, settings: HttpSettings, out: Path, progress: Progress | None = None
) -> MlflowSummary:
    """Collect the registry into ``out``, replacing it only when everything was fetched."""
    check_tracking_uri(options.tracking_uri)
    client = HttpClient(options.tracking_uri, settings)
    progress = progress or Progress(enabled=False)
    log = new_log(
        "mlflow",
        client.base_url,
        utc_now(),
        {
            "page_size": options.page_size,
            "production_stages": list(options.production_stages),
            "production_aliases": list(options.production_aliases),
            "timeout_seconds": settings.timeout,
            "total_timeout_seconds": settings.total_timeout,
            "max_pages": options.max_pages,
            "max_response_bytes": settings.max_response_bytes,
            "max_tries": settings.max_tries,
            "tls_verify": settings.verify_tls,
            "auth": settings.auth,
        },
    )
    try:
        with StagedFolder(out) as staged:
            run = _Collection(options, client, staged, log, progress)
            summary = run.collect(out)
            log["finished"] = utc_now()
            log["counts"] = {
                "registered_models": summary.registered_models,
                "model_versions": summary.model_versions,
                "production_versions": summary.production_versions,
                "logged_models": summary.logged_models,
                "runs": summary.runs,
                "experiments": summary.experiments,
                "mlmodel_files": summary.mlmodel_files,
                "calls": summary.calls,
                "unavailable": len(summary.unavailable),
            }
            staged.commit(log)
    finally:
        progress.close()
    return summary


class _Collection:
    """One collection run: the calls, in order, and what they wrote."""

    def __init__(
        self,
        options: MlflowOptions,
        client: HttpClient,
        staged: StagedFolder,
        log: dict[str, Any],
        progress: Progress,
    ) -> None:
        self.options = options
        self.client = client
        self.staged = staged
        self.log = log
        self.progress = progress
        self.unavailable: list[str] = []

    def collect(self, out: Path) -> MlflowSummary:
        """Every call, in the order the module docstring gives."""
        names = self._model_names()
        pairs = self._version_keys()
        # A version whose model appeared after the model search still gets its model.
        names.update(name for name, _ in pairs)
        registry_aliases = self._registered_models(sorted(names))
        versions = self._versions(sorted(pairs, key=lambda p: (p[0], version_sort_key(p[1]))))
        by_logged: dict[str, list[str]] = defaultdict(list)
        for v in versions:
            if model_id := logged_model_of_source(str(v.get("source", ""))):
                by_logged[model_id].append(_key(v))
        logged_runs = self._logged_models(sorted(by_logged), by_logged)
        run_for: dict[str, list[str]] = defaultdict(list)
        for v in versions:
            model_id = logged_model_of_source(str(v.get("source", "")))
            for run_id in {str(v.get("run_id") or ""), logged_runs.get(model_id or "", "")}:
                if run_id:
                    run_for[run_id].append(_key(v))
        runs = self._runs(run_for)
        experiments = self._experiments()
        production = [v for v in versions if self._in_production(v, registry_aliases)]
        mlmodels = self._mlmodels(production)
        return MlflowSummary(
            out=out,
            registered_models=len(names),
            model_versions=len(versions),
            production_versions=len(production),
            logged_models=len(logged_runs),
            runs=runs,
            experiments=experiments,
            mlmodel_files=mlmodels,
            calls=len(self.log["calls"]),
            unavailable=tuple(self.unavailable),
        )

    def _model_names(self) -> set[str]:
        names: set[str] = set()
        for where, data in self._pages(
            f"{API}/registered-models/search", "registered_models_search", "registered_models"
        ):
            names.update(_field(where, m, "name") for m in _list(where, data, "registered_models"))
        return names

    def _version_keys(self) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        for where, data in self._pages(
            f"{API}/model-versions/search", "model_versions_search", "model_versions"
        ):
            for item in _list(where, data, "model_versions"):
                pairs.add((_field(where, item, "name"), _field(where, item, "version")))
        return pairs

    def _registered_models(self, names: list[str]) -> dict[tuple[str, str], set[str]]:
        """``registered-models/get`` for each name; the aliases each one assigns."""
        aliases: dict[tuple[str, str], set[str]] = {}
        for i, name in enumerate(names, 1):
            self.progress.update("registered models", i, len(names))
            got = self._json(
                "GET",
                f"{API}/registered-models/get",
                [("name", name)],
                f"registered_models_get__{safe_name(name)}.json",
                _Wanted("registered_model", name),
            )
            if got is None:
                continue
            where, data = got
            model = _object(where, data, "registered_model")
            for alias in _list(where, model, "aliases"):
                key = (name, _field(where, alias, "version"))
                aliases.setdefault(key, set()).add(_field(where, alias, "alias"))
        return aliases

    def _versions(self, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """``model-versions/get`` for each version (search results lack the aliases)."""
        versions: list[dict[str, Any]] = []
        for i, (name, number) in enumerate(pairs, 1):
            self.progress.update("model versions", i, len(pairs))
            got = self._json(
                "GET",
                f"{API}/model-versions/get",
                [("name", name), ("version", number)],
                f"model_versions_get__{safe_name(name)}__v{safe_name(number)}.json",
                _Wanted("model_version", f"{name}@{number}", (f"{name}@{number}",)),
            )
            if got is None:
                continue
            where, data = got
            versions.append(_object(where, data, "model_version"))
        return versions

    def _logged_models(
        self, model_ids: list[str], versions: dict[str, list[str]]
    ) -> dict[str, str]:
        """``logged-models/get`` for each id; the run each one fetched comes from ("" if none),
        by id."""
        runs: dict[str, str] = {}
        for i, model_id in enumerate(model_ids, 1):
            self.progress.update("logged models", i, len(model_ids))
            path = f"{API}/logged-models/{urllib.parse.quote(model_id, safe='')}"
            wanted = _Wanted("logged_model", model_id, tuple(versions.get(model_id, ())))
            got = self._json(
                "GET", path, [], f"logged_models_get__{safe_name(model_id)}.json", wanted
            )
            if got is None:
                continue
            where, data = got
            info = _object(where, _object(where, data, "model"), "info")
            runs[model_id] = str(info.get("source_run_id") or "")
        return runs

    def _runs(self, runs: dict[str, list[str]]) -> int:
        """``runs/get`` for each run, by id (``runs`` gives the versions that name each); how
        many were fetched."""
        fetched = 0
        for i, run_id in enumerate(sorted(runs), 1):
            self.progress.update("runs", i, len(runs))
            got = self._json(
                "GET",
                f"{API}/runs/get",
                [("run_id", run_id)],
                f"runs_get__{safe_name(run_id)}.json",
                _Wanted("run", run_id, tuple(sorted(runs[run_id]))),
            )
            fetched += got is not None
        return fetched

    def _experiments(self) -> int:
        count = 0
        for where, data in self._pages(
            f"{API}/experiments/search",
            "experiments_search",
            "experiments",
            extra=[("view_type", "ALL")],
        ):
            count += len(_list(where, data, "experiments"))
        return count

    def _mlmodels(self, production: list[dict[str, Any]]) -> int:
        """Each production version's ``MLmodel`` (a file shared by versions is fetched once);
        how many were fetched."""
        calls: dict[str, tuple[str, list[tuple[str, str]], list[dict[str, Any]]]] = {}
        for version in production:
            path, query, target = _mlmodel_call(version)
            calls.setdefault(target, (path, query, []))[2].append(version)
        fetched = 0
        for i, (target, (path, query, users)) in enumerate(calls.items(), 1):
            self.progress.update("MLmodel files", i, len(calls))
            source = str(users[0].get("source", "")).rstrip("/")
            wanted = _Wanted(
                "mlmodel",
                f"{source}/MLmodel" if source else f"{_key(users[0])}/MLmodel",
                tuple(_key(v) for v in users),
            )
            fetched += self._artifact(path, query, target, wanted)
        return fetched

    def _in_production(
        self, version: dict[str, Any], registry_aliases: dict[tuple[str, str], set[str]]
    ) -> bool:
        key = (str(version.get("name")), str(version.get("version")))
        aliases = {str(a) for a in version.get("aliases") or []} | registry_aliases.get(key, set())
        return version.get("current_stage") in self.options.production_stages or bool(
            aliases & set(self.options.production_aliases)
        )

    # ------------------------------------------------------------ calls

    def _pages(
        self, path: str, stem: str, label: str, extra: list[tuple[str, str]] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each page of a GET search, following ``next_page_token`` until it is absent
        (for at most ``max_pages`` pages)."""
        token: str | None = None
        seen: set[str] = set()
        page = 1
        while True:
            query = [*(extra or []), ("max_results", str(self.options.page_size))]
            if token:
                query.append(("page_token", token))
            self.progress.update(f"{label} page {page}")
            endpoint = path.removeprefix(f"{API}/")
            got = self._json(
                "GET",
                path,
                query,
                f"{stem}_page{page}.json",
                _Wanted("search_page", f"{endpoint} page {page}"),
            )
            if got is None:
                return  # no page, no token: the pages after it are unavailable too
            where, data = got
            yield where, data
            token = data.get("next_page_token")
            if not token:
                return
            if not isinstance(token, str):
                raise CollectError(
                    f"{where} -> next_page_token is {token!r}, not a string ({_NOT_MLFLOW})"
                )
            if token in seen:
                raise CollectError(
                    f"{where} -> the server sent a next_page_token "
                    "it had sent before, so paging would never end (report this to the "
                    "server's maintainers; try a different --page-size)"
                )
            if page == self.options.max_pages:
                raise CollectError(
                    f"{where} -> page {page} still has a next_page_token, and collect follows "
                    f"at most {self.options.max_pages} pages per search (raise --max-pages, or "
                    "collect.max_pages in mldossier.yaml, if the registry is that large; a "
                    "larger --page-size needs fewer pages)"
                )
            seen.add(token)
            page += 1

    def _json(
        self, method: str, path: str, query: list[tuple[str, str]], file: str, wanted: _Wanted
    ) -> tuple[str, dict[str, Any]] | None:
        """A JSON call: ``("METHOD url", body)``; the body is kept unless empty. None when the
        server refused it and the refusal was recorded as unavailable."""
        response = self._call(method, path, query, wanted)
        if response is None:
            return None
        data = response.json()
        if not isinstance(data, dict):
            raise CollectError(
                f"{method} {response.url} -> {response.status} but the body is "
                "not a JSON object (check that the URL is the MLflow server)"
            )
        # proto3 JSON omits empty lists, so an empty result is ``{}``: it holds no evidence
        # and no importer could tell what it was, so it is logged but not kept as a file.
        self._record(response, query, None if data == {} else file)
        return f"{method} {response.url}", data

    def _artifact(self, path: str, query: list[tuple[str, str]], file: str, wanted: _Wanted) -> int:
        """An artifact kept byte for byte: 1 if fetched, 0 if recorded as unavailable."""
        response = self._call("GET", path, query, wanted)
        if response is None:
            return 0
        self._record(response, query, file)
        return 1

    def _call(
        self, method: str, path: str, query: list[tuple[str, str]], wanted: _Wanted
    ) -> Response | None:
        """The answer; None when the server refused the call in a way that leaves only
        ``wanted`` unavailable (recorded in the log); a :class:`CollectError` otherwise."""
        try:
            return self.client.request(method, path, query)
        except StatusError as error:
            if not self.log["calls"] or error.status in STOPPING_STATUSES:
                raise
            self._record_unavailable(error, query, wanted)
            return None

    def _record_unavailable(
        self, error: StatusError, query: list[tuple[str, str]], wanted: _Wanted
    ) -> None:
        """Log a refused call: the status, the server's message, the object it was for."""
        detail = error.detail or f"{error.status} {error.phrase}"
        self.log["calls"].append(
            {
                "method": error.method,
                "url": error.url,
                "redirected_from": [],
                "query": dict(query),
                "status": error.status,
                "retrieved": error.retrieved,
                "tries": error.tries,
                "content_type": error.content_type,
                "sha256": hashlib.sha256(error.body).hexdigest(),
                "size": len(error.body),
                "file": None,
                "unavailable": {
                    "object": wanted.kind,
                    "id": wanted.id,
                    "model_versions": list(wanted.versions),
                    "message": detail,
                },
            }
        )
        self.progress.calls = len(self.log["calls"])
        what = " ".join(w for w in (_KIND_WORDS[wanted.kind], wanted.id) if w)
        self.unavailable.append(
            f"{error.method} {error.url} -> {error.status} {error.phrase}"
            + (f": {error.detail}" if error.detail else "")
            + f" ({what} is unavailable; recorded in {LOG_NAME}, the collection goes on)"
        )

    def _record(self, response: Response, query: list[tuple[str, str]], file: str | None) -> None:
        entry: dict[str, Any] = {
            "method": response.method,
            "url": response.url,
            "redirected_from": list(response.redirected_from),
            "query": dict(query),
            "status": response.status,
            "retrieved": response.retrieved,
            "tries": response.tries,
            "content_type": response.content_type,
            "sha256": None,
            "size": len(response.body),
            "file": None,
        }
        if file is None:
            entry["sha256"] = hashlib.sha256(response.body).hexdigest()
            entry["note"] = "empty result ({}); not kept as a file"
        else:
            written = self.staged.write(file, response.body)
            entry["sha256"], entry["file"] = written.sha256, written.path
        self.log["calls"].append(entry)
        self.progress.calls = len(self.log["calls"])


def _mlmodel_call(version: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """(path, query, output file) fetching a version's ``MLmodel``, by the form of its source."""
    source = str(version.get("source", ""))
    if model_id := logged_model_of_source(source):
        return (
            LOGGED_MODEL_FILE.format(model_id=urllib.parse.quote(model_id, safe="")),
            [("artifact_file_path", "MLmodel")],
            f"artifacts/{safe_name(model_id)}/MLmodel",
        )
    if match := _RUN_SOURCE.match(source):
        run_id, inner = match.group(1), match.group(2).strip("/")
        artifact = f"{inner}/MLmodel" if inner else "MLmodel"
        folders = [safe_name(part) for part in PurePosixPath(inner).parts if inner]
        target = "/".join(["artifacts", safe_name(run_id), *folders, "MLmodel"])
        return RUN_ARTIFACT, [("path", artifact), ("run_uuid", run_id)], target
    name, number = str(version.get("name")), str(version.get("version"))
    return (
        VERSION_ARTIFACT,
        [("name", name), ("version", number), ("path", "MLmodel")],
        f"artifacts/{safe_name(name)}__v{safe_name(number)}/MLmodel",
    )


_NOT_MLFLOW = "check that the URL is an MLflow 2 or 3 tracking server"
_KIND_WORDS = {
    "search_page": "",
    "registered_model": "registered model",
    "model_version": "model version",
    "logged_model": "logged model",
    "run": "run",
    "mlmodel": "MLmodel",
}


def _key(version: dict[str, Any]) -> str:
    """``name@version`` of a version record."""
    return f"{version.get('name')}@{version.get('version')}"


def _list(where: str, data: dict[str, Any], key: str) -> list[Any]:
    """``data[key]`` as a list; absent is empty (proto3 JSON omits empty lists)."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CollectError(f"{where} -> {key!r} in the answer is not a list ({_NOT_MLFLOW})")
    return value


def _object(where: str, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise CollectError(f"{where} -> the answer has no {key!r} object ({_NOT_MLFLOW})")
    return value


def _field(where: str, item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value:
        raise CollectError(
            f"{where} -> an entry in the answer has {key!r} = {value!r}, "
            f"not a non-empty string ({_NOT_MLFLOW})"
        )
    return value
