"""Problems found in the input, the errors that carry them, and the exit codes they end with.

Every error mldossier reports to a user derives from :class:`MldossierError` and carries its
exit code and the lines it reads as, as click's ``ClickException`` does (and MkDocs'
``MkDocsException`` on top of it): the command line prints them and exits, with one handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

EXIT_OK = 0
"""Everything valid; for `check`, no failing control."""
EXIT_FAILING = 1
"""`check`: at least one control failed (or warned, with `--fail-on warn`)."""
EXIT_INVALID = 2
"""Invalid input or usage: nothing was written."""
EXIT_INTERNAL = 3
"""An unexpected internal error (a bug); the message says how to get the traceback."""
EXIT_QUARANTINED = 5
"""`check` and `build` with `--quarantine`: invalid records were left out (and listed), and
no verdict fails the gate; the evidence is incomplete, so CI must not pass it as 0."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one input file.

    Reads as ``file:pointer: message (fix)``; for NDJSON the line number stands between
    file and pointer (``events.ndjson:12:/eventTime``).
    """

    file: str
    pointer: str
    message: str
    fix: str = ""
    line: int | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        where += f":{self.pointer or '/'}" if self.file else ""
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" ({self.fix})"
        return text

    @property
    def is_error(self) -> bool:
        """Whether this problem makes the input invalid (warnings do not)."""
        return self.severity == "error"


class MldossierError(Exception):
    """The root of every error reported as a message and an exit code, not a traceback."""

    exit_code: ClassVar[int] = EXIT_INVALID
    """What the command line exits with when this error stops it."""

    def lines(self, quiet: bool = False) -> list[str]:
        """What the command line prints on stderr (``quiet``: only what is essential)."""
        return [f"mldossier: {self}"]


class InputError(MldossierError):
    """The input is invalid; carries every problem found, not just the first."""

    exit_code: ClassVar[int] = EXIT_INVALID

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sort_problems(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self, quiet: bool = False) -> list[str]:
        """Every problem (the warnings not with ``quiet``), then how many errors there are."""
        shown = [p for p in self.problems if p.is_error or not quiet]
        errors = sum(1 for p in self.problems if p.is_error)
        return [f"{'error' if p.is_error else 'warning'}: {p}" for p in shown] + [
            f"mldossier: {errors} problem(s) in the input; nothing was written"
        ]


class UsageError(MldossierError):
    """The command was called in a way that cannot work (missing folder, bad option)."""

    exit_code: ClassVar[int] = EXIT_INVALID


def _problem_order(p: Problem) -> tuple[str, int, str, str]:
    return (p.file, p.line or 0, p.pointer, p.message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in a stable order: by file, line, pointer, message."""
    return sorted(problems, key=_problem_order)


def escape_pointer_token(token: str | int) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build a JSON Pointer from reference tokens: ``pointer("a", 0) == "/a/0"``."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)
