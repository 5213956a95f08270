"""The forked PDF workers: PDFs laid out on the other cores while the build goes on.

Not multiprocessing.Pool: its helper threads and shared queue locks hang the build when a
worker is killed at the wrong moment (``kill`` of the whole process group, as CI runners do).
Here a worker takes job indices from a pipe and sends back only a failure; an interrupted
build kills its workers and waits for them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from mldossier.cache import Cache
from mldossier.render.dossier import Dossier


def render_system_pdfs(
    dossier: Dossier,
    folder: Path,
    report_id: str,
    attachments: dict[str, bytes],
    cache: Cache | None = None,
) -> None:
    """One PDF per system, rendered by one forked worker per core.

    Each PDF is independent of the others, so its bytes do not depend on which worker made it.
    """
    from mldossier.render.pdf import render_pdf

    jobs = [(s.model.name, folder / f"{s.slug}.pdf") for s in dossier.systems]

    def render(index: int) -> None:
        name, target = jobs[index]
        render_pdf(
            dossier,
            target,
            report_id=report_id,
            attachments=attachments,
            only_system=name,
            cache=cache,
        )

    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1 or not forking():
        for index in range(len(jobs)):
            render(index)
        return
    render_in_workers(render, len(jobs), workers)


_JOB = struct.Struct("=I")
"""A job index as the workers read it from their pipe (4 bytes: one atomic read)."""


def forking() -> bool:
    """Whether work can go to forked workers on another core."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def render_in_workers(
    render: Callable[[int], None],
    count: int,
    workers: int,
    alongside: Callable[[], None] | None = None,
) -> None:
    """Call ``render(i)`` for every ``i < count`` in forked workers; raise the first failure.

    ``alongside`` runs in this process meanwhile; if it fails, the workers are stopped.
    """
    jobs_read, jobs_write = os.pipe()
    running: dict[int, int] = {}  # a worker's pid: the read end of its failure report
    failures: list[BaseException] = []
    try:
        for _ in range(workers):
            pid, report = _fork_worker(render, jobs_read, jobs_write)
            running[pid] = report
        os.close(jobs_read)
        jobs_read = -1
        with contextlib.suppress(BrokenPipeError):  # every worker failed: their reports say why
            for index in range(count):
                os.write(jobs_write, _JOB.pack(index))
        os.close(jobs_write)
        jobs_write = -1
        if alongside is not None:
            alongside()
        for pid, report in list(running.items()):
            failure = _outcome(pid, report)
            os.close(report)
            del running[pid]
            if failure is not None:
                failures.append(failure)
    finally:
        for fd in (jobs_read, jobs_write):
            if fd >= 0:
                os.close(fd)
        for pid in running:  # interrupted: stop the others, and wait for them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid, report in running.items():
            os.close(report)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    if failures:
        raise failures[0]


def _fork_worker(render: Callable[[int], None], jobs_read: int, jobs_write: int) -> tuple[int, int]:
    """Fork one worker; returns its pid and the read end of its failure report."""
    report_read, report_write = os.pipe()
    # Blocked across the fork, so that no signal reaches the child before it has its own
    # handlers (it must never unwind into the build's cleanup).
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pid = os.fork()
        if pid == 0:
            _work(render, jobs_read, report_write, (jobs_write, report_read), mask)
    except BaseException:
        os.close(report_read)
        os.close(report_write)
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(report_write)
    return pid, report_read


def _work(
    render: Callable[[int], None],
    jobs: int,
    report: int,
    unused: tuple[int, ...],
    mask: set[int | signal.Signals],
) -> NoReturn:
    """A worker's whole life: render the jobs it reads, report a failure, exit."""
    code = 0
    try:
        for fd in unused:
            os.close(fd)
        # SIGTERM and Ctrl-C end a worker outright: its parent removes what it leaves.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        while chunk := os.read(jobs, _JOB.size):
            render(_JOB.unpack(chunk)[0])
    except BaseException as exc:
        code = 1
        with contextlib.suppress(BaseException):
            _send_failure(report, exc)
    finally:
        os._exit(code)


def _send_failure(fd: int, exc: BaseException) -> None:
    trace = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps((exc, trace))
    except Exception:  # an exception that does not pickle is sent as its text
        data = pickle.dumps((RuntimeError(f"{type(exc).__name__}: {exc}"), trace))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _outcome(pid: int, report: int) -> BaseException | None:
    """How a worker ended: None when well, else the exception it sent (or one saying why)."""
    chunks = []
    while chunk := os.read(report, 1 << 16):  # the end of the report is the worker's exit
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if chunks:
        exc, trace = pickle.loads(b"".join(chunks))
        exc.add_note(f"(in the PDF worker {pid})\n{trace}")
        return exc  # type: ignore[no-any-return]
    if os.waitstatus_to_exitcode(status) != 0:
        return RuntimeError(
            f"the PDF worker {pid} ended with status "
            f"{os.waitstatus_to_exitcode(status)} and no report"
        )
    return None
