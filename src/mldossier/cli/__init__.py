"""The ``mldossier`` command line: parses options and calls the library, nothing more."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from mldossier import __version__
from mldossier.bundle.atomic import atomic_write_bytes, atomic_write_text
from mldossier.bundle.build import build
from mldossier.bundle.manifest import verify_bundle
from mldossier.cache import Cache, open_cache
from mldossier.cli import collect as collect_command
from mldossier.cli import lineage as lineage_command
from mldossier.cli.extra import init_command, oscal_option, write_oscal
from mldossier.config import Config, find_config, load_config
from mldossier.errors import EXIT_FAILING, EXIT_INTERNAL, EXIT_INVALID, InputError, UsageError
from mldossier.evaluate.baseline import compare, load_baseline
from mldossier.intake.read import read_evidence, set_debug
from mldossier.model import Evidence
from mldossier.pipeline import analyse, read
from mldossier.render.junit import to_junit
from mldossier.render.results_json import results_bytes, to_json
from mldossier.render.step_summary import append_step_summary
from mldossier.render.text import format_findings, format_summary, format_terminal
from mldossier.terminal import QUIET_AND_VERBOSE, Terminal, configure, current


class Context:
    """Options shared by every command."""

    def __init__(self, config_path: Path | None, debug: bool, terminal: Terminal | None = None):
        self.config_path = config_path
        self.debug = debug
        self.terminal = terminal or Terminal()

    def config(self) -> Config:
        """The config file given, else ./mldossier.yaml, else the defaults."""
        return load_config(self.config_path or find_config(Path.cwd()))

    def evidence(self, override: Path | None) -> Evidence:
        """Read the evidence folder (``--evidence`` wins over the config)."""
        config = self.config()
        return read_evidence(config, override)

    def warn_all(self, warnings: Iterable[object]) -> None:
        """Print every warning on stderr (none with --quiet)."""
        for warning in warnings:
            self.terminal.warn(warning)


def _reported(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input and usage errors into messages and exit code 2 (tracebacks only in --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx: Context = click.get_current_context().find_object(Context)  # type: ignore[assignment]
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            errors = [p for p in exc.problems if p.is_error]
            quiet = current().quiet
            for problem in exc.problems:
                if problem.is_error or not quiet:
                    click.echo(f"{'error' if problem.is_error else 'warning'}: {problem}", err=True)
            click.echo(
                f"mldossier: {len(errors)} problem(s) in the input; nothing was written", err=True
            )
            sys.exit(EXIT_INVALID)
        except UsageError as exc:
            click.echo(f"mldossier: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        except (KeyboardInterrupt, SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if ctx is not None and ctx.debug:
                raise
            click.echo(
                f"mldossier: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback, and please report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mldossier")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: ./mldossier.yaml if present).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only errors and the essential result: no warnings, summaries or "
    "progress (a passing `check` prints nothing).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print more: every verdict (check), every file read (validate), each stage (build).",
)
@click.option(
    "--color/--no-color",
    "color",
    default=None,
    help="Colour status words (default: only on a terminal, and not when NO_COLOR is set).",
)
@click.pass_context
def main(
    ctx: click.Context,
    config_path: Path | None,
    debug: bool,
    quiet: bool,
    verbose: bool,
    color: bool | None,
) -> None:
    """Turn ML platform exports into audit evidence for the EU AI Act and SOC 2.

    Exit codes: 0 success, 1 failing controls (check), 2 invalid input or usage,
    3 internal error (a bug: please report it). Progress shows on stderr only on a
    terminal, outside CI and without --quiet.
    """
    terminal = configure(ctx, quiet, verbose, color)
    set_debug(debug)
    ctx.obj = Context(config_path, debug, terminal)


evidence_option = click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Evidence folder (default: `evidence:` in mldossier.yaml, else ./evidence).",
)
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the build cache (`cache:` in mldossier.yaml, default "
    ".mldossier-cache beside it); the output is the same either way.",
)


def build_cache(config: Config, no_cache: bool) -> Cache:
    """The build cache the config names, or a disabled one with ``--no-cache``."""
    return Cache(None) if no_cache else open_cache(config.cache_dir, config.cache_max_bytes)


@main.command()
@evidence_option
@click.pass_obj
@_reported
def validate(obj: Context, evidence_dir: Path | None) -> None:
    """Read and validate every evidence file; print a summary or every problem.

    Exit 0 when all input is valid, 2 otherwise. With --quiet a valid folder prints
    nothing; with --verbose the summary lists every file read and its importer.
    """
    with obj.terminal.stages() as stage:
        stage("reading the evidence")
        intake = read(obj.config(), evidence_dir)
    obj.warn_all(intake.evidence.warnings)
    obj.terminal.say(format_summary(intake.evidence, intake.index, files=obj.terminal.verbose))


@main.command()
@evidence_option
@click.option(
    "--controls",
    "control_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A control catalog (repeatable; default: the config's, else the bundled "
    "EU AI Act and SOC 2 catalogs).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the results as JSON (schema: results.schema.json).",
)
@click.option(
    "--junit",
    "junit_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write one JUnit test case per control and subject.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    show_default=True,
    help="Lowest status that makes the exit code 1.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List every verdict, not only failures (the global --verbose does the same).",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="An earlier results JSON (or bundle folder): show what changed, and gate "
    "only on regressions.",
)
@oscal_option
@no_cache_option
@click.pass_obj
@_reported
def check(
    obj: Context,
    evidence_dir: Path | None,
    control_files: tuple[Path, ...],
    json_out: Path | None,
    junit_out: Path | None,
    fail_on: str,
    verbose: bool,
    baseline: Path | None,
    oscal_out: Path | None,
    no_cache: bool,
) -> None:
    """Evaluate every control on every AI system and version; the exit code gates CI.

    Exit 0 when no control fails, 1 when at least one fails (or warns, with
    --fail-on warn), 2 on invalid input or usage. With --quiet a passing check prints
    nothing and a failing one only the verdicts that fail it.
    """
    term = obj.terminal
    if verbose and term.quiet:
        raise click.UsageError(QUIET_AND_VERBOSE)
    verbose = verbose or term.verbose
    with term.stages() as stage:
        stage("reading the evidence and evaluating the controls")
        config = obj.config()
        analysis = analyse(config, evidence_dir, list(control_files), build_cache(config, no_cache))
    results = analysis.results
    obj.warn_all(results.evidence.warnings)
    if json_out:
        atomic_write_bytes(json_out, results_bytes(results))
    if junit_out:
        atomic_write_text(junit_out, to_junit(results, fail_on_warn=fail_on == "warn"))
    if oscal_out:
        write_oscal(results, oscal_out)
    append_step_summary(results, fail_on_warn=fail_on == "warn")
    term.say(format_terminal(results, verbose, term.style))
    if baseline is not None:
        changes = compare(load_baseline(baseline), to_json(results), str(baseline))
        term.say(f"\nChanges since {baseline} ({changes.baseline_as_of}):")
        term.say("\n".join(f"  {line}" for line in changes.lines()) or "  none")
        worse = changes.gating(fail_on_warn=fail_on == "warn")
        if worse:
            if term.quiet:
                keys = {(f.control, f.subject) for f in worse}
                _echo_lines(
                    format_findings(
                        [v for v in results.failing if (v.control.id, v.subject) in keys],
                        term.style,
                    )
                )
            click.echo(f"{len(worse)} regression(s) since the baseline")
            sys.exit(EXIT_FAILING)
        return
    gating = results.gating(fail_on_warn=fail_on == "warn")
    if gating:
        if term.quiet:
            _echo_lines(format_findings(gating, term.style))
        sys.exit(EXIT_FAILING)


def _echo_lines(lines: list[str]) -> None:
    if lines:
        click.echo("\n".join(lines))


@main.command("build")
@evidence_option
@click.option(
    "--controls",
    "control_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A control catalog (repeatable).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Bundle folder: the site, report.pdf, results.json and manifest.json.",
)
@click.option(
    "--pdf/--no-pdf", default=True, show_default=True, help="Write report.pdf into the bundle."
)
@click.option(
    "--pdf-per-system", is_flag=True, help="Also write one PDF per AI system (systems/<name>.pdf)."
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 private key (PEM) to sign manifest.json with.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="An earlier results JSON or bundle: add a 'changes since' page and section.",
)
@no_cache_option
@click.pass_obj
@_reported
def build_command(
    obj: Context,
    evidence_dir: Path | None,
    control_files: tuple[Path, ...],
    out_dir: Path,
    pdf: bool,
    pdf_per_system: bool,
    sign_key: Path | None,
    baseline: Path | None,
    no_cache: bool,
) -> None:
    """Build the auditors' site and the PDF report into one verifiable bundle.

    Everything is rendered into a temporary folder and swapped in when complete, so a
    failed build leaves the previous bundle intact. Exit 0 when built, 2 on invalid input.
    With --quiet a successful build prints nothing; with --verbose it names each stage.
    """
    config = obj.config()
    with obj.terminal.stages(announce=True) as stage:
        stage("reading the evidence and evaluating the controls")
        analysis = analyse(config, evidence_dir, list(control_files), build_cache(config, no_cache))
        stage.close()  # the warnings start on a line of their own
        obj.warn_all(analysis.results.evidence.warnings)
        stage(f"rendering {_bundle_parts(pdf, pdf_per_system, sign_key)} into {out_dir}")
        built = build(
            analysis,
            out_dir,
            pdf=pdf,
            pdf_per_system=pdf_per_system,
            sign_key=sign_key,
            baseline=baseline,
        )
    counts = analysis.results.counts()
    obj.terminal.say(
        f"Built {built} (report id {analysis.report_id[:12]}): "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    )


def _bundle_parts(pdf: bool, pdf_per_system: bool, sign_key: Path | None) -> str:
    """What ``build`` renders, in words, for --verbose."""
    parts = ["the site", "results.json"]
    parts += ["report.pdf"] if pdf else []
    parts += ["systems/*.pdf"] if pdf_per_system else []
    parts += ["manifest.json" + (" (signed)" if sign_key else "")]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@main.command()
@click.argument("bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--pubkey",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 public key (PEM): also check manifest.json.sig.",
)
@_reported
def verify(bundle: Path, pubkey: Path | None) -> None:
    """Re-hash a built bundle against its manifest; name every modified, missing or extra file.

    Exit 0 intact, 1 tampered (or a bad signature), 2 unusable (no manifest, bad key).
    Needs no network and nothing but the bundle. With --quiet an intact bundle prints
    nothing.
    """
    term = current()
    result = verify_bundle(bundle, pubkey)
    if result.intact and term.quiet:
        return
    for path in result.modified:
        click.echo(f"modified: {path}")
    for path in result.missing:
        click.echo(f"missing:  {path}")
    for path in result.extra:
        click.echo(f"extra:    {path}")
    if pubkey is not None:
        click.echo(f"signature: {result.signature}")
    if not result.intact:
        click.echo(
            f"{bundle}: {term.style('TAMPERED', 'fail')} (report id {result.report_id[:12]})"
        )
        sys.exit(EXIT_FAILING)
    click.echo(f"{bundle}: {term.style('intact', 'pass')} (report id {result.report_id[:12]})")


main.add_command(init_command)
# The modules are kept as the package attributes (mldossier.cli.collect is a module).
main.add_command(lineage_command.lineage)
main.add_command(collect_command.collect)


if __name__ == "__main__":  # pragma: no cover
    main()
