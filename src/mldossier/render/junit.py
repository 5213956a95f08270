"""JUnit XML of the results, for CI systems: a test suite per framework, a case per verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.render.results_json import frameworks
from mldossier.status import DEFAULT_GATE, Status, fails_gate


def to_junit(results: Results, statuses: frozenset[Status] = DEFAULT_GATE) -> str:
    """JUnit XML: a test suite per framework, a test case per control × subject.

    A verdict that fails the gate is a failure (a check that could not run, an error); a
    ``no_exception`` passes; every other status is skipped, with the status in its message.
    """
    root = ET.Element("testsuites", name="mldossier")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for framework in frameworks(results):
        verdicts = [v for v in results.verdicts if v.control.framework == framework]
        suite = ET.SubElement(root, "testsuite", name=framework)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for v in verdicts:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{framework}.{v.control.id}",
                name=f"{v.control.reference} {v.control.title} [{v.subject}]",
            )
            text = "\n".join(
                [*v.reasons, *(f"evidence: {c}" for c in v.citations)]
                + ([f"fix: {v.fix}"] if v.fix else [])
            )
            counts["tests"] += 1
            if v.status != Status.ERROR and fails_gate(v.status, statuses):
                ET.SubElement(
                    case, "failure", message=f"{v.status}: {_first(v)}", type=v.status
                ).text = text
                counts["failures"] += 1
            elif v.status == Status.ERROR:
                ET.SubElement(case, "error", message=_first(v), type="error").text = text
                counts["errors"] += 1
            elif v.status != Status.NO_EXCEPTION:
                ET.SubElement(case, "skipped", message=f"{v.status}: {_first(v)}")
                counts["skipped"] += 1
            else:
                ET.SubElement(case, "system-out").text = f"{v.status}\n{text}"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _first(v: Verdict) -> str:
    return v.reasons[0] if v.reasons else v.status
