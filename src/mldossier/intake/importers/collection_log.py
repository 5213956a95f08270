"""Collection logs (``mldossier: collection-log/v1``): the request log ``mldossier collect`` writes.

A log is evidence of how the other files were obtained. Every file it lists is checked: one
that is missing or whose SHA-256 differs from what was retrieved is reported (as a warning:
the file may have been re-exported by hand). A call whose status is not 2xx is the export's
own record of a failure: an :class:`~mldossier.model.Unavailable` when its ``unavailable``
entry names a run, a logged model or an MLmodel and the versions that needed it (what is
missing is known), else an :class:`~mldossier.model.ExportError` (a search page or a registry
record: what is missing is not known). These are the log's only records.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mldossier.errors import pointer
from mldossier.intake.completeness import COLLECTION_LOG
from mldossier.intake.files import Document, resolve_reference, sha256_file
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import ExportError, Unavailable

MARKER = "collection-log/v1"
FAMILY = "collection-log/"
OBJECT_KINDS = frozenset({"run", "logged_model", "mlmodel"})
"""``unavailable.object`` values read as an :class:`Unavailable` of known versions."""


class CollectionLogImporter:
    """Claims collection logs and checks the files they list against their hashes."""

    name: ClassVar[str] = "collection-log"
    kind: ClassVar[str] = "collection log"

    def __init__(self, context: ImportContext) -> None:
        self.context = context

    def detect(self, doc: Document) -> bool:
        """A JSON document whose ``mldossier`` key is ``collection-log/v1``."""
        return isinstance(doc.data, dict) and doc.data.get("mldossier") == MARKER

    def resembles(self, doc: Document) -> bool:
        """Another version of the log (``collection-log/v2``): mldossier's, but not readable."""
        marker = doc.data.get("mldossier") if isinstance(doc.data, dict) else None
        return isinstance(marker, str) and marker.startswith(FAMILY)

    def read(self, doc: Document, result: ImportResult) -> None:
        """Check each listed body against the file now in the evidence folder; record each
        call that failed."""
        calls: Any = doc.data.get("calls")
        if not isinstance(calls, list):
            result.problems.append(
                doc.problem(
                    "/calls",
                    "expected a list of calls",
                    "regenerate the log with mldossier collect",
                )
            )
            return
        for i, call in enumerate(calls):
            if not isinstance(call, dict):
                result.problems.append(
                    doc.problem(
                        pointer("calls", i),
                        f"expected a call object, got {_shown(call)}",
                        "regenerate the log with mldossier collect",
                        severity="warning",
                    )
                )
                continue
            failed = _failure(call)
            gap = _unavailable(call, failed, doc.cite(pointer("calls", i)))
            if gap is not None:
                result.add("unavailable", gap)
            elif failed is not None:
                result.add(
                    "export_errors",
                    ExportError(
                        COLLECTION_LOG,
                        failed,
                        _call_name(call),
                        doc.cite(pointer("calls", i, "status")),
                    ),
                )
            if not call.get("file") or not call.get("sha256"):
                continue  # a call whose body was not kept (an error response, say)
            where = pointer("calls", i, "file")
            path, rel = resolve_reference(self.context.root, doc.file.path, str(call["file"]))
            if path is None:
                result.problems.append(
                    doc.problem(
                        where,
                        f"listed file {call['file']!r} is {rel}",
                        "collection logs may only list files inside the evidence folder",
                    )
                )
            elif not path.is_file():
                result.problems.append(
                    doc.problem(
                        where,
                        f"listed file {rel} is missing",
                        "collect again, or remove the log",
                        severity="warning",
                    )
                )
            elif sha256_file(path) != call["sha256"]:
                result.problems.append(
                    doc.problem(
                        where,
                        f"{rel} changed after it was collected (its SHA-256 differs from the log)",
                        "collect again, so the log and the files agree",
                        severity="warning",
                    )
                )

    def finish(self, result: ImportResult) -> None:
        """Nothing to merge."""


def _failure(call: dict[str, Any]) -> str | None:
    """``HTTP 404`` for a call whose status is a number outside 200-299, else None."""
    status = call.get("status")
    if isinstance(status, int) and not isinstance(status, bool) and not 200 <= status < 300:
        return f"HTTP {status}"
    return None


def _unavailable(call: dict[str, Any], failed: str | None, cite: Any) -> Unavailable | None:
    """The object a failed call was for, when the log names it and the versions needing it."""
    entry = call.get("unavailable")
    if failed is None or not isinstance(entry, dict):
        return None
    kind, key, versions = entry.get("object"), entry.get("id"), entry.get("model_versions")
    if kind not in OBJECT_KINDS or not isinstance(key, str) or not key:
        return None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        return None
    message = entry.get("message")
    return Unavailable(
        str(kind),
        key,
        tuple(versions),
        failed,
        message if isinstance(message, str) and message else failed,
        _call_name(call),
        cite,
    )


def _call_name(call: dict[str, Any]) -> str:
    """``GET <url>``, as the log names the call."""
    method, url = call.get("method"), call.get("url")
    return " ".join(str(part) for part in (method, url) if isinstance(part, str) and part) or (
        "(a call the log does not name)"
    )


def _shown(value: Any) -> str:
    """A value as short JSON text, for a message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"
