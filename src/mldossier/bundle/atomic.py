"""Writing outputs atomically: a reader never sees a half-written file or folder."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from mldossier.errors import UsageError

try:  # POSIX only: elsewhere swaps are not serialised between processes.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_POLL_SECONDS = 0.02
"""How often a swap waiting for another one into the same folder checks the lock again."""

_UNWRITABLE_HINTS = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space or raise the quota",
    errno.EROFS: "mount it read-write",
    errno.EACCES: "check the folder's permissions",
    errno.EPERM: "check the folder's permissions",
}
"""Errors that say where the output goes cannot take it (not a bug), and what to do."""


def unwritable_hint(exc: OSError) -> str | None:
    """What to do about an error saying the disk cannot take the output (full, read-only,
    forbidden), or None for any other error."""
    return _UNWRITABLE_HINTS.get(exc.errno or 0)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file by renaming a finished temporary file over it."""
    atomic_write_bytes(path, text.encode("utf-8"))


def usual_mode(directory: bool) -> int:
    """The mode ``open``/``mkdir`` would give under the process's umask.

    Temporary files and folders are made private (0600, 0700); once finished and renamed
    into place, an output must read like any other file (a web server serves the site).
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a binary file by renaming a finished temporary file over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, usual_mode(directory=False))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


STAGING_ROLES = ("staging", "work", "old", "collecting")
"""The folders made beside ``--out`` while it is written:
``.<out>.<role>-<host>-<pid>-<random>``."""


def host_tag() -> str:
    """Eight hex digits naming this machine (its host name's SHA-256), in staging names.

    A process id means something only on the machine (or container) that ran it: a folder
    shared between machines must not lose another machine's live staging folder.
    """
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def staging_prefix(target: Path, role: str) -> str:
    """The name start of a folder made beside ``target``, naming this process as its owner."""
    assert role in STAGING_ROLES
    return f".{target.name}.{role}-{host_tag()}-{os.getpid()}-"


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete the folders a killed run left beside ``target``; the ones deleted.

    Only folders named as :func:`staging_prefix` makes them, by this machine, owned by this
    user, whose owner process is gone: never a folder of a run still going, never anything
    else.
    """
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(?:{'|'.join(STAGING_ROLES)})"
        rf"-{host_tag()}-([0-9]+)-[A-Za-z0-9_]+"
    )
    removed: list[Path] = []
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _process_lives(int(match.group(1))):
            continue
        path = target.parent / name
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _process_lives(pid: int) -> bool:
    """Whether a process ``pid`` exists (this one included; another user's counts too)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return True  # not a pid this tool wrote: never treat it as gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def swap_in_folder(
    staged: Path, target: Path, replaceable: Callable[[Path], None] | None = None
) -> None:
    """Replace ``target`` by the finished folder ``staged`` (old one removed only after).

    Swaps into one ``target`` from several processes at once take turns (a lock next to it),
    and SIGINT/SIGTERM arriving mid-swap take effect once it is complete and tidied up, so
    ``target`` is always one whole bundle and nothing is left beside it. ``replaceable``
    raises (e.g. :meth:`~mldossier.bundle.out_folder.OutputKind.refuse_foreign`) when an
    existing ``target`` is not this tool's to replace; it is asked under the lock.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(staged, usual_mode(directory=True))  # made by mkdtemp: 0700
    with signals_deferred() as pending, _swap_lock(target, pending) as locked:
        if not locked:
            return  # interrupted while waiting: nothing was changed; the signal follows
        if replaceable is not None:
            replaceable(target)
        # A fresh empty folder is a name no other swap uses; renaming onto it replaces it.
        old = Path(tempfile.mkdtemp(prefix=staging_prefix(target, "old"), dir=target.parent))
        try:
            if target.exists():
                os.replace(target, old)
                try:
                    os.replace(staged, target)
                except BaseException:
                    os.replace(old, target)
                    raise
            else:
                os.replace(staged, target)
        finally:
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _swap_lock(target: Path, pending: list[int]) -> Iterator[bool]:
    """Hold an exclusive lock on ``.<target>.lock`` beside ``target``; removed on release.

    Yields False, holding nothing, when a signal arrives (into ``pending``) while waiting.
    The lock file is removed so that nothing stays beside the bundle; a waiter that locked
    the removed file notices that the name now means another file, and locks that one.
    """
    if fcntl is None:  # pragma: no cover - Windows
        yield True
        return
    path = target.parent / f".{target.name}.lock"
    fd = _lock(path, pending)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        # Removed while still held: a waiter that then locks this file sees it is stale.
        path.unlink(missing_ok=True)
        os.close(fd)


def _lock(path: Path, pending: list[int]) -> int | None:
    """A descriptor holding the lock on the file now at ``path``; None once a signal waits."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while not _try_lock(fd):
                if pending:
                    os.close(fd)
                    return None
                time.sleep(LOCK_POLL_SECONDS)
            with suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.stat(path)):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM back (collected into the yielded list), then deliver them.

    For steps that must not stop half-way: between the two renames of a swap the bundle is
    under its old-folder name, and a library's set-up can leave temporary files. A held
    signal takes effect (through the handlers restored here) once the step is whole. A child
    forked meanwhile is not held back: it handles the signal as the process did before.
    Only the main thread can change handlers; elsewhere nothing is held back.
    """
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    owner = os.getpid()
    previous: dict[int, Any] = {}

    def hold(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == owner:
            pending.append(signum)
            return
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)
        elif handler != signal.SIG_IGN:
            _die_of(signum)

    for held in (signal.SIGINT, signal.SIGTERM):
        previous[held] = signal.signal(held, hold)
    try:
        yield pending
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, signal.SIG_DFL if handler is None else handler)
        if pending:
            signal.raise_signal(pending[0])


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """For its duration, SIGTERM raises ``SystemExit(143)`` so cleanup runs as on Ctrl-C.

    SIGTERM (what ``kill``, CI runners and container stops send) otherwise ends the process
    at once, leaving temporary folders behind. Further SIGTERMs are ignored while it unwinds
    (so they cannot cut the cleanup short); the previous handler is restored afterwards.
    A forked child inherits the handler but dies as SIGTERM would make it, never unwinding
    into its parent's cleanup. Only the main thread can change handlers; elsewhere this does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def unwind(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            _die_of(signum)
        signal.signal(signum, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _die_of(signum: int) -> None:
    """End this (forked) process as ``signum`` would with no handler, running no cleanup."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # only reached if the signal is blocked


@contextmanager
def reported_as_unwritable(folder: Path) -> Iterator[None]:
    """Turn a full, read-only or forbidden disk under ``folder`` into a UsageError.

    Such a failure is the environment's, not a bug: it gets a plain message (exit 2) naming
    the folder and what to do. The same errors in the system's temporary folder (which
    libraries may use) name that file; any other error passes unchanged.
    """
    try:
        yield
    except OSError as exc:
        hint = _UNWRITABLE_HINTS.get(exc.errno or 0)
        if hint is None:
            raise
        reason = os.strerror(exc.errno or 0)
        # A copy's error names its source first and its destination second.
        names = [n for n in (exc.filename, exc.filename2) if isinstance(n, str)]
        temporary = Path(tempfile.gettempdir()).resolve()
        if any(_is_bundle_path(n, folder) for n in names) or (
            not names and _same_file_system(temporary, folder.parent)
        ):
            raise UsageError(
                f"cannot write the bundle into {folder}: {reason} "
                f"({hint}, or build into another folder with --out)"
            ) from exc
        if not names:  # a failed write() names no file: either folder could be full
            raise UsageError(
                f"cannot write the bundle into {folder} or the temporary folder "
                f"{temporary}: {reason} ({hint}, or build into another folder "
                "with --out, or set TMPDIR to another folder)"
            ) from exc
        elsewhere = [n for n in names if temporary in Path(n).resolve().parents]
        if elsewhere:
            raise UsageError(
                f"cannot write the bundle into {folder}: {elsewhere[-1]}: "
                f"{reason} ({hint}, or set TMPDIR to another folder)"
            ) from exc
        raise


def _same_file_system(one: Path, other: Path) -> bool:
    try:
        return one.stat().st_dev == other.stat().st_dev
    except OSError:
        return True


def _is_bundle_path(name: str, bundle: Path) -> bool:
    """Whether ``name`` is the bundle, in it, on the way to it, or a folder written beside it."""
    path, bundle = Path(name).resolve(), bundle.resolve()
    if path == bundle or path in bundle.parents or bundle in path.parents:
        return True
    if bundle.parent not in path.parents:
        return False
    # Staging and old folders, and the swap lock: ".<bundle name>.*" beside the bundle.
    return path.relative_to(bundle.parent).parts[0].startswith(f".{bundle.name}.")


__all__ = [
    "STAGING_ROLES",
    "atomic_write_bytes",
    "host_tag",
    "remove_stale_staging",
    "staging_prefix",
    "atomic_write_text",
    "usual_mode",
    "reported_as_unwritable",
    "unwritable_hint",
    "signals_deferred",
    "sigterm_unwinds",
    "swap_in_folder",
]
