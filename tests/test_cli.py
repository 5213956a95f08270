"""The command line on the demo evidence and on bad input: exact messages and exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO_EVIDENCE, REPO
from factories import GAPS_CATALOG, MINI_CATALOG, prompt_responses, write_responses
from jsonschema import Draft202012Validator

from mldossier.cli import main
from mldossier.formats.schema import load_schema

CONFIG = REPO / "mldossier.yaml"


def demo_run_id(model: str, version: str) -> str:
    """The MLflow run of a demo version: a random id, new each time the demo is generated."""
    path = DEMO_EVIDENCE / "mlflow" / f"model_versions_get__{model}__v{version}.json"
    return str(json.loads(path.read_text())["model_version"]["run_id"])


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    if cwd is None:
        result = runner.invoke(main, list(args), catch_exceptions=False)
    else:
        with runner.isolated_filesystem(temp_dir=cwd):
            result = runner.invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_check(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict, Path]:
    out = tmp_path_factory.mktemp("check")
    code, stdout, _ = run(
        "--config",
        str(CONFIG),
        "check",
        "--json",
        str(out / "r.json"),
        "--junit",
        str(out / "r.xml"),
    )
    return code, stdout, json.loads((out / "r.json").read_text()), out


def test_validate_the_demo_prints_a_summary_and_exits_0() -> None:
    code, stdout, _ = run("--config", str(CONFIG), "validate")
    assert code == 0
    assert "  AI systems (registered models): 4" in stdout
    assert "  model versions:                 9 (4 in production)" in stdout
    assert "  sign-offs:                      49" in stdout
    assert "  unlinked items:                 1" in stdout
    assert stdout.rstrip().endswith("All input is valid.")


def test_check_on_the_demo_fails_the_planted_gaps_and_passes_the_complete_system(
    demo_check: tuple[int, str, dict, Path],
) -> None:
    code, stdout, results, _ = demo_check
    assert code == 1
    by = {(r["control"], r["subject"]): r for r in results["results"]}
    # credit-default-scorer@3, the complete system: approved, traced, monitored (its weekly
    # report of 2026-11-19 is 13 days old and dated after v3's creation on 2026-10-05),
    # drift-free: no exception or observation in any control. The EU high-risk obligations
    # apply from 2027-12-02: before that they are readiness. Its monitoring measures drift
    # only: no data-quality test and no production quality metric, so the controls on
    # accuracy in operation and on input data quality are requests, and nothing else is.
    v3 = [r for r in results["results"] if r["subject"] == "credit-default-scorer@3"]
    assert v3 and {r.get("readiness_status", r["status"]) for r in v3} == {
        "no_exception",
        "no_occurrence",
        "not_evidenced",
    }
    requested = {
        r["control"]: {c["check"] for c in r["checks"] if c["status"] != "no_exception"}
        for r in v3
        if r.get("readiness_status", r["status"]) == "not_evidenced"
    }
    assert requested == {
        "EUAIA-15-ACCURACY": {"monitoring_tests_pass", "production_quality_within_tolerance"},
        "EUAIA-26-4": {"monitoring_tests_pass"},
        "SOC2-PI1-2": {"monitoring_tests_pass"},
        "SOC2-PI1-4": {"monitoring_tests_pass", "production_quality_within_tolerance"},
    }
    assert {r["status"] for r in v3 if r["control"].startswith("EUAIA")} == {"not_yet_applicable"}
    assert by[("EUAIA-72", "credit-default-scorer@3")]["reasons"][1:] == [
        "latest report is from 2026-11-19 (13 days old, limit 30)",
        "report of 2026-11-19: no drift (share 0.000 < threshold 0.5)",
    ]
    # v2 is archived but served June to October (OpenLineage): it is in the population,
    # and it served without its own approval.
    assert by[("SOC2-CC8-1", "credit-default-scorer@2")]["status"] == "exception"
    eu = by[("EUAIA-17-1-A", "credit-default-scorer@2")]
    assert (eu["status"], eu["readiness_status"]) == ("not_yet_applicable", "exception")
    assert eu["reasons"][0].startswith("applies from 2027-12-02 (Art. 113, third paragraph")
    # v1 never served: in no population, listed with the reason
    assert not [r for r in results["results"] if r["subject"] == "credit-default-scorer@1"]
    assert "credit-default-scorer@1" in {o["version"] for o in results["out_of_population"]}
    # the planted gaps, each with a reason a compliance officer can act on
    assert by[("SOC2-CC8-1", "income-verifier@2")]["reasons"] == [
        "approved on 2026-04-17T16:30:00Z, before the version was created "
        "(2026-04-20T03:36:00+00:00)",
        f"approved by 'tom.becker', who also ran the training run "
        f"{demo_run_id('income-verifier', '2')}: no segregation of duties",
    ]
    assert by[("SOC2-CC7-2", "income-verifier@2")]["reasons"] == [
        "latest report is from 2026-05-11, 205 days old; the limit is 30 days"
    ]
    skew = by[("SOC2-PI1-2", "income-verifier@2")]
    assert skew["status"] == "exception" and skew["reasons"][:2] == [
        "renamed: monthly_income → income_monthly",
        "retyped: employment_years long → string",
    ]
    owner = (
        by[("SOC2-CC1-3", "marketing-propensity")]
        if ("SOC2-CC1-3", "marketing-propensity") in by
        else next(
            r
            for r in results["results"]
            if r["subject"] == "marketing-propensity" and r["status"] == "not_evidenced"
        )
    )
    # the owner may be recorded elsewhere: a request, not an exception
    assert owner["status"] == "not_evidenced"
    fraud = [r for r in results["results"] if r["subject"] == "card-fraud-detector@2"]
    failed = {r["control"]: r for r in fraud if r["status"] == "exception"}
    assert set(failed) == {"SOC2-CC7-4", "SOC2-PI1-3", "SOC2-CC7-3", "SOC2-PI1-4"}
    assert all("ended FAIL" in " ".join(failed[c]["reasons"]) for c in ("SOC2-CC7-4", "SOC2-PI1-3"))
    # in production its precision and F1 fell far below the training run's
    quality = next(
        c
        for c in failed["SOC2-PI1-4"]["checks"]
        if c["check"] == "production_quality_within_tolerance"
    )
    assert quality["status"] == "exception"
    assert (
        "precision 0.6137 in production, 1 at training (precision): 38.6 % worse, beyond the "
        "10 % tolerance" in quality["reasons"]
    )
    # its drift is an observation (monitoring worked), triaged two days after the report
    drift = "drift:monitoring/card-fraud-detector/2/drift-and-quality-2026-11-16.json"
    monitored = by[("SOC2-CC7-2", "card-fraud-detector@2")]
    assert monitored["status"] == "observation" and drift in monitored["reasons"][0]
    # the drift was triaged; the five failed quality tests of the same report were not
    tests = "tests:monitoring/card-fraud-detector/2/drift-and-quality-2026-11-16.json"
    assert by[("SOC2-CC7-3", "card-fraud-detector@2")]["reasons"] == [
        "5 failed Evidently test(s) (Precision metric: Equal 1.000 ± 0.200, F1 score metric: "
        "Equal 0.989 ± 0.198, LogLoss metric: Equal 0.009 ± 0.002 and 2 more) in the report of "
        f"2026-11-16 ({tests}): detected 2026-11-16, not triaged within 14 days",
        f"dataset drift (share 0.667 ≥ 0.5) in the report of 2026-11-16 ({drift}): "
        "triaged by ANR-2026-009 on 2026-11-18",
    ]
    assert "Findings (most severe first):" in stdout


def test_results_json_follows_its_published_schema(demo_check: tuple[int, str, dict, Path]) -> None:
    _, _, results, _ = demo_check
    validator = Draft202012Validator(
        load_schema("results"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(results)] == []
    every = [c for r in results["results"] for c in r["citations"]]
    assert every and all(len(c["sha256"]) == 64 for c in every)


def test_the_demo_accounts_for_every_file_and_its_collection_log_records_no_failure(
    demo_check: tuple[int, str, dict, Path],
) -> None:
    _, _, results, _ = demo_check
    files = {f["path"]: f for f in results["evidence"]["files"]}
    on_disk = {p.relative_to(DEMO_EVIDENCE).as_posix() for p in DEMO_EVIDENCE.rglob("*")}
    assert set(files) == {p for p in on_disk if (DEMO_EVIDENCE / p).is_file()}
    roles = {path: f["role"] for path, f in files.items() if f["role"] != "evidence"}
    assert roles == {"README.md": "ignored"}
    assert files["README.md"]["reason"] == "matches `*.md`, a default of evidence.ignore"
    # A sign-off's attachment is read whatever the patterns say (*.md, *.txt).
    attached = [f for p, f in files.items() if p.startswith("signoffs/attachments/")]
    assert len(attached) == 6 and {f["kind"] for f in attached} == {"attachment"}
    log = files["mlflow/collection-log.json"]
    assert (log["kind"], log["importer"], log["role"]) == (
        "collection log",
        "collection-log",
        "evidence",
    )
    assert results["evidence"]["export_errors"] == []


def test_junit_has_one_case_per_verdict(demo_check: tuple[int, str, dict, Path]) -> None:
    _, _, results, out = demo_check
    root = ET.parse(out / "r.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(results["results"])
    total = results["summary"]["total"]
    assert int(root.get("failures", "-1")) == total["exception"] + total["formal_nonconformity"]
    assert int(root.get("errors", "-1")) == total["error"]
    passed = len(cases) - int(root.get("failures")) - int(root.get("errors"))
    skipped = sum(int(suite.get("skipped", "-1")) for suite in root.findall("testsuite"))
    assert skipped == passed - total["no_exception"]
    assert root.get("skipped") is None  # not allowed on <testsuites> by Jenkins' schema
    assert {s.get("name") for s in root.findall("testsuite")} == {"EU AI Act", "SOC 2"}


DEMO_NAIVE_TIMES = [
    "warning: monitoring/card-fraud-detector/2/drift-and-quality-2026-11-16.json:/timestamp: "
    "2 Evidently snapshot(s) have a timestamp without a time zone, read as UTC (this one; also "
    "monitoring/credit-default-scorer/3/weekly-drift-2026-11-19.json) (Evidently's default "
    "timestamp is the local time of the machine that ran the report: if its clock is not UTC, "
    "report ages are off by its offset; give snapshots a timestamp in UTC)"
]
"""The demo's two Evidently snapshots with naive timestamps: read as UTC, one warning."""


def test_check_exits_0_when_nothing_fails(tmp_path: Path) -> None:
    catalog = tmp_path / "mini.yaml"
    catalog.write_text(MINI_CATALOG)
    code, stdout, stderr = run("--config", str(CONFIG), "check", "--controls", str(catalog))
    assert (code, stderr.splitlines()) == (0, DEMO_NAIVE_TIMES)
    assert "Internal: 4 no exception" in stdout


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "bad.json",
            '{"a": ',
            "mlflow/bad.json:/: truncated JSON: Expecting value at line 1 column 7 "
            "(re-export the file; it must be one complete JSON document)",
        ),
        (
            # MLflow's, by its key, but in no shape MLflow answers with: a malformed export,
            # an error (a file of no known shape at all is only not evidence, see below).
            "odd.json",
            '{"registered_model": "credit-default-scorer"}',
            "mlflow/odd.json:/: unknown export shape: it looks like mlflow evidence, but in no "
            "shape mldossier reads (re-export it; docs/formats.md lists the shapes each "
            "importer reads)",
        ),
        (
            "latin1.json",
            b'{"name": "caf\xe9"}',
            "mlflow/latin1.json:/: file is not UTF-8 text "
            "(byte 13 cannot be decoded) (re-export it as UTF-8)",
        ),
    ],
)
def test_bad_input_exits_2_with_the_exact_message(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    evidence = tmp_path / "ev"
    shutil.copytree(DEMO_EVIDENCE / "mlflow", evidence / "mlflow")
    data = content.encode() if isinstance(content, str) else content
    (evidence / "mlflow" / name).write_bytes(data)
    for command in ("validate", "check"):
        code, stdout, stderr = run("--config", str(CONFIG), command, "--evidence", str(evidence))
        assert code == 2, command
        assert f"error: {message}" in stderr.splitlines()
        assert stderr.splitlines()[-1] == (
            "mldossier: 1 problem(s) in the input; nothing was written"
        )
        assert "Traceback" not in stderr and stdout == ""


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    (evidence / "a.json").write_text("[")
    (evidence / "b.json").write_text('{"registered_models": {}}')
    (evidence / "c.yaml").write_text("a: *b\n")
    code, _, stderr = run("validate", "--evidence", str(evidence))
    assert code == 2
    assert [line.split(":")[1] for line in stderr.splitlines() if line.startswith("error")] == [
        " a.json",
        " b.json",
        " c.yaml",
    ]


def test_missing_and_empty_evidence_folders(tmp_path: Path) -> None:
    code, _, stderr = run("validate", "--evidence", str(tmp_path / "nope"))
    assert code == 2 and stderr == (
        f"mldossier: evidence folder {tmp_path / 'nope'} does not "
        "exist (pass --evidence DIR or set `evidence:` in "
        "mldossier.yaml)\n"
    )
    (tmp_path / "empty").mkdir()
    code, _, stderr = run("validate", "--evidence", str(tmp_path / "empty"))
    assert code == 2 and "holds no files" in stderr


# ---------------------------------------------------------------- nothing passes on nothing

NO_SYSTEM_FIX = (
    "(an AI system is an MLflow registered model: export the registry into the folder, with "
    "mldossier collect mlflow or as registered-models/search responses, or point --evidence "
    "at the folder that holds it)"
)
NOT_EVIDENCE_FIX = (
    "(mldossier reads MLflow REST responses, OpenLineage events, Evidently snapshots and its "
    "own sign-offs and waivers; if the file belongs in the folder, add it to evidence.ignore "
    "in mldossier.yaml)"
)
NOTHING_WRITTEN = "mldossier: {} problem(s) in the input; nothing was written"


def demo_mlflow(tmp_path: Path) -> Path:
    """A copy of the demo's MLflow export (four AI systems) as ``tmp_path/evidence``."""
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE / "mlflow", evidence / "mlflow")
    return evidence


def test_a_folder_with_only_a_readme_is_refused_saying_what_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "README.md").write_text("# Where the exports will go\n")
    for command in ("validate", "check", "build"):
        code, stdout, stderr = run(command, "--evidence", "evidence")
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [
            "error: evidence/: no AI system found: 0 files read, 1 ignored, "
            f"0 MLflow registered models {NO_SYSTEM_FIX}",
            NOTHING_WRITTEN.format(1),
        ], command
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("error_code", "message"),
    [
        ("PERMISSION_DENIED", "User alice does not have READ permission on registered models"),
        ("RESOURCE_DOES_NOT_EXIST", "Registered Model with name=credit-default-scorer not found"),
    ],
)
def test_an_export_of_error_bodies_only_is_refused_naming_the_file_and_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error_code: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    body = tmp_path / "evidence" / "mlflow" / "registered_models_search_page1.json"
    body.parent.mkdir(parents=True)
    body.write_text(json.dumps({"error_code": error_code, "message": message}))
    for command in ("validate", "check"):
        code, stdout, stderr = run(command, "--evidence", "evidence")
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [
            "error: mlflow/registered_models_search_page1.json:/error_code: this is an MLflow "
            f"error response ({error_code}: {message}), not an export: the call that wrote it "
            "failed (re-run the export call that failed; a file kept on purpose goes in "
            "evidence.ignore)",
            NOTHING_WRITTEN.format(1),
        ], command


def test_an_error_body_in_a_whole_export_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answer of a failed call, kept as a file: what the call would have brought is
    # missing, so no verdict may stand on the rest. Invalid input, as a malformed file is.
    monkeypatch.chdir(tmp_path)
    evidence = demo_mlflow(tmp_path)
    (evidence / "mlflow" / "registered_models_get__retired-scorer.json").write_text(
        '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with '
        'name=retired-scorer not found"}'
    )
    error = (
        "error: mlflow/registered_models_get__retired-scorer.json:/error_code: this is an "
        "MLflow error response (RESOURCE_DOES_NOT_EXIST: Registered Model with "
        "name=retired-scorer not found), not an export: the call that wrote it failed (re-run "
        "the export call that failed; a file kept on purpose goes in evidence.ignore)"
    )
    for command in ("validate", "check", "build"):
        code, stdout, stderr = run("--config", str(CONFIG), command, "--evidence", str(evidence))
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [error, NOTHING_WRITTEN.format(1)], command


def test_a_prompt_is_listed_never_assessed(tmp_path: Path) -> None:
    # MLflow's prompt registry keeps a prompt as a registered model tagged
    # mlflow.prompt.is_prompt: it is no AI system, gets no verdict, and is listed as seen.
    evidence = demo_mlflow(tmp_path)
    write_responses(evidence / "mlflow", prompt_responses("support-answer", ("1", "2")))
    base = ("--config", str(CONFIG))
    code, stdout, stderr = run(*base, "validate", "--strict", "--evidence", str(evidence))
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert "  AI systems (registered models): 4" in lines
    assert "  model versions:                 9 (4 in production)" in lines
    assert lines[lines.index("  prompts (not AI systems):       1") + 1] == (
        "    - support-answer (versions 1, 2): an MLflow prompt, not an AI system: no control "
        "is assessed on it [mlflow/registered_models_get__support-answer.json]"
    )
    catalog = tmp_path / "mini.yaml"
    catalog.write_text(MINI_CATALOG)
    out = tmp_path / "r.json"
    check = ("check", "--evidence", str(evidence), "--controls", str(catalog))
    code, _, stderr = run(*base, *check, "--json", str(out))
    assert (code, stderr) == (0, "")
    results = json.loads(out.read_text())
    assert "support-answer" not in {s["system"] for s in results["subjects"]}
    assert not [r for r in results["results"] if r["subject"].startswith("support-answer")]
    (prompt,) = results["evidence"]["prompts"]
    assert (prompt["name"], prompt["versions"], prompt["used_by"]) == (
        "support-answer",
        ["1", "2"],
        [],
    )
    assert prompt["citation"]["file"] == "mlflow/registered_models_get__support-answer.json"
    assert prompt["citation"]["pointer"] == "/registered_model"
    validator = Draft202012Validator(load_schema("results"))
    assert [e.message for e in validator.iter_errors(results)] == []


def test_prompts_alone_are_no_ai_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_responses(tmp_path / "evidence" / "mlflow", prompt_responses("support-answer", ("1",)))
    for command in ("validate", "check"):
        code, stdout, stderr = run(command, "--evidence", "evidence")
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [
            "error: evidence/: no AI system found: 2 files read (2 mlflow), 1 MLflow prompt (a "
            f"prompt is not an AI system), 0 MLflow registered models {NO_SYSTEM_FIX}",
            NOTHING_WRITTEN.format(1),
        ], command


def test_empty_search_pages_are_read_and_nothing_passes_on_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MLflow answers {} to a search that matches nothing: a page, of no records.
    monkeypatch.chdir(tmp_path)
    write_responses(
        tmp_path / "evidence" / "mlflow",
        {"registered_models_search.json": {}, "model_versions_search.json": {}},
    )
    for command in ("validate", "check", "build"):
        code, stdout, stderr = run(command, "--evidence", "evidence")
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [
            "error: evidence/: no AI system found: 2 files read (2 mlflow), "
            f"0 MLflow registered models {NO_SYSTEM_FIX}",
            NOTHING_WRITTEN.format(1),
        ], command
    assert not (tmp_path / "site").exists()


def test_an_empty_search_page_in_a_whole_export_is_no_problem(tmp_path: Path) -> None:
    evidence = demo_mlflow(tmp_path)
    write_responses(evidence / "mlflow", {"runs_search_experiment_9.json": {}})
    code, stdout, stderr = run(
        "--config", str(CONFIG), "-v", "validate", "--strict", "--evidence", str(evidence)
    )
    assert (code, stderr) == (0, "")
    assert "  mlflow/runs_search_experiment_9.json: mlflow importer" in stdout.splitlines()


def failed_call(evidence: Path) -> str:
    """One failed call added to the collection log of an export otherwise whole; its warning."""
    log_path = evidence / "mlflow" / "collection-log.json"
    log = json.loads(log_path.read_text())
    url = "http://127.0.0.1:35687/api/2.0/mlflow/registered-models/get?name=retired-scorer"
    log["calls"].append(
        {"method": "GET", "url": url, "status": 403, "sha256": None, "size": 0, "file": None}
    )
    log_path.write_text(json.dumps(log, indent=2))
    return (
        f"mlflow/collection-log.json:/calls/{len(log['calls']) - 1}/status: the export's call "
        f"GET {url} failed (HTTP 403) (collect again once the call succeeds: what it would "
        "have brought is missing)"
    )


def test_a_failed_call_in_a_whole_export_is_recorded_and_fails_check(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    catalog = tmp_path / "mini.yaml"
    catalog.write_text(MINI_CATALOG)
    base = ("--config", str(CONFIG))
    passing = ("check", "--evidence", str(evidence), "--controls", str(catalog))
    assert run(*base, *passing)[0] == 0  # the export as it was passes
    warning = failed_call(evidence)
    code, stdout, stderr = run(*base, "validate", "--evidence", str(evidence))
    assert (code, stderr.splitlines()) == (0, [f"warning: {warning}", *DEMO_NAIVE_TIMES])
    assert "  failed export calls:            1 (see the warnings)" in stdout.splitlines()
    out = tmp_path / "r.json"
    code, stdout, stderr = run(*base, *passing, "--json", str(out))
    assert (code, stderr.splitlines()) == (1, [f"warning: {warning}", *DEMO_NAIVE_TIMES])
    assert stdout.splitlines()[-1] == (
        "1 call(s) of the export failed (see the warnings): the evidence is incomplete, so "
        "the check fails (collect or export again)"
    )
    assert "Internal: 4 no exception" in stdout  # every verdict passes, yet the check fails
    results = json.loads(out.read_text())
    (recorded,) = results["evidence"]["export_errors"]
    assert (recorded["source"], recorded["code"]) == ("collection log", "HTTP 403")
    assert f"{recorded['citation']['file']}:{recorded['citation']['pointer']}" in warning
    validator = Draft202012Validator(load_schema("results"))
    assert [e.message for e in validator.iter_errors(results)] == []
    code, stdout, stderr = run(*base, *passing, "--strict")
    assert (code, stdout) == (2, "")
    assert stderr.splitlines() == [
        f"error: {warning}",
        *DEMO_NAIVE_TIMES,
        NOTHING_WRITTEN.format(1),
    ]


def test_a_stray_request_log_is_ignored_by_default(tmp_path: Path) -> None:
    # An export script's own log of its requests: before evidence.ignore, exit 2 for all.
    evidence = demo_mlflow(tmp_path)
    (evidence / "mlflow" / "_requests.json").write_text(
        '[{"url": "http://mlflow:5000/api/2.0/mlflow/registered-models/search", "status": 200}]'
    )
    where = ("--evidence", str(evidence))
    code, _, stderr = run("--config", str(CONFIG), "validate", "--strict", *where)
    assert (code, stderr) == (0, "")
    code, _, stderr = run("--config", str(CONFIG), "check", "--strict", *where)
    assert code != 2 and stderr == ""  # the verdicts may fail it; the stray file does not
    code, stdout, _ = run("--config", str(CONFIG), "-v", "validate", "--evidence", str(evidence))
    assert "  files not read:                 1 (1 ignored)" in stdout.splitlines()
    assert "  mlflow/_requests.json: ignored, matches `_*`, a default of evidence.ignore" in (
        stdout.splitlines()
    )


def test_a_file_of_no_known_shape_is_not_evidence_a_warning_an_error_with_strict(
    tmp_path: Path,
) -> None:
    evidence = demo_mlflow(tmp_path)
    (evidence / "notes.json").write_text('{"todo": "ask the platform team for the drift reports"}')
    message = (
        "notes.json:/: not evidence: no importer reads its shape, so it is not read "
        + NOT_EVIDENCE_FIX
    )
    code, stdout, stderr = run("--config", str(CONFIG), "validate", "--evidence", str(evidence))
    assert (code, stderr.splitlines()) == (0, [f"warning: {message}"])
    assert "  files not read:                 1 (1 not evidence)" in stdout.splitlines()
    for command in ("validate", "check"):
        code, stdout, stderr = run(
            "--config", str(CONFIG), command, "--strict", "--evidence", str(evidence)
        )
        assert (code, stdout) == (2, ""), command
        assert stderr.splitlines() == [f"error: {message}", NOTHING_WRITTEN.format(1)], command


def test_the_configs_ignore_patterns_add_to_the_defaults_and_bang_reads_a_file_again(
    tmp_path: Path,
) -> None:
    evidence = demo_mlflow(tmp_path)
    (evidence / "notes.json").write_text('{"todo": 1}')
    # A fifth registered model, in a file the defaults ignore (it starts with "_").
    (evidence / "mlflow" / "_registered_models_get__extra.json").write_text(
        '{"registered_model": {"name": "extra-system", "creation_timestamp": 1767225600000, '
        '"last_updated_timestamp": 1767225600000}}'
    )
    code, stdout, stderr = run("validate", "--evidence", str(evidence))
    assert code == 0 and stderr.startswith("warning: notes.json:/: not evidence")
    assert "  AI systems (registered models): 4" in stdout.splitlines()
    config = tmp_path / "mldossier.yaml"
    config.write_text(
        "evidence:\n  dir: evidence\n  ignore: [notes.json, '!_registered_models_get__extra.json']\n"
    )
    code, stdout, stderr = run("--config", str(config), "-v", "validate", "--strict")
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert "  AI systems (registered models): 5" in lines
    assert "  mlflow/_registered_models_get__extra.json: mlflow importer" in lines
    assert "  notes.json: ignored, matches `notes.json`, listed in evidence.ignore" in lines


def test_a_bad_ignore_pattern_names_its_place_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text("evidence:\n  ignore: ['*.csv', '!']\n")
    code, stdout, stderr = run("--config", str(config), "validate")
    assert (code, stdout) == (2, "")
    assert stderr.splitlines() == [
        'error: mldossier.yaml:/evidence/ignore/1: "!" is not a gitignore pattern (write a '
        "pattern as in .gitignore, such as notes/ or *.csv)",
        NOTHING_WRITTEN.format(1),
    ]


def test_a_bad_config_value_names_the_key_and_unknown_keys_warn(tmp_path: Path) -> None:
    (tmp_path / "mldossier.yaml").write_text("limits:\n  max_document_mb: -1\nsurprise: 1\n")
    code, _, stderr = run("--config", str(tmp_path / "mldossier.yaml"), "validate")
    assert code == 2
    assert (
        "error: mldossier.yaml:/limits/max_document_mb: -1 is out of range "
        "(exclusiveMinimum 0) (fix the value)"
    ) in stderr.splitlines()
    (tmp_path / "mldossier.yaml").write_text(f"evidence: {DEMO_EVIDENCE}\nsurprise: 1\n")
    code, _, stderr = run("--config", str(tmp_path / "mldossier.yaml"), "validate")
    assert code == 0
    assert (
        "warning: mldossier.yaml:/: unknown key 'surprise' (it is ignored; check its spelling)"
    ) in stderr.splitlines()


def test_unknown_check_in_a_user_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "mine.yaml"
    catalog.write_text("""catalog: {id: mine, title: Mine, framework: Internal, version: "1"}
controls:
  - id: MINE-1
    title: Something
    reference: "CC1.3"
    requirement: Something.
    applies_to: {subject: system}
    checks: [{check: owner_asigned}]
    severity: low
    mode: automated
""")
    code, _, stderr = run("--config", str(CONFIG), "check", "--controls", str(catalog))
    assert code == 2
    assert any(
        line.startswith(
            "error: mine.yaml:/controls/0/checks/0/check: unknown check "
            "'owner_asigned' (use a check from the library: "
        )
        for line in stderr.splitlines()
    )


def test_the_gate_default_strict_and_fail_on(tmp_path: Path) -> None:
    # marketing-propensity has no owner tag: not_evidenced, which gates only when strict
    args = ("--config", str(CONFIG), "check", "--controls")
    mine = tmp_path / "owner.yaml"
    mine.write_text(
        MINI_CATALOG.replace("version_history_recorded", "owner_assigned").replace(
            "Version history kept", "Owner named"
        )
    )
    assert run(*args, str(mine))[0] == 0
    assert run(*args, str(mine), "--strict")[0] == 1
    assert run(*args, str(mine), "--fail-on", "not_evidenced")[0] == 1
    assert run(*args, str(mine), "--fail-on", "observation,not_assessed")[0] == 0


def test_usage_error_exits_2() -> None:
    code, _, stderr = run("check", "--fail-on", "sometimes")
    assert code == 2 and "Invalid value for '--fail-on'" in stderr
    code, _, stderr = run("check", "--fail-on", "warn")
    assert code == 2 and "the statuses of mldossier 0.x, such as 'warn', are gone" in stderr


def test_as_of_is_explicit_and_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.json"
    run("--config", str(CONFIG), "check", "--as-of", "2026-11-30", "--json", str(out))
    data = json.loads(out.read_text())
    assert (data["as_of"], data["as_of_source"]) == ("2026-11-30T00:00:00+00:00", "--as-of")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796169600")
    run("--config", str(CONFIG), "check", "--json", str(out))
    data = json.loads(out.read_text())
    assert (data["as_of"], data["as_of_source"]) == (
        "2026-12-02T00:00:00+00:00",
        "SOURCE_DATE_EPOCH",
    )
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    run("--config", str(CONFIG), "check", "--json", str(out))
    data = json.loads(out.read_text())
    today = datetime.now(UTC).date().isoformat()
    assert (data["as_of"], data["as_of_source"]) == (f"{today}T00:00:00+00:00", "today (UTC)")
    code, _, stderr = run("check", "--as-of", "yesterday")
    assert code == 2 and "'yesterday' is not a date (write YYYY-MM-DD)" in stderr


def test_internal_error_is_a_message_and_exit_3_unless_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mldossier.cli.validate as cli_validate

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli_validate, "read", broken)
    code, _, stderr = run("--config", str(CONFIG), "validate")
    assert code == 3
    assert stderr == (
        "mldossier: internal error: ZeroDivisionError: boom (run with --debug for "
        "the traceback, and please report it)\n"
    )
    with pytest.raises(ZeroDivisionError):
        run("--config", str(CONFIG), "--debug", "validate")


def test_baseline_gates_only_on_regressions(
    demo_check: tuple[int, str, dict, Path], tmp_path: Path
) -> None:
    _, _, results, out = demo_check
    code, stdout, _ = run("--config", str(CONFIG), "check", "--baseline", str(out / "r.json"))
    assert code == 0 and "  none" in stdout
    # a baseline in which the approval control passed: now it is a regression
    older = json.loads((out / "r.json").read_text())
    for r in older["results"]:
        if (r["control"], r["subject"]) == ("SOC2-CC8-1", "income-verifier@2"):
            r["status"] = "no_exception"
    (tmp_path / "old.json").write_text(json.dumps(older))
    code, stdout, _ = run(
        "--config", str(CONFIG), "check", "--baseline", str(tmp_path / "old.json")
    )
    assert code == 1
    assert (
        "  SOC2-CC8-1 CC8.1 [income-verifier@2]: no_exception → exception (regression)"
        in stdout.splitlines()
    )
    assert "1 regression(s) since the baseline" in stdout


def test_every_command_has_help() -> None:
    for name, command in main.commands.items():
        code, stdout, _ = run(name, "--help")
        summary = (command.help or "").split("\n")[0].strip()
        assert code == 0 and summary and summary[:40] in stdout, name


def test_check_summary_lines_add_up_to_each_framework(
    demo_check: tuple[int, str, dict, Path],
) -> None:
    _, stdout, _, _ = demo_check
    summary = stdout.split("\nShared root causes")[0].split("\nFindings")[0]
    blocks = [b for b in summary.split("\n\n")[1:] if b.strip()]
    assert len(blocks) == 2  # EU AI Act, SOC 2
    for block in blocks:
        head, *rows = block.splitlines()
        assert rows[-1].startswith("  organisation-wide: "), block

        def counts(line: str) -> dict[str, int]:
            found: dict[str, int] = {}
            for part in line.split(": ", 1)[1].split(", "):
                number, status = part.split(" ", 1)
                found[status] = found.get(status, 0) + int(number)
            return found

        total: dict[str, int] = {}
        for row in rows:
            for status, number in counts(row).items():
                total[status] = total.get(status, 0) + number
        assert total == counts(head), block


def make_unavailable(
    evidence: Path, ends: str, status: int, kind: str, key: str, message: str
) -> tuple[int, str]:
    """Turn the collected call whose URL ends with ``ends`` into a call ``collect`` recorded
    as unavailable for credit-default-scorer@3, its body gone; its index and URL."""
    log_path = evidence / "mlflow" / "collection-log.json"
    log = json.loads(log_path.read_text())
    (i,) = [n for n, c in enumerate(log["calls"]) if c["url"].endswith(ends)]
    call = log["calls"][i]
    (evidence / "mlflow" / call["file"]).unlink()
    call.update(status=status, file=None, size=len(message))
    call["unavailable"] = {
        "object": kind,
        "id": key,
        "model_versions": ["credit-default-scorer@3"],
        "message": message,
    }
    log_path.write_text(json.dumps(log, indent=2))
    return i, str(call["url"])


def test_an_unavailable_run_and_mlmodel_are_cited_not_evidenced_and_do_not_fail_check(
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    catalog = tmp_path / "gaps.yaml"
    catalog.write_text(GAPS_CATALOG)
    base = ("--config", str(CONFIG))
    out = tmp_path / "r.json"
    checking = (
        "check",
        "--evidence",
        str(evidence),
        "--controls",
        str(catalog),
        "--json",
        str(out),
    )
    assert run(*base, *checking)[0] == 0  # the export as it was passes
    run_id = demo_run_id("credit-default-scorer", "3")
    purged = "RESOURCE_DOES_NOT_EXIST: Run with id=" + run_id + " not found"
    run_call, run_url = make_unavailable(evidence, run_id, 404, "run", run_id, purged)
    model = "m-832a87b57488479094bf2de608e21f2d"
    source = f"models:/{model}/MLmodel"
    lost = "INTERNAL_ERROR: An error occurred while reading the artifact"
    mlmodel_call, mlmodel_url = make_unavailable(
        evidence, f"{model}/artifacts/MLmodel", 500, "mlmodel", source, lost
    )
    warnings = [
        f"warning: mlflow/collection-log.json:/calls/{run_call}: the export could not get "
        f"MLflow run {run_id} (needed by credit-default-scorer@3): its call GET {run_url} "
        f"answered HTTP 404 ({purged}) (the checks that needed it are not_evidenced on those "
        "versions; collect again if the failure was passing, or record why it is gone: a "
        "purged run does not come back)",
        f"warning: mlflow/collection-log.json:/calls/{mlmodel_call}: the export could not get "
        f"MLmodel {source} (needed by credit-default-scorer@3): its call GET {mlmodel_url} "
        f"answered HTTP 500 ({lost}) (the checks that needed it are not_evidenced on those "
        "versions; collect again if the failure was passing, or record why it is gone: a "
        "purged run does not come back)",
    ]
    code, stdout, stderr = run(*base, "validate", "--evidence", str(evidence))
    assert (code, sorted(stderr.splitlines())) == (0, sorted([*warnings, *DEMO_NAIVE_TIMES]))
    assert "  unavailable in the export:      2 (see the warnings)" in stdout.splitlines()
    assert "failed export calls" not in stdout

    # Not evidenced, citing the log entry; no failed export call, so the gate holds.
    code, stdout, stderr = run(*base, *checking)
    assert (code, sorted(stderr.splitlines())) == (0, sorted([*warnings, *DEMO_NAIVE_TIMES]))
    assert "call(s) of the export failed" not in stdout
    results = json.loads(out.read_text())
    assert [e for e in results["evidence"]["export_errors"]] == []
    log_sha = hashlib.sha256((evidence / "mlflow" / "collection-log.json").read_bytes()).hexdigest()
    assert [(u["kind"], u["id"], u["citation"]) for u in results["evidence"]["unavailable"]] == [
        (
            kind,
            key,
            {"file": "mlflow/collection-log.json", "pointer": f"/calls/{n}", "sha256": log_sha},
        )
        for kind, key, n in sorted(
            [("run", run_id, run_call), ("mlmodel", source, mlmodel_call)],
            key=lambda t: f"/calls/{t[2]}",
        )
    ]
    by = {(r["control"], r["subject"]): r for r in results["results"]}
    for control, call, said in [
        (
            "GAP-1",
            run_call,
            f"MLflow run {run_id} is unavailable: the export's call GET "
            f"{run_url} answered HTTP 404 ({purged})",
        ),
        (
            "GAP-2",
            mlmodel_call,
            f"MLmodel {source} is unavailable: the export's call GET "
            f"{mlmodel_url} answered HTTP 500 ({lost})",
        ),
    ]:
        verdict = by[(control, "credit-default-scorer@3")]
        assert verdict["status"] == "not_evidenced", control
        assert verdict["reasons"][0] == said
        cite = {
            "file": "mlflow/collection-log.json",
            "pointer": f"/calls/{call}",
            "sha256": log_sha,
        }
        assert cite in verdict["citations"]
        assert verdict["causes"][0].startswith("unavailable:")
    validator = Draft202012Validator(load_schema("results"))
    assert [e.message for e in validator.iter_errors(results)] == []

    # --strict: not_evidenced fails the gate (exit 1); the gaps are not invalid input.
    code, _, _ = run(*base, *checking, "--strict")
    assert code == 1
