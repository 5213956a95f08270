"""What the JSON and YAML readers share: UTF-8 text, unpaired surrogates, huge numbers, short quotes."""

from __future__ import annotations

import json
import re
from typing import Any

from mldossier.formats import InputProblem

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark some tools write first; it is not part of the document."""


def decode_utf8(raw: bytes) -> str:
    """The text of a file's bytes, without a leading byte order mark (strict UTF-8)."""
    if raw.startswith(BOM):
        raw = raw[3:]
    return raw.decode("utf-8")


def short(text: str, limit: int = 160) -> str:
    """A message quoted on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any, limit: int = 60) -> str:
    """A value as short JSON text, for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number_problem(exc: Exception) -> InputProblem:
    """The problem for a number the parser could not convert (over 4,300 digits, or garbage)."""
    if "digits" in str(exc):
        return InputProblem(
            "",
            "a number has more than 4,300 digits",
            "no real export writes such a number; check how the file was made",
        )
    return InputProblem("", f"not a valid number: {short(str(exc))}", "fix the value")


# An escape of a UTF-16 surrogate: in JSON \uD800-\uDFFF, in YAML also \U0000D800.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_surrogates(text: str, data: Any) -> None:
    """Refuse an unpaired surrogate in parsed text (valid escape syntax, but not a character).

    No output could encode one. Decoded UTF-8 cannot hold one, so only escapes need a look.
    """
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


def human_size(n: int) -> str:
    """A file size for people: ``512 B``, ``1.5 KiB``, ``2.0 MiB``, ``3.1 GiB``."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


# Characters a terminal or a log viewer acts on instead of showing: C0 and C1 controls (ESC
# starts colour and cursor sequences, BEL rings, CR overwrites the line), DEL, the Unicode line
# separators, and the bidi embeddings, overrides and isolates that reorder what is shown.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _visible_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text from evidence, a server or a file name, safe to print: every control shown escaped.

    ESC, BEL, CR, LF and the other C0 and C1 controls, DEL, line separators and bidi controls
    become visible ``\\x1b`` or ``\\u202e`` escapes, so a string can neither rewrite the
    terminal, reorder what is shown nor start a new line (a CI workflow command); a tab stays.
    """
    return _UNPRINTABLE.sub(_visible_escape, text)
