"""Intake: read an evidence folder through every importer into one validated Evidence bundle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .config import Config
from .errors import InputError, Problem, UsageError, sort_problems
from .importers import ImportContext, Importer, ImportResult, all_importers
from .linking import link
from .model import Evidence, SourceFile
from .sources import Document, Limits, scan

UNKNOWN_SHAPE_FIX = (
    "expected an MLflow REST response, OpenLineage RunEvents, an Evidently snapshot or an "
    "mldossier sign-off; move other files out of the evidence folder"
)


def read_evidence(config: Config, root: Path | None = None,
                  importers: Iterable[type[Importer]] | None = None) -> Evidence:
    """Read, validate and link every file below the evidence root.

    Raises :class:`InputError` with every problem found when any input is invalid, and
    :class:`UsageError` when the folder itself is missing.
    """
    root = root if root is not None else config.evidence
    if not root.exists():
        raise UsageError(f"evidence folder {root} does not exist "
                         "(pass --evidence DIR or set `evidence:` in mldossier.yaml)")
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder (pass --evidence DIR)")
    limits = Limits(config.max_document_bytes, config.max_stream_bytes)
    entries, problems = scan(root, limits)
    context = ImportContext(root=root, settings=config)
    active = [cls(context) for cls in (importers if importers is not None else all_importers())]
    results = {id(imp): ImportResult() for imp in active}
    files: list[SourceFile] = []
    for entry in entries:
        if isinstance(entry, SourceFile):
            files.append(entry)
            continue
        owner = _detect(active, entry, problems)
        if owner is None:
            problems.append(entry.problem("", "unknown export shape", UNKNOWN_SHAPE_FIX))
            files.append(replace(entry.file, kind="unrecognised"))
            continue
        files.append(replace(entry.file, kind=owner.kind, importer=owner.name))
        _guarded(owner, "read", entry, results[id(owner)], problems)
    records: dict[str, list[Any]] = {}
    for imp in active:
        result = results[id(imp)]
        _guarded(imp, "finish", None, result, problems)
        problems.extend(result.problems)
        for kind, items in result.records.items():
            records.setdefault(kind, []).extend(items)
    evidence = Evidence(
        root=root.as_posix(),
        files=tuple(sorted(files, key=lambda f: f.path)),
        **{kind: tuple(items) for kind, items in records.items()},
    )
    evidence = replace(evidence, files=_with_times(evidence))
    evidence = link(evidence, config)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise InputError(errors)
    warnings = sort_problems([*config.warnings, *problems, *evidence.warnings])
    return replace(evidence, warnings=tuple(warnings))


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
        if name in ("files", "warnings", "unlinked") or not isinstance(group, tuple):
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


def _detect(active: list[Importer], doc: Document, problems: list[Problem]) -> Importer | None:
    for imp in active:
        try:
            if imp.detect(doc):
                return imp
        except Exception as exc:  # noqa: BLE001 - a broken importer must not hide the file
            problems.append(doc.problem("", f"importer {imp.name} failed to inspect the file "
                                        f"({type(exc).__name__}: {exc})",
                                        "report this as a bug in that importer"))
    return None


def _guarded(imp: Importer, step: str, doc: Document | None, result: ImportResult,
             problems: list[Problem]) -> None:
    """Run an importer step; an unexpected exception becomes a problem, not a traceback."""
    try:
        if step == "read":
            assert doc is not None
            imp.read(doc, result)
        else:
            imp.finish(result)
    except InputError as exc:
        problems.extend(exc.problems)
    except RecursionError:
        where = doc.file.path if doc else ""
        problems.append(Problem(where, "", "data is nested too deeply to read",
                                "check how the file was made"))
    except Exception as exc:
        if _debug_enabled():
            raise
        where = doc.file.path if doc else ""
        problems.append(Problem(where, "", f"importer {imp.name} could not read this "
                                f"({type(exc).__name__}: {exc})",
                                "check the file; run with --debug for details"))


_DEBUG = False


def set_debug(enabled: bool) -> None:
    """Let importer exceptions propagate (``--debug``) instead of becoming problems."""
    global _DEBUG
    _DEBUG = enabled


def _debug_enabled() -> bool:
    return _DEBUG
