"""Terminal manners: how much the command line says, whether it colours, progress on stderr.

The global options ``--quiet``, ``--verbose`` and ``--color/--no-color`` set one
:class:`Terminal` per invocation; every command asks :func:`current` for it. Nothing here
touches an output file: colour and progress exist only on a terminal.

Every line mldossier prints goes through :func:`echo` or :func:`echo_line`: text from the
evidence, a server or a file name can neither drive the terminal (control characters are
shown escaped) nor start a CI workflow command.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

import click

from mldossier.collect.progress import Progress
from mldossier.formats.text import printable

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

# The colour mldossier adds travels inside its text as marks only this process can write (a
# private-use character, a random token, the SGR parameters): safe_line escapes everything
# else, then turns the marks into escapes, so an ESC in evidence can never pass for colour.
_TOKEN = secrets.token_hex(8)
_MARK = re.compile("\ue000" + _TOKEN + "\\[([0-9;]*)m\ue001")
_SGR = re.compile("\x1b\\[([0-9;]*)m")
# GitHub reads ``::command::`` at the start of a line (after blanks) and its legacy
# ``##[command]`` anywhere in one, as Azure Pipelines reads ``##vso[`` and ``##[``.
_ANYWHERE_COMMAND = re.compile(r"##(?=\[|vso\[)", re.IGNORECASE)
_CI_START = "::"


def _marked(sgr: str) -> str:
    """Escape sequences that set colour (from click.style) as marks for :func:`safe_line`."""
    return _SGR.sub(lambda m: f"\ue000{_TOKEN}[{m.group(1)}m\ue001", sgr)


def _defused(text: str, line_start: bool) -> str:
    """``text`` that starts no CI workflow command: ``##[`` and ``##vso[`` broken anywhere,
    a leading ``::`` (after blanks) when at the start of a line, each with a visible escape."""
    text = _ANYWHERE_COMMAND.sub(lambda _: "#\\u0023", text)
    body = text.lstrip()
    if line_start and body.startswith(_CI_START):
        cut = len(text) - len(body)
        text = text[:cut] + "\\u003a" + text[cut + 1 :]
    return text


def safe_line(line: str) -> str:
    """One line of output, safe for a terminal and a CI log whatever text it quotes.

    Every control character is shown escaped (:func:`~mldossier.formats.text.printable`),
    no CI workflow command can start (``::`` at the start, ``##[`` or ``##vso[`` anywhere
    become ``\\u003a:``, ``#\\u0023[``), and only the colour :meth:`Terminal.style` added
    becomes an escape sequence again.
    """
    parts = _MARK.split(line)  # text, SGR parameters, text, ...
    out = []
    started = False
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"\x1b[{part}m")
            continue
        text = printable(part)
        out.append(_defused(text, line_start=not started))
        started = started or bool(text.strip())
    return "".join(out)


def safe_text(text: str) -> str:
    """Text of one or more lines made safe line by line (:func:`safe_line`), newlines kept."""
    return "\n".join(safe_line(line) for line in text.split("\n"))


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Print ``text`` made safe (:func:`safe_text`): every line of mldossier's output goes here."""
    click.echo(safe_text(text), err=err, nl=nl)


def echo_line(text: str, err: bool = False) -> None:
    """Print one line made safe (:func:`safe_line`): a line break inside it is shown escaped.

    For what is one line by contract (a problem, a warning), so that a file name or a value
    holding a line feed cannot start a line of its own.
    """
    click.echo(safe_line(text), err=err)


class _SafeLog(logging.Handler):
    """The library's log warnings on stderr, each one line made safe: they quote evidence.

    Without a handler, Python's last resort would print them on stderr as they are.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            echo_line(record.getMessage(), err=True)
        except Exception:  # noqa: BLE001 - logging must never stop the command
            self.handleError(record)


def log_safely() -> None:
    """Send the ``mldossier`` loggers' warnings through :func:`echo_line` (once)."""
    logger = logging.getLogger("mldossier")
    if not any(isinstance(h, _SafeLog) for h in logger.handlers):
        logger.addHandler(_SafeLog(logging.WARNING))


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
            echo(text)

    def warn(self, warning: object) -> None:
        """Print ``warning: ...`` on stderr (not with --quiet)."""
        if not self.quiet:
            echo_line(f"warning: {warning}", err=True)

    def style(self, text: str, status: str) -> str:
        """``text`` in the colour of ``status`` when colouring, else unchanged.

        The colour is marked, not yet an escape sequence: :func:`echo` makes it one after
        escaping every control character of the text around it.
        """
        color = STATUS_COLORS.get(status)
        if not self.color or color is None:
            return text
        start, end = click.style("\0", fg=color, bold=True if status == "error" else None).split(
            "\0"
        )
        return _marked(start) + text + _marked(end)

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
                echo(f"mldossier: {stage}", err=True)
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
    log_safely()
    # click.echo strips escapes on a pipe unless told otherwise: --color must survive one.
    ctx.color = wanted
    return terminal


def current() -> Terminal:
    """The running invocation's :class:`Terminal`; the defaults outside ``mldossier``."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_META_KEY) if ctx is not None else None
    return found if isinstance(found, Terminal) else Terminal()
