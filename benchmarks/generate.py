"""Deterministic synthetic evidence for the scale benchmark, in the real formats of the demo.

Usage: ``python benchmarks/generate.py SIZE OUT [--seed N] [--events-per-system E]`` with SIZE
one of XS, S, M, L, or ``sweep-<systems>`` (the systems sweep: E events a system).
Writes ``OUT/evidence/`` (MLflow REST responses and MLmodel files, one OpenLineage NDJSON
file, Evidently reports, sign-offs with attachments), ``OUT/mldossier.yaml`` and
``OUT/generation.json`` (what was written: counts, bytes, seconds).

Nothing here invents a format. Every file is a copy of a file of the demo bundle
(``evidence/``, written by the real tools) with names, ids, version numbers and times
rewritten: system *s* is a clone of one of the four demo systems, each generated model
version a clone of one demo version (its ``model-versions/get``, ``runs/get``,
``logged-models/get``, ``MLmodel`` and the OpenLineage DAG run that trained it). The bulk of
the lineage events are daily pipeline runs (ingest, features, batch scoring) built from the
demo's own facets as byte templates, so a million events take seconds to write. The same
size and seed always give the same bytes.

Planted gaps, so the checks do real work: the demo's own (unversioned reads, failed runs,
an unapproved version, stale or drifting monitoring), plus lost training events for the
first version of every seventh system, failed daily ingests followed by a retry, and a
monitoring report for a version the registry does not know in every tenth system.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

DEMO = Path(__file__).resolve().parents[1] / "evidence"
DEMO_CONFIG = Path(__file__).resolve().parents[1] / "mldossier.yaml"
END = datetime(2026, 11, 26, tzinfo=UTC)
"""The generated history ends here (the demo's own evidence ends on 2026-11-27)."""
WRITE_CHUNK = 8 * 1024 * 1024
"""Bytes buffered before each write of the NDJSON file."""
SEARCH_PAGE = 100
"""``max_results`` of the generated search pages (MLflow's default page is 100)."""
TRAINING_SPAN = 0.8
"""Share of the history in which the model versions are trained (serving follows)."""


@dataclass(frozen=True)
class Size:
    """How much evidence one benchmark size has."""

    systems: int
    versions: int
    events: int
    reports: int


SIZES = {
    "XS": Size(systems=4, versions=8, events=1_500, reports=8),
    "S": Size(systems=20, versions=60, events=10_000, reports=60),
    "M": Size(systems=200, versions=800, events=200_000, reports=800),
    "L": Size(systems=500, versions=2_000, events=1_000_000, reports=2_000),
}
"""XS is the CI smoke size; S, M and L are the sizes of the scale issue."""

SWEEP_PREFIX = "sweep-"
"""Sizes named ``sweep-<systems>`` belong to the systems sweep (:func:`sweep_size`)."""
SWEEP_EVENTS_PER_SYSTEM = 250
"""Lineage events per system in the systems sweep unless told otherwise."""


def sweep_size(systems: int, events_per_system: int = SWEEP_EVENTS_PER_SYSTEM) -> Size:
    """A size of the systems sweep: ``systems`` systems, each as large as every other.

    Each system has what a system has at M and L (4 versions, 4 monitoring reports) and
    ``events_per_system`` lineage events, so the evidence grows linearly with systems and
    any cost that grows faster shows as time or memory per system that is not flat.
    """
    return Size(
        systems=systems,
        versions=4 * systems,
        events=events_per_system * systems,
        reports=4 * systems,
    )


def size_named(name: str, events_per_system: int = SWEEP_EVENTS_PER_SYSTEM) -> Size:
    """``XS``, ``S``, ``M``, ``L``, or ``sweep-<systems>``."""
    if name in SIZES:
        return SIZES[name]
    count = name.removeprefix(SWEEP_PREFIX)
    if name.startswith(SWEEP_PREFIX) and count.isdigit() and int(count) > 0:
        return sweep_size(int(count), events_per_system)
    raise ValueError(
        f"unknown size {name!r}: choose from {', '.join(SIZES)} or {SWEEP_PREFIX}<systems>"
    )


# ---------------------------------------------------------------- demo templates


@dataclass
class VersionTemplate:
    """One demo model version and every file that describes it."""

    number: str
    model_version: dict[str, Any]
    run_path: str
    run_text: str
    logged_path: str
    logged_text: str
    mlmodel_path: str
    mlmodel_text: str
    events: list[str]
    """Its training DAG run: the NDJSON lines, in file order."""
    event_indexes: list[int]
    ol_anchor: datetime
    ml_anchor_ms: int

    @property
    def production(self) -> bool:
        """In production by stage or alias, as the demo's config says."""
        mv = self.model_version
        return mv.get("current_stage") == "Production" or "champion" in mv.get("aliases", [])


@dataclass
class SystemTemplate:
    """One demo AI system: its registered model, versions, pipeline, reports, sign-offs."""

    name: str
    dag: str
    registered_model: dict[str, Any]
    experiment: dict[str, Any]
    versions: list[VersionTemplate]
    signoffs: dict[str, str]
    """File name to YAML text."""
    signoff_ids: list[str]
    small_report: str
    full_report: str | None
    full_report_stem: str
    pipeline: dict[str, Any] = field(default_factory=dict)
    """Names and facets of the daily runs, taken from the training DAG run."""

    @property
    def snake(self) -> str:
        """The name as it appears in job names."""
        return self.name.replace("-", "_")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _event_time(line: str | bytes) -> datetime:
    return datetime.fromisoformat(orjson.loads(line)["eventTime"])


def load_templates(demo: Path = DEMO) -> list[SystemTemplate]:
    """The four demo systems as templates, in name order."""
    mlflow = demo / "mlflow"
    lines = [
        ln
        for ln in (demo / "openlineage" / "events.ndjson").read_text("utf-8").splitlines()
        if ln.strip()
    ]
    events = [orjson.loads(ln) for ln in lines]
    by_run: dict[str, list[int]] = {}
    parent_of: dict[str, str] = {}
    mlflow_tag: dict[str, str] = {}
    for i, event in enumerate(events):
        run_id = event["run"]["runId"]
        by_run.setdefault(run_id, []).append(i)
        facets = event["run"].get("facets", {})
        if "parent" in facets:
            parent_of[run_id] = facets["parent"]["run"]["runId"]
        for tag in facets.get("tags", {}).get("tags", []):
            if tag["key"] == "mlflow.run_id":
                mlflow_tag[tag["value"]] = run_id
    experiments = {
        e["name"]: e for e in _read_json(mlflow / "experiments_search.json")["experiments"]
    }
    signoffs: dict[str, dict[str, str]] = {}
    for path in sorted((demo / "signoffs").glob("*.yaml")):
        text = path.read_text("utf-8")
        system = yaml.safe_load(text)["subject"]["system"]
        signoffs.setdefault(system, {})[path.name] = text
    reports = sorted((demo / "monitoring").glob("*/*/*.json"))
    small_default = next(p for p in reports if "metadata" not in _read_json(p))
    templates = []
    for rm_path in sorted(mlflow.glob("registered_models_get__*.json")):
        rm = _read_json(rm_path)["registered_model"]
        name = rm["name"]
        versions = []
        for mv_path in sorted(mlflow.glob(f"model_versions_get__{name}__v*.json")):
            mv = _read_json(mv_path)["model_version"]
            run_id = mv["run_id"]
            model_id = mv["source"].removeprefix("models:/")
            train = mlflow_tag[run_id]
            dag = parent_of.get(train, train)
            group = sorted(
                i
                for rid, idx in by_run.items()
                if rid == dag or parent_of.get(rid) == dag
                for i in idx
            )
            run_path = f"mlflow/runs_get__{run_id}.json"
            logged_path = f"mlflow/logged_models_get__{model_id}.json"
            mlmodel_path = f"mlflow/artifacts/{model_id}/MLmodel"
            run_text = (demo / run_path).read_text("utf-8")
            versions.append(
                VersionTemplate(
                    number=mv["version"],
                    model_version=mv,
                    run_path=run_path,
                    run_text=run_text,
                    logged_path=logged_path,
                    logged_text=(demo / logged_path).read_text("utf-8"),
                    mlmodel_path=mlmodel_path,
                    mlmodel_text=(demo / mlmodel_path).read_text("utf-8"),
                    events=[lines[i] for i in group],
                    event_indexes=group,
                    ol_anchor=min(_event_time(lines[i]) for i in group),
                    ml_anchor_ms=json.loads(run_text)["run"]["info"]["start_time"],
                )
            )
        versions.sort(key=lambda v: int(v.number))
        own = [p for p in reports if p.parts[-3] == name]
        full = next((p for p in own if "metadata" in _read_json(p)), None)
        small = next((p for p in own if "metadata" not in _read_json(p)), small_default)
        texts = signoffs.get(name, {})
        ids = [yaml.safe_load(t)["id"] for t in texts.values()]
        first_event = events[by_run[mlflow_tag[versions[-1].model_version["run_id"]]][0]]
        dag_name = first_event["run"]["facets"]["parent"]["job"]["name"]
        template = SystemTemplate(
            name=name,
            dag=dag_name,
            registered_model=rm,
            experiment=experiments[f"northwind/{name}"],
            versions=versions,
            signoffs=texts,
            signoff_ids=sorted(ids, key=len, reverse=True),
            small_report=small.read_text("utf-8"),
            full_report=full.read_text("utf-8") if full else None,
            full_report_stem=re.sub(r"-\d{4}-\d\d-\d\d$", "", full.stem) if full else "",
        )
        template.pipeline = _pipeline(
            [events[i] for v in versions for i in v.event_indexes], _demo_facets(events)
        )
        templates.append(template)
    return templates


def _demo_facets(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The first of each facet the daily runs use, as the demo's client wrote it."""
    facets: dict[str, Any] = {}
    for event in events:
        for key, value in event["run"].get("facets", {}).items():
            facets.setdefault(key, value)
        for item in event.get("outputs", ()):
            for key, value in (
                *item.get("facets", {}).items(),
                *item.get("outputFacets", {}).items(),
            ):
                facets.setdefault(key, value)
    tags = facets["tags"]
    # Only the tag the client adds by itself; the demo's own tags name demo runs.
    facets["tags"] = {
        **tags,
        "tags": [t for t in tags["tags"] if t["key"] == "openlineage_client_version"],
    }
    return facets


def _pipeline(events: list[dict[str, Any]], facets: dict[str, Any]) -> dict[str, Any]:
    """What the daily runs of a system reuse from its demo DAG runs: names and facets."""
    found: dict[str, Any] = {"facets": facets}
    for event in events:
        job = event["job"]["name"]
        if ".ingest_" in job and "ingest" not in found and event["eventType"] == "COMPLETE":
            found["ingest"] = job
            found["landing"] = event["inputs"][0]["name"]
            found["raw"] = event["outputs"][0]["name"]
        if ".build_features" in job and "schema" not in found and event["outputs"]:
            out = event["outputs"][0]
            if "schema" in out["facets"]:
                found["schema"] = out["facets"]["schema"]
    return found


# ---------------------------------------------------------------- rewriting demo text


Piece = tuple[str, str, tuple[str, ...]]
"""Text before a match, the kind of the match, and the parts the rewrite needs."""


def _pattern(template: SystemTemplate) -> re.Pattern[str]:
    """What a rewrite replaces in the files of one demo system (one regular expression)."""
    names = [template.name, template.snake, template.dag, "/data/northwind/", *template.signoff_ids]
    literal = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.compile(
        # Ids may follow "_" (file names), so not \b: no letter or digit on either side.
        r"(?P<uuid>(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
        r"-[0-9a-f]{12}(?![0-9A-Za-z]))"
        r"|(?P<hex>(?<![0-9A-Za-z])(?:[0-9a-f]{64}|[0-9a-f]{32})(?![0-9A-Za-z]))"
        r"|(?P<iso>\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?)"
        r"|(?P<ms>\b1[6-9]\d{11}\b)"
        r"|(?P<vkey>(?:\"version\": \"|\\\"version\\\": \\\"|\\\"version\\\": "
        r"|version: \"|\"model_version\": \"))(?P<vnum>\d+)(?=\\?\"|[,}\s])"
        # Versions in names (feature tables, run names, file names), not "metric_v2".
        r"|(?P<vname>(?:(?<=features_v)|(?<=features-v)|(?<=__v)|(?<="
        + re.escape(template.name)
        + r"-v))\d+\b)"
        r"|models:/" + re.escape(template.name) + r"/(?P<unum>\d+)"
        r"|(?P<exp>(?:\"experiment_id\": \"|mlflow-artifacts:/|\"mlflow.experiment_id\", "
        r"\"source\": \"MLFLOW\", \"value\": \"))\d+"
        r"|(?P<name>" + literal + ")"
    )


_SCANS: dict[tuple[str, str], tuple[list[Piece], str]] = {}


def _scan(template: SystemTemplate, text: str) -> tuple[list[Piece], str]:
    """The matches of a demo text, found once: every clone of it only joins new values in."""
    key = (template.name, text)
    found = _SCANS.get(key)
    if found is None:
        pattern = _PATTERNS.get(template.name)
        if pattern is None:
            pattern = _PATTERNS[template.name] = _pattern(template)
        pieces: list[Piece] = []
        last = 0
        for m in pattern.finditer(text):
            kind = next(
                k
                for k in ("uuid", "hex", "iso", "ms", "vkey", "vname", "unum", "exp", "name")
                if m.group(k) is not None
            )
            parts = (
                (m.group(0), m.group("vkey"), m.group("vnum")) if kind == "vkey" else (m.group(0),)
            )
            pieces.append((text[last : m.start()], kind, parts))
            last = m.end()
        found = _SCANS[key] = (pieces, text[last:])
    return found


_PATTERNS: dict[str, re.Pattern[str]] = {}


class Rewriter:
    """Rewrites the text of demo files for one generated system (and model version).

    Names, ids, version numbers and times are found by pattern and replaced: ids by a hash
    of the original id, the seed and a salt (the same id in two files of one version gets
    the same new id), times by a shift. Each demo text is scanned once (:func:`_scan`).
    """

    def __init__(self, template: SystemTemplate, index: int, seed: int):
        self.template = template
        self.index = index
        self.seed = seed
        self.name = f"{template.name}-{index:04d}"
        self.sid = f"s{index:04d}"
        self.dag = f"{template.dag}_{self.sid}"
        self.experiment_id = str(100 + index)
        names = {
            template.name: self.name,
            template.snake: self.name.replace("-", "_"),
            template.dag: self.dag,
            "/data/northwind/": f"/data/northwind/{self.sid}/",
        }
        names.update({sid: f"{sid}-{index:04d}" for sid in template.signoff_ids})
        self.names = names
        self._names = re.compile(
            "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
        )

    def rewrite(
        self,
        text: str,
        salt: str,
        versions: dict[str, str],
        shift_ol: timedelta = timedelta(),
        shift_ml: timedelta | None = None,
    ) -> str:
        """``text`` for this system: ``versions`` maps demo version numbers to new ones.

        ``shift_ol`` moves times with an offset (OpenLineage, Evidently); ``shift_ml`` those
        written with ``Z`` or a space and epoch milliseconds (MLflow).
        """
        cache: dict[str, str] = {}
        shift_ml = shift_ol if shift_ml is None else shift_ml
        ms_shift = int(shift_ml.total_seconds() * 1000)

        def new_hex(old: str) -> str:
            if old not in cache:
                digest = hashlib.sha256(f"{self.seed}|{salt}|{old}".encode()).hexdigest()
                cache[old] = digest[: len(old)]
            return cache[old]

        pieces, tail = _scan(self.template, text)
        out: list[str] = []
        for before, kind, parts in pieces:
            out.append(before)
            value = parts[0]
            if kind == "uuid":
                h = new_hex(value.replace("-", ""))
                value = (
                    f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}"
                    f"{h[17:20]}-{h[20:32]}"
                )
            elif kind == "hex":
                value = new_hex(value)
            elif kind == "iso":
                value = shift_iso(
                    value, shift_ml if " " in value or value.endswith("Z") else shift_ol
                )
            elif kind == "ms":
                value = str(int(value) + ms_shift)
            elif kind == "vkey":
                value = parts[1] + versions.get(parts[2], parts[2])
            elif kind == "vname":
                value = versions.get(value, value)
            elif kind == "unum":
                number = value.rsplit("/", 1)[1]
                value = f"models:/{self.name}/{versions.get(number, number)}"
            elif kind == "exp":
                value = re.sub(r"\d+$", self.experiment_id, value)
            else:
                value = self.names[value]
            out.append(value)
        out.append(tail)
        return "".join(out)

    def rename(self, text: str) -> str:
        """Names only (sign-offs and attachments keep their own ids, dates and hashes)."""
        return self._names.sub(lambda m: self.names[m.group(0)], text)


def shift_iso(text: str, shift: timedelta) -> str:
    """An ISO time moved by ``shift``, written in the same style as it was read."""
    zulu = text.endswith("Z")
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if zulu else text) + shift
    digits = re.search(r"\.(\d+)", text)
    fraction = len(digits.group(1)) if digits else 0
    spec = {0: "seconds", 3: "milliseconds"}.get(fraction, "microseconds")
    out = moment.isoformat(sep=" " if " " in text else "T", timespec=spec)
    return out.replace("+00:00", "Z") if zulu else out


# ---------------------------------------------------------------- byte templates for events


class EventTemplate:
    """One event as bytes with holes: ``fill(values)`` is a join, no JSON encoding."""

    # A hole is ``@NAME@`` inside a string, or a whole string ``"@N_NAME@"`` for a number.
    HOLE = re.compile(rb'"@(N_[A-Z]+)@"|@([A-Z][A-Z0-9]*)@')

    def __init__(self, event: dict[str, Any]):
        raw = json.dumps(event, sort_keys=True).encode()  # the client's own key order
        self.parts: list[bytes] = []
        self.holes: list[str] = []
        last = 0
        for m in self.HOLE.finditer(raw):
            self.parts.append(raw[last : m.start()])
            self.holes.append((m.group(1) or m.group(2)).decode())
            last = m.end()
        self.parts.append(raw[last:] + b"\n")

    def fill(self, values: dict[str, bytes]) -> bytes:
        """The event with every hole filled, as one NDJSON line."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(values[hole])
            out.append(part)
        return b"".join(out)


def _facet(facets: dict[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    return {**facets[key], **changes}


def daily_templates(rw: Rewriter) -> dict[str, EventTemplate]:
    """The byte templates of one system's daily runs (DAG, ingest, features, scoring)."""
    p = rw.template.pipeline
    f = p["facets"]
    ns = "northwind-ml"
    producer = "https://git.northwind.example/ml/pipelines/tree/main/northwind_lineage"
    schema_url = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    prefix = f"/data/northwind/{rw.sid}/"
    landing = rw.rename(p["landing"])
    raw = rw.rename(p["raw"])
    features = f"{prefix}features/scoring_features.parquet"
    scores = f"{prefix}scores/{rw.name}.parquet"
    ingest = rw.rename(p["ingest"])
    build = f"{rw.dag}.build_scoring_features"
    serving = f"{rw.name}.serving"
    tags = f["tags"]
    nominal = _facet(f, "nominalTime", nominalStartTime="@NS@", nominalEndTime="@NE@")
    parent = _facet(
        f,
        "parent",
        job={"facets": {}, "name": rw.dag, "namespace": ns},
        root={
            "job": {"facets": {}, "name": rw.dag, "namespace": ns},
            "run": {"facets": {}, "runId": "@P@"},
        },
        run={"facets": {}, "runId": "@P@"},
    )
    version = {k: _facet(f, "version", datasetVersion=f"@{k}@") for k in ("V1", "V2", "V3")}
    stats = _facet(f, "outputStatistics", rowCount="@N_ROWS@", size="@N_BYTES@")
    error = _facet(f, "errorMessage", message="@ERR@")

    def event(
        kind: str, job: str, run_facets: dict[str, Any], inputs: list[Any], outputs: list[Any]
    ) -> EventTemplate:
        return EventTemplate(
            {
                "eventTime": "@T@",
                "eventType": kind,
                "producer": producer,
                "schemaURL": schema_url,
                "job": {"facets": {}, "name": job, "namespace": ns},
                "run": {"facets": run_facets, "runId": "@R@"},
                "inputs": inputs,
                "outputs": outputs,
            }
        )

    def ds(
        namespace: str,
        name: str,
        facets: dict[str, Any] | None = None,
        out: dict[str, Any] | None = None,
        side: str = "inputFacets",
    ) -> dict[str, Any]:
        item = {"facets": facets or {}, "name": name, "namespace": namespace}
        item[side] = out or {}
        return item

    child = {"parent": parent, "tags": tags}
    model = ds("mlflow", f"models:/{rw.name}/@M@")
    templates = {
        "dag_start": event("START", rw.dag, {"nominalTime": nominal, "tags": tags}, [], []),
        "dag_complete": event("COMPLETE", rw.dag, {"nominalTime": nominal, "tags": tags}, [], []),
        "ingest_start": event(
            "START",
            ingest,
            {**child, "nominalTime": nominal},
            [ds("file", landing)],
            [ds("file", raw, side="outputFacets")],
        ),
        "ingest_fail": event(
            "FAIL",
            ingest,
            {**child, "errorMessage": error},
            [ds("file", landing)],
            [ds("file", raw, side="outputFacets")],
        ),
        "ingest_complete": event(
            "COMPLETE",
            ingest,
            child,
            [ds("file", landing, {"version": version["V1"]})],
            [
                ds(
                    "file",
                    raw,
                    {"version": version["V2"]},
                    {"outputStatistics": stats},
                    "outputFacets",
                )
            ],
        ),
        "features_start": event(
            "START", build, {**child, "nominalTime": nominal}, [ds("file", raw)], []
        ),
        "features_complete": event(
            "COMPLETE",
            build,
            child,
            [ds("file", raw, {"version": version["V2"]})],
            [
                ds(
                    "file",
                    features,
                    {"version": version["V3"], "schema": p["schema"]},
                    {"outputStatistics": stats},
                    "outputFacets",
                )
            ],
        ),
        "serve_start": event("START", serving, {"tags": tags}, [model, ds("file", features)], []),
        "serve_complete": event(
            "COMPLETE",
            serving,
            {"tags": tags},
            [model, ds("file", features, {"version": version["V3"]})],
            [
                ds(
                    "file",
                    scores,
                    {"version": version["V1"]},
                    {"outputStatistics": stats},
                    "outputFacets",
                )
            ],
        ),
    }
    # The holes of the templates above must be the ones the writer fills.
    assert {h for t in templates.values() for h in t.holes} <= HOLES, templates
    return templates


HOLES = {"T", "R", "P", "NS", "NE", "V1", "V2", "V3", "M", "N_ROWS", "N_BYTES", "ERR"}


class Ids:
    """Deterministic run ids (UUIDv7 layout: time first) and content hashes."""

    def __init__(self, seed: int):
        self.seed = seed
        self.counter = 0

    def run_id(self, moment: datetime) -> bytes:
        """A UUIDv7-shaped id whose first 48 bits are the time in ms."""
        self.counter += 1
        ms = int(moment.timestamp() * 1000)
        h = hashlib.blake2b(f"{self.seed}:{self.counter}".encode(), digest_size=10).hexdigest()
        t = f"{ms:012x}"
        return f"{t[:8]}-{t[8:12]}-7{h[:3]}-{'89ab'[int(h[3], 16) % 4]}{h[4:7]}-{h[7:19]}".encode()

    def digest(self, *parts: object) -> bytes:
        """A SHA-256-shaped dataset version."""
        text = ":".join(str(p) for p in (self.seed, *parts))
        return hashlib.sha256(text.encode()).hexdigest().encode()


def _iso(moment: datetime) -> bytes:
    return moment.isoformat().encode()


# ---------------------------------------------------------------- the plan


@dataclass
class SystemPlan:
    """One generated system: its template, rewriter and generated versions."""

    template: SystemTemplate
    rw: Rewriter
    versions: list[tuple[int, VersionTemplate, datetime]]
    """(generated version, demo version it is cloned from, when it was trained)."""
    system_versions: dict[str, str]
    """Demo version number to generated version number, for system-level files."""
    production: int
    reports: int


def plan(size: Size, templates: list[SystemTemplate], seed: int, days: int) -> list[SystemPlan]:
    """Which demo system and versions each generated system is cloned from, and when."""
    start = END - timedelta(days=days)
    per_system = [
        size.versions // size.systems + (1 if i < size.versions % size.systems else 0)
        for i in range(size.systems)
    ]
    per_report = [
        size.reports // size.systems + (1 if i < size.reports % size.systems else 0)
        for i in range(size.systems)
    ]
    plans = []
    for index in range(size.systems):
        template = templates[index % len(templates)]
        rw = Rewriter(template, index, seed)
        k = max(1, per_system[index])
        n = len(template.versions)
        versions = []
        for j in range(1, k + 1):
            source = template.versions[max(0, n - (k - j) - 1)]
            day = (j - 0.5) / k * TRAINING_SPAN * days
            trained = start + timedelta(days=day, hours=index % 12, minutes=(index * 7) % 60)
            versions.append((j, source, trained))
        system_versions = {
            v.number: str(k - (n - i - 1))
            for i, v in enumerate(template.versions)
            if k - (n - i - 1) >= 1
        }
        production = max(
            (
                j
                for j, source, _ in versions
                if source.production and system_versions.get(source.number) == str(j)
            ),
            default=k,
        )
        plans.append(
            SystemPlan(template, rw, versions, system_versions, production, per_report[index])
        )
    return plans


# ---------------------------------------------------------------- writers


class Output:
    """The evidence folder being written, with what was written."""

    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self.bytes = 0

    def write(self, rel: str, data: str | bytes) -> None:
        """Write one evidence file."""
        raw = data.encode() if isinstance(data, str) else data
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        self.files += 1
        self.bytes += len(raw)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_mlflow(out: Output, plans: list[SystemPlan]) -> dict[str, Any]:
    """Every MLflow response: per version get/run/logged model/MLmodel, searches, the log."""
    models: list[dict[str, Any]] = []
    all_versions: list[dict[str, Any]] = []
    experiments = []
    written: list[tuple[str, str, dict[str, str]]] = []  # (file, endpoint, query)
    for p in plans:
        rw, template = p.rw, p.template
        mvs = []
        for j, source, trained in p.versions:
            versions = {source.number: str(j)}
            salt = f"{rw.sid}/v{j}"
            shift_ol = trained - source.ol_anchor
            shift_ml = (
                trained
                + timedelta(hours=2)
                - datetime.fromtimestamp(source.ml_anchor_ms / 1000, UTC)
            )
            mv = json.loads(
                rw.rewrite(json.dumps(source.model_version), salt, versions, shift_ol, shift_ml)
            )
            if p.system_versions.get(source.number) != str(j):
                # An older clone of the first demo version: long replaced.
                mv["current_stage"] = "Archived"
                mv["aliases"] = []
            mvs.append(mv)
            out.write(
                f"mlflow/model_versions_get__{rw.name}__v{j}.json", _dump({"model_version": mv})
            )
            written.append(
                (
                    f"model_versions_get__{rw.name}__v{j}.json",
                    "model-versions/get",
                    {"name": rw.name, "version": str(j)},
                )
            )
            for path, text, endpoint in (
                (source.run_path, source.run_text, "runs/get"),
                (source.logged_path, source.logged_text, "logged-models/get"),
                (source.mlmodel_path, source.mlmodel_text, "artifact"),
            ):
                new_path = rw.rewrite(path, salt, versions)
                out.write(new_path, rw.rewrite(text, salt, versions, shift_ol, shift_ml))
                written.append((new_path.removeprefix("mlflow/"), endpoint, {}))
        rm = json.loads(
            rw.rewrite(json.dumps(template.registered_model), rw.sid, p.system_versions)
        )
        rm["creation_timestamp"] = mvs[0]["creation_timestamp"]
        rm["last_updated_timestamp"] = max(mv["last_updated_timestamp"] for mv in mvs)
        latest: dict[str, dict[str, Any]] = {}
        for mv in mvs:
            latest[mv["current_stage"]] = {k: v for k, v in mv.items() if k != "aliases"}
        rm["latest_versions"] = [latest[s] for s in sorted(latest)]
        rm["aliases"] = [
            {"alias": a, "version": mv["version"]} for mv in mvs for a in mv.get("aliases", [])
        ]
        if not rm["aliases"]:
            rm.pop("aliases")
        models.append(rm)
        out.write(f"mlflow/registered_models_get__{rw.name}.json", _dump({"registered_model": rm}))
        written.append(
            (f"registered_models_get__{rw.name}.json", "registered-models/get", {"name": rw.name})
        )
        all_versions += [{k: v for k, v in mv.items() if k != "aliases"} for mv in mvs]
        exp = dict(template.experiment, experiment_id=rw.experiment_id, name=f"northwind/{rw.name}")
        experiments.append(exp)
    out.write("mlflow/experiments_search.json", _dump({"experiments": experiments[::-1]}))
    written.append(("experiments_search.json", "experiments/search", {"max_results": "1000"}))
    for kind, items in (("registered_models", models), ("model_versions", all_versions)):
        pages = max(1, math.ceil(len(items) / SEARCH_PAGE))
        for page in range(pages):
            body: dict[str, Any] = {kind: items[page * SEARCH_PAGE : (page + 1) * SEARCH_PAGE]}
            if page + 1 < pages:
                token = json.dumps({"offset": (page + 1) * SEARCH_PAGE}).encode()
                body["next_page_token"] = base64.b64encode(token).decode()
            name = f"{kind}_search_paged_page{page + 1}.json"
            out.write(f"mlflow/{name}", _dump(body))
            written.append(
                (name, kind.replace("_", "-") + "/search", {"max_results": str(SEARCH_PAGE)})
            )
    out.write("mlflow/collection-log.json", _dump(_collection_log(out.root / "mlflow", written)))
    return {
        "registered_models": len(models),
        "model_versions": len(all_versions),
        "mlflow_files": len(written) + 1,
    }


def _collection_log(folder: Path, written: list[tuple[str, str, dict[str, str]]]) -> dict[str, Any]:
    """The log ``mldossier collect`` writes, listing every MLflow file with its SHA-256."""
    base = "http://127.0.0.1:5000"
    calls = []
    for file, endpoint, query in written:
        data = (folder / file).read_bytes()
        url = (
            f"{base}/api/2.0/mlflow-artifacts/artifacts/{file.removeprefix('artifacts/')}"
            if endpoint == "artifact"
            else f"{base}/api/2.0/mlflow/{endpoint}"
        )
        calls.append(
            {
                "method": "GET",
                "url": url,
                "query": query,
                "status": 200,
                "retrieved": "2026-11-26T23:00:00Z",
                "tries": 1,
                "content_type": "text/plain" if endpoint == "artifact" else "application/json",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "file": file,
            }
        )
    return {
        "mldossier": "collection-log/v1",
        "collector": "benchmarks/generate.py",
        "mldossier_version": "0.1.0",
        "source": base,
        "started": "2026-11-26T23:00:00Z",
        "finished": "2026-11-26T23:00:00Z",
        "settings": {
            "page_size": SEARCH_PAGE,
            "mlflow_version": "3.17.2",
            "mlmodel": "every version",
        },
        "counts": {"calls": len(calls)},
        "calls": calls,
    }


def _training_lines(plans: list[SystemPlan]) -> list[tuple[datetime, bytes]]:
    """The training DAG runs of every version (demo events rewritten), by time."""
    found = []
    for p in plans:
        rw = p.rw
        for j, source, trained in p.versions:
            if j == 1 and rw.index % 7 == 3:
                continue  # planted gap: the events of this training run were lost
            text = "\n".join(source.events)
            new = rw.rewrite(
                text, f"{rw.sid}/v{j}", {source.number: str(j)}, trained - source.ol_anchor
            )
            for line in new.split("\n"):
                found.append((_event_time(line), line.encode() + b"\n"))
    found.sort(key=lambda item: item[0])
    return found


def write_events(
    out: Output, plans: list[SystemPlan], size: Size, seed: int, days: int
) -> dict[str, Any]:
    """One NDJSON file: training runs from the demo, then daily runs up to ``size.events``.

    Lines are in time order, as a client appending to one file writes them; the last day
    may end mid-run (a START without its COMPLETE), as a file copied at any moment does.
    """
    path = out.root / "openlineage" / "events.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    fixed = _training_lines(plans)
    daily_budget = size.events - len(fixed)
    ids = Ids(seed)
    start = END - timedelta(days=days)
    templates = [daily_templates(p.rw) for p in plans]
    trained = [[(t, j) for j, _, t in p.versions] for p in plans]
    daily = fixed_at = failed = 0
    buffer: list[bytes] = []
    held = 0
    with open(path, "wb") as fh:
        for day in range(days):
            base = start + timedelta(days=day)
            # The demo-derived training runs of this day go first, in time order.
            while fixed_at < len(fixed) and fixed[fixed_at][0] < base + timedelta(days=1):
                buffer.append(fixed[fixed_at][1])
                fixed_at += 1
            for s, (p, tpl) in enumerate(zip(plans, templates, strict=True)):
                if daily >= daily_budget:
                    break
                lines = _daily_run(p, tpl, ids, base, day, s, trained[s])
                lines = lines[: daily_budget - daily]
                daily += len(lines)
                failed += (day + s) % FAIL_EVERY == FAIL_AT
                buffer += lines
                held += sum(map(len, lines))
                if held >= WRITE_CHUNK:
                    fh.write(b"".join(buffer))
                    buffer.clear()
                    held = 0
        buffer += [line for _, line in fixed[fixed_at:]]
        fh.write(b"".join(buffer))
    size_bytes = path.stat().st_size
    out.files += 1
    out.bytes += size_bytes
    return {
        "events": daily + len(fixed),
        "training_events": len(fixed),
        "daily_events": daily,
        "failed_daily_ingests": failed,
        "ndjson_bytes": size_bytes,
    }


FAIL_EVERY, FAIL_AT = 41, 7
"""A system's daily ingest fails (and is retried) when (day + system) % 41 == 7."""


def _daily_run(
    p: SystemPlan,
    tpl: dict[str, EventTemplate],
    ids: Ids,
    base: datetime,
    day: int,
    s: int,
    trained: list[tuple[datetime, int]],
) -> list[bytes]:
    """One system's runs of one day: DAG with ingest and features, then batch scoring."""
    return list(_daily_events(p, tpl, ids, base, day, s, trained))


def _daily_events(
    p: SystemPlan,
    tpl: dict[str, EventTemplate],
    ids: Ids,
    base: datetime,
    day: int,
    s: int,
    trained: list[tuple[datetime, int]],
) -> Iterator[bytes]:
    at = base + timedelta(hours=1 + s % 5, minutes=(s * 13) % 60)
    nominal_start, nominal_end = _iso(at), _iso(at + timedelta(hours=1))
    dag = ids.run_id(at)
    values: dict[str, bytes] = {"NS": nominal_start, "NE": nominal_end, "P": dag}

    def fill(name: str, when: datetime, more: dict[str, bytes]) -> bytes:
        return tpl[name].fill({**values, "T": _iso(when), **more})

    yield fill("dag_start", at, {"R": dag})
    rows = str(2_000 + (day * 37 + s * 101) % 5_000).encode()
    sizes = {"N_ROWS": rows, "N_BYTES": str(int(rows) * 22).encode()}
    v_landing = ids.digest(p.rw.sid, day, "landing")
    v_raw = ids.digest(p.rw.sid, day, "raw")
    v_features = ids.digest(p.rw.sid, day, "features")
    attempt_at = at + timedelta(minutes=1)
    if (day + s) % FAIL_EVERY == FAIL_AT:  # a failed ingest, retried five minutes later
        run = ids.run_id(attempt_at)
        yield fill("ingest_start", attempt_at, {"R": run})
        yield fill(
            "ingest_fail",
            attempt_at + timedelta(minutes=2),
            {
                "R": run,
                "ERR": b"ConnectionError: SFTP read from landing zone timed out after 300 s",
            },
        )
        attempt_at += timedelta(minutes=5)
    run = ids.run_id(attempt_at)
    yield fill("ingest_start", attempt_at, {"R": run})
    yield fill(
        "ingest_complete",
        attempt_at + timedelta(minutes=3),
        {"R": run, "V1": v_landing, "V2": v_raw, **sizes},
    )
    feat_at = attempt_at + timedelta(minutes=6)
    run = ids.run_id(feat_at)
    yield fill("features_start", feat_at, {"R": run})
    yield fill(
        "features_complete",
        feat_at + timedelta(minutes=4),
        {"R": run, "V2": v_raw, "V3": v_features, **sizes},
    )
    yield fill("dag_complete", feat_at + timedelta(minutes=5), {"R": dag})
    # Batch scoring with the newest version trained by then that may serve (the production
    # version, or an older one before it existed).
    serve_at = feat_at + timedelta(minutes=20)
    served = max((j for t, j in trained if t <= serve_at and j <= p.production), default=1)
    run = ids.run_id(serve_at)
    model = str(served).encode()
    yield fill("serve_start", serve_at, {"R": run, "M": model})
    yield fill(
        "serve_complete",
        serve_at + timedelta(minutes=9),
        {
            "R": run,
            "M": model,
            "V3": v_features,
            "V1": ids.digest(p.rw.sid, day, "scores"),
            **sizes,
        },
    )


def write_monitoring(out: Output, plans: list[SystemPlan]) -> dict[str, Any]:
    """Weekly Evidently reports of each production version (newest a full snapshot)."""
    full = small = unknown = 0
    for p in plans:
        rw, template = p.rw, p.template
        stale = timedelta(days=90) if rw.index % 9 == 4 else timedelta()  # planted gap
        newest = END - timedelta(days=rw.index % 6) - stale
        for i in range(p.reports):
            when = (newest - timedelta(days=7 * i)).replace(hour=6)
            version = str(p.production)
            if rw.index % 10 == 5 and i == p.reports - 1:
                version = "99"  # planted gap: a report for a version the registry lacks
                unknown += 1
            folder = f"monitoring/{rw.name}/{version}"
            if i == 0 and template.full_report is not None:
                demo_when = datetime.fromisoformat(
                    json.loads(template.full_report)["timestamp"]
                ).replace(tzinfo=UTC)
                text = rw.rewrite(
                    template.full_report,
                    f"{rw.sid}/report{i}",
                    {n: version for n in p.system_versions},
                    when - demo_when,
                )
                out.write(f"{folder}/{template.full_report_stem}-{when.date()}.json", text)
                full += 1
            else:
                text = rw.rewrite(template.small_report, f"{rw.sid}/report{i}", {})
                out.write(f"{folder}/drift-{when.date()}.json", text)
                small += 1
    return {
        "reports": full + small,
        "full_snapshots": full,
        "small_reports": small,
        "reports_for_unknown_versions": unknown,
    }


def write_signoffs(out: Output, plans: list[SystemPlan]) -> dict[str, Any]:
    """Each system's sign-offs (its demo system's, renamed) with their own attachments."""
    count = attachments = 0
    for p in plans:
        rw = p.rw
        mapping = p.system_versions
        for name, text in p.template.signoffs.items():
            new = re.sub(
                r'(?m)^(  version: ")(\d+)(")',
                lambda m, v=mapping: (
                    m.group(1)
                    + v.get(m.group(2), m.group(2))  # type: ignore[misc]
                    + m.group(3)
                ),
                rw.rename(text),
            )
            for attachment in re.findall(r"(?m)^  - (attachments/\S+)$", text):
                renamed = rw.rename(attachment)
                source = DEMO / "signoffs" / attachment
                out.write(f"signoffs/{renamed}", rw.rename(source.read_text("utf-8")))
                attachments += 1
            out.write(f"signoffs/{rw.rename(name.removesuffix('.yaml'))}.yaml", new)
            count += 1
    return {"signoffs": count, "attachments": attachments}


def write_config(target: Path, size_name: str) -> None:
    """The demo's mldossier.yaml, pointed at the generated evidence."""
    config = yaml.safe_load(DEMO_CONFIG.read_text("utf-8"))
    config["organisation"] = f"Synthetic benchmark {size_name} (generated)"
    config["evidence"] = "evidence"
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def days_for(size: Size, templates: list[SystemTemplate]) -> int:
    """Days of daily runs needed so that the file holds ``size.events`` events."""
    training = (
        size.versions
        * sum(len(v.events) for t in templates for v in t.versions)
        / sum(len(t.versions) for t in templates)
    )
    per_day = size.systems * 8  # 8 events a system a day (a retried ingest adds 2)
    return max(14, math.ceil(max(0.0, size.events - training) / per_day) + 1)


def generate(
    size_name: str, target: Path, seed: int = 0, size: Size | None = None
) -> dict[str, Any]:
    """Write the evidence of one size into ``target`` (replacing it) and say what was written.

    ``size`` is what the size holds when ``size_name`` is not one of :data:`SIZES` (a size
    of the systems sweep, :func:`sweep_size`).
    """
    size = size or size_named(size_name)
    began = time.perf_counter()
    if target.exists():
        shutil.rmtree(target)
    evidence = target / "evidence"
    evidence.mkdir(parents=True)
    templates = load_templates()
    days = days_for(size, templates)
    plans = plan(size, templates, seed, days)
    out = Output(evidence)
    summary: dict[str, Any] = {
        "size": size_name,
        "seed": seed,
        "systems": size.systems,
        "events_per_system": size.events // size.systems,
        "days": days,
    }
    summary.update(write_mlflow(out, plans))
    summary.update(write_events(out, plans, size, seed, days))
    summary.update(write_monitoring(out, plans))
    summary.update(write_signoffs(out, plans))
    write_config(target / "mldossier.yaml", size_name)
    summary.update(
        {"files": out.files, "bytes": out.bytes, "seconds": round(time.perf_counter() - began, 2)}
    )
    (target / "generation.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate.py SIZE OUT [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "size", help=f"{', '.join(SIZES)}, or {SWEEP_PREFIX}<systems> (the systems sweep)"
    )
    parser.add_argument("out", type=Path, help="folder to write (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--events-per-system",
        type=int,
        default=SWEEP_EVENTS_PER_SYSTEM,
        help="lineage events per system of a sweep size",
    )
    args = parser.parse_args(argv)
    try:
        size = size_named(args.size, args.events_per_system)
    except ValueError as exc:
        parser.error(str(exc))
    summary = generate(args.size, args.out, args.seed, size)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
