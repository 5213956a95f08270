"""What ``--quarantine`` leaves out, said on the verdicts it could have fed.

In quarantine mode an invalid record does not stop the run: the importers leave it out and
it is listed in ``Evidence.quarantined``. A verdict cannot cover what was not read, so every
verdict whose checks read the kind of evidence a quarantined record is (the registry for the
system and version checks, lineage events and the registry for the lineage checks,
monitoring reports for the monitoring checks, sign-offs for the sign-off checks) gets a
reason saying which files lost records. A quarantined waiver could have waived an exception,
so exceptions get that reason too; a file no importer could place bears on every verdict.
The status is left as the evidence read decides it: the run's own exit code and the
quarantine list say the evidence is incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from mldossier.errors import Problem
from mldossier.evaluate.checks import library
from mldossier.model import Evidence
from mldossier.status import Status

if TYPE_CHECKING:
    from mldossier.evaluate.verdicts import Verdict

READS: dict[str, frozenset[str]] = {
    "system": frozenset({"mlflow", "collection-log"}),
    "version": frozenset({"mlflow", "collection-log"}),
    "lineage": frozenset({"openlineage", "mlflow", "collection-log"}),
    "monitoring": frozenset({"evidently"}),
    "signoff": frozenset({"signoff"}),
}
"""Check module (what it reads, see :mod:`mldossier.evaluate.checks`) -> importers."""
LISTED = 3
"""How many files a verdict's quarantine reason names before saying how many more."""


def kinds_read(check: str) -> frozenset[str]:
    """The importers whose records a check (or ``signoff:KIND``) reads."""
    if check.startswith("signoff:"):
        return READS["signoff"]
    spec = library().get(check)
    if spec is None:
        return frozenset()
    return READS.get(spec.function.__module__.rpartition(".")[2], frozenset())


def quarantined_by_importer(evidence: Evidence) -> dict[str, list[str]]:
    """The files that lost records, by the importer that read them ("" when none did)."""
    importer = {f.path: f.importer for f in evidence.files}
    found: dict[str, list[str]] = {}
    problem: Problem
    for problem in evidence.quarantined:
        files = found.setdefault(importer.get(problem.file, ""), [])
        if problem.file not in files:
            files.append(problem.file)
    return found


def note_quarantine(verdicts: Iterable[Verdict], evidence: Evidence) -> list[Verdict]:
    """The verdicts, each that could have read a quarantined record saying so."""
    lost = quarantined_by_importer(evidence)
    if not lost:
        return list(verdicts)
    out = []
    for verdict in verdicts:
        read = {k for c in verdict.checks for k in kinds_read(c.check)}
        if verdict.status in (Status.EXCEPTION, Status.FORMAL_NONCONFORMITY):
            read.add("waiver")
        files = sorted({f for kind, fs in lost.items() if kind in read or not kind for f in fs})
        if files:
            shown = ", ".join(files[:LISTED])
            more = f" and {len(files) - LISTED} more" if len(files) > LISTED else ""
            reason = (
                f"quarantined: invalid records of {shown}{more} were left out "
                "(--quarantine), so this verdict does not cover them"
            )
            verdict = replace(verdict, reasons=(*verdict.reasons, reason))
        out.append(verdict)
    return out
