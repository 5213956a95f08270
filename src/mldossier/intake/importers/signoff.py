"""Human sign-offs and governance documents in mldossier's own format (``signoff/v1``).

Platforms record no human decisions, so these small YAML (or JSON) files carry them: who
signed what about which system, when, until when, with which attached files. The format is
specified in ``docs/signoff-format.md`` and ``schemas/signoff.schema.json``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import schema_problems
from mldossier.intake.files import Document, resolve_reference, sha256_file
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import Attachment, SignOff

FORMAT = "signoff/v1"
FORMAT_FAMILY = "signoff/"
DATE_FIELDS = ("date", "expires")
DATE_FIX = "write an ISO date such as 2026-10-01, or a date-time such as 2026-10-01T14:30:00Z"
OUTSIDE_FIX = "put the file inside the evidence folder and refer to it by a relative path"


# RFC 3339 shapes only: Python 3.11's fromisoformat also takes basic (20261012) and week
# (2026-W41-1) forms, and the schema's date-time check depends on an optional package.
_ISO_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?"
)


def parse_when(text: str) -> date | None:
    """An ISO date, or the UTC date of an ISO date-time (no zone means UTC); None if invalid."""
    if not _ISO_SHAPE.fullmatch(text):
        return None
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(UTC).date()
    except (ValueError, OverflowError):  # not a date, or outside years 1-9999 in UTC
        return None


class SignOffImporter:
    """Reads ``mldossier: signoff/v1`` documents into :class:`SignOff` records."""

    name: ClassVar[str] = "signoff"
    kind: ClassVar[str] = "signoff"

    def __init__(self, context: ImportContext) -> None:
        self.context = context

    def detect(self, doc: Document) -> bool:
        """A mapping whose ``mldossier`` key names a sign-off format (any version)."""
        # Any signoff/ version is claimed so that signoff/v2 gets a clear "expected
        # signoff/v1" instead of being reported as an unrecognised file.
        marker = doc.data.get("mldossier") if isinstance(doc.data, dict) else None
        return (
            doc.format in {"yaml", "json"}
            and isinstance(marker, str)
            and marker.startswith(FORMAT_FAMILY)
        )

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate one sign-off and add it; a sign-off with any error adds no record."""
        data = doc.data
        problems = [
            self._better_date_problem(doc, p)
            for p in schema_problems("signoff", data, doc.file.path)
        ]
        dates: dict[str, date] = {}
        for field in DATE_FIELDS:
            value = data.get(field)
            if isinstance(value, str) and not any(p.pointer == f"/{field}" for p in problems):
                parsed = parse_when(value)
                if parsed is None:
                    problems.append(self._date_problem(doc, field, value))
                else:
                    dates[field] = parsed
        if "date" in dates and "expires" in dates and dates["expires"] < dates["date"]:
            problems.append(
                doc.problem(
                    "/expires",
                    f"expires ({dates['expires'].isoformat()}) is before date "
                    f"({dates['date'].isoformat()})",
                    "correct one of the dates",
                )
            )
        attachments = self._attachments(doc, data.get("attachments"), problems)
        result.problems.extend(problems)
        if any(p.is_error for p in problems):
            return
        subject = data["subject"]
        result.add(
            "signoffs",
            SignOff(
                id=data["id"],
                kind=data["kind"],
                system=subject["system"],
                version=subject.get("version"),
                title=data["title"],
                statement=data["statement"],
                signed_by=data["signed_by"],
                role=data["role"],
                date=dates["date"],
                expires=dates.get("expires"),
                attachments=attachments,
                cite=doc.cite(""),
                anomalies=tuple(data.get("anomalies", ())),
            ),
        )

    def finish(self, result: ImportResult) -> None:
        """Refuse duplicate ids (keeping the first by file) and sort the sign-offs."""
        signoffs: list[SignOff] = sorted(
            result.records.get("signoffs", []), key=lambda s: (s.cite.file, s.id)
        )
        first: dict[str, SignOff] = {}
        kept = []
        for signoff in signoffs:
            if signoff.id in first:
                result.problems.append(
                    Problem(
                        signoff.cite.file,
                        "/id",
                        f"sign-off id {signoff.id!r} is already used in {first[signoff.id].cite.file}",
                        "give each sign-off its own id",
                    )
                )
                continue
            first[signoff.id] = signoff
            kept.append(signoff)
        if kept:
            kept.sort(key=lambda s: (s.system, s.version or "", s.date, s.id))
            result.records["signoffs"] = kept

    # ------------------------------------------------------------ helpers

    def _attachments(
        self, doc: Document, refs: Any, problems: list[Problem]
    ) -> tuple[Attachment, ...]:
        if not isinstance(refs, list):
            return ()
        found = []
        for index, ref in enumerate(refs):
            if not isinstance(ref, str) or not ref:
                continue  # the schema has already reported it
            where = pointer("attachments", index)
            absolute, rel = resolve_reference(self.context.root, doc.file.path, ref)
            if absolute is None:
                problems.append(doc.problem(where, f'attachment "{ref}" is {rel}', OUTSIDE_FIX))
                continue
            if not absolute.exists():
                problems.append(
                    doc.problem(
                        where,
                        f'attachment "{ref}" does not exist: there is no file {rel}',
                        "add the file there or correct the path",
                    )
                )
                continue
            if not absolute.is_file():
                problems.append(
                    doc.problem(
                        where,
                        f'attachment "{ref}" is a folder, not a file',
                        "name the file itself",
                    )
                )
                continue
            found.append(Attachment(rel, absolute.stat().st_size, sha256_file(absolute)))
        return tuple(found)

    def _better_date_problem(self, doc: Document, problem: Problem) -> Problem:
        """Replace the schema's anyOf wording for a bad date with one that says what to write."""
        field = problem.pointer.lstrip("/")
        value = doc.data.get(field) if isinstance(doc.data, dict) else None
        if field in DATE_FIELDS and isinstance(value, str):
            return self._date_problem(doc, field, value)
        return problem

    @staticmethod
    def _date_problem(doc: Document, field: str, value: str) -> Problem:
        return doc.problem(
            f"/{field}", f'{field} "{value}" is not a valid ISO date or date-time', DATE_FIX
        )
