"""Strict JSON: duplicate keys, deep nesting, huge numbers and unpaired surrogates are problems.

``NaN`` and ``Infinity`` are not JSON, but real tools write them (Evidently's full snapshots
do, for undefined metrics): they are read as floats, and every output that carries numbers
writes them as text or null. What mldossier writes for people to read is :func:`pretty_json`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mldossier.formats import InputProblem
from mldossier.formats.text import number_problem, refuse_surrogates


class JsonSyntaxProblem(InputProblem):
    """The text is not JSON at all (as opposed to JSON that breaks a bound or a rule)."""


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
    """Strict JSON: duplicate keys, deep nesting and unpaired surrogates are problems."""
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
        raise JsonSyntaxProblem(
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
        raise number_problem(exc) from None
    refuse_surrogates(text, data)
    return data


def pretty_json(data: Any) -> str:
    """JSON for people to read and diff: indented by two, non-ASCII kept, one final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def canonical(data: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces) for hashing."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def report_id_of(inputs: dict[str, Any]) -> str:
    """SHA-256 of a report's canonical inputs section: the report id."""
    return hashlib.sha256(canonical(inputs)).hexdigest()
