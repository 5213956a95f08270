"""What every command shares: the :class:`Context`, the one error handler, the shared options.

The command modules import this one and nothing of :mod:`mldossier.cli` itself, which only
defines the ``mldossier`` group and adds them to it: no module of the package imports another
in a circle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from mldossier.cache import Cache, open_cache
from mldossier.config import Config, find_config, load_config
from mldossier.errors import EXIT_INTERNAL, EXIT_QUARANTINED, MldossierError
from mldossier.terminal import Terminal, current, echo, echo_line

P = ParamSpec("P")
R = TypeVar("R")


class Context:
    """Options shared by every command."""

    def __init__(self, config_path: Path | None, debug: bool, terminal: Terminal | None = None):
        self.config_path = config_path
        self.debug = debug
        self.terminal = terminal or Terminal()

    def config(self) -> Config:
        """The config file given, else ./mldossier.yaml, else the defaults."""
        return load_config(self.config_path or find_config(Path.cwd()))

    def warn_all(self, warnings: Iterable[object]) -> None:
        """Print every warning on stderr (none with --quiet)."""
        for warning in warnings:
            self.terminal.warn(warning)

    def show_quarantine(self, quarantined: Sequence[object]) -> None:
        """Print every quarantined record's problem on stderr, even with --quiet: what the
        verdicts do not cover is never hidden."""
        for problem in quarantined:
            echo_line(f"quarantined: {problem}", err=True)
        if quarantined:
            echo_line(
                f"mldossier: {len(quarantined)} invalid record(s) left out (--quarantine): the "
                "verdicts do not cover them (fix the records, or run without --quarantine to "
                "see them as errors)",
                err=True,
            )

    def exit_quarantined(self, quarantined: Sequence[object]) -> None:
        """Exit :data:`EXIT_QUARANTINED` when records were left out (after the verdicts' gate,
        which exits 1 first): an incomplete run never exits 0."""
        if quarantined:
            sys.exit(EXIT_QUARANTINED)


def reported(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every :class:`MldossierError` into its message and exit code; a bug into exit 3.

    The traceback of an unexpected error shows only with ``--debug``. Click's own errors and
    exits pass through: click reports them (a bad option is exit 2 too).
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ctx = click.get_current_context().find_object(Context)
        try:
            return func(*args, **kwargs)
        except MldossierError as exc:
            for line in exc.lines(quiet=current().quiet):
                echo_line(line, err=True)
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if ctx is not None and ctx.debug:
                raise
            echo_line(
                f"mldossier: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback, and please report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


def config_of(ctx: click.Context) -> Config:
    """The main group's config (``--config``, else ./mldossier.yaml), else the defaults.

    The defaults when the command runs outside the group (a test invoking it directly).
    """
    obj = ctx.find_object(Context)
    return obj.config() if obj is not None else Config()


evidence_option = click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Evidence folder (default: `evidence:` in mldossier.yaml, else ./evidence).",
)
"""``--evidence DIR``: the evidence folder, over the config's."""


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (write YYYY-MM-DD)") from None


as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    callback=_as_of,
    help="The evaluation date: evidence ages count from it and evidence dated after it is "
    "not counted (default: SOURCE_DATE_EPOCH, else today, UTC).",
)
"""``--as-of DATE``: the evaluation date, recorded in every output."""

readiness_option = click.option(
    "--readiness",
    is_flag=True,
    help="Evaluate obligations that apply from a later date as if they applied now "
    "(readiness), instead of not_yet_applicable.",
)
"""``--readiness``: controls not yet applicable are evaluated as if they applied."""

STRICT_INTAKE_HELP = (
    "a file in the evidence folder that is not evidence (of a shape no importer reads, and "
    "not in evidence.ignore) and a call the export records as failed are errors (exit 2), "
    "not warnings"
)

strict_gate_option = click.option(
    "--strict",
    "strict",
    is_flag=True,
    help="Fail the gate on not_evidenced verdicts too (evidence missing from the export); "
    f"and {STRICT_INTAKE_HELP}.",
)
"""``--strict`` of ``check``: the CI gate adds ``not_evidenced``, and the intake is strict."""

strict_intake_option = click.option(
    "--strict",
    "strict",
    is_flag=True,
    help=f"Strict intake: {STRICT_INTAKE_HELP}.",
)
"""``--strict`` of ``validate``: files not evidence and failed export calls are errors."""

quarantine_option = click.option(
    "--quarantine",
    is_flag=True,
    help="Leave out invalid records (an event, a report, a file that cannot be parsed) "
    "instead of stopping: they are listed in results.json, the site and the PDF, each "
    "verdict that could have read them says so, and the run exits 5 (1 if a verdict fails "
    "the gate). Config errors and a folder with no AI system still stop it (exit 2).",
)
"""The ``--quarantine`` option of ``check`` and ``build``."""

no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the build cache (`cache:` in mldossier.yaml, default "
    ".mldossier-cache beside it); the output is the same either way.",
)
"""``--no-cache``: build without the cache."""


def build_cache(config: Config, no_cache: bool) -> Cache:
    """The build cache the config names, or a disabled one with ``--no-cache``."""
    return Cache(None) if no_cache else open_cache(config.cache_dir, config.cache_max_bytes)


def inputs_of(config: Config, evidence_dir: Path | None) -> list[tuple[str, Path | None]]:
    """The inputs an ``--out`` folder may neither be nor contain: config file, evidence."""
    return [
        ("config file", config.path),
        ("evidence folder", evidence_dir if evidence_dir is not None else config.evidence),
    ]


def echo_lines(lines: list[str]) -> None:
    """Print the lines on stdout, whatever the loudness (they are the essential result)."""
    if lines:
        echo("\n".join(lines))
