"""Terminal manners: how much the command line says, whether it colours, progress on stderr.

The global options ``--quiet``, ``--verbose`` and ``--color/--no-color`` set one
:class:`Terminal` per invocation; every command asks :func:`current` for it. Nothing here
touches an output file: colour and progress exist only on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

import click

from mldossier.collect.progress import Progress

NO_COLOR_ENV = "NO_COLOR"
"""Set to any non-empty value, it turns colour off (https://no-color.org)."""
QUIET_AND_VERBOSE = "--quiet and --verbose cannot be used together (choose one)"
STATUS_COLORS = {
    "no_exception": "green",
    "no_occurrence": "green",
    "exception": "red",
    "formal_nonconformity": "red",
    "error": "red",
    "not_evidenced": "yellow",
    "observation": "yellow",
    "not_assessed": "blue",
}
"""Status words that get a colour; the others stay plain, so colour means something."""
_META_KEY = "mldossier.terminal"


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (a function, so tests can pretend it is)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def color_wanted(choice: bool | None, environ: Mapping[str, str], is_terminal: bool) -> bool:
    """Colour or not: ``--color``/``--no-color`` when given, else a terminal without NO_COLOR.

    As no-color.org asks, NO_COLOR (any non-empty value) beats the automatic choice, and an
    explicit ``--color`` on the command line beats NO_COLOR.
    """
    if choice is not None:
        return choice
    return is_terminal and not environ.get(NO_COLOR_ENV, "")


@dataclass(frozen=True)
class Terminal:
    """How loud one invocation is and whether it colours (set by the global options)."""

    quiet: bool = False
    """Only errors and the essential result: no warnings, no summaries, no progress."""
    verbose: bool = False
    """More detail: every verdict, every file read, every build stage."""
    color: bool = False
    """Colour status words (never in files, never when NO_COLOR is set without --color)."""

    def say(self, text: str) -> None:
        """Print a line of ordinary output on stdout (not with --quiet)."""
        if not self.quiet:
            click.echo(text)

    def warn(self, warning: object) -> None:
        """Print ``warning: ...`` on stderr (not with --quiet)."""
        if not self.quiet:
            click.echo(f"warning: {warning}", err=True)

    def style(self, text: str, status: str) -> str:
        """``text`` in the colour of ``status`` when colouring, else unchanged."""
        color = STATUS_COLORS.get(status)
        if not self.color or color is None:
            return text
        return click.style(text, fg=color, bold=True if status == "error" else None)

    def progress(
        self,
        unit: str = "calls",
        stream: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Progress:
        """A progress line on stderr: drawn only on a terminal, outside CI, without --quiet."""
        return Progress(stream, enabled=False if self.quiet else None, environ=environ, unit=unit)

    def stages(
        self,
        announce: bool = False,
        stream: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> StageReporter:
        """A reporter for long work; ``announce`` names each stage on stderr (--verbose)."""
        return StageReporter(self.progress("", stream, environ), announce and self.verbose)


class StageReporter:
    """Reports long work as it goes: a line per stage when announcing, a bar on a terminal.

    Call it with a stage name, and with ``done``/``total`` for work that can be counted
    (files read, PDFs rendered). It has the shape of a progress callback a library function
    can take: ``Callable[[str, int | None, int | None], None]``.
    """

    def __init__(self, progress: Progress, announce: bool) -> None:
        self.bar = progress
        self.announce = announce
        self._stage: str | None = None

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        """Show that ``stage`` is running (``done`` of ``total`` when counted)."""
        if stage != self._stage:
            self._stage = stage
            if self.announce:
                self.bar.close()  # so the line is not written over the bar
                click.echo(f"mldossier: {stage}", err=True)
        if total is not None or not self.announce:  # an announced stage needs no echo
            self.bar.update(stage, done, total)

    def close(self) -> None:
        """Clear the progress line, so what follows starts clean."""
        self.bar.close()

    def __enter__(self) -> StageReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def configure(
    ctx: click.Context,
    quiet: bool,
    verbose: bool,
    color: bool | None,
    environ: Mapping[str, str] | None = None,
) -> Terminal:
    """Check the global options, remember the :class:`Terminal` for this invocation.

    ``--quiet`` with ``--verbose`` is a usage error (exit 2).
    """
    if quiet and verbose:
        raise click.UsageError(QUIET_AND_VERBOSE, ctx)
    wanted = color_wanted(color, os.environ if environ is None else environ, stdout_is_terminal())
    terminal = Terminal(quiet=quiet, verbose=verbose, color=wanted)
    ctx.meta[_META_KEY] = terminal
    # click.echo strips escapes on a pipe unless told otherwise: --color must survive one.
    ctx.color = wanted
    return terminal


def current() -> Terminal:
    """The running invocation's :class:`Terminal`; the defaults outside ``mldossier``."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_META_KEY) if ctx is not None else None
    return found if isinstance(found, Terminal) else Terminal()
