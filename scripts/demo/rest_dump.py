"""Dump the MLflow server's REST responses byte-for-byte, and log every call made.

Plain ``urllib``, like an auditor's export script would: GET endpoints take their
parameters in the query string; every body is written exactly as received. The call log,
``collection-log.json``, has the shape ``mldossier collect`` writes (``mldossier:
collection-log/v1``), so the same importer rule claims both.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow

API = "/api/2.0/mlflow"
LOG_NAME = "collection-log.json"
LOG_MARKER = "collection-log/v1"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _mldossier_version() -> str:
    # The generator runs in the tools' virtualenv, where mldossier itself is not installed.
    init = Path(__file__).resolve().parents[2] / "src" / "mldossier" / "__init__.py"
    found = re.search(r'__version__\s*=\s*"([^"]+)"', init.read_text("utf-8"))
    return found.group(1) if found else "unknown"


@dataclass
class RestRecorder:
    """Makes REST calls against one server and keeps the responses and a log of them."""

    base_url: str
    out: Path
    calls: list[dict[str, Any]] = field(default_factory=list)
    started: str = field(default_factory=_now)

    def get(self, path: str, params: dict[str, str] | None, file: str) -> Any:
        """GET ``path``; write the body to ``file`` (relative to ``out``); return it parsed."""
        query = urllib.parse.urlencode(params or {})
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        retrieved = _now()
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                status, body = response.status, response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
            content_type = exc.headers.get("Content-Type", "")
        target = self.out / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        self.calls.append(
            {
                "method": "GET",
                "url": url,
                "query": dict(params or {}),
                "status": status,
                "retrieved": retrieved,
                "tries": 1,
                "content_type": content_type,
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
                "file": file,
            }
        )
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}: {body[:300]!r}")
        return json.loads(body) if "json" in content_type else body

    def paged(self, path: str, params: dict[str, str], stem: str, key: str) -> list[Any]:
        """Every page of a search endpoint, each written as ``<stem>_page<n>.json``."""
        items: list[Any] = []
        token: str | None = None
        page = 1
        while True:
            query = dict(params) | ({"page_token": token} if token else {})
            body = self.get(path, query, f"{stem}_page{page}.json")
            items += body.get(key, [])
            token = body.get("next_page_token")
            if not token:
                return items
            page += 1

    def write_log(self, counts: dict[str, int]) -> None:
        """The call log (``collection-log.json``): one entry per request, in the order made."""
        log = {
            "mldossier": LOG_MARKER,
            "collector": "scripts/make_demo_evidence.py (mlflow)",
            "mldossier_version": _mldossier_version(),
            "source": self.base_url,
            "started": self.started,
            "finished": _now(),
            "settings": {
                "page_size": 3,
                "mlflow_version": mlflow.__version__,
                "mlmodel": "every version",
            },
            "counts": counts | {"calls": len(self.calls)},
            "calls": self.calls,
        }
        text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
        (self.out / LOG_NAME).write_text(text, encoding="utf-8", newline="\n")


def _safe(name: str) -> str:
    return name.replace("/", "_")


def dump_registry(recorder: RestRecorder) -> dict[str, Any]:
    """Export experiments, the registry, runs, logged models and every version's MLmodel."""
    recorder.get(f"{API}/experiments/search", {"max_results": "100"}, "experiments_search.json")
    models = recorder.paged(
        f"{API}/registered-models/search",
        {"max_results": "3"},
        "registered_models_search_paged",
        "registered_models",
    )
    for model in sorted(m["name"] for m in models):
        recorder.get(
            f"{API}/registered-models/get",
            {"name": model},
            f"registered_models_get__{_safe(model)}.json",
        )
    versions = recorder.paged(
        f"{API}/model-versions/search",
        {"max_results": "3"},
        "model_versions_search_paged",
        "model_versions",
    )
    run_ids: set[str] = set()
    model_ids: set[str] = set()
    for mv in sorted(versions, key=lambda v: (v["name"], int(v["version"]))):
        recorder.get(
            f"{API}/model-versions/get",
            {"name": mv["name"], "version": mv["version"]},
            f"model_versions_get__{_safe(mv['name'])}__v{mv['version']}.json",
        )
        if mv.get("run_id"):
            run_ids.add(mv["run_id"])
        if str(mv.get("source", "")).startswith("models:/m-"):
            model_ids.add(mv["source"].removeprefix("models:/"))
    for run_id in sorted(run_ids):
        recorder.get(f"{API}/runs/get", {"run_id": run_id}, f"runs_get__{run_id}.json")
    artifacts: dict[str, str] = {}
    for model_id in sorted(model_ids):
        body = recorder.get(
            f"{API}/logged-models/{model_id}", None, f"logged_models_get__{model_id}.json"
        )
        artifacts[model_id] = body["model"]["info"]["artifact_uri"]
    for model_id, uri in sorted(artifacts.items()):
        # Proxied artifact store: mlflow-artifacts:/<path> is served at this endpoint.
        if not uri.startswith("mlflow-artifacts:/"):
            raise RuntimeError(f"{model_id}: artifact URI {uri} is not served by the proxy")
        path = uri.removeprefix("mlflow-artifacts:/").lstrip("/")
        recorder.get(
            f"/api/2.0/mlflow-artifacts/artifacts/{path}/MLmodel",
            None,
            f"artifacts/{model_id}/MLmodel",
        )
    counts = {
        "registered_models": len(models),
        "model_versions": len(versions),
        "runs": len(run_ids),
        "logged_models": len(model_ids),
        "mlmodel_files": len(artifacts),
    }
    recorder.write_log(counts)
    return counts
