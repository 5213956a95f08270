"""Reading the evidence folder safely: find files, hash them, parse JSON, NDJSON and YAML.

Nothing here knows what the files mean. What it guarantees: no file outside the evidence
root is read (symlinks leading out are refused), files over the size limits are refused,
JSON is strict (no duplicate keys, no unpaired surrogates, no numbers of more than 4,300
digits; ``NaN``/``Infinity`` are read, since Evidently writes them), YAML is safe (no aliases, no tags that
construct objects, dates stay strings), and every failure is a :class:`Problem` naming the
file and the place in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import yaml

from mldossier.errors import Problem
from mldossier.model import Citation, SourceFile

MIB = 1024 * 1024
DEFAULT_MAX_DOCUMENT_BYTES = 64 * MIB
"""Largest JSON or YAML file read whole (configurable: ``limits.max_document_mb``)."""
DEFAULT_MAX_STREAM_BYTES = 8 * 1024 * MIB
"""Largest NDJSON file, which is streamed line by line (``limits.max_stream_mb``)."""
NAME_MAX = 255
"""Longest file name in bytes on Linux, macOS and Windows file systems."""
MAX_YAML_BYTES = 1 * MIB
"""Largest YAML evidence file: PyYAML needs seconds and ~100x the file's size a MiB, and
sign-offs, waivers and MLmodel files are a few KiB."""

DOCUMENT_SUFFIXES = {".json", ".yaml", ".yml"}
STREAM_SUFFIXES = {".ndjson", ".jsonl"}
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
    """``json``, ``yaml`` or ``ndjson``."""
    data: Any = None
    """The parsed document; for NDJSON, the first record (enough to detect the kind)."""
    extra: dict[str, Any] = field(default_factory=dict)
    line_limit: int = DEFAULT_MAX_DOCUMENT_BYTES
    """NDJSON: the longest line read (``limits.max_document_mb``); a longer one is a problem."""
    released: bool = False
    """Whether ``data`` was dropped to save memory; :meth:`reload` parses the file again."""

    def release(self) -> None:
        """Drop a whole JSON or YAML document's parsed tree until :meth:`reload`.

        Large Evidently snapshots parsed take several times their size in memory; held
        from detection to reading, hundreds of them would be a gigabyte at once.
        """
        if self.format != "ndjson":
            self.data, self.released = None, True

    def reload(self) -> Problem | None:
        """Parse a released document again; a problem if the file changed since it was hashed."""
        if not self.released:
            return None
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
        # The same bytes as first read and found valid, so the same tree: orjson gives it
        # unless the file uses what only the strict reader takes (NaN, huge integers).
        try:
            self.data = orjson.loads(raw) if self.format == "json" else None
        except orjson.JSONDecodeError:
            self.data = None
        if self.data is None:
            text = _decode(raw)
            # json's own C parser, which takes NaN: duplicate keys were refused already.
            self.data = json.loads(text) if self.format == "json" else parse_yaml_text(text)
        self.released = False
        return None

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
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
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
                            f"line is not valid JSON: {_short(str(exc))}",
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


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def scan(
    root: Path, limits: Limits, visit: Callable[[Document | SourceFile], object] | None = None
) -> tuple[list[Document | SourceFile], list[Problem]]:
    """Every file below ``root``, in a stable order, hashed; parseable ones as Documents.

    Hidden files and folders (``.name``) are skipped. Returns documents for JSON, NDJSON,
    YAML and ``MLmodel`` files and plain :class:`SourceFile` entries for everything else
    (attachments), plus every problem met. ``visit`` is called with each entry as soon as
    it is read (e.g. to detect its kind and :meth:`Document.release` it).
    """
    problems: list[Problem] = []
    found: list[Document | SourceFile] = []
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept_dirs = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            sub = here / name
            if sub.is_symlink():
                rel_link = sub.relative_to(root).as_posix()
                if relative_inside(root, sub) is None:
                    problems.append(
                        Problem(
                            rel_link,
                            "",
                            "symlink leads outside the evidence folder",
                            "copy the files into the evidence folder instead of linking to them",
                        )
                    )
                # Symlinked folders inside the root are read where they really are.
                continue
            kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                target_rel = relative_inside(root, path)
                if target_rel is None:
                    problems.append(
                        Problem(
                            rel,
                            "",
                            "symlink leads outside the evidence folder",
                            "copy the file into the evidence folder instead of linking to it",
                        )
                    )
                    continue
                if not path.resolve().is_file():
                    problems.append(
                        Problem(
                            rel,
                            "",
                            "symlink does not lead to a file",
                            "remove the link or point it at a file",
                        )
                    )
                    continue
            elif not path.is_file():
                continue
            entry = _read_entry(
                path.resolve() if path.is_symlink() else path, rel, limits, problems
            )
            if entry is not None:
                found.append(entry)
                if visit is not None:
                    visit(entry)
    if real_root and not found and not problems:
        problems.append(
            Problem(
                "",
                "",
                f"the evidence folder {root} holds no files",
                "point --evidence at a folder of MLflow, OpenLineage, Evidently or sign-off files",
            )
        )
    return found, problems


def _format_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in STREAM_SUFFIXES:
        return "ndjson"
    if suffix == ".json":
        return "json"
    if suffix in {".yaml", ".yml"} or path.name == MLMODEL_NAME:
        return "yaml"
    return None


def _read_entry(
    path: Path, rel: str, limits: Limits, problems: list[Problem]
) -> Document | SourceFile | None:
    size = path.stat().st_size
    fmt = _format_of(path)
    if fmt is None:
        return SourceFile(rel, size, sha256_file(path), kind="attachment")
    limit = limits.max_stream_bytes if fmt == "ndjson" else limits.max_document_bytes
    if size > limit and fmt == "json" and _looks_like_ndjson(path):
        fmt, limit = "ndjson", limits.max_stream_bytes
    if fmt == "yaml" and size > min(limit, MAX_YAML_BYTES):
        if MAX_YAML_BYTES < limit:
            problems.append(
                Problem(
                    rel,
                    "",
                    f"file is {size:,} bytes, over the limit of {MAX_YAML_BYTES:,} for YAML",
                    "sign-offs, waivers and MLmodel files are small; check that this is the right file",
                )
            )
            return None
    if size > limit:
        problems.append(
            Problem(
                rel,
                "",
                f"file is {size:,} bytes, over the limit of {limit:,}",
                "split it, or raise limits.max_document_mb / limits.max_stream_mb in mldossier.yaml",
            )
        )
        return None
    streamed = fmt == "ndjson" or (fmt == "json" and _looks_like_ndjson(path))
    raw = b"" if streamed else _read_at_most(path, limit)
    if len(raw) > limit:  # it grew since it was measured
        problems.append(
            Problem(
                rel,
                "",
                f"file is over the limit of {limit:,} bytes",
                "split it, or raise limits.max_document_mb / limits.max_stream_mb in mldossier.yaml",
            )
        )
        return None
    # A whole document is hashed from the very bytes parsed; a stream is hashed, then read.
    sha = sha256_file(path) if streamed else hashlib.sha256(raw).hexdigest()
    source = SourceFile(rel, len(raw) if not streamed else size, sha)
    doc = Document(
        source, path, "ndjson" if streamed else fmt, line_limit=limits.max_document_bytes
    )
    if source.size == 0:
        problems.append(
            doc.problem("", "file is empty", "remove it or replace it with a complete export")
        )
        return None
    if doc.format == "ndjson":
        for line, value, problem in doc.records():
            if problem is not None:
                problems.append(problem)
                return None
            doc.data = value
            doc.extra["first_line"] = line
            break
        if doc.data is None:
            problems.append(
                doc.problem(
                    "",
                    "file holds no JSON records",
                    "remove it or replace it with a complete export",
                )
            )
            return None
        return doc
    try:
        text = _decode(raw)
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
        doc.data = parse_json_text(text) if fmt == "json" else parse_yaml_text(text)
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
        if first.startswith(b"\xef\xbb\xbf"):
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


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8")


class InputProblem(Exception):
    """A parse problem at a pointer, before the file name is known."""

    def __init__(self, pointer: str, message: str, fix: str = ""):
        super().__init__(message)
        self.pointer, self.message, self.fix = pointer, message, fix


# ---------------------------------------------------------------- JSON


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; only a short dict means a key came twice
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def parse_json_text(text: str) -> Any:
    """Strict JSON: duplicate keys and deep nesting are problems.

    ``NaN`` and ``Infinity`` are not JSON, but real tools write them (Evidently's full
    snapshots do, for undefined metrics): they are read as floats, and every output that
    carries numbers writes them as text or null.
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise InputProblem(
            "",
            f"duplicate key {exc.key!r} in an object",
            "each key may appear once; remove the repeated one",
        ) from None
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "not valid JSON"
        # Some of json's messages end in "at" ("Unterminated string starting at").
        message = exc.msg.removesuffix(" at")
        raise InputProblem(
            "",
            f"{what}: {message} at line {exc.lineno} column {exc.colno}",
            "re-export the file; it must be one complete JSON document",
        ) from None
    except RecursionError:
        raise InputProblem(
            "",
            "JSON is nested too deeply to read",
            "no real export nests this deep; check how the file was made",
        ) from None
    except ValueError as exc:  # an integer over Python's int-str limit (4,300 digits)
        raise _number_problem(exc) from None
    _refuse_surrogates(text, data)
    return data


def _number_problem(exc: Exception) -> InputProblem:
    if "digits" in str(exc):
        return InputProblem(
            "",
            "a number has more than 4,300 digits",
            "no real export writes such a number; check how the file was made",
        )
    return InputProblem("", f"not a valid number: {_short(str(exc))}", "fix the value")


# An escape of a UTF-16 surrogate: in JSON \uD800-\uDFFF, in YAML also \U0000D800.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(text: str, data: Any) -> None:
    """Refuse an unpaired surrogate (valid escape syntax, but not a character: no output
    could encode it). Decoded UTF-8 cannot hold one, so only escapes need a look."""
    if "\\" not in text or not _SURROGATE_ESCAPE.search(text):
        return
    pointer = _surrogate_at(data, "")
    if pointer is not None:
        raise InputProblem(
            pointer,
            "text holds an unpaired UTF-16 surrogate, which is not a character",
            "re-export the file; the tool that wrote it produced broken Unicode",
        )


def _surrogate_at(value: Any, pointer: str) -> str | None:
    """The JSON Pointer of the first string holding a lone surrogate (a key: its object)."""
    stack = [(value, pointer)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return where
        elif isinstance(node, dict):
            children = []
            for key, child in node.items():
                key_text = str(key)
                if _SURROGATE.search(key_text):
                    return where
                escaped = key_text.replace("~", "~0").replace("/", "~1")
                children.append((child, f"{where}/{escaped}"))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(child, f"{where}/{i}") for i, child in enumerate(node)]))
    return None


# ---------------------------------------------------------------- YAML


class SafeYamlLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases (no "billion laughs") and keeps dates as strings."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                "while reading", None, "YAML aliases (*name) are not accepted", event.start_mark
            )
        return super().compose_node(parent, index)


# Dates and times stay strings so that schemas can check them and nothing depends on the
# reader's time zone; the resolver list is copied so yaml.SafeLoader is untouched.
SafeYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping_no_duplicates(loader: SafeYamlLoader, node: yaml.MappingNode) -> Any:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} in a mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


SafeYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_no_duplicates)


if getattr(yaml, "__with_libyaml__", False):

    class _FastYamlLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """libyaml's parser with the same resolvers and constructors as SafeYamlLoader."""

    _FastYamlLoader.yaml_implicit_resolvers = SafeYamlLoader.yaml_implicit_resolvers
    _FastYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_no_duplicates)
else:  # pragma: no cover - PyYAML built without libyaml
    _FastYamlLoader = None  # type: ignore[assignment,misc]


_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
FAST_YAML_DEPTH = 64
"""Deeper YAML is left to SafeYamlLoader, whose recursion limit decides what is too deep."""


def _shallow(value: Any, limit: int = FAST_YAML_DEPTH) -> bool:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        if depth >= limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def parse_yaml_text(text: str) -> Any:
    """Safe YAML: no aliases, no object-constructing tags, no duplicate keys; dates as text."""
    if _FastYamlLoader is not None and "*" not in text and not _NOT_PRINTABLE.search(text):
        # Without a "*" there is no alias, so libyaml (10x faster) may read it. Anything it
        # rejects, and anything deep, goes to SafeYamlLoader below, whose messages are pinned.
        try:
            value = yaml.load(text, Loader=_FastYamlLoader)  # noqa: S506 - CSafeLoader subclass
        except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
            pass
        else:
            if _shallow(value):
                _refuse_surrogates(text, value)
                return value
    try:
        data = yaml.load(text, Loader=SafeYamlLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = str(exc.problem or "")
        if "could not determine a constructor" in problem:
            tag = problem.split("tag", 1)[-1].strip()
            raise InputProblem(
                "",
                f"YAML tag {tag} is not accepted{where}",
                "remove the tag; only plain YAML data is read",
            ) from None
        raise InputProblem("", f"{problem}{where}", "fix the YAML") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        fix = (
            "write the value out in full instead of an alias"
            if "alias" in str(problem)
            else "fix the YAML syntax"
        )
        raise InputProblem("", f"not valid YAML: {problem}{where}", fix) from None
    except yaml.YAMLError as exc:
        raise InputProblem(
            "", f"not valid YAML: {_short(str(exc))}", "fix the YAML syntax"
        ) from None
    except RecursionError:
        raise InputProblem(
            "",
            "YAML is nested too deeply to read",
            "no real file nests this deep; check how it was made",
        ) from None
    except (ValueError, OverflowError) as exc:  # !!int / !!timestamp values that do not convert
        if "digits" in str(exc):
            raise _number_problem(exc) from None
        raise InputProblem("", f"not valid YAML: {_short(str(exc))}", "fix the value") from None
    _refuse_surrogates(text, data)
    return data
