"""Reading input formats: strict JSON, safe YAML, JSON Schema checks with plain messages.

Nothing here knows which file the text came from: a reader raises :class:`InputProblem`
(where in the document, what is wrong, what to do) and its caller names the file.
"""

from __future__ import annotations

MIB = 1024 * 1024
"""A mebibyte: the unit of every size limit (``limits.max_document_mb`` and the like)."""


class InputProblem(Exception):
    """A parse problem at a pointer, before the file name is known."""

    def __init__(self, pointer: str, message: str, fix: str = ""):
        super().__init__(message)
        self.pointer, self.message, self.fix = pointer, message, fix
