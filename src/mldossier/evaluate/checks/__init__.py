"""The check library: named, documented checks that catalogs pick by name with parameters.

A check looks at one subject (an AI system, or one model version) and returns an
:class:`Outcome`: a status, reasons in plain words and the citations they rest on. Checks
never reach outside services; they read only the evidence, the lineage graph and settings.

:mod:`~mldossier.evaluate.checks.registry` says what a check is; the checks themselves are
grouped by what they read: :mod:`~mldossier.evaluate.checks.system` (the registered model),
:mod:`~mldossier.evaluate.checks.version` (a version's registry record and run),
:mod:`~mldossier.evaluate.checks.lineage` (the lineage graph),
:mod:`~mldossier.evaluate.checks.monitoring` (the monitoring reports) and
:mod:`~mldossier.evaluate.checks.signoff` (the sign-offs). Importing this package registers
them all.
"""

from __future__ import annotations

# Imported for their registrations: each module's checks join the library when it loads.
from mldossier.evaluate.checks import lineage, monitoring, signoff, system, version
from mldossier.evaluate.checks.registry import (
    EXCEPTION,
    NO_EXCEPTION,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    WAIVED,
    CheckContext,
    Outcome,
    Subject,
    check,
    combine,
    library,
)

__all__ = [
    "EXCEPTION",
    "NOT_APPLICABLE",
    "NOT_ASSESSED",
    "NO_EXCEPTION",
    "WAIVED",
    "CheckContext",
    "Outcome",
    "Subject",
    "check",
    "combine",
    "library",
    "lineage",
    "monitoring",
    "signoff",
    "system",
    "version",
]
