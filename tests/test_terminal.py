"""Terminal manners: --quiet, --verbose, colour (NO_COLOR, --color) and progress on stderr."""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO_EVIDENCE, REPO, SAMPLES
from factories import MINI_CATALOG
from test_cli import DEMO_NAIVE_TIMES

import mldossier.collect.progress as progress_module
import mldossier.terminal as terminal
from mldossier.cli import main
from mldossier.collect.progress import Progress
from mldossier.config import load_config
from mldossier.pipeline import analyse
from mldossier.render.text import counts_line, format_findings, format_terminal
from mldossier.status import Status
from mldossier.terminal import StageReporter, Terminal, color_wanted, safe_line, safe_text

CONFIG = REPO / "mldossier.yaml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FIRST_FAILURE = "SOC2-CC3-2 CC3.2 [income-verifier] Model risks identified and analysed"
USAGE_ERROR = "Error: --quiet and --verbose cannot be used together (choose one)"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str | None] | None = None, color: bool = False) -> Run:
    """Invoke ``mldossier`` as CI would: no terminal, no CI variable, no NO_COLOR."""
    environ: dict[str, str | None] = {"NO_COLOR": None, "CI": None, "GITHUB_STEP_SUMMARY": None}
    result = CliRunner().invoke(
        main, list(args), env={**environ, **(env or {})}, color=color, catch_exceptions=False
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdout is a terminal."""
    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)


@pytest.fixture(scope="module")
def demo_results():  # type: ignore[no-untyped-def]
    return analyse(load_config(CONFIG)).results


@pytest.fixture(scope="module")
def mini_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "mini.yaml"
    path.write_text(MINI_CATALOG)
    return path


# ---------------------------------------------------------------- --quiet


def test_quiet_check_that_passes_prints_nothing(mini_catalog: Path) -> None:
    assert run("--config", str(CONFIG), "--quiet", "check", "--controls", str(mini_catalog)) == Run(
        0, "", ""
    )
    assert run("--config", str(CONFIG), "-q", "check", "--controls", str(mini_catalog)) == Run(
        0, "", ""
    )


def test_quiet_check_that_fails_prints_only_the_failures(demo_results) -> None:  # type: ignore[no-untyped-def]
    normal = run("--config", str(CONFIG), "check")
    quiet = run("--config", str(CONFIG), "--quiet", "check")
    assert (quiet.code, quiet.stderr) == (normal.code, "") == (1, "")
    gating = [v for v in demo_results.failing if v.status in ("exception", "error")]
    assert quiet.stdout == "\n".join(format_findings(gating)) + "\n"
    lines = quiet.stdout.splitlines()
    assert lines[0] == f"  EXCEPTION {FIRST_FAILURE}"
    assert sum(line.startswith("  EXCEPTION ") for line in lines) == len(gating) == 13
    # no header, no counts, no heading, no hint: only the verdict blocks
    assert all(line.startswith(("  EXCEPTION ", "        ")) for line in lines)
    # the normal output lists the same verdicts first under its heading, then the requests
    assert "Findings (most severe first):\n" in normal.stdout
    assert f"  EXCEPTION     {FIRST_FAILURE}" in normal.stdout.splitlines()


def test_quiet_keeps_the_exit_code_and_the_files(tmp_path: Path) -> None:
    quiet = run(
        "--config",
        str(CONFIG),
        "-q",
        "check",
        "--json",
        str(tmp_path / "q.json"),
        "--strict",
    )
    normal = run("--config", str(CONFIG), "check", "--json", str(tmp_path / "n.json"), "--strict")
    assert quiet.code == normal.code == 1
    assert (tmp_path / "q.json").read_bytes() == (tmp_path / "n.json").read_bytes()


def test_quiet_check_with_a_baseline_prints_the_regressions(tmp_path: Path) -> None:
    run("--config", str(CONFIG), "check", "--json", str(tmp_path / "now.json"))
    assert run(
        "--config", str(CONFIG), "-q", "check", "--baseline", str(tmp_path / "now.json")
    ) == Run(0, "", "")
    older = json.loads((tmp_path / "now.json").read_text())
    for r in older["results"]:
        if (r["control"], r["subject"]) == ("SOC2-CC8-1", "income-verifier@2"):
            r["status"] = "no_exception"
    (tmp_path / "old.json").write_text(json.dumps(older))
    # MLflow's run ids are random: a new one each time the demo is generated
    mv = DEMO_EVIDENCE / "mlflow" / "model_versions_get__income-verifier__v2.json"
    income_run = json.loads(mv.read_text())["model_version"]["run_id"]
    result = run("--config", str(CONFIG), "-q", "check", "--baseline", str(tmp_path / "old.json"))
    assert result == Run(
        1,
        (
            "  EXCEPTION SOC2-CC8-1 CC8.1 [income-verifier@2] Model changes approved and tested "
            "before release\n"
            "        - approved on 2026-04-17T16:30:00Z, before the version was created "
            "(2026-04-20T03:36:00+00:00)\n"
            "        - approved by 'tom.becker', who also ran the training run "
            f"{income_run}: no segregation of duties\n"
            "        fix: have an independent approver sign off this version after it was created\n"
            "1 regression(s) since the baseline\n"
        ),
        "",
    )


def test_quiet_drops_warnings_but_never_errors(tmp_path: Path) -> None:
    config = tmp_path / "mldossier.yaml"
    config.write_text(f"evidence: {DEMO_EVIDENCE}\nsurprise: 1\n")
    warning = (
        "warning: mldossier.yaml:/: unknown key 'surprise' (it is ignored; check its spelling)\n"
        + "".join(f"{line}\n" for line in DEMO_NAIVE_TIMES)
    )
    normal = run("--config", str(config), "validate")
    assert (normal.code, normal.stderr) == (0, warning)
    assert normal.stdout.endswith("All input is valid.\n")
    assert run("--config", str(config), "--quiet", "validate") == Run(0, "", "")

    evidence = tmp_path / "ev"
    shutil.copytree(DEMO_EVIDENCE / "mlflow", evidence / "mlflow")
    (evidence / "mlflow" / "bad.json").write_text('{"a": ')
    result = run("--config", str(config), "--quiet", "validate", "--evidence", str(evidence))
    assert result == Run(
        2,
        "",
        (
            "error: mlflow/bad.json:/: truncated JSON: Expecting value at line 1 column 7 "
            "(re-export the file; it must be one complete JSON document)\n"
            "mldossier: 1 problem(s) in the input; nothing was written\n"
        ),
    )


def test_quiet_build_verify_and_init_print_nothing_on_success(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert run("--config", str(CONFIG), "-q", "build", "--no-pdf", "--out", str(out)) == Run(
        0, "", ""
    )
    assert (out / "manifest.json").is_file()
    assert run("-q", "verify", str(out)) == Run(0, "", "")
    (out / "results.json").write_text("{}")
    report_id = json.loads((out / "manifest.json").read_text())["report_id"][:12]
    assert run("-q", "verify", str(out)) == Run(
        1, (f"modified: results.json\n{out}: TAMPERED (report id {report_id})\n"), ""
    )
    assert run("-q", "init", str(tmp_path / "project")) == Run(0, "", "")
    assert (tmp_path / "project" / "mldossier.yaml").is_file()


def test_quiet_collect_prints_neither_warnings_nor_the_summary(tmp_path: Path) -> None:
    project = "01a21cae-be09-7765-b391-43c609cb8774"
    snapshot = "01a21cae-bf96-7bbf-8f2f-40488c8f6956"
    workspace = tmp_path / "workspace"
    (workspace / project / "snapshots").mkdir(parents=True)
    (workspace / project / "metadata.json").write_text(
        json.dumps(
            {"id": project, "name": "monitoring", "description": "", "org_id": None, "version": "2"}
        )
    )
    shutil.copy(
        SAMPLES / "evidently" / "data_drift_report.full_snapshot.json",
        workspace / project / "snapshots" / f"{snapshot}.json",
    )
    (workspace / "README.txt").write_text("notes")  # skipped, with a warning
    normal = run(
        "collect", "evidently", "--workspace", str(workspace), "--out", str(tmp_path / "a")
    )
    assert normal.code == 0 and normal.stdout.strip() != ""
    assert normal.stderr.startswith(f"warning: {workspace.resolve()}/README.txt: not a project")
    assert run(
        "--quiet",
        "collect",
        "evidently",
        "--workspace",
        str(workspace),
        "--out",
        str(tmp_path / "b"),
    ) == Run(0, "", "")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(
        p.name for p in (tmp_path / "a").iterdir()
    )


# ---------------------------------------------------------------- --quiet with --verbose


@pytest.mark.parametrize(
    "args",
    [
        ["--quiet", "--verbose", "check"],
        ["-q", "-v", "validate"],
        ["-q", "check", "--verbose"],
        ["--quiet", "check", "-v"],
    ],
)
def test_quiet_and_verbose_together_is_a_usage_error(args: list[str]) -> None:
    result = run("--config", str(CONFIG), *args)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == USAGE_ERROR
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- --verbose


def test_verbose_check_lists_every_verdict(demo_results) -> None:  # type: ignore[no-untyped-def]
    global_flag = run("--config", str(CONFIG), "--verbose", "check")
    alias = run("--config", str(CONFIG), "check", "--verbose")
    assert global_flag == alias
    assert global_flag.code == 1
    lines = global_flag.stdout.splitlines()
    assert "Other verdicts:" in lines
    assert any(
        re.fullmatch(
            r"  NO EXCEPTION +EUAIA-6 Art\. 6 \[card-fraud-detector\] Risk category recorded "
            r"and consistent",
            line,
        )
        for line in lines
    )
    assert any(
        re.fullmatch(
            r"  NOT YET APPLICABLE EUAIA-14 Art\. 14 \[income-verifier\] Human oversight "
            r"designed and assigned",
            line,
        )
        for line in lines
    )
    words = "|".join(re.escape(s.label) for s in Status)
    listed = sum(bool(re.match(rf"  ({words}) ", line)) for line in lines)
    assert listed == len(demo_results.verdicts)
    assert not any("not listed" in line for line in lines)
    assert global_flag.stdout == format_terminal(demo_results, verbose=True) + "\n"


def test_verbose_validate_lists_every_file_and_its_importer() -> None:
    result = run("--config", str(CONFIG), "-v", "validate")
    assert result.code == 0
    lines = result.stdout.splitlines()
    start = lines.index("Files read (108):")
    unread = lines.index("Files not read (1):")
    files = lines[start + 1 : unread]
    assert len(files) == 108 and files == sorted(files)
    assert "  signoffs/attachments/incident-INC-2026-031.md: attachment, hashed only" in files
    assert "  openlineage/events.ndjson: openlineage importer" in files
    # The demo's read-me is ignored by default (*.md), said with the pattern that did it.
    assert lines[unread + 1 : -1] == [
        "  README.md: ignored, matches `*.md`, a default of evidence.ignore"
    ]
    assert lines[-1] == "All input is valid."
    # the default summary stays as it was
    assert run("--config", str(CONFIG), "validate").stdout.splitlines() == (
        lines[:start] + lines[-1:]
    )


def test_verbose_build_names_each_stage(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run("--config", str(CONFIG), "--verbose", "build", "--no-pdf", "--out", str(out))
    assert result.code == 0
    assert result.stderr == (
        "mldossier: reading the evidence and evaluating the controls\n"
        + "".join(f"{line}\n" for line in DEMO_NAIVE_TIMES)
        + f"mldossier: rendering the site, results.json and manifest.json into {out}\n"
    )
    assert result.stdout.startswith(f"Built {out.resolve()} (report id ")
    again = run("--config", str(CONFIG), "build", "--no-pdf", "--out", str(out))
    assert again.stderr.splitlines() == DEMO_NAIVE_TIMES


# ---------------------------------------------------------------- colour


@pytest.mark.parametrize(
    "choice, environ, is_terminal, wanted",
    [
        (None, {}, True, True),
        (None, {}, False, False),
        (None, {"NO_COLOR": "1"}, True, False),
        (None, {"NO_COLOR": "false"}, True, False),  # any non-empty value
        (None, {"NO_COLOR": ""}, True, True),  # empty means unset
        (True, {"NO_COLOR": "1"}, False, True),  # the command line beats the environment
        (False, {}, True, False),
    ],
)
def test_when_to_colour(
    choice: bool | None, environ: dict[str, str], is_terminal: bool, wanted: bool
) -> None:
    assert color_wanted(choice, environ, is_terminal) is wanted


def test_a_terminal_gets_coloured_status_words(tty: None) -> None:
    coloured = run("--config", str(CONFIG), "check", color=True)
    assert coloured.code == 1
    lines = coloured.stdout.splitlines()
    assert f"  \x1b[31mEXCEPTION    \x1b[0m {FIRST_FAILURE}" in lines
    assert any(
        line.startswith("  credit-default-scorer: \x1b[32m1 no exception\x1b[0m") for line in lines
    )
    # colour is all that differs
    assert (
        ANSI.sub("", coloured.stdout) == run("--config", str(CONFIG), "--no-color", "check").stdout
    )


def test_no_color_means_no_escapes_even_on_a_terminal(tty: None) -> None:
    for value in ("1", "yes", "0"):
        result = run("--config", str(CONFIG), "check", env={"NO_COLOR": value}, color=True)
        assert result.code == 1 and "\x1b" not in result.stdout + result.stderr


def test_a_pipe_gets_no_colour_and_the_text_is_unchanged(demo_results) -> None:  # type: ignore[no-untyped-def]
    result = run("--config", str(CONFIG), "check")
    assert "\x1b" not in result.stdout
    assert result.stdout == format_terminal(demo_results) + "\n"
    lines = result.stdout.splitlines()
    assert f"  EXCEPTION     {FIRST_FAILURE}" in lines
    eu = demo_results.counts(framework="EU AI Act", system="credit-default-scorer")
    assert eu["not_yet_applicable"] > 50 and eu["exception"] == 0  # readiness, not exceptions
    assert f"  credit-default-scorer: {counts_line(eu)}" in lines


def test_color_and_no_color_options(tty: None) -> None:
    forced = run("--config", str(CONFIG), "--color", "check")  # a pipe, yet coloured
    assert f"  \x1b[31mEXCEPTION    \x1b[0m {FIRST_FAILURE}" in forced.stdout.splitlines()
    over = run("--config", str(CONFIG), "--color", "check", env={"NO_COLOR": "1"})
    assert over.stdout == forced.stdout
    off = run("--config", str(CONFIG), "--no-color", "check", color=True)
    assert "\x1b" not in off.stdout


def test_verify_colours_its_verdict(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert run("--config", str(CONFIG), "-q", "build", "--no-pdf", "--out", str(out)).code == 0
    report_id = json.loads((out / "manifest.json").read_text())["report_id"][:12]
    assert run("--color", "verify", str(out)).stdout == (
        f"{out}: \x1b[32mintact\x1b[0m (report id {report_id})\n"
    )
    assert run("verify", str(out)).stdout == f"{out}: intact (report id {report_id})\n"


def test_styles_only_status_words() -> None:
    term = Terminal(color=True)
    assert safe_text(term.style("EXCEPTION", "exception")) == "\x1b[31mEXCEPTION\x1b[0m"
    assert safe_text(term.style("ERROR", "error")) == "\x1b[31m\x1b[1mERROR\x1b[0m"
    assert term.style("5 waived", "waived") == "5 waived"
    assert Terminal(color=False).style("EXCEPTION", "exception") == "EXCEPTION"


# ---------------------------------------------------------------- progress


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "quiet, environ, drawn",
    [
        (False, {}, True),
        (False, {"CI": "true"}, False),
        (False, {"CI": "false"}, True),
        (True, {}, False),
    ],
)
def test_progress_only_on_a_terminal_outside_ci_and_not_quiet(
    quiet: bool, environ: dict[str, str], drawn: bool
) -> None:
    stream = FakeTerminal()
    with Terminal(quiet=quiet).stages(stream=stream, environ=environ) as stage:
        stage("reading the evidence")
        stage("rendering", 1, 4)
    assert stream.getvalue() == (
        "\r\x1b[Kreading the evidence"
        "\r\x1b[Krendering              [######..................] 1/4"
        "\r\x1b[K"
        if drawn
        else ""
    )


def test_progress_is_never_drawn_into_a_pipe() -> None:
    stream = io.StringIO()
    with Terminal().stages(stream=stream, environ={}) as stage:
        stage("reading the evidence")
    assert stream.getvalue() == ""


def test_announced_stages_are_lines_and_the_bar_counts(capsys: pytest.CaptureFixture[str]) -> None:
    stream = FakeTerminal()
    reporter = StageReporter(Progress(stream, enabled=True, unit=""), announce=True)
    reporter("rendering the site")
    reporter("rendering systems/*.pdf", 1, 2)
    reporter("rendering systems/*.pdf", 2, 2)
    reporter.close()
    assert capsys.readouterr().err == (
        "mldossier: rendering the site\nmldossier: rendering systems/*.pdf\n"
    )
    assert stream.getvalue() == (
        "\r\x1b[Krendering systems/*.pdf [############............] 1/2"
        "\r\x1b[Krendering systems/*.pdf [########################] 2/2\r\x1b[K"
    )


def test_the_commands_draw_progress_on_a_terminal_only_without_quiet(
    monkeypatch: pytest.MonkeyPatch, mini_catalog: Path
) -> None:
    monkeypatch.setattr(progress_module, "interactive", lambda stream, environ: True)
    naive = "".join(f"{line}\n" for line in DEMO_NAIVE_TIMES)
    assert run("--config", str(CONFIG), "validate").stderr == (
        "\r\x1b[Kreading the evidence\r\x1b[K" + naive
    )
    checked = run("--config", str(CONFIG), "check", "--controls", str(mini_catalog))
    assert checked.stderr == (
        "\r\x1b[Kreading the evidence and evaluating the controls\r\x1b[K" + naive
    )
    assert "\x1b" not in checked.stdout  # progress stays on stderr
    assert run("--config", str(CONFIG), "-q", "validate") == Run(0, "", "")


def test_collect_mlflow_gets_a_silent_progress_with_quiet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mldossier.cli.collect as cli_collect

    seen: list[bool] = []

    class Summary:
        unavailable: tuple[object, ...] = ()

        def line(self) -> str:
            return "Collected everything"

    def fake_collect(options: object, settings: object, out: Path, progress: Progress) -> Summary:
        seen.append(progress.enabled)
        return Summary()

    monkeypatch.setattr(cli_collect, "collect_mlflow", fake_collect)
    monkeypatch.setattr(progress_module, "interactive", lambda stream, environ: True)
    args = [
        "collect",
        "mlflow",
        "--tracking-uri",
        "http://mlflow.invalid",
        "--out",
        str(tmp_path / "out"),
    ]
    assert run(*args) == Run(0, "Collected everything\n", "")
    assert run("--quiet", *args) == Run(0, "", "")
    assert seen == [True, False]


def test_printable_shows_every_control_character_escaped() -> None:
    from mldossier.formats.text import printable

    assert (
        printable("a\x1b[31mb\x07\nc\u202ed\te\x9b\r")
        == "a\\x1b[31mb\\x07\\x0ac\\u202ed\te\\x9b\\x0d"
    )
    assert printable("plain naïve text") == "plain naïve text"


# ---------------------------------------------------------------- text from evidence


def test_safe_line_escapes_controls_and_defuses_workflow_commands() -> None:
    assert safe_line("a\x1b[2Jb\x07c\rd\u202ee\x9b") == "a\\x1b[2Jb\\x07c\\x0dd\\u202ee\\x9b"
    assert safe_line("::error::pwned") == "\\u003a:error::pwned"
    assert safe_line("  \t::add-mask::x") == "  \t\\u003a:add-mask::x"
    assert safe_line("model ::x") == "model ::x"  # only a line's start is read as a command
    assert safe_line("run ##[error]x ##vso[task.setvariable]y ##VSO[z]") == (
        "run #\\u0023[error]x #\\u0023vso[task.setvariable]y #\\u0023VSO[z]"
    )


def test_safe_text_keeps_newlines_and_makes_each_line_safe() -> None:
    assert safe_text("one\n::error::two\n\x1bthree") == "one\n\\u003a:error::two\n\\x1bthree"


def test_colour_survives_while_colour_in_evidence_does_not() -> None:
    term = Terminal(color=True)
    hostile = "\x1b[32mfake pass\x1b[0m"
    line = term.style("EXCEPTION", "exception") + f" model {hostile}"
    assert safe_line(line) == "\x1b[31mEXCEPTION\x1b[0m model \\x1b[32mfake pass\\x1b[0m"
    # A styled text from evidence is escaped inside its colour; a line it starts is defused.
    assert safe_line(term.style("::error::x\x07", "exception")) == (
        "\x1b[31m\\u003a:error::x\\x07\x1b[0m"
    )


def test_check_prints_hostile_evidence_escaped(tmp_path: Path) -> None:
    """A model name with ESC, BEL, a bidi override and a line that starts a workflow command
    is printed escaped by ``check`` and ``validate``; the colour mldossier adds stays."""
    evidence = tmp_path / "evidence"
    (evidence / "mlflow").mkdir(parents=True)
    hostile = "evil\x1b]0;owned\x07\u202e\n::error::injected"
    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        text = (SAMPLES / "mlflow" / "rest" / name).read_text("utf-8")
        text = text.replace('"breast-cancer-classifier"', json.dumps(hostile))
        (evidence / "mlflow" / name).write_text(text, "utf-8")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(MINI_CATALOG)
    shown = "evil\\x1b]0;owned\\x07\\u202e\\x0a::error::injected"
    checked = run(
        "--color",
        "check",
        "-v",
        "--no-cache",
        "--controls",
        str(catalog),
        "--evidence",
        str(evidence),
    )
    (evidence / "notes\x1b]0;owned\x07\u202e.txt").write_text("not evidence")
    validated = run("--verbose", "validate", "--evidence", str(evidence))
    for result in (checked, validated):
        output = result.stdout + result.stderr
        assert "\x07" not in output and "\u202e" not in output and "\x1b]" not in output
        assert not any(line.lstrip().startswith("::") for line in output.splitlines())
    assert shown in checked.stdout
    assert "  notes\\x1b]0;owned\\x07\\u202e.txt: " in validated.stdout
    assert "\x1b[32m" in checked.stdout  # mldossier's own colour is kept


def test_library_log_warnings_print_once_and_safely(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    terminal.log_safely()
    terminal.log_safely()  # every invocation configures: the handler is added once
    name = "m\x1b[2J\n::error::x"
    logging.getLogger("mldossier.render.site").warning("diagram of %s left out", name)
    assert capsys.readouterr().err == "diagram of m\\x1b[2J\\x0a::error::x left out\n"


OUTPUT_CALLS = re.compile(
    r"\bclick\.(?:echo|secho)\(|(?<![\w.])print\(|sys\.std(?:out|err)\.write\("
)


def test_every_line_printed_goes_through_the_terminal() -> None:
    """Only terminal.py prints (and the progress bar, whose text it escapes itself)."""
    package = REPO / "src" / "mldossier"
    allowed = {package / "terminal.py", package / "collect" / "progress.py"}
    printing = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.rglob("*.py"))
        if path not in allowed
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if OUTPUT_CALLS.search(line)
    ]
    assert printing == []
