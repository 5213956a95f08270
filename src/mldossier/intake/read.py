"""Intake: read an evidence folder through every importer into one validated Evidence bundle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mldossier.cache import Cache, cache_key, code_fingerprint, hash_parts, library_versions
from mldossier.config import Config
from mldossier.errors import InputError, Problem, UsageError, sort_problems
from mldossier.intake.completeness import intake_warnings
from mldossier.intake.files import Document, Limits, relative_inside, scan
from mldossier.intake.ignore import IgnoreRules
from mldossier.intake.importers import (
    ImportContext,
    Importer,
    ImportResult,
    all_importers,
    builtin_importers,
)
from mldossier.intake.linking import Index, link
from mldossier.intake.signatures import (
    ALLOWED_SIGNERS_KIND,
    SIGNATURE_KIND,
    TrustedSigners,
    read_allowed_signers,
)
from mldossier.model import AllowedSigners, Evidence, FileRole, SourceFile

RELEASE_BYTES = 256 * 1024
"""JSON and YAML files larger than this are not held parsed between detection and reading
(parsed again then, from bytes checked against the hash): Evidently snapshots of 0.5 MB
take several times that parsed, and an estate holds hundreds."""

RESEMBLING_FIX = "re-export it; docs/formats.md lists the shapes each importer reads"


def read_evidence(
    config: Config,
    root: Path | None = None,
    importers: Iterable[type[Importer]] | None = None,
    cache: Cache | None = None,
) -> Evidence:
    """Read, validate and link every file below the evidence root (see :func:`read_indexed`)."""
    return read_indexed(config, root, importers, cache)[0]


def read_indexed(
    config: Config,
    root: Path | None = None,
    importers: Iterable[type[Importer]] | None = None,
    cache: Cache | None = None,
    quarantine: bool = False,
) -> tuple[Evidence, Index]:
    """Read, validate and link every file below the evidence root.

    In four steps: detect (scan the folder; each parsed file is offered to the importers,
    which claim it by content), read (each importer reads the files it claimed), finish
    (each importer merges what it read into records) and assemble (one linked Evidence).
    Files that ``evidence.ignore`` matches are hashed, not parsed; a parsed file no
    importer claims or resembles is not evidence (a warning, see
    :mod:`mldossier.intake.completeness`). Both are in ``Evidence.not_read``.
    With a ``cache``, what a built-in importer made of its files is reused when none of
    them changed (see :func:`_intake_key`); the result is the same either way.

    Returns the evidence and the index that linked it, which the later stages share.
    Raises :class:`InputError` with every problem found when any input is invalid, and
    :class:`UsageError` when the folder itself is missing. With ``quarantine``, the invalid
    records of evidence files are left out and listed in ``Evidence.quarantined`` instead
    (what the importers refused: an event, a report, a whole file that cannot be parsed);
    problems that are not of a file (the config) still raise.
    """
    root = _evidence_folder(root if root is not None else config.evidence)
    signers = _allowed_signers(config)
    context = ImportContext(root=root, settings=config, signers=signers)
    active = [cls(context) for cls in (importers if importers is not None else all_importers())]
    opaque = _not_evidence(root, config)
    limits = Limits(config.max_document_bytes, config.max_stream_bytes)
    found = _detect(active, root, limits, opaque, IgnoreRules.of(config))
    cache = cache if cache is not None else Cache(None)
    every_file = [*found.files, *found.not_read]
    keys = (
        {
            id(imp): _intake_key(imp, found.claimed, every_file, config, root, signers)
            for imp in active
        }
        if cache.enabled
        else {}
    )
    work = _Importing(active, keys, found.problems)
    work.reuse(cache)
    work.read(found.claimed)
    records = work.finish(cache)
    trusted = signers.record if signers is not None else None
    return _assemble(root, found, records, work.problems, config, trusted, quarantine)


def _allowed_signers(config: Config) -> TrustedSigners | None:
    """The trusted keys, read and checked once (InputError if the file is bad), or None."""
    if config.allowed_signers is None:
        return None
    return read_allowed_signers(config.allowed_signers, config.allowed_signers_name)


def _not_evidence(root: Path, config: Config) -> dict[str, str]:
    """Files of the evidence folder that are settings, not evidence: the trusted keys.

    They are hashed and listed (kind ``allowed_signers``) but offered to no importer.
    """
    if config.allowed_signers is None:
        return {}
    rel = relative_inside(root, config.allowed_signers)
    return {} if rel is None else {rel: ALLOWED_SIGNERS_KIND}


def _evidence_folder(root: Path) -> Path:
    """The evidence root, refused with a :class:`UsageError` unless it is a folder."""
    if not root.exists():
        raise UsageError(
            f"evidence folder {root} does not exist "
            "(pass --evidence DIR or set `evidence:` in mldossier.yaml)"
        )
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder (pass --evidence DIR)")
    return root


@dataclass
class _Found:
    """What detection made of the folder: every file with its kind, the claimed documents."""

    files: list[SourceFile]
    """Files read as evidence (or attachments, or settings)."""
    claimed: list[tuple[Document, Importer]]
    problems: list[Problem]
    not_read: list[SourceFile]
    """Ignored files, and parsed files of no importer's shape."""


def _detect(
    active: list[Importer],
    root: Path,
    limits: Limits,
    opaque: dict[str, str],
    rules: IgnoreRules,
) -> _Found:
    """Scan the folder; each document goes to the first importer that claims it.

    A document no importer claims is an error when one resembles it (evidence of a known
    kind in a shape it does not read: a malformed export), else not evidence.
    """
    owners: dict[int, Importer | None] = {}
    detect_problems: list[Problem] = []

    def detect(entry: Document | SourceFile) -> None:
        # Detected as soon as parsed, so that a large document need not stay parsed while
        # every other file is read: it is parsed again when its importer reads it.
        if isinstance(entry, Document):
            owners[id(entry)] = _owner(active, entry, detect_problems)
            if entry.file.size > RELEASE_BYTES:
                entry.release()

    entries, problems = scan(root, limits, detect, opaque, rules.reason)
    problems += detect_problems
    found = _Found([], [], problems, [])
    for entry in entries:
        if isinstance(entry, SourceFile):
            (found.not_read if entry.role is FileRole.IGNORED else found.files).append(entry)
            continue
        owner = owners[id(entry)]
        if owner is None:
            like = _resembling(active, entry, problems)
            if like is not None:
                problems.append(
                    entry.problem(
                        "",
                        f"unknown export shape: it looks like {like.kind} evidence, but in "
                        "no shape mldossier reads",
                        RESEMBLING_FIX,
                    )
                )
                found.files.append(replace(entry.file, kind="unrecognised"))
            else:
                found.not_read.append(
                    replace(
                        entry.file,
                        kind="unrecognised",
                        role=FileRole.NOT_EVIDENCE,
                        reason="no importer reads its shape",
                    )
                )
            continue
        # A signature is a file of its own kind, whichever importer reads it.
        kind = SIGNATURE_KIND if entry.format == "sshsig" else owner.kind
        found.files.append(replace(entry.file, kind=kind, importer=owner.name))
        found.claimed.append((entry, owner))
    return found


class _Importing:
    """The importers at work: what each has made, which came from the cache, which failed."""

    def __init__(self, active: list[Importer], keys: dict[int, str], problems: list[Problem]):
        self.active = active
        self.keys = keys
        """Cache key of each importer (by ``id``); none, or "", when it is not cached."""
        self.problems = problems
        self.results = {id(imp): ImportResult() for imp in active}
        self.reused: set[int] = set()
        self.failed: set[int] = set()

    def reuse(self, cache: Cache) -> None:
        """Take from the cache what an importer made of these very files before."""
        for imp in self.active:
            key = self.keys.get(id(imp), "")
            found = cache.get_object(INTAKE_NAMESPACE, key) if key else None
            if isinstance(found, ImportResult):
                self.results[id(imp)] = found
                self.reused.add(id(imp))

    def read(self, claimed: list[tuple[Document, Importer]]) -> None:
        """Each claimed document read by its importer (parsed again if it was released)."""
        for entry, owner in claimed:
            if id(owner) in self.reused:
                continue
            changed = entry.reload()
            if changed is not None:
                self.problems.append(changed)
                self.failed.add(id(owner))
            elif not _guarded(owner, "read", entry, self.results[id(owner)], self.problems):
                self.failed.add(id(owner))
            if entry.file.size > RELEASE_BYTES:
                entry.release()

    def finish(self, cache: Cache) -> dict[str, list[Any]]:
        """Every importer's records by Evidence field; what read cleanly goes in the cache."""
        records: dict[str, list[Any]] = {}
        for imp in self.active:
            result = self.results[id(imp)]
            if id(imp) not in self.reused:
                if not _guarded(imp, "finish", None, result, self.problems):
                    self.failed.add(id(imp))
                key = self.keys.get(id(imp), "")
                if (
                    key
                    and id(imp) not in self.failed
                    and not any(p.is_error for p in result.problems)
                ):
                    cache.put_object(INTAKE_NAMESPACE, key, result)
            self.problems.extend(result.problems)
            for kind, items in result.records.items():
                records.setdefault(kind, []).extend(items)
        return records


def _assemble(
    root: Path,
    found: _Found,
    records: dict[str, list[Any]],
    problems: list[Problem],
    config: Config,
    allowed_signers: AllowedSigners | None = None,
    quarantine: bool = False,
) -> tuple[Evidence, Index]:
    """One linked Evidence of every record and its index; InputError if any problem is an
    error (with ``quarantine``, those of evidence files are listed as quarantined instead)."""
    files, not_read = _with_attachments(found, records)
    for kind in ("export_errors", "unavailable"):
        records[kind] = sorted(records.get(kind, []), key=lambda e: (e.cite.file, e.cite.pointer))
    evidence = Evidence(
        root=root.as_posix(),
        files=tuple(sorted(files, key=lambda f: f.path)),
        allowed_signers=allowed_signers,
        not_read=tuple(sorted(not_read, key=lambda f: f.path)),
        **{kind: tuple(items) for kind, items in records.items()},
    )
    evidence = replace(evidence, files=_with_times(evidence))
    index = Index(evidence, config)
    evidence = link(evidence, index)
    errors = [p for p in problems if p.is_error]
    quarantined: list[Problem] = []
    if errors and quarantine and all(p.file for p in errors):
        quarantined, errors = errors, []
    if errors:
        raise InputError(errors)
    warnings = sort_problems(
        [*config.warnings, *(p for p in problems if not p.is_error), *evidence.warnings]
        + intake_warnings(evidence)
    )
    evidence = replace(
        evidence, warnings=tuple(warnings), quarantined=tuple(sort_problems(quarantined))
    )
    index.rebind(evidence)
    return evidence, index


def _with_attachments(
    found: _Found, records: dict[str, list[Any]]
) -> tuple[list[SourceFile], list[SourceFile]]:
    """The files read and not read, where a file a sign-off attaches is read whatever
    ``evidence.ignore`` says (as git keeps a file it tracks whatever ``.gitignore`` says)."""
    attached = {a.path for s in records.get("signoffs", []) for a in s.attachments}
    files, not_read = list(found.files), []
    for f in found.not_read:
        if f.path in attached:
            files.append(replace(f, kind="attachment", role=FileRole.EVIDENCE, reason=""))
        else:
            not_read.append(f)
    return files, not_read


def _record_time(record: Any) -> datetime | None:
    """When a record says its evidence was produced, if it says so."""
    for name in ("timestamp", "last_event", "updated", "end", "created"):
        value = getattr(record, name, None)
        if isinstance(value, datetime):
            return value
    value = getattr(record, "date", None)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), UTC)
    return None


def _with_times(evidence: Evidence) -> tuple[SourceFile, ...]:
    """The files, each with the newest time of the records read from it."""
    newest: dict[str, datetime] = {}
    for name in Evidence.__dataclass_fields__:
        group = getattr(evidence, name)
        if name in (
            "files",
            "not_read",
            "export_errors",
            "unavailable",
            "warnings",
            "unlinked",
        ) or not (isinstance(group, tuple)):
            continue
        for record in group:
            cite = getattr(record, "cite", None)
            moment = _record_time(record)
            if cite is None or moment is None:
                continue
            for c in (cite, *getattr(record, "events", ())):
                if c.file not in newest or moment > newest[c.file]:
                    newest[c.file] = moment
    return tuple(replace(f, time=newest.get(f.path)) for f in evidence.files)


def _owner(active: list[Importer], doc: Document, problems: list[Problem]) -> Importer | None:
    """The first importer that claims a document; one that fails to look is a problem."""
    return _first_saying_yes(active, doc, problems, "detect")


def _resembling(active: list[Importer], doc: Document, problems: list[Problem]) -> Importer | None:
    """The first importer whose optional ``resembles`` hook says the document looks like its
    evidence, though ``detect`` refused it; one that fails to look is a problem."""
    return _first_saying_yes(active, doc, problems, "resembles")


def _first_saying_yes(
    active: list[Importer], doc: Document, problems: list[Problem], hook: str
) -> Importer | None:
    """The first importer whose ``hook`` (``detect``, or the optional ``resembles``) accepts
    the document; an importer that fails to look is a problem, never a hidden file."""
    for imp in active:
        look = getattr(imp, hook, None)
        if look is None:
            continue
        try:
            if look(doc):
                return imp
        except Exception as exc:  # noqa: BLE001 - a broken importer must not hide the file
            problems.append(
                doc.problem(
                    "",
                    f"importer {imp.name} failed to inspect the file ({type(exc).__name__}: {exc})",
                    "report this as a bug in that importer",
                )
            )
    return None


def _guarded(
    imp: Importer, step: str, doc: Document | None, result: ImportResult, problems: list[Problem]
) -> bool:
    """Run an importer step; an unexpected exception becomes a problem, not a traceback.

    Returns whether the step ran to its end.
    """
    try:
        if step == "read":
            assert doc is not None
            imp.read(doc, result)
        else:
            imp.finish(result)
        return True
    except InputError as exc:
        problems.extend(exc.problems)
    except RecursionError:
        where = doc.file.path if doc else ""
        problems.append(
            Problem(where, "", "data is nested too deeply to read", "check how the file was made")
        )
    except Exception as exc:
        if _debug_enabled():
            raise
        where = doc.file.path if doc else ""
        problems.append(
            Problem(
                where,
                "",
                f"importer {imp.name} could not read this ({type(exc).__name__}: {exc})",
                "check the file; run with --debug for details",
            )
        )
    return False


INTAKE_NAMESPACE = "intake"
SELF_CONTAINED_IMPORTERS = frozenset({"mlflow", "openlineage", "evidently", "waiver"})
"""Built-in importers that read nothing but the files they claim.

The others (sign-offs and collection logs, which hash the files they point at) are keyed
on every file of the folder, so any change there reads them again.
"""
INTAKE_LIBRARIES = ("orjson", "PyYAML", "jsonschema", "jsonschema-rs", "referencing")


def _intake_key(
    imp: Importer,
    claimed: list[tuple[Document, Importer]],
    files: list[SourceFile],
    config: Config,
    root: Path,
    signers: TrustedSigners | None = None,
) -> str:
    """The cache key of what one importer makes of its files; "" when it is not cached.

    The key covers mldossier's code, the parsing and validating libraries, the importer,
    the settings (all but paths: an importer may read any), the trusted keys (their name
    and SHA-256), the evidence root and, in order, the path, SHA-256, size and format of
    every file it claimed; for an importer that may read other files, every file of the
    folder. Importers from other packages, whose code the key cannot cover, are never
    cached. (Whether ``ssh-keygen`` is installed is not in it: a signature it found good
    for these very bytes and keys stays good.)
    """
    if type(imp) not in builtin_importers():
        return ""
    mine = [
        (f"{doc.file.path}\0{doc.file.size}\0{doc.format}", doc.file.sha256)
        for doc, owner in claimed
        if owner is imp
    ]
    if not mine:
        return ""
    others = (
        []
        if imp.name in SELF_CONTAINED_IMPORTERS
        else [(f.path, f.sha256) for f in sorted(files, key=lambda f: f.path)]
    )
    # Importers get the root (in the key) and settings, never the config's own paths: the
    # same folder named relative or absolute is the same input.
    settings = replace(
        config,
        path=None,
        evidence=Path(),
        catalogs=(),
        warnings=(),
        cache_dir=Path(),
        cache_max_bytes=0,
        allowed_signers=None,
    )
    trusted = f"{signers.record.path}\0{signers.record.sha256}" if signers else ""
    return cache_key(
        INTAKE_NAMESPACE,
        code_fingerprint(),
        library_versions(*INTAKE_LIBRARIES),
        imp.name,
        repr(settings),
        trusted,
        root.resolve().as_posix(),
        hash_parts(mine),
        hash_parts(others),
    )


_DEBUG = False


def set_debug(enabled: bool) -> None:
    """Let importer exceptions propagate (``--debug``) instead of becoming problems."""
    global _DEBUG
    _DEBUG = enabled


def _debug_enabled() -> bool:
    return _DEBUG
