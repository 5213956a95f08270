"""The story's clock: MLflow (server and client) runs with its time set by libfaketime.

MLflow stamps creation, run and update times with the clock of the process that makes the
call: the server for registered models, versions, experiments and logged models, the client
for run start and end times, metric timestamps and the ``utc_time_created`` of an MLmodel.
So the generator re-executes itself under libfaketime (``LD_PRELOAD``) and starts the
tracking server from there; both read the fake time from one file, which the generator
rewrites before each step of the story (``FAKETIME_TIMESTAMP_FILE`` with
``FAKETIME_NO_CACHE=1``, so every time call reads it).

The file holds an absolute date, which libfaketime keeps as a stopped clock: every call
made in one step carries the same instant, and regenerating the bundle gives the same
times to the millisecond. ``CLOCK_MONOTONIC`` is left real (``FAKETIME_DONT_FAKE_MONOTONIC``)
because timeouts, ``threading`` waits and asyncio's loop run on it; file times are left real
(``NO_FAKE_STAT``). libfaketime 0.9.10 (Debian 12) has one flaw under that setting:
Python's ``time.sleep`` fails with EINVAL (libfaketime issue #426), so nothing in the faked
processes may sleep. MLflow's telemetry thread and the server's job runner do, and are
switched off; this package waits with ``threading.Event.wait`` instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
"""Where Debian's ``faketime`` package (``apt-get install faketime``) puts the library."""
LIBRARY_VARIABLE = "NORTHWIND_LIBFAKETIME"
"""Environment variable that overrides :data:`LIBFAKETIME` (another distribution's path)."""
CLOCK_FILE_VARIABLE = "FAKETIME_TIMESTAMP_FILE"

FAKED_ENVIRONMENT = {
    "FAKETIME_NO_CACHE": "1",
    "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    "NO_FAKE_STAT": "1",
    # libfaketime reads the absolute date in local time; the story's times are UTC.
    "TZ": "UTC",
    # Both sleep in a thread, and time.sleep fails under libfaketime 0.9.10 (see above).
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    # Not the clock, but the same re-execution fixes it: Evidently sums over sets of column
    # names, so with hash randomisation its floats differ in the last digits run to run.
    "PYTHONHASHSEED": "0",
}
"""Set for the generator and, inherited, for the tracking server it starts."""


def library() -> Path:
    """The libfaketime shared library to preload."""
    return Path(os.environ.get(LIBRARY_VARIABLE) or LIBFAKETIME)


def _spec(moment: datetime) -> str:
    """libfaketime's absolute format (a stopped clock), in UTC, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r}: the story clock takes aware (UTC) date-times")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_clock(path: Path, moment: datetime) -> None:
    """Set the fake time: replace the file in one rename, so no reader sees half of it."""
    spare = path.with_name(path.name + ".next")
    spare.write_text(_spec(moment) + "\n", encoding="ascii")
    os.replace(spare, path)


def faked() -> bool:
    """Whether this process runs under libfaketime with a story clock file."""
    return str(library()) in os.environ.get("LD_PRELOAD", "") and bool(
        os.environ.get(CLOCK_FILE_VARIABLE)
    )


def reexec_under_libfaketime(start: datetime) -> None:
    """Replace this process by itself under libfaketime, the clock set to ``start``.

    Does not return. Exits with a message if the library is missing.
    """
    lib = library()
    if not lib.is_file():
        sys.exit(
            f"error: libfaketime not found at {lib}: MLflow's clock follows the story "
            f"through it (apt-get install faketime, or set {LIBRARY_VARIABLE})"
        )
    folder = Path(tempfile.mkdtemp(prefix="northwind-clock-"))
    clock = folder / "faketime"
    write_clock(clock, start)
    preload = " ".join(p for p in (str(lib), os.environ.get("LD_PRELOAD", "")) if p)
    env = dict(os.environ, LD_PRELOAD=preload, **{CLOCK_FILE_VARIABLE: str(clock)})
    env.update(FAKED_ENVIRONMENT)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


class StoryClock:
    """The fake time every faked process reads: set it before each step of the story."""

    def __init__(self) -> None:
        if not faked():
            raise RuntimeError("the story clock needs the process to run under libfaketime")
        self.path = Path(os.environ[CLOCK_FILE_VARIABLE])

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (and check that this process sees it)."""
        write_clock(self.path, moment)
        seen = time.time()
        if abs(seen - moment.timestamp()) > 1:
            raise RuntimeError(
                f"libfaketime is preloaded but the clock reads "
                f"{datetime.fromtimestamp(seen, UTC).isoformat()}, not {moment.isoformat()}"
            )

    def close(self) -> None:
        """Remove the clock file and its folder (made by :func:`reexec_under_libfaketime`)."""
        for name in (self.path.name, self.path.name + ".next"):
            (self.path.parent / name).unlink(missing_ok=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass
