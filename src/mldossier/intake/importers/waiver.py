"""Waivers: mldossier's own YAML format (``mldossier: waiver/v1``) for accepted exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from mldossier.errors import pointer
from mldossier.formats.schema import schema_problems
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.model import Waiver

MARKER = "waiver/v1"


class WaiverImporter:
    """Reads waiver files; each waiver cites its place in its file."""

    name: ClassVar[str] = "waiver"
    kind: ClassVar[str] = "waiver"

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self.seen: dict[str, str] = {}
        self.waivers: list[Waiver] = []

    def detect(self, doc: Document) -> bool:
        """A YAML or JSON document whose ``mldossier`` key is ``waiver/v1``."""
        return (
            doc.format in ("yaml", "json")
            and isinstance(doc.data, dict)
            and doc.data.get("mldossier") == MARKER
        )

    def resembles(self, doc: Document) -> bool:
        """Another version of the format (``waiver/v2``): mldossier's, but not readable."""
        marker = doc.data.get("mldossier") if isinstance(doc.data, dict) else None
        return isinstance(marker, str) and marker.startswith("waiver/")

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate the file and read every waiver in it."""
        problems = schema_problems("waiver", doc.data, doc.file.path)
        if problems:
            result.problems.extend(problems)
            return
        for i, item in enumerate(doc.data["waivers"]):
            where = pointer("waivers", i)
            granted, expires = (
                date.fromisoformat(item["granted"]),
                date.fromisoformat(item["expires"]),
            )
            if expires < granted:
                result.problems.append(
                    doc.problem(
                        where + "/expires",
                        f"expires ({expires}) is before granted ({granted})",
                        "correct one of the dates",
                    )
                )
                continue
            if item["approver"].strip().casefold() == item["owner"].strip().casefold():
                result.problems.append(
                    doc.problem(
                        where + "/approver",
                        f"approver {item['approver']!r} is also the owner",
                        "a waiver needs an approver other than the risk owner",
                    )
                )
                continue
            if item["id"] in self.seen:
                result.problems.append(
                    doc.problem(
                        where + "/id",
                        f"waiver id {item['id']!r} is also used in {self.seen[item['id']]}",
                        "give each waiver its own id",
                    )
                )
                continue
            self.seen[item["id"]] = f"{doc.file.path}:{where}"
            self.waivers.append(_waiver(item, doc, where))

    def finish(self, result: ImportResult) -> None:
        """Emit the waivers in a stable order."""
        for waiver in sorted(self.waivers, key=lambda w: w.id):
            result.add("waivers", waiver)


def _waiver(item: dict[str, Any], doc: Document, where: str) -> Waiver:
    return Waiver(
        id=item["id"],
        control=item["control"],
        subject=item["subject"],
        justification=" ".join(item["justification"].split()),
        owner=item["owner"],
        approver=item["approver"],
        compensating_control=item["compensating_control"],
        granted=date.fromisoformat(item["granted"]),
        expires=date.fromisoformat(item["expires"]),
        cite=doc.cite(where),
    )
