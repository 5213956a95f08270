"""The folder a collection is written into, and the request log that goes with it.

A collection is written into a new hidden folder next to ``--out`` and swapped in only when
complete, so a failed collection leaves the previous one as it was. Every file written is
recorded with its SHA-256 and size in ``collection-log.json``, the log an auditor reads to
see where each piece of evidence came from and when.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from mldossier.bundle.atomic import (
    remove_stale_staging,
    staging_prefix,
    swap_in_folder,
    unwritable_hint,
)
from mldossier.bundle.out_folder import OutputKind, refuse_unsafe_out
from mldossier.errors import UsageError
from mldossier.formats.json import pretty_json
from mldossier.intake.ignore import IgnoreRules

LOG_NAME = "collection-log.json"
"""File name of the request log inside a collection."""
LOG_MARKER = "collection-log/v1"
"""Value of the log's top-level ``mldossier`` key, by which an importer recognises it."""

_SAFE = re.compile(r"[A-Za-z0-9._ -]")
_MAX_NAME = 120


def safe_name(text: str) -> str:
    """``text`` as one file name: readable, reversible, and safe on every file system.

    ASCII letters, digits, ``.``, ``_``, ``-`` and inner spaces stay; every other byte of the
    UTF-8 text becomes ``%XX``, so two different names never map to one file. A name the
    evidence folder's default ignore patterns would skip (``_x``, ``README``, ``x.md``) has
    its first character or last dot escaped too. Very long names are cut and end in a hash
    of the whole name.
    """
    out = "".join(ch if _SAFE.fullmatch(ch) else _percent(ch) for ch in text)
    # Hidden files are not read as evidence; Windows drops trailing dots and spaces.
    if out.startswith((".", " ")):
        out = _percent(out[0]) + out[1:]
    if out.endswith((".", " ")):
        out = out[:-1] + _percent(out[-1])
    if not out:
        out = "%00empty"
    out = _not_ignored(out)
    if len(out) > _MAX_NAME:
        cut = _MAX_NAME - 17
        # Never cut through a %XX escape.
        cut = min(cut, out.rfind("%", cut - 2, cut + 1)) if "%" in out[cut - 2 : cut] else cut
        out = out[:cut] + "~" + _digest(text)[:16]
    return out


_DEFAULTS = IgnoreRules()
"""The evidence folder's default ``evidence.ignore`` patterns, which nothing collected may match."""


def _not_ignored(name: str) -> str:
    """``name``, escaped where the default ignore patterns would skip it as evidence.

    The defaults (``_*``, ``README*``, ``*.md``, ``*.txt``, ``*.log``; ``.*`` is escaped
    above) look at a name's start or its suffix: the first character is escaped
    (``_x`` -> ``%5Fx``), or the last dot (``x.md`` -> ``x%2Emd``), or both (``_x.md``);
    every form stays reversible.
    """
    if _DEFAULTS.reason(name) is None:
        return name
    first = _percent(name[0]) + name[1:]
    dot = name.rfind(".")
    last_dot = name[:dot] + _percent(".") + name[dot + 1 :] if dot > 0 else name
    both = _percent(name[0]) + last_dot[1:] if dot > 0 else first
    return next((c for c in (first, last_dot) if _DEFAULTS.reason(c) is None), both)


def _percent(ch: str) -> str:
    return "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class WrittenFile:
    """One file of a collection: where it is and what it holds."""

    path: str
    """Relative to the collection folder, with ``/``."""
    sha256: str
    size: int


@dataclass
class StagedFolder:
    """A new folder next to ``target``, filled by a collector, swapped in by :meth:`commit`.

    Used as a context manager: leaving it with an exception removes the staged folder and
    leaves ``target`` untouched.
    """

    target: Path
    path: Path = field(init=False)
    written: dict[str, WrittenFile] = field(init=False, default_factory=dict)
    _taken: set[str] = field(init=False, default_factory=set)

    def __enter__(self) -> StagedFolder:
        if self.target.exists() and not self.target.is_dir():
            raise UsageError(
                f"--out {self.target} is a file, not a folder (pass a folder; "
                "it is replaced by the new collection)"
            )
        refuse_unsafe_out(self.target, COLLECTION, ())
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(self.target)
            # Hidden, so a half-written collection inside an evidence folder is never read.
            self.path = self.target.parent / (
                staging_prefix(self.target, "collecting") + secrets.token_hex(4)
            )
            self.path.mkdir()
        except OSError as exc:
            raise UsageError(
                f"cannot create a folder next to --out {self.target}: "
                f"{exc.strerror or exc} (check the path and permissions)"
            ) from None
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def write(self, rel: str, data: bytes) -> WrittenFile:
        """Write ``data`` byte for byte at ``rel``; a name already taken gets a suffix."""
        rel = self._unique(rel)
        path = self.path / rel
        with self._unwritable():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        record = WrittenFile(rel, hashlib.sha256(data).hexdigest(), len(data))
        self.written[rel] = record
        return record

    def _unique(self, rel: str) -> str:
        # Case-insensitive file systems would merge names that differ only in case.
        candidate, number = rel, 1
        pure = PurePosixPath(rel)
        while candidate.casefold() in self._taken:
            number += 1
            if pure.suffix:
                candidate = str(pure.with_name(f"{pure.stem}~{number}{pure.suffix}"))
            else:
                # A file known by its exact name (MLmodel): number its folder instead.
                candidate = str(pure.parent.with_name(f"{pure.parent.name}~{number}") / pure.name)
        self._taken.add(candidate.casefold())
        return candidate

    def commit(self, log: dict[str, Any]) -> None:
        """Write the request log, then replace ``target`` by the finished folder."""
        text = pretty_json(log)
        with self._unwritable():
            (self.path / LOG_NAME).write_text(text, encoding="utf-8", newline="\n")
            self._taken.add(LOG_NAME.casefold())
            swap_in_folder(self.path, self.target, COLLECTION.refuse_foreign)

    @contextmanager
    def _unwritable(self) -> Iterator[None]:
        """A full, read-only or forbidden disk as a plain message (exit 2), not a bug."""
        try:
            yield
        except OSError as exc:
            hint = unwritable_hint(exc)
            if hint is None:
                raise
            raise UsageError(
                f"cannot write the collection into {self.target}: "
                f"{os.strerror(exc.errno or 0)} ({hint}, or collect into another folder "
                "with --out)"
            ) from exc


def _collected_files(log: Any) -> set[str] | None:
    if log.get("mldossier") != LOG_MARKER:
        return None
    return {str(c["file"]) for c in log["calls"] if c.get("file") is not None}


COLLECTION = OutputKind("collection", LOG_NAME, _collected_files, "evidence/collected")
"""A collection ``collect`` wrote: its ``collection-log.json`` names every file."""


def new_log(collector: str, source: str, started: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The head of a request log; the collector appends to ``calls``."""
    from mldossier import __version__

    return {
        "mldossier": LOG_MARKER,
        "collector": collector,
        "mldossier_version": __version__,
        "source": source,
        "started": started,
        "finished": None,
        "settings": settings,
        "counts": {},
        "calls": [],
    }
