"""Reading the evidence folder safely: find files, hash them, hand them over parsed.

Nothing here knows what the files mean. What it guarantees: no file outside the evidence
root is read (symlinks leading out are refused), files over the size limits are refused,
JSON is strict and YAML safe (see :mod:`mldossier.formats`), and every failure is a
:class:`Problem` naming the file and the place in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mldossier.config import Config
from mldossier.errors import Problem
from mldossier.formats import MIB, InputProblem
from mldossier.formats.json import parse_json_text
from mldossier.formats.text import BOM, decode_utf8, short
from mldossier.formats.yaml import parse_yaml_text
from mldossier.model import Citation, FileRole, SourceFile

DEFAULT_MAX_DOCUMENT_BYTES = Config.max_document_bytes
"""Largest JSON or YAML file read whole (configurable: ``limits.max_document_mb``)."""
DEFAULT_MAX_STREAM_BYTES = Config.max_stream_bytes
"""Largest NDJSON file, which is streamed line by line (``limits.max_stream_mb``)."""
NAME_MAX = 255
"""Longest file name in bytes on Linux, macOS and Windows file systems."""
MAX_YAML_BYTES = 1 * MIB
"""Largest YAML evidence file: PyYAML needs seconds and ~100x the file's size a MiB, and
sign-offs, waivers and MLmodel files are a few KiB."""

MAX_SIGNATURE_BYTES = 64 * 1024
"""Largest ``.sig`` file: an Ed25519 signature is about 300 bytes, RSA-4096 about 1,200,
one by a certificate a few KiB."""

STREAM_SUFFIXES = {".ndjson", ".jsonl"}
SIGNATURE_SUFFIX = ".sig"
"""A sign-off's detached signature is the sign-off's file name with this appended."""
MLMODEL_NAME = "MLmodel"


@dataclass(frozen=True)
class Limits:
    """Size limits for input files."""

    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES


@dataclass
class Document:
    """One parsed evidence file, handed to the importers to detect and read."""

    file: SourceFile
    abs_path: Path
    format: str
    """``json``, ``yaml``, ``ndjson`` or ``sshsig`` (a detached signature, ``*.sig``)."""
    data: Any = None
    """The parsed document; for NDJSON, the first record (enough to detect the kind); for
    a signature, its bytes (whoever claims it reads them)."""
    line_limit: int = DEFAULT_MAX_DOCUMENT_BYTES
    """NDJSON: the longest line read (``limits.max_document_mb``); a longer one is a problem."""
    released: bool = False
    """Whether ``data`` was dropped to save memory; :meth:`reload` parses the file again."""

    def release(self) -> None:
        """Drop a whole JSON or YAML document's parsed tree until :meth:`reload`.

        Large Evidently snapshots parsed take several times their size in memory; held
        from detection to reading, hundreds of them would be a gigabyte at once.
        """
        if self.format in ("json", "yaml"):
            self.data, self.released = None, True

    def reload(self) -> Problem | None:
        """Parse a released document again; a problem if the file changed since it was hashed."""
        if not self.released:
            return None
        raw = self._reread()
        if isinstance(raw, Problem):
            return raw
        # The same bytes as first read and found valid, so the same tree: orjson gives it
        # unless the file uses what only the strict reader takes (NaN, huge integers).
        try:
            self.data = orjson.loads(raw) if self.format == "json" else None
        except orjson.JSONDecodeError:
            self.data = None
        if self.data is None:
            text = decode_utf8(raw)
            # json's own C parser, which takes NaN: duplicate keys were refused already.
            self.data = json.loads(text) if self.format == "json" else parse_yaml_text(text)
        self.released = False
        return None

    def hashed_bytes(self) -> bytes | Problem:
        """The file's bytes, read again: the very bytes hashed, or the problem if it changed."""
        if isinstance(self.data, bytes):
            return self.data
        return self._reread()

    def _reread(self) -> bytes | Problem:
        """The file read again, no further than its hashed size, and checked against its hash."""
        try:
            raw = _read_at_most(self.abs_path, self.file.size)  # a grown file reads no further
        except OSError as exc:
            return self.problem(
                "",
                f"file cannot be read again: {exc.strerror or exc}",
                "run again once nothing moves or writes the evidence files",
            )
        if hashlib.sha256(raw).hexdigest() != self.file.sha256:
            return self.problem(
                "",
                "file changed while mldossier was reading the evidence",
                "run again once nothing writes to the evidence folder",
            )
        return raw

    def cite(self, pointer: str = "", line: int | None = None) -> Citation:
        """A citation of a place in this file."""
        return Citation(self.file.path, pointer, self.file.sha256, line)

    def problem(
        self,
        pointer: str,
        message: str,
        fix: str = "",
        line: int | None = None,
        severity: str = "error",
    ) -> Problem:
        """A problem at a place in this file."""
        return Problem(self.file.path, pointer, message, fix, line, severity)

    def records(self) -> Iterator[tuple[int, Any, Problem | None]]:
        """NDJSON: each non-blank line as ``(line number, value, problem)``, streamed.

        ``value`` is None when the line is not valid JSON or too long; ``problem`` says why.
        A line is never held whole beyond ``line_limit`` bytes, however long it is.
        """
        limit = self.line_limit
        with open(self.abs_path, "rb") as fh:
            for number, raw in enumerate(iter(lambda: fh.readline(limit + 1), b""), start=1):
                if len(raw) > limit and not raw.endswith(b"\n"):
                    _skip_rest_of_line(fh)
                    yield (
                        number,
                        None,
                        self.problem(
                            "",
                            f"line is over {limit:,} bytes long",
                            "each line of an NDJSON file is one event; check how the file was "
                            "made, or raise limits.max_document_mb in mldossier.yaml",
                            line=number,
                        ),
                    )
                    continue
                if number == 1 and raw.startswith(BOM):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    yield number, orjson.loads(raw), None
                except orjson.JSONDecodeError as exc:
                    yield (
                        number,
                        None,
                        self.problem(
                            "",
                            f"line is not valid JSON: {short(str(exc))}",
                            "each line of an NDJSON file must be one complete JSON value",
                            line=number,
                        ),
                    )


def _skip_rest_of_line(fh: BinaryIO) -> None:
    """Read past the end of an over-long line in bounded chunks."""
    while True:
        chunk = fh.readline(MIB)
        if not chunk or chunk.endswith(b"\n"):
            return


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(4 * MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def relative_inside(root: Path, candidate: Path) -> str | None:
    """``candidate``'s real path relative to ``root``'s real path, or None if outside."""
    real_root = root.resolve()
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):
        return None
    try:
        return real.relative_to(real_root).as_posix()
    except ValueError:
        return None


def resolve_reference(root: Path, base_file: str, reference: str) -> tuple[Path | None, str]:
    """Resolve a path written inside an evidence file, refusing anything outside the root.

    ``reference`` is relative to the folder of ``base_file`` (itself relative to root).
    Returns ``(absolute path, relative path)`` or ``(None, reason)``.
    """
    if not reference or "\x00" in reference:
        return None, "an empty path"
    if (
        reference.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", reference)
        or "://" in reference
    ):
        return None, "an absolute path or URL"
    if any(
        len(part.encode("utf-8", "surrogatepass")) > NAME_MAX
        for part in re.split(r"[/\\]", reference)
    ):
        return None, f"a path with a name longer than {NAME_MAX} bytes, which no file can have"
    candidate = (root / base_file).parent / reference
    rel = relative_inside(root, candidate)
    if rel is None:
        return None, "a path outside the evidence folder"
    return candidate.resolve(), rel


Ignored = Callable[[str], "str | None"]
"""Why a path (relative to the root) is not to be read, or None: ``IgnoreRules.reason``."""


def scan(
    root: Path,
    limits: Limits,
    visit: Callable[[Document | SourceFile], object] | None = None,
    opaque: Mapping[str, str] | None = None,
    ignored: Ignored | None = None,
) -> tuple[list[Document | SourceFile], list[Problem]]:
    """Every file below ``root``, in a stable order, hashed; parseable ones as Documents.

    Hidden folders (``.name``) are not walked. Returns documents for JSON, NDJSON, YAML,
    ``MLmodel`` and signature (``*.sig``) files and plain :class:`SourceFile` entries for
    everything else (attachments), plus every problem met. ``visit`` is called with each
    entry as soon as it is read (e.g. to detect its kind and :meth:`Document.release` it).
    ``opaque`` maps paths (relative to the root) that are not evidence to read, whatever
    their name, to their kind: they are hashed only (role ``settings``). A file for which
    ``ignored`` gives a reason is hashed, never parsed (role ``ignored``); without
    ``ignored``, hidden files are skipped unlisted.
    """
    problems: list[Problem] = []
    found: list[Document | SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = _folders_to_walk(root, here, dirnames, problems)
        for name in sorted(filenames):
            if name.startswith(".") and ignored is None:
                continue
            entry = _scan_file(root, here / name, limits, problems, opaque or {}, ignored)
            if entry is not None:
                found.append(entry)
                if visit is not None:
                    visit(entry)
    if not found and not problems:
        problems.append(
            Problem(
                "",
                "",
                f"the evidence folder {root} holds no files",
                "point --evidence at a folder of MLflow, OpenLineage, Evidently or sign-off files",
            )
        )
    return found, problems


def _folders_to_walk(
    root: Path, here: Path, names: list[str], problems: list[Problem]
) -> list[str]:
    """The sub-folders of ``here`` to walk, sorted: not hidden, not symlinks.

    A symlinked folder inside the root is read where it really is; one leading out is a
    problem.
    """
    kept = []
    for name in sorted(names):
        if name.startswith("."):
            continue
        sub = here / name
        if sub.is_symlink():
            if relative_inside(root, sub) is None:
                problems.append(
                    Problem(
                        sub.relative_to(root).as_posix(),
                        "",
                        "symlink leads outside the evidence folder",
                        "copy the files into the evidence folder instead of linking to them",
                    )
                )
            continue
        kept.append(name)
    return kept


def _scan_file(
    root: Path,
    path: Path,
    limits: Limits,
    problems: list[Problem],
    opaque: Mapping[str, str],
    ignored: Ignored | None,
) -> Document | SourceFile | None:
    """One file found by :func:`scan`, read; None when it is skipped or refused."""
    rel = path.relative_to(root).as_posix()
    if rel in opaque and path.is_file() and not path.is_symlink():
        return SourceFile(
            rel, path.stat().st_size, sha256_file(path), kind=opaque[rel], role=FileRole.SETTINGS
        )
    reason = ignored(rel) if ignored is not None else None
    if reason is not None:
        return _ignored_entry(root, path, rel, reason)
    if path.is_symlink():
        if relative_inside(root, path) is None:
            problems.append(
                Problem(
                    rel,
                    "",
                    "symlink leads outside the evidence folder",
                    "copy the file into the evidence folder instead of linking to it",
                )
            )
            return None
        path = path.resolve()
        if not path.is_file():
            problems.append(
                Problem(
                    rel,
                    "",
                    "symlink does not lead to a file",
                    "remove the link or point it at a file",
                )
            )
            return None
    elif not path.is_file():
        return None
    return _read_entry(path, rel, limits, problems)


def _ignored_entry(root: Path, path: Path, rel: str, reason: str) -> SourceFile | None:
    """An ignored file, hashed so the manifest accounts for it, never parsed.

    A symlink that leads out of the folder or to no file is no file of the folder: it is
    neither read nor listed, and not refused either (an editor's lock file is such a link).
    """
    if path.is_symlink():
        if relative_inside(root, path) is None:
            return None
        path = path.resolve()
    if not path.is_file():
        return None
    return SourceFile(
        rel,
        path.stat().st_size,
        sha256_file(path),
        kind="ignored",
        role=FileRole.IGNORED,
        reason=reason,
    )


def _format_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in STREAM_SUFFIXES:
        return "ndjson"
    if suffix == ".json":
        return "json"
    if suffix in {".yaml", ".yml"} or path.name == MLMODEL_NAME:
        return "yaml"
    if suffix == SIGNATURE_SUFFIX:
        return "sshsig"
    return None


_OVER_LIMIT_FIX = (
    "split it, or raise limits.max_document_mb / limits.max_stream_mb in mldossier.yaml"
)
_EMPTY_FIX = "remove it or replace it with a complete export"


def _read_entry(
    path: Path, rel: str, limits: Limits, problems: list[Problem]
) -> Document | SourceFile | None:
    """A file hashed: an attachment, or a Document parsed (NDJSON: its first record)."""
    size = path.stat().st_size
    fmt = _format_of(path)
    if fmt is None:
        return SourceFile(rel, size, sha256_file(path), kind="attachment")
    if fmt == "sshsig":
        return _signature(path, rel, size, problems)
    limit = limits.max_stream_bytes if fmt == "ndjson" else limits.max_document_bytes
    if size > limit and fmt == "json" and _looks_like_ndjson(path):
        fmt, limit = "ndjson", limits.max_stream_bytes
    too_big = _size_problem(rel, fmt, size, limit)
    if too_big is not None:
        problems.append(too_big)
        return None
    if fmt == "ndjson" or (fmt == "json" and _looks_like_ndjson(path)):
        # A stream is hashed, then read line by line.
        source = SourceFile(rel, size, sha256_file(path))
        stream = Document(source, path, "ndjson", line_limit=limits.max_document_bytes)
        return _first_record(stream, problems)
    raw = _read_at_most(path, limit)
    if len(raw) > limit:  # it grew since it was measured
        problems.append(
            Problem(rel, "", f"file is over the limit of {limit:,} bytes", _OVER_LIMIT_FIX)
        )
        return None
    # A whole document is hashed from the very bytes parsed.
    source = SourceFile(rel, len(raw), hashlib.sha256(raw).hexdigest())
    doc = Document(source, path, fmt, line_limit=limits.max_document_bytes)
    return _parsed(doc, raw, problems)


def _signature(path: Path, rel: str, size: int, problems: list[Problem]) -> Document | None:
    """A ``.sig`` file as a Document holding its bytes, or None if it is too large."""
    raw = _read_at_most(path, MAX_SIGNATURE_BYTES) if size <= MAX_SIGNATURE_BYTES else b""
    if size > MAX_SIGNATURE_BYTES or len(raw) > MAX_SIGNATURE_BYTES:
        problems.append(
            Problem(
                rel,
                "",
                f"file is {max(size, len(raw)):,} bytes, over the limit of "
                f"{MAX_SIGNATURE_BYTES:,} for a signature",
                "an SSH signature is a few hundred bytes; check that this is the right file",
            )
        )
        return None
    source = SourceFile(rel, len(raw), hashlib.sha256(raw).hexdigest())
    return Document(source, path, "sshsig", data=raw)


def _size_problem(rel: str, fmt: str, size: int, limit: int) -> Problem | None:
    """The problem of a file too large for its format, or None."""
    if fmt == "yaml" and MAX_YAML_BYTES < limit and size > MAX_YAML_BYTES:
        return Problem(
            rel,
            "",
            f"file is {size:,} bytes, over the limit of {MAX_YAML_BYTES:,} for YAML",
            "sign-offs, waivers and MLmodel files are small; check that this is the right file",
        )
    if size > limit:
        return Problem(
            rel, "", f"file is {size:,} bytes, over the limit of {limit:,}", _OVER_LIMIT_FIX
        )
    return None


def _first_record(doc: Document, problems: list[Problem]) -> Document | None:
    """An NDJSON document holding its first record, or None with the problem."""
    if doc.file.size == 0:
        problems.append(doc.problem("", "file is empty", _EMPTY_FIX))
        return None
    first = next(doc.records(), None)
    if first is not None:
        _, value, problem = first
        if problem is not None:
            problems.append(problem)
            return None
        doc.data = value
    if doc.data is None:
        problems.append(doc.problem("", "file holds no JSON records", _EMPTY_FIX))
        return None
    return doc


def _parsed(doc: Document, raw: bytes, problems: list[Problem]) -> Document | None:
    """A JSON or YAML document parsed from its bytes, or None with the problem."""
    if doc.file.size == 0:
        problems.append(doc.problem("", "file is empty", _EMPTY_FIX))
        return None
    try:
        text = decode_utf8(raw)
    except UnicodeDecodeError as exc:
        problems.append(
            doc.problem(
                "",
                f"file is not UTF-8 text (byte {exc.start} cannot be decoded)",
                "re-export it as UTF-8",
            )
        )
        return None
    try:
        doc.data = parse_json_text(text) if doc.format == "json" else parse_yaml_text(text)
    except InputProblem as exc:
        problems.append(doc.problem(exc.pointer, exc.message, exc.fix))
        return None
    return doc


def _read_at_most(path: Path, limit: int) -> bytes:
    """A file's bytes, never more than ``limit + 1`` of them."""
    with open(path, "rb") as fh:
        return fh.read(limit + 1)


def _looks_like_ndjson(path: Path) -> bool:
    """A ``.json`` file whose first line is a whole JSON object and which has a second line."""
    with open(path, "rb") as fh:
        first = fh.readline(DEFAULT_MAX_DOCUMENT_BYTES)
        if first.startswith(BOM):
            first = first[3:]
        if not first.strip().startswith(b"{") or not first.endswith(b"\n"):
            return False
        # A second line first: a one-line JSON file (Evidently writes them) is not parsed
        # twice. Read in bounded chunks: the second line may be as long as the file.
        while True:
            chunk = fh.read(MIB)
            if not chunk:
                return False
            if chunk.strip():
                break
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError:
            return False
    return True
