"""Reading the evidence folder safely: find files, hash them, parse JSON, NDJSON and YAML.

Nothing here knows what the files mean. What it guarantees: no file outside the evidence
root is read (symlinks leading out are refused), files over the size limits are refused,
JSON is strict (no duplicate keys, no NaN/Infinity), YAML is safe (no aliases, no tags that
construct objects, dates stay strings), and every failure is a :class:`Problem` naming the
file and the place in it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from .errors import Problem
from .model import Citation, SourceFile

MIB = 1024 * 1024
DEFAULT_MAX_DOCUMENT_BYTES = 64 * MIB
"""Largest JSON or YAML file read whole (configurable: ``limits.max_document_mb``)."""
DEFAULT_MAX_STREAM_BYTES = 8 * 1024 * MIB
"""Largest NDJSON file, which is streamed line by line (``limits.max_stream_mb``)."""

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

    def cite(self, pointer: str = "", line: int | None = None) -> Citation:
        """A citation of a place in this file."""
        return Citation(self.file.path, pointer, self.file.sha256, line)

    def problem(
        self, pointer: str, message: str, fix: str = "", line: int | None = None,
        severity: str = "error",
    ) -> Problem:
        """A problem at a place in this file."""
        return Problem(self.file.path, pointer, message, fix, line, severity)

    def records(self) -> Iterator[tuple[int, Any, Problem | None]]:
        """NDJSON: each non-blank line as ``(line number, value, problem)``, streamed.

        ``value`` is None when the line is not valid JSON; ``problem`` then says why.
        """
        with open(self.abs_path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    yield number, orjson.loads(raw), None
                except orjson.JSONDecodeError as exc:
                    yield number, None, self.problem(
                        "", f"line is not valid JSON: {_short(str(exc))}",
                        "each line of an NDJSON file must be one complete JSON value",
                        line=number,
                    )


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
    if reference.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", reference) or "://" in reference:
        return None, "an absolute path or URL"
    candidate = (root / base_file).parent / reference
    rel = relative_inside(root, candidate)
    if rel is None:
        return None, "a path outside the evidence folder"
    return candidate.resolve(), rel


def scan(root: Path, limits: Limits) -> tuple[list[Document | SourceFile], list[Problem]]:
    """Every file below ``root``, in a stable order, hashed; parseable ones as Documents.

    Hidden files and folders (``.name``) are skipped. Returns documents for JSON, NDJSON,
    YAML and ``MLmodel`` files and plain :class:`SourceFile` entries for everything else
    (attachments), plus every problem met.
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
                    problems.append(Problem(
                        rel_link, "", "symlink leads outside the evidence folder",
                        "copy the files into the evidence folder instead of linking to them",
                    ))
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
                    problems.append(Problem(
                        rel, "", "symlink leads outside the evidence folder",
                        "copy the file into the evidence folder instead of linking to it",
                    ))
                    continue
                if not path.resolve().is_file():
                    problems.append(Problem(rel, "", "symlink does not lead to a file",
                                            "remove the link or point it at a file"))
                    continue
            elif not path.is_file():
                continue
            entry = _read_entry(path.resolve() if path.is_symlink() else path, rel, limits,
                                problems)
            if entry is not None:
                found.append(entry)
    if real_root and not found and not problems:
        problems.append(Problem(
            "", "", f"the evidence folder {root} holds no files",
            "point --evidence at a folder of MLflow, OpenLineage, Evidently or sign-off files",
        ))
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


def _read_entry(path: Path, rel: str, limits: Limits, problems: list[Problem]
                ) -> Document | SourceFile | None:
    size = path.stat().st_size
    fmt = _format_of(path)
    if fmt is None:
        return SourceFile(rel, size, sha256_file(path), kind="attachment")
    limit = limits.max_stream_bytes if fmt == "ndjson" else limits.max_document_bytes
    if size > limit and fmt == "json" and _looks_like_ndjson(path):
        fmt, limit = "ndjson", limits.max_stream_bytes
    if size > limit:
        problems.append(Problem(
            rel, "", f"file is {size:,} bytes, over the limit of {limit:,}",
            "split it, or raise limits.max_document_mb / limits.max_stream_mb in mldossier.yaml",
        ))
        return None
    sha = sha256_file(path)
    source = SourceFile(rel, size, sha)
    doc = Document(source, path, fmt)
    if size == 0:
        problems.append(doc.problem("", "file is empty",
                                    "remove it or replace it with a complete export"))
        return None
    if fmt == "json" and _looks_like_ndjson(path):
        doc.format = "ndjson"
    if doc.format == "ndjson":
        for line, value, problem in doc.records():
            if problem is not None:
                problems.append(problem)
                return None
            doc.data = value
            doc.extra["first_line"] = line
            break
        if doc.data is None:
            problems.append(doc.problem("", "file holds no JSON records",
                                        "remove it or replace it with a complete export"))
            return None
        return doc
    try:
        raw = path.read_bytes()
        text = _decode(raw)
    except UnicodeDecodeError as exc:
        problems.append(doc.problem(
            "", f"file is not UTF-8 text (byte {exc.start} cannot be decoded)",
            "re-export it as UTF-8",
        ))
        return None
    try:
        doc.data = parse_json_text(text) if fmt == "json" else parse_yaml_text(text)
    except InputProblem as exc:
        problems.append(doc.problem(exc.pointer, exc.message, exc.fix))
        return None
    return doc


def _looks_like_ndjson(path: Path) -> bool:
    """A ``.json`` file whose first line is a whole JSON object and which has a second line."""
    with open(path, "rb") as fh:
        first = fh.readline(DEFAULT_MAX_DOCUMENT_BYTES)
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if not first.strip().startswith(b"{"):
            return False
        # A second line first: a one-line JSON file (Evidently writes them) is not parsed twice.
        if not any(line.strip() for line in fh):
            return False
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
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_json_text(text: str) -> Any:
    """Strict JSON: duplicate keys and deep nesting are problems.

    ``NaN`` and ``Infinity`` are not JSON, but real tools write them (Evidently's full
    snapshots do, for undefined metrics): they are read as floats, and every output that
    carries numbers writes them as text or null.
    """
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise InputProblem("", f"duplicate key {exc.key!r} in an object",
                           "each key may appear once; remove the repeated one") from None
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "not valid JSON"
        raise InputProblem(
            "", f"{what}: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "re-export the file; it must be one complete JSON document",
        ) from None
    except RecursionError:
        raise InputProblem("", "JSON is nested too deeply to read",
                           "no real export nests this deep; check how the file was made"
                           ) from None


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


def parse_yaml_text(text: str) -> Any:
    """Safe YAML: no aliases, no object-constructing tags, no duplicate keys; dates as text."""
    try:
        return yaml.load(text, Loader=SafeYamlLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = str(exc.problem or "")
        if "could not determine a constructor" in problem:
            tag = problem.split("tag", 1)[-1].strip()
            raise InputProblem("", f"YAML tag {tag} is not accepted{where}",
                               "remove the tag; only plain YAML data is read") from None
        raise InputProblem("", f"{problem}{where}", "fix the YAML") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        fix = ("write the value out in full instead of an alias" if "alias" in str(problem)
               else "fix the YAML syntax")
        raise InputProblem("", f"not valid YAML: {problem}{where}", fix) from None
    except yaml.YAMLError as exc:
        raise InputProblem("", f"not valid YAML: {_short(str(exc))}", "fix the YAML syntax"
                           ) from None
    except RecursionError:
        raise InputProblem("", "YAML is nested too deeply to read",
                           "no real file nests this deep; check how it was made") from None
