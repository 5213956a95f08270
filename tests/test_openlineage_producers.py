"""Real events from the OpenLineage project's and Marquez's own tests: each read as the kind
and spec version its schemaURL names, each facet checked at the version its _schemaURL names.

Where mldossier and a producer's own test disagree, the comment says why mldossier's reading
is the spec's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REFERENCE

from mldossier.config import Config
from mldossier.intake.files import Document, Limits, scan
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.importers.openlineage import OpenLineageImporter
from mldossier.intake.importers.openlineage.validate import event_kind, event_ref

PRODUCERS = REFERENCE / "openlineage-producers"
NO_COLUMN_METRICS = (
    "/inputs/0/inputFacets/dataQualityMetrics/columnMetrics: missing required field 'columnMetrics'"
)

NAIVE = (
    "warning: /eventTime: 1 event(s) have an eventTime without a time zone, read as UTC (the "
    "first here)"
)

EXPECTED: list[tuple[str, int, list[str]]] = [
    # The Python client's serialisation examples carry a naive eventTime: read as UTC, with
    # a warning (the rule of every importer; the spec's date-time wants a zone).
    ("openlineage/client_python_tests_serde_example_dataset_event.json", 0, [NAIVE]),
    ("openlineage/client_python_tests_serde_example_job_event.json", 0, [NAIVE]),
    ("openlineage/client_python_tests_serde_example_run_event.json", 1, [NAIVE]),
    ("openlineage/proxy_fluentd_docker_test-complete.json", 1, []),
    ("openlineage/proxy_fluentd_docker_test-start.json", 1, []),
    # The proxy's test parses it with input facet validation off; the facet's _schemaURL
    # names the 1-0-1 DataQualityMetricsInputDatasetFacet, which requires columnMetrics.
    ("openlineage/proxy_fluentd_events_event_full.json", 0, [NO_COLUMN_METRICS]),
    # The proxy validates facets by their key; mldossier by their _schemaURL, and these
    # name no published schema (a GitHub .yml URL), so they are custom facets, unchecked.
    ("openlineage/proxy_fluentd_events_event_invalid_dataset_facet.json", 1, []),
    ("openlineage/proxy_fluentd_events_event_invalid_job_facet.json", 1, []),
    (
        "openlineage/proxy_fluentd_events_event_invalid_input_dataset_facet.json",
        0,
        [NO_COLUMN_METRICS],
    ),
    (
        "openlineage/proxy_fluentd_events_event_invalid_output_dataset_facet.json",
        0,
        ['/outputs/0/outputFacets/outputStatistics/rowCount: expected integer, got "wrong"'],
    ),
    (
        "openlineage/proxy_fluentd_events_event_invalid_run_facet.json",
        0,
        ["/run/facets/parent/run/runId: missing required field 'runId'"],
    ),
    (
        "openlineage/proxy_fluentd_events_event_no_run_id.json",
        0,
        ["/run/runId: missing required field 'runId'"],
    ),
    ("openlineage/proxy_fluentd_events_event_simple.json", 1, []),
    ("openlineage/spec_tests_example_full_event.json", 1, []),
    ("marquez/event_additional_facet.json", 1, []),
    ("marquez/event_dataset_event.json", 0, []),  # static: valid, no run
    ("marquez/event_full.json", 0, [NO_COLUMN_METRICS]),
    ("marquez/event_job_event.json", 0, []),  # a JobEvent with an eventType: still a JobEvent
    ("marquez/event_namespace_naming.json", 1, []),
    ("marquez/event_required_nanoseconds.json", 1, []),
    # Marquez takes a naive time, and so does mldossier: as UTC, with a warning.
    ("marquez/event_required_no_timezone.json", 1, [NAIVE]),
    ("marquez/event_required_only.json", 1, []),
    ("marquez/event_simple.json", 1, []),
    ("marquez/event_unicode.json", 1, []),
    (
        "marquez/event_without_schema_url.json",
        0,
        ["/schemaURL: missing required field 'schemaURL'"],
    ),
    ("marquez/null_nominal_end_time.json", 1, []),
]


def read(tmp_path: Path, *files: Path) -> ImportResult:
    root = tmp_path / "evidence"
    (root / "openlineage").mkdir(parents=True)
    for f in files:
        shutil.copy(f, root / "openlineage" / f.name)
    found, problems = scan(root, Limits())
    importer = OpenLineageImporter(ImportContext(root, Config()))
    result = ImportResult(problems=list(problems))
    for doc in found:
        assert isinstance(doc, Document) and importer.detect(doc), doc
        importer.read(doc, result)
    importer.finish(result)
    return result


def test_every_fixture_is_pinned() -> None:
    on_disk = sorted(p.relative_to(PRODUCERS).as_posix() for p in PRODUCERS.glob("*/*.json"))
    assert sorted(name for name, _, _ in EXPECTED) == on_disk


@pytest.mark.parametrize(("name", "runs", "problems"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_real_producer_events(tmp_path: Path, name: str, runs: int, problems: list[str]) -> None:
    result = read(tmp_path, PRODUCERS / name)
    assert [
        ("warning: " if not p.is_error else "") + f"{p.pointer}: {p.message}"
        for p in result.problems
    ] == problems
    assert len(result.records.get("lineage_runs", [])) == runs


def test_events_are_validated_as_the_spec_version_they_name() -> None:
    def ref(name: str) -> str:
        return event_ref(json.loads((PRODUCERS / name).read_text("utf-8")))

    spec = "https://openlineage.io/spec/"
    assert ref("openlineage/proxy_fluentd_events_event_simple.json") == (
        spec + "1-0-1/OpenLineage.json#/definitions/RunEvent"
    )
    # 1-0-5 keeps its definitions under $defs; the event's "#/definitions/" still finds it.
    assert ref("openlineage/spec_tests_example_full_event.json") == (
        spec + "1-0-5/OpenLineage.json#/$defs/RunEvent"
    )
    assert (
        ref("marquez/event_dataset_event.json")
        == spec + "2-0-2/OpenLineage.json#/$defs/DatasetEvent"
    )
    # Marquez's JobEvent names 1-0-1, which has no JobEvent: the newest spec's, by the name.
    job = json.loads((PRODUCERS / "marquez/event_job_event.json").read_text("utf-8"))
    assert "eventType" in job and "run" not in job
    assert (event_kind(job), event_ref(job)) == (
        "JobEvent",
        spec + "2-0-2/OpenLineage.json#/$defs/JobEvent",
    )


def test_an_invalid_static_event_is_a_problem_not_skipped(tmp_path: Path) -> None:
    event = json.loads((PRODUCERS / "marquez/event_dataset_event.json").read_text("utf-8"))
    del event["dataset"]["name"]
    (tmp_path / "bad.json").write_text(json.dumps(event))
    result = read(tmp_path, tmp_path / "bad.json")
    assert [f"{p.pointer}: {p.message}" for p in result.problems] == [
        "/dataset/name: missing required field 'name'"
    ]
