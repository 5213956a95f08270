"""JUnit XML of the results, for CI systems: a test suite per framework, a case per verdict.

The document is valid against the JUnit schema of Jenkins' xunit plugin (``junit-10.xsd``),
the strictest of the schemas CI servers read: ``tests``, ``failures``, ``errors`` and
``time`` on ``<testsuites>`` (no ``skipped``: that schema does not allow it there), and on
each ``<testsuite>`` those plus ``skipped`` and ``timestamp``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC

from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.formats.text import printable
from mldossier.render.results_json import frameworks
from mldossier.status import DEFAULT_GATE, Status, fails_gate

TIME = "0.000"
"""Every ``time``: a verdict is read from files, not run, and the outputs are reproducible
(same inputs, same bytes), so no wall-clock duration is written; CI shows the step's own."""


def xml_text(text: str) -> str:
    """Text for an XML element: every control character but the line break shown escaped
    (``\\x1b``), so the document stays well-formed XML 1.0 and a log viewer shows no ESC,
    BEL or bidi override."""
    return "\n".join(printable(line) for line in text.split("\n"))


def to_junit(results: Results, statuses: frozenset[Status] = DEFAULT_GATE) -> str:
    """JUnit XML: a test suite per framework, a test case per control × subject.

    A verdict that fails the gate is a failure (a check that could not run, an error); a
    ``no_exception`` passes; every other status is skipped, with the status in its message.
    """
    root = ET.Element("testsuites", name="mldossier")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    timestamp = results.as_of.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    for framework in frameworks(results):
        verdicts = [v for v in results.verdicts if v.control.framework == framework]
        suite = ET.SubElement(root, "testsuite", name=printable(framework))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for v in verdicts:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=printable(f"{framework}.{v.control.id}"),
                name=printable(f"{v.control.reference} {v.control.title} [{v.subject}]"),
                time=TIME,
            )
            text = xml_text(
                "\n".join(
                    [*v.reasons, *(f"evidence: {c}" for c in v.citations)]
                    + ([f"fix: {v.fix}"] if v.fix else [])
                )
            )
            counts["tests"] += 1
            if v.status != Status.ERROR and fails_gate(v.status, statuses):
                ET.SubElement(
                    case, "failure", message=printable(f"{v.status}: {_first(v)}"), type=v.status
                ).text = text
                counts["failures"] += 1
            elif v.status == Status.ERROR:
                ET.SubElement(case, "error", message=printable(_first(v)), type="error").text = text
                counts["errors"] += 1
            elif v.status != Status.NO_EXCEPTION:
                ET.SubElement(case, "skipped", message=printable(f"{v.status}: {_first(v)}"))
                counts["skipped"] += 1
            else:
                ET.SubElement(case, "system-out").text = f"{v.status}\n{text}"
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        suite.set("time", TIME)
        suite.set("timestamp", timestamp)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", TIME)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _first(v: Verdict) -> str:
    return v.reasons[0] if v.reasons else v.status
