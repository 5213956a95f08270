"""Importers: one module per evidence source, found by content, registered by name.

An importer sees every parsed file (:class:`mldossier.intake.files.Document`), says whether it
is one of its own (``detect``), reads the ones it claims (``read``), then hands back typed
records (``finish``). Third parties add one through the ``mldossier.importers`` entry point
group, naming a class with the same interface.

An importer may also have ``resembles(doc) -> bool``, asked only about a file no importer
claimed: True when the file looks like its kind of evidence in a shape ``detect`` does not
take (a malformed export), which makes the file an error instead of *not evidence* (a
warning; see :mod:`mldossier.intake.completeness`). Keep it cheap and about top-level keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol

from mldossier.config import Config
from mldossier.errors import Problem
from mldossier.intake.files import Document
from mldossier.intake.signatures import TrustedSigners


@dataclass
class ImportContext:
    """What an importer may know about the run: the evidence root, the settings, the keys."""

    root: Path
    settings: Config = field(default_factory=Config)
    """The loaded configuration (the defaults when none is given)."""
    signers: TrustedSigners | None = None
    """The ``allowed_signers`` file read once (``signatures.allowed_signers``), if set."""


@dataclass
class ImportResult:
    """What an importer found: records by the Evidence field they go in, and problems."""

    records: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, record: Any) -> None:
        """Add a record under an :class:`mldossier.model.Evidence` field name."""
        self.records.setdefault(kind, []).append(record)


class Importer(Protocol):
    """The interface every importer implements."""

    name: ClassVar[str]
    """Short name, e.g. ``mlflow``; recorded per file in the manifest."""
    kind: ClassVar[str]
    """The evidence kind its files hold, shown in the evidence index."""

    def __init__(self, context: ImportContext) -> None: ...

    def detect(self, doc: Document) -> bool:
        """Whether this file is one of this importer's, judged by content only."""
        ...

    def read(self, doc: Document, result: ImportResult) -> None:
        """Read one claimed file into the result (records and problems)."""
        ...

    def finish(self, result: ImportResult) -> None:
        """After every file: merge, de-duplicate and emit the final records."""
        ...


def builtin_importers() -> list[type[Importer]]:
    """The importers that ship with mldossier, in detection order."""
    from mldossier.intake.importers.collection_log import CollectionLogImporter
    from mldossier.intake.importers.evidently import EvidentlyImporter
    from mldossier.intake.importers.mlflow import MlflowImporter
    from mldossier.intake.importers.openlineage import OpenLineageImporter
    from mldossier.intake.importers.signoff import SignOffImporter
    from mldossier.intake.importers.waiver import WaiverImporter

    return [
        MlflowImporter,
        OpenLineageImporter,
        EvidentlyImporter,
        SignOffImporter,
        WaiverImporter,
        CollectionLogImporter,
    ]


def all_importers() -> list[type[Importer]]:
    """Built-in importers, then those registered by other packages, by entry-point name."""
    found: list[type[Importer]] = list(builtin_importers())
    for point in sorted(entry_points(group="mldossier.importers"), key=lambda p: p.name):
        found.append(point.load())
    return found
