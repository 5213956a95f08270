"""Property-based tests: whatever a file holds, the readers give records or Problems, nothing else.

Inputs are the real sample exports mutated by Hypothesis (keys dropped, values replaced by
other types, hostile strings and numbers inserted, lists emptied or repeated), and arbitrary
JSON under each format's own top-level keys. Each document goes the way a file goes: written
as text, parsed by ``parse_json_text``/``parse_yaml_text``, then offered to every importer
(detect, read, finish). The catalog and config loaders get the same treatment through real
files. The only exception allowed out is :class:`InputError` (a parse failure is an
``InputProblem``), and every Problem reads ``file:/pointer: message``.

Bugs these tests found (B1-B8 in tests/hostile/README.md) are fixed; each keeps a regression
test below. A new one would be allowed by its exact signature (``KNOWN_BUGS``: the exception
type and the function it escapes from) with a strict-xfail test, until fixed.

Hypothesis runs derandomized with no example database and a fixed number of examples, so CI
sees the same inputs every time; the whole module takes well under a minute.
"""

from __future__ import annotations

import copy
import json
import math
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES, hostile_generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mldossier.config import Config, load_config
from mldossier.errors import InputError, Problem
from mldossier.evaluate.catalog import load_catalog
from mldossier.evaluate.checks import library
from mldossier.formats import InputProblem
from mldossier.formats.json import parse_json_text
from mldossier.formats.yaml import parse_yaml_text
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult, builtin_importers
from mldossier.model import SourceFile

REST = SAMPLES / "mlflow" / "rest"

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
"""Deterministic (derandomized, no example database), bounded, no per-example deadline."""

KNOWN_BUGS: dict[tuple[str, str], str] = {
    # (exception type, innermost mldossier function it escaped from): bug. Empty: B1-B8,
    # found by these tests, are fixed; each keeps its regression test below.
}
"""Exceptions known to escape, each a reported bug with a strict-xfail test below."""

HOSTILE_STRINGS = [
    "",
    " ",
    "None",
    "null",
    "NaN",
    "0",
    "-1",
    "1e400",
    "x" * 300,
    "\x00",
    "\t\n",
    "😀",
    "<script>window.__pwned=1</script>",
    "{{ 7*7 }}",
    "javascript:alert(1)",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows",
    "file:///etc/passwd",
    "https://evil.example/x",
    "9999-12-31T23:59:60Z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31 23:59:59.999999-01:00",
    "2026-02-30",
    "2026-11-27",
    "2026-11-27T10:10:07",
    "2026-11-27T10:10:07Z",
    "20261127",
    "models:/",
    "models:/m/1",
    "runs:/",
    "m-",
    "[]",
    "{}",
    '[{"name": 1}]',
    '{"uri": 5}',
    "signoff/v1",
    "waiver/v1",
    "collection-log/v1",
]
HOSTILE_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    -(2**63),
    2**64,
    10**30,
    253402300799999,
    253402300800000,
    1.5,
    -0.0,
    1e308,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
]


def _source(path: str) -> SourceFile:
    return SourceFile(path, 1, "0" * 64)


# ---------------------------------------------------------------- strategies

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_STRINGS),
    st.sampled_from(HOSTILE_NUMBERS),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
"""Arbitrary JSON-shaped values (NaN, Infinity and big integers included)."""


def _places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*at, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """A real document with one to four things broken in it."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in _places(doc) if p]
        if not places:
            break
        place = places[draw(st.integers(0, len(places) - 1))]
        parent = doc
        for step in place[:-1]:
            parent = parent[step]
        key, old = place[-1], parent[place[-1]]
        action = draw(st.sampled_from(["drop", "replace", "hostile", "retype", "empty", "repeat"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "hostile":
            parent[key] = draw(st.sampled_from(HOSTILE_STRINGS + HOSTILE_NUMBERS))
        elif action == "retype":
            parent[key] = _retyped(old, draw(st.integers(0, 5)))
        elif action == "empty":
            parent[key] = type(old)() if isinstance(old, dict | list | str) else None
        elif isinstance(old, list) and old:
            parent[key] = old + [copy.deepcopy(old[0])]
        else:
            parent[key] = [old, old]
    return doc


def _retyped(value: Any, choice: int) -> Any:
    """The same value as another JSON type: "2" <-> 2, [x] <-> x, {k: x} ..."""
    options: list[Any] = [
        str(value) if not isinstance(value, str) else value,
        [value],
        {"value": value},
        None,
        True,
    ]
    if isinstance(value, str):
        try:
            options[0] = int(value)
        except ValueError:
            options[0] = len(value)
    return options[choice % len(options)]


# ---------------------------------------------------------------- the oracle


def known_bug(exc: BaseException) -> str | None:
    """The reported bug an exception is, by its type and where it left mldossier."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "mldossier" in f.filename]
    where = frames[-1].name if frames else ""
    for kind in type(exc).__mro__:
        if (kind.__name__, where) in KNOWN_BUGS:
            return KNOWN_BUGS[(kind.__name__, where)]
    return None


def check_problems(problems: list[Problem]) -> None:
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.pointer == "" or problem.pointer.startswith("/"), problem
        assert problem.message, problem
        assert problem.severity in ("error", "warning"), problem
        str(problem)


def offer(doc: Document, root: Path) -> list[Problem]:
    """Hand a document to every importer as intake does; only InputError may come out."""
    problems: list[Problem] = []
    for cls in builtin_importers():
        importer = cls(ImportContext(root, Config()))
        result = ImportResult()
        try:
            if importer.detect(doc):
                importer.read(doc, result)
                importer.finish(result)
        except InputError as exc:
            problems += exc.problems
        except Exception as exc:  # noqa: BLE001 - the property under test
            if known_bug(exc) is None:
                raise
        problems += result.problems
    check_problems(problems)
    return problems


def as_json_file(value: Any, path: str, root: Path, fmt: str = "json") -> None:
    """Write ``value`` as a file would hold it, parse it as mldossier does, offer it."""
    if fmt == "yaml":
        try:
            text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
        except yaml.YAMLError:
            return
        parse: Callable[[str], Any] = parse_yaml_text
    else:
        text = json.dumps(value, allow_nan=True, ensure_ascii=False)
        parse = parse_json_text
    try:
        data = parse(text)
    except InputProblem as problem:
        assert problem.message
        return
    except Exception as exc:  # noqa: BLE001 - the property under test
        if known_bug(exc) is None:
            raise
        return
    offer(Document(_source(path), root / path, fmt, data), root)


def _load(name: str) -> Any:
    return json.loads((REST / name).read_text("utf-8"))


SAMPLE_DOCS: dict[str, Any] = {
    "registered-model": _load("registered_models_get__breast-cancer-classifier.json"),
    "model-version": _load("model_versions_get__breast-cancer-classifier__v2.json"),
    "run": _load("runs_get__da3a687298b540b5bda2d5c88308f3e1.json"),
    "logged-model": _load("logged_models_get__m-d2b056cd5d8b4103a43cc372e1e28fb1.json"),
    "experiments": _load("experiments_search.json"),
    "versions-page": _load("model_versions_search_paged_page1.json"),
}
MLMODEL = yaml.safe_load(
    (
        SAMPLES / "mlflow" / "model_artifacts" / "m-d2b056cd5d8b4103a43cc372e1e28fb1" / "MLmodel"
    ).read_text("utf-8")
)
EVENTS = [
    json.loads(line)
    for line in (SAMPLES / "openlineage" / "events.ndjson").read_text("utf-8").splitlines()
    if line.strip()
]
SNAPSHOT_REPORT = json.loads((SAMPLES / "evidently" / "classification_report.json").read_text())
FULL_SNAPSHOT = json.loads(
    (SAMPLES / "evidently" / "classification_report.full_snapshot.json").read_text()
)
DRIFT_REPORT = json.loads((SAMPLES / "evidently" / "data_drift_report.json").read_text())
SIGNOFF = {
    "mldossier": "signoff/v1",
    "id": "RA-1",
    "kind": "risk_assessment",
    "title": "t",
    "subject": {"system": "breast-cancer-classifier", "version": "2"},
    "statement": "s",
    "signed_by": "a",
    "role": "r",
    "date": "2026-10-01",
    "expires": "2027-10-01T12:00:00+02:00",
    "attachments": ["attachments/a.md"],
}
CORPUS = hostile_generator()
"""tests/hostile/make_corpus.py: its valid waiver and catalog are the fuzzers' seeds."""
WAIVER = yaml.safe_load(CORPUS.waivers_yaml(CORPUS.waiver()))  # the corpus's waiver/valid.yaml
LOG = {
    "mldossier": "collection-log/v1",
    "collector": "x",
    "calls": [{"file": "attachments/a.md", "sha256": "0" * 64, "status": 200}],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An evidence root with one attachment, for the references sign-offs and logs make."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x" / "attachments").mkdir(parents=True)
    (folder / "x" / "attachments" / "a.md").write_text("# a\n")
    return folder


# ---------------------------------------------------------------- importers, mutated samples


@pytest.mark.slow
@FUZZ
@given(name=st.sampled_from(sorted(SAMPLE_DOCS)), data=st.data())
def test_mlflow_responses_mutated(root: Path, name: str, data: st.DataObject) -> None:
    as_json_file(data.draw(mutated(SAMPLE_DOCS[name])), f"x/{name}.json", root)


@pytest.mark.slow
@FUZZ
@given(doc=mutated(MLMODEL))
def test_mlmodel_mutated(root: Path, doc: Any) -> None:
    as_json_file(doc, "x/MLmodel", root, fmt="yaml")


@pytest.mark.slow
@FUZZ
@given(index=st.integers(0, len(EVENTS) - 1), data=st.data())
def test_openlineage_events_mutated(root: Path, index: int, data: st.DataObject) -> None:
    as_json_file(data.draw(mutated(EVENTS[index])), "x/event.json", root)


@pytest.mark.slow
@settings(FUZZ, max_examples=40)
@given(events=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=6), data=st.data())
def test_openlineage_arrays_mutated(root: Path, events: list[Any], data: st.DataObject) -> None:
    as_json_file(data.draw(mutated(events)), "x/events.json", root)


@pytest.mark.slow
@settings(FUZZ, max_examples=60)
@given(doc=st.sampled_from([SNAPSHOT_REPORT, FULL_SNAPSHOT, DRIFT_REPORT]).flatmap(mutated))
def test_evidently_reports_mutated(root: Path, doc: Any) -> None:
    as_json_file(doc, "x/m/2/drift-2026-11-01.json", root)


@pytest.mark.slow
@FUZZ
@given(doc=mutated(SIGNOFF), fmt=st.sampled_from(["json", "yaml"]))
def test_signoffs_mutated(root: Path, doc: Any, fmt: str) -> None:
    as_json_file(doc, f"x/signoff.{fmt}", root, fmt=fmt)


@pytest.mark.slow
@FUZZ
@given(doc=mutated(WAIVER))
def test_waivers_mutated(root: Path, doc: Any) -> None:
    as_json_file(doc, "x/waivers.yaml", root, fmt="yaml")


@pytest.mark.slow
@FUZZ
@given(doc=mutated(LOG))
def test_collection_logs_mutated(root: Path, doc: Any) -> None:
    as_json_file(doc, "x/log.json", root)


# ---------------------------------------------------------------- importers, arbitrary JSON

MARKERS: list[Callable[[Any], Any]] = [
    lambda v: {"registered_model": v},
    lambda v: {"registered_models": v},
    lambda v: {"model_version": v},
    lambda v: {"model_versions": v},
    lambda v: {"run": v},
    lambda v: {"runs": v},
    lambda v: {"model": v},
    lambda v: {"experiments": v},
    lambda v: {"flavors": v, "run_id": v, "signature": v},
    lambda v: {"eventTime": "2026-11-27T10:10:07Z", "run": v, "job": v},
    lambda v: {"metrics": v, "tests": v},
    lambda v: {"metric_results": v, "timestamp": "2026-11-27T10:10:07", "top_level_metrics": v},
    lambda v: {"mldossier": "signoff/v1", "subject": v, "date": v, "attachments": v},
    lambda v: {"mldossier": "waiver/v1", "waivers": v},
    lambda v: {"mldossier": "collection-log/v1", "calls": v},
]


@pytest.mark.slow
@FUZZ
@given(marker=st.sampled_from(MARKERS), value=json_values)
def test_arbitrary_json_under_each_format_s_keys(
    root: Path, marker: Callable[[Any], Any], value: Any
) -> None:
    as_json_file(marker(value), "x/arbitrary.json", root)


@pytest.mark.slow
@FUZZ
@given(value=json_values)
def test_arbitrary_json_documents(root: Path, value: Any) -> None:
    as_json_file(value, "x/any.json", root)


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(text=st.text(max_size=200))
def test_arbitrary_text_as_json_and_yaml(text: str) -> None:
    for parse in (parse_json_text, parse_yaml_text):
        try:
            parse(text)
        except InputProblem as problem:
            assert problem.message
        except Exception as exc:  # noqa: BLE001 - the property under test
            if known_bug(exc) is None:
                raise


# ---------------------------------------------------------------- catalog and config loaders

CATALOG = yaml.safe_load(CORPUS.CATALOG)
CATALOG["controls"].append(
    {
        "id": "HOST-2",
        "title": "t",
        "reference": "T.2",
        "requirement": "r",
        "applies_to": {"subject": "version", "stage": "production", "risk": ["high-risk"]},
        "checks": [{"check": "monitoring_fresh", "params": {"max_age_days": 30}}],
        "signoff": "model_validation",
        "severity": "high",
        "mode": "automated",
        "max_evidence_age_days": 90,
        "crosswalk": ["CC1.1"],
    }
)
KNOWN_CHECKS = {name: spec.subject for name, spec in library().items()}
CONFIG = {
    "organisation": "Example",
    "evidence": "evidence",
    "catalogs": [],
    "limits": {"max_document_mb": 64, "max_stream_mb": 8192},
    "production": {"stages": ["Production"], "aliases": ["champion"]},
    "tags": {"owner": "owner"},
    "linking": {"serving_job_patterns": ["serve"], "target_columns": ["target"]},
    "checks": {"monitoring_fresh": {"max_age_days": 30}},
}


def _yaml_file(value: Any, path: Path) -> bool:
    try:
        path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False))
    except (yaml.YAMLError, UnicodeEncodeError):
        return False
    return True


@pytest.mark.slow
@settings(FUZZ, max_examples=100)
@given(doc=st.one_of(mutated(CATALOG), json_values))
def test_catalog_loader(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = tmp_path_factory.mktemp("catalog") / "catalog.yaml"
    if not _yaml_file(doc, path):
        return
    try:
        catalog = load_catalog(path, KNOWN_CHECKS)
    except InputError as exc:
        check_problems(list(exc.problems))
        return
    except Exception as exc:  # noqa: BLE001 - the property under test
        if known_bug(exc) is None:
            raise
        return
    assert catalog.controls


@pytest.mark.slow
@settings(FUZZ, max_examples=100)
@given(doc=st.one_of(mutated(CONFIG), json_values))
def test_config_loader(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = tmp_path_factory.mktemp("config") / "mldossier.yaml"
    if not _yaml_file(doc, path):
        return
    try:
        config = load_config(path)
    except InputError as exc:
        check_problems(list(exc.problems))
        return
    except Exception as exc:  # noqa: BLE001 - the property under test
        if known_bug(exc) is None:
            raise
        return
    assert config.max_document_bytes > 0 and config.max_stream_bytes > 0


PIPELINE_DOCS = [
    ("mlflow/version.json", SAMPLE_DOCS["model-version"]),
    ("mlflow/run.json", SAMPLE_DOCS["run"]),
    ("mlflow/logged-model.json", SAMPLE_DOCS["logged-model"]),
    ("openlineage/events.json", EVENTS),
    ("monitoring/breast-cancer-classifier/2/drift-2026-11-01.json", DRIFT_REPORT),
    ("signoffs/signoff.json", {**SIGNOFF, "attachments": []}),
]


@pytest.mark.slow
@settings(FUZZ, max_examples=15)
@given(index=st.integers(0, len(PIPELINE_DOCS) - 1), data=st.data())
def test_whole_analysis_on_mutated_evidence(
    tmp_path_factory: pytest.TempPathFactory, index: int, data: st.DataObject
) -> None:
    """Read, link, trace lineage and evaluate every control, with one file broken."""
    from mldossier.pipeline import analyse

    path, original = PIPELINE_DOCS[index]
    evidence = tmp_path_factory.mktemp("pipeline")
    model = evidence / "mlflow" / "registered-model.json"
    model.parent.mkdir(parents=True)
    model.write_text(json.dumps(SAMPLE_DOCS["registered-model"]))
    target = evidence / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data.draw(mutated(original)), allow_nan=True))
    try:
        analyse(Config(), evidence)
    except InputError as exc:
        check_problems(list(exc.problems))
        masked = [p for p in exc.problems if "could not read this (" in p.message]
        for problem in masked:  # an importer crash that intake turned into a problem
            assert any(f"({kind}:" in problem.message for kind, _ in KNOWN_BUGS), problem
    except Exception as exc:  # noqa: BLE001 - the property under test
        if known_bug(exc) is None:
            raise


def test_the_real_samples_pass_the_oracle_untouched(root: Path) -> None:
    for name, doc in SAMPLE_DOCS.items():
        as_json_file(doc, f"x/{name}.json", root)
    for doc in (SNAPSHOT_REPORT, FULL_SNAPSHOT, DRIFT_REPORT, LOG, *EVENTS):
        as_json_file(doc, "x/doc.json", root)
    as_json_file(SIGNOFF, "x/signoff.yaml", root, fmt="yaml")


# ---------------------------------------------------------------- the known bugs, one by one


def _raises_unknown(call: Callable[[], Any]) -> None:
    """Run ``call``; an exception other than InputError/InputProblem fails the test."""
    try:
        call()
    except (InputError, InputProblem):
        pass


def _offer_strictly(value: Any, path: str, root: Path, fmt: str = "json") -> None:
    doc = Document(_source(path), root / path, fmt, value)
    for cls in builtin_importers():
        importer = cls(ImportContext(root, Config()))
        result = ImportResult()
        if importer.detect(doc):
            _raises_unknown(
                lambda importer=importer, result=result: (
                    importer.read(doc, result),
                    importer.finish(result),
                )
            )


B = "see tests/hostile/README.md"


def test_b1_json_integer_over_4300_digits() -> None:
    _raises_unknown(lambda: parse_json_text('{"a": 1' + "0" * 5000 + "}"))


def test_b1_yaml_explicit_timestamp_out_of_range() -> None:
    _raises_unknown(lambda: parse_yaml_text("date: !!timestamp 2026-13-45\n"))


def test_b2_openlineage_leap_second_at_the_end_of_time(root: Path) -> None:
    event = copy.deepcopy(EVENTS[0])
    event["eventTime"] = "9999-12-31T23:59:60Z"
    _offer_strictly(event, "x/event.json", root)


def test_b2_signoff_date_offset_before_year_one(root: Path) -> None:
    _offer_strictly({**SIGNOFF, "date": "0001-01-01T00:00:00+01:00"}, "x/s.yaml", root, "yaml")


def test_b2_mlmodel_time_offset_before_year_one(root: Path) -> None:
    _offer_strictly(
        {**MLMODEL, "utc_time_created": "0001-01-01 00:00:00+01:00"}, "x/MLmodel", root, "yaml"
    )


def test_b2_evidently_timestamp_offset_before_year_one(root: Path) -> None:
    _offer_strictly(
        {**FULL_SNAPSHOT, "timestamp": "0001-01-01T00:00:00+01:00"}, "x/full.json", root
    )


def test_b3_unpaired_surrogate_reaches_the_openlineage_importer(root: Path) -> None:
    def read() -> None:
        # In a facet's key: the fast validator cannot hand it to Rust as UTF-8.
        event = parse_json_text(
            json.dumps(EVENTS[0]).replace('"nominalTime"', '"nominal\\ud800Time"', 1)
        )
        _offer_strictly(event, "x/event.json", root)

    _raises_unknown(read)


def test_b4_attachment_name_longer_than_name_max(root: Path) -> None:
    _offer_strictly({**SIGNOFF, "attachments": ["a" * 300]}, "x/s.yaml", root, "yaml")


def test_b5_evidently_nan_drifted_column_count(root: Path) -> None:
    report = copy.deepcopy(DRIFT_REPORT)
    for metric in report["metrics"]:
        if metric["config"]["type"].endswith("DriftedColumnsCount"):
            metric["value"]["count"] = math.nan
    _offer_strictly(report, "x/m/2/drift-2026-11-01.json", root)


def test_b8_config_infinite_limit(tmp_path: Path) -> None:
    (tmp_path / "mldossier.yaml").write_text("limits:\n  max_document_mb: .inf\n")
    _raises_unknown(lambda: load_config(tmp_path / "mldossier.yaml"))


def test_every_known_bug_has_a_regression_test() -> None:
    source = Path(__file__).read_text()
    for bug in sorted(set(KNOWN_BUGS.values())):
        assert f"def test_{bug.lower()}_" in source, bug
