"""What ``--out`` may name: a new or empty folder, or a bundle or collection mldossier wrote.

``build`` and ``collect`` replace ``--out`` as a whole, so they first make sure that nothing
would go that they did not write: the folder must be absent or empty, or hold the marker of
their own output (a bundle's ``manifest.json``, a collection's ``collection-log.json``) and
no file that marker does not list. It must not be, or contain, the current folder or an input
(the config file, the evidence folder). The swap checks the folder again under its lock.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldossier.bundle.manifest import FORMAT, MANIFEST_NAME, NOT_LISTED
from mldossier.errors import UsageError
from mldossier.formats.text import printable

MAX_MARKER_BYTES = 256 * 1024 * 1024
"""A marker file larger than this is not read (it cannot be one this tool wrote)."""


@dataclass(frozen=True)
class OutputKind:
    """One kind of output folder: what it is called, its marker file and what that lists."""

    what: str
    """In messages: ``bundle`` or ``collection``."""
    marker: str
    """The file that says the folder is this tool's output, relative to it."""
    listed: Callable[[Any], set[str] | None]
    """The files the parsed marker lists (relative, with ``/``); None when it is not ours."""
    example: str
    """An ``--out`` value to suggest, e.g. ``site``."""

    def refuse_foreign(self, target: Path) -> None:
        """Raise UsageError unless ``target`` is absent, empty, or wholly this kind's output."""
        try:
            reason = self._foreign(target)
        except OSError as exc:  # what cannot be read cannot be known to be ours
            where = printable(str(exc.filename)) if exc.filename else _shown(target)
            reason = f"cannot be looked through: {where}: {exc.strerror or exc}"
        if reason is not None:
            raise UsageError(
                f"--out {_shown(target)} {reason} (mldossier replaces --out as a whole and "
                f"deletes only what it wrote: name a new or empty folder, such as "
                f"--out {self.example}, or move those files away)"
            )

    def _foreign(self, target: Path) -> str | None:
        try:
            info = target.lstat()
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(info.st_mode):
            info = target.stat()
        if not stat.S_ISDIR(info.st_mode):
            return "is a file, not a folder"
        if not any(target.iterdir()):
            return None
        listed = self._listed(target / self.marker)
        if listed is None:
            return f"is not empty and holds no {self.marker} of a {self.what} mldossier wrote"
        for rel in _files_below(target):
            if rel not in listed:
                shown = printable(rel)
                return f"holds {shown}, which its {self.marker} does not list"
        return None

    def _listed(self, marker: Path) -> set[str] | None:
        try:
            fd = os.open(marker, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    return None
                data = fh.read(MAX_MARKER_BYTES + 1)
            if len(data) > MAX_MARKER_BYTES:
                return None
            found = self.listed(json.loads(data))
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return None
        return None if found is None else found | {self.marker}


def _files_below(root: Path) -> Iterable[str]:
    """Every non-folder below ``root``, relative with ``/``; links are not followed."""
    for dirpath, dirnames, filenames in os.walk(root, onerror=_raise):
        folder = Path(dirpath)
        for name in sorted(filenames) + sorted(d for d in dirnames if (folder / d).is_symlink()):
            yield (folder / name).relative_to(root).as_posix()
        dirnames.sort()


def _raise(error: OSError) -> None:
    raise error


def refuse_overlap(
    target: Path, kind: OutputKind, inputs: Iterable[tuple[str, Path | None]]
) -> None:
    """Raise UsageError when ``target`` is, or contains, the current folder or an input.

    ``inputs`` are (what, path) pairs, e.g. ``("config file", Path("mldossier.yaml"))``. This
    looks at names only; what the folder holds is :meth:`OutputKind.refuse_foreign`'s.
    """
    resolved = target.resolve()
    fix = (
        f"mldossier replaces --out as a whole: name a folder of the {kind.what}'s own, "
        f"such as --out {kind.example}"
    )
    places = [("current folder", Path.cwd())] + [(w, p) for w, p in inputs if p is not None]
    for what, path in places:
        place = path.resolve()
        if place == resolved:
            raise UsageError(f"--out {_shown(target)} is the {what} ({fix})")
        if resolved in place.parents:
            raise UsageError(f"--out {_shown(target)} contains the {what} {_shown(place)} ({fix})")


def refuse_unsafe_out(
    target: Path, kind: OutputKind, inputs: Iterable[tuple[str, Path | None]]
) -> None:
    """Raise UsageError when replacing ``target`` could delete what mldossier did not write.

    :func:`refuse_overlap`, then :meth:`OutputKind.refuse_foreign`.
    """
    refuse_overlap(target, kind, inputs)
    kind.refuse_foreign(target)


def _shown(path: Path) -> str:
    return printable(str(path))


def _bundle_files(manifest: Any) -> set[str] | None:
    if manifest.get("format") != FORMAT:
        return None
    return {str(o["path"]) for o in manifest["outputs"]} | NOT_LISTED


BUNDLE = OutputKind("bundle", MANIFEST_NAME, _bundle_files, "site")
"""A bundle ``build`` wrote: its ``manifest.json`` lists every file."""


__all__ = ["BUNDLE", "OutputKind", "refuse_overlap", "refuse_unsafe_out"]
