"""``--quarantine``: invalid records left out and listed instead of stopping the run, the
verdicts that could have read them saying so, and an exit code of its own (issue 21 §5)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DEMO_EVIDENCE, REPO
from factories import MINI_CATALOG
from jsonschema import Draft202012Validator
from test_cli import DEMO_NAIVE_TIMES, run

from mldossier.errors import EXIT_QUARANTINED
from mldossier.formats.schema import load_schema

CONFIG = REPO / "mldossier.yaml"
BAD_EVENT = {
    "eventType": "START",
    "eventTime": "2026-11-27T10:10:07Z",
    "run": {"runId": "x"},
    "job": {"namespace": "a", "name": "b"},
    "producer": "p",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}
QUARANTINED = [
    "quarantined: monitoring/broken.json:/: truncated JSON: Expecting value at line 1 column "
    "14 (re-export the file; it must be one complete JSON document)",
    'quarantined: openlineage/events.ndjson:90:/run/runId: "x" is not a valid uuid (write a '
    "valid uuid)",
    "mldossier: 2 invalid record(s) left out (--quarantine): the verdicts do not cover them "
    "(fix the records, or run without --quarantine to see them as errors)",
]


@pytest.fixture
def spoiled(tmp_path: Path) -> Path:
    """The demo evidence with one invalid event (line 90) and one truncated report."""
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    with (evidence / "openlineage" / "events.ndjson").open("a") as fh:
        fh.write(json.dumps(BAD_EVENT) + "\n")
    (evidence / "monitoring" / "broken.json").write_text('{"metrics": [')
    (tmp_path / "mini.yaml").write_text(MINI_CATALOG)
    return evidence


def check(evidence: Path, *more: str) -> tuple[int, str, str]:
    mini = str(evidence.parent / "mini.yaml")
    return run(
        "--config", str(CONFIG), "check", "--evidence", str(evidence), "--controls", mini, *more
    )


def test_without_quarantine_one_invalid_record_stops_the_run(spoiled: Path) -> None:
    out = spoiled.parent / "r.json"
    code, stdout, stderr = check(spoiled, "--json", str(out))
    assert (code, stdout) == (2, "")
    assert stderr.splitlines()[-1] == "mldossier: 2 problem(s) in the input; nothing was written"
    assert not out.exists()


def test_quarantine_leaves_them_out_lists_them_and_exits_5(spoiled: Path) -> None:
    out = spoiled.parent / "r.json"
    code, stdout, stderr = check(spoiled, "--quarantine", "--json", str(out))
    assert code == EXIT_QUARANTINED == 5
    assert stderr.splitlines() == [*DEMO_NAIVE_TIMES, *QUARANTINED]
    assert "Internal: 4 no exception" in stdout  # every verdict passes, yet the run is not 0
    results = json.loads(out.read_text())
    assert [
        e.message for e in Draft202012Validator(load_schema("results")).iter_errors(results)
    ] == []
    assert results["evidence"]["quarantined"] == [
        {
            "file": "monitoring/broken.json",
            "pointer": "",
            "line": None,
            "message": "truncated JSON: Expecting value at line 1 column 14",
            "fix": "re-export the file; it must be one complete JSON document",
        },
        {
            "file": "openlineage/events.ndjson",
            "pointer": "/run/runId",
            "line": 90,
            "message": '"x" is not a valid uuid',
            "fix": "write a valid uuid",
        },
    ]
    # The registry check reads no lineage event, but a file no importer could place (the
    # truncated one) could have been anything: every verdict names it, none the event file.
    for verdict in results["results"]:
        assert verdict["reasons"][-1] == (
            "quarantined: invalid records of monitoring/broken.json were left out "
            "(--quarantine), so this verdict does not cover them"
        )
    # Without quarantined records the same run has no such field filled.
    clean = spoiled.parent / "clean.json"
    code, _, _ = run(
        "--config", str(CONFIG), "check", "--controls", str(spoiled.parent / "mini.yaml"),
        "--quarantine", "--json", str(clean),
    )  # fmt: skip
    assert code == 0
    assert json.loads(clean.read_text())["evidence"]["quarantined"] == []


def test_quarantined_lineage_events_are_named_on_the_lineage_verdicts(spoiled: Path) -> None:
    (spoiled / "monitoring" / "broken.json").unlink()
    out = spoiled.parent / "r.json"
    code, _, stderr = run(
        "--config", str(CONFIG), "check", "--evidence", str(spoiled), "--quarantine",
        "--json", str(out),
    )  # fmt: skip
    assert code == 1  # the demo's own exceptions fail the gate first
    assert QUARANTINED[1] in stderr.splitlines()  # still shown
    results = json.loads(out.read_text())
    noted = {
        v["control"]
        for v in results["results"]
        if any("openlineage/events.ndjson were left out" in r for r in v["reasons"])
    }
    lineage_checks = {
        "data_quality_passed", "datasets_pinned", "failed_runs_surfaced",
        "logging_evidence_present", "operating_logs_retained", "serving_skew_absent",
        "training_lineage_complete",
    }  # fmt: skip
    lineage = {
        v["control"]
        for v in results["results"]
        if any(c["check"] in lineage_checks for c in v["checks"])
    }
    assert lineage and lineage <= noted
    monitoring_only = {
        v["control"]
        for v in results["results"]
        if v["checks"]
        and all(
            c["check"] in ("monitoring_fresh", "no_drift", "anomalies_triaged") for c in v["checks"]
        )
        and v["status"] not in ("exception", "formal_nonconformity")
    }
    assert monitoring_only and not (monitoring_only & noted)


def test_quarantine_never_passes_on_nothing(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "mlflow").mkdir(parents=True)
    (evidence / "mlflow" / "models.json").write_text('{"registered_models": [')
    code, stdout, stderr = run("check", "--evidence", str(evidence), "--quarantine")
    assert (code, stdout) == (2, "")
    assert "no AI system found" in stderr


@pytest.mark.slow
def test_build_quarantine_writes_the_bundle_with_the_list(spoiled: Path) -> None:
    site = spoiled.parent / "site"
    mini = str(spoiled.parent / "mini.yaml")
    code, _, stderr = run(
        "--config", str(CONFIG), "build", "--no-cache", "--evidence", str(spoiled),
        "--controls", mini, "--out", str(site), "--quarantine",
    )  # fmt: skip
    assert code == EXIT_QUARANTINED, stderr
    assert stderr.splitlines()[-3:] == QUARANTINED
    page = (site / "evidence" / "index.html").read_text("utf-8")
    assert 'id="quarantined-input"' in page and "monitoring/broken.json" in page
    assert json.loads((site / "results.json").read_text())["evidence"]["quarantined"]
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(site / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Quarantined input" in text and "monitoring/broken.json" in text
