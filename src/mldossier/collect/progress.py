"""Progress on a terminal: a bar redrawn in place on stderr, silent in CI and in pipes."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from mldossier.formats.text import printable

BAR_WIDTH = 24


def interactive(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to draw progress: ``stream`` is a terminal and no ``CI`` variable is set."""
    in_ci = environ.get("CI", "").strip().lower() not in ("", "0", "false")
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not in_ci


class Progress:
    """One status line, redrawn in place; does nothing when not :func:`interactive`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        environ: Mapping[str, str] | None = None,
        unit: str = "calls",
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = (
            interactive(self.stream, os.environ if environ is None else environ)
            if enabled is None
            else enabled
        )
        self.unit = unit
        """What :attr:`calls` counts, shown after it; empty to show no count."""
        self.calls = 0
        """Calls made so far, shown at the end of the line (kept current by the collector)."""
        self._drawn = False

    def update(self, what: str, done: int | None = None, total: int | None = None) -> None:
        """Show the current step; with ``done``/``total``, as a bar."""
        if not self.enabled:
            return
        what = printable(what)  # a stage may name a folder: no control character of its own
        if total:
            filled = BAR_WIDTH * min(done or 0, total) // total
            text = f"{what:<22} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        else:
            text = what
        if self.unit:
            text += f"  ({self.calls} {self.unit})"
        self.stream.write(f"\r\x1b[K{text}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clear the line, so what follows starts clean."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
