"""Whether what was read can stand: an AI system found, every file accounted for, no failed call.

Nothing passes on nothing. A folder that yields no AI system (no MLflow registered model) is
an input error that says what was found instead, so that an empty or failed export never
lets ``check`` pass. A parsed file of a shape no importer reads (nor resembles) is *not
evidence*: listed, with a warning, never read; and each call a collection log records as
failed (a status that is not 2xx) is an *export error*: a warning, in the results and on
the site. ``--strict`` makes both errors. (An MLflow error response kept as a file is
invalid input, reported by the MLflow importer: nothing may pass on a failed call's body.)

A failed call the log ties to one object of known versions (a purged run, an unreadable
MLmodel: :class:`~mldossier.model.Unavailable`) is not an export error but a warning of its
own: what is missing is known, and every check that needed it is ``not_evidenced`` on those
versions, citing the log entry (:mod:`mldossier.evaluate.unavailable`). ``--strict`` leaves it
a warning; its ``not_evidenced`` verdicts fail the gate there.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from mldossier.errors import InputError, Problem
from mldossier.model import Evidence, ExportError, FileRole, SourceFile, Unavailable

NOT_EVIDENCE_FIX = (
    "mldossier reads MLflow REST responses, OpenLineage events, Evidently snapshots and "
    "its own sign-offs and waivers; if the file belongs in the folder, add it to "
    "evidence.ignore in mldossier.yaml"
)
NO_SYSTEM_FIX = (
    "an AI system is an MLflow registered model: export the registry into the folder, with "
    "mldossier collect mlflow or as registered-models/search responses, or point --evidence "
    "at the folder that holds it"
)
COLLECTION_LOG = "collection log"
"""``ExportError.source`` of a failed call listed in a collection log."""


def not_evidence_problem(file: SourceFile, severity: str = "warning") -> Problem:
    """The problem of a file that is not evidence: its shape matches no importer."""
    return Problem(
        file.path,
        "",
        f"not evidence: {file.reason}, so it is not read",
        NOT_EVIDENCE_FIX,
        None,
        severity,
    )


def export_error_problem(error: ExportError, severity: str = "warning") -> Problem:
    """The problem of one call the export records as failed."""
    message = f"the export's call {error.message} failed ({error.code})"
    fix = "collect again once the call succeeds: what it would have brought is missing"
    return Problem(error.cite.file, error.cite.pointer, message, fix, error.cite.line, severity)


def unavailable_problem(gap: Unavailable) -> Problem:
    """The warning of one object the export could not get for known versions."""
    versions = gap.needed_by or "no model version"
    message = (
        f"the export could not get {gap.label} (needed by {versions}): its call {gap.call} "
        f"answered {gap.code} ({gap.message})"
    )
    fix = (
        "the checks that needed it are not_evidenced on those versions; collect again if the "
        "failure was passing, or record why it is gone: a purged run does not come back"
    )
    return Problem(gap.cite.file, gap.cite.pointer, message, fix, gap.cite.line, "warning")


def intake_warnings(evidence: Evidence) -> list[Problem]:
    """A warning for every file not evidence, every export error and every unavailable object."""
    return [
        *_strict_warnings(evidence),
        *(unavailable_problem(u) for u in evidence.unavailable),
    ]


def _strict_warnings(evidence: Evidence) -> list[Problem]:
    """The warnings ``--strict`` makes errors: files not evidence, export errors."""
    return [
        *(not_evidence_problem(f) for f in evidence.not_read if f.role is FileRole.NOT_EVIDENCE),
        *(export_error_problem(e) for e in evidence.export_errors),
    ]


def refusals(
    evidence: Evidence, strict: bool = False, require_system: bool = True
) -> list[Problem]:
    """What makes the evidence unusable, as errors.

    No AI system (with ``require_system``): the export errors, which may be why, and a line
    that says what was found. With ``strict``: every file not evidence, every export error.
    """
    errors: list[Problem] = []
    if strict:
        errors += [replace(w, severity="error") for w in _strict_warnings(evidence)]
    if require_system and not evidence.registered_models:
        if not strict:
            errors += [export_error_problem(e, "error") for e in evidence.export_errors]
        errors.append(no_system_problem(evidence))
    return errors


def refuse_unusable(evidence: Evidence, strict: bool = False, require_system: bool = True) -> None:
    """Raise :class:`InputError` with :func:`refusals` and the remaining warnings, if any."""
    errors = refusals(evidence, strict, require_system)
    if not errors:
        return
    promoted = {replace(e, severity="warning") for e in errors}
    raise InputError([*(w for w in evidence.warnings if w not in promoted), *errors])


def no_system_problem(evidence: Evidence) -> Problem:
    """``<folder>/: no AI system found: ...``, counting what the folder held instead."""
    read = [f for f in evidence.files if f.role is FileRole.EVIDENCE]
    kinds = Counter(f.kind for f in read)
    found = _count(len(read), "file") + " read"
    if kinds:
        found += " (" + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) + ")"
    roles = Counter(f.role for f in evidence.not_read)
    if roles[FileRole.NOT_EVIDENCE]:
        found += f", {roles[FileRole.NOT_EVIDENCE]} not evidence"
    if roles[FileRole.IGNORED]:
        found += f", {roles[FileRole.IGNORED]} ignored"
    if evidence.prompts:
        found += ", " + _count(len(evidence.prompts), "MLflow prompt")
        found += " (a prompt is not an AI system)"
    logged = sum(1 for e in evidence.export_errors if e.source == COLLECTION_LOG)
    if logged:
        found += ", " + _count(logged, "failed call") + " in collection logs"
    return Problem(
        "",
        "",
        f"{shown_folder(evidence.root)}: no AI system found: {found}, 0 MLflow registered models",
        NO_SYSTEM_FIX,
    )


def shown_folder(root: str) -> str:
    """The evidence folder as a message names it: relative to the current folder if inside."""
    path = Path(root)
    try:
        rel = os.path.relpath(path.resolve(), Path.cwd().resolve())
    except ValueError:  # another drive (Windows)
        rel = ""
    shown = Path(rel).as_posix() if rel and not rel.startswith("..") else path.as_posix()
    return shown.rstrip("/") + "/"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
