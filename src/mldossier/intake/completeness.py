"""Whether what was read can stand: every file accounted for.

A parsed file of a shape no importer reads (nor resembles) is *not evidence*: listed, with a
warning, never read. ``--strict`` makes it an error.
"""

from __future__ import annotations

from dataclasses import replace

from mldossier.errors import InputError, Problem
from mldossier.model import Evidence, FileRole, SourceFile

NOT_EVIDENCE_FIX = (
    "mldossier reads MLflow REST responses, OpenLineage events, Evidently snapshots and "
    "its own sign-offs and waivers; if the file belongs in the folder, add it to "
    "evidence.ignore in mldossier.yaml"
)


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


def intake_warnings(evidence: Evidence) -> list[Problem]:
    """A warning for every file not evidence."""
    return [not_evidence_problem(f) for f in evidence.not_read if f.role is FileRole.NOT_EVIDENCE]


def refusals(evidence: Evidence, strict: bool = False) -> list[Problem]:
    """What makes the evidence unusable, as errors: with ``strict``, every file not evidence."""
    return [replace(w, severity="error") for w in intake_warnings(evidence)] if strict else []


def refuse_unusable(evidence: Evidence, strict: bool = False) -> None:
    """Raise :class:`InputError` with :func:`refusals` and the remaining warnings, if any."""
    errors = refusals(evidence, strict)
    if not errors:
        return
    promoted = {replace(e, severity="warning") for e in errors}
    raise InputError([*(w for w in evidence.warnings if w not in promoted), *errors])
