"""The ``mldossier`` command line: parses options and calls the library, nothing more.

This module defines the ``mldossier`` group and adds the commands, one module each
(:mod:`~mldossier.cli.validate`, ``check``, ``build``, ``verify``, ``init``, ``lineage``,
``collect``); what they share is :mod:`mldossier.cli.common`.
"""

from __future__ import annotations

from pathlib import Path

import click

from mldossier import __version__
from mldossier.cli import build, check, collect, init, lineage, validate, verify
from mldossier.cli.common import Context
from mldossier.intake.read import set_debug
from mldossier.terminal import configure

__all__ = ["main"]


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


main.add_command(validate.validate)
main.add_command(check.check)
main.add_command(build.build_command)
main.add_command(verify.verify)
main.add_command(init.init_command)
main.add_command(lineage.lineage)
main.add_command(collect.collect)
