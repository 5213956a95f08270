"""Results as data: the published JSON, JUnit XML for CI systems, and the terminal summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from mldossier import __version__
from mldossier.evaluate.verdicts import Results, Verdict, evidence_manifest
from mldossier.status import SKIPPED, STATUSES, Status, fails_gate

RESULTS_SCHEMA_ID = "https://mldossier.dev/schemas/results.schema.json"


def frameworks(results: Results) -> list[str]:
    """Frameworks in catalog order."""
    return list(dict.fromkeys(c.framework for c in results.catalogs))


def crosswalk(results: Results) -> list[dict[str, Any]]:
    """Pairs of controls in different frameworks that the same evidence bears on."""
    by_reference: dict[str, list[Any]] = defaultdict(list)
    for catalog in results.catalogs:
        for control in catalog.controls:
            by_reference[control.reference].append(control)
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for catalog in results.catalogs:
        for control in catalog.controls:
            for ref in control.crosswalk:
                for other in by_reference.get(ref, []):
                    if other.framework == control.framework:
                        continue
                    a, b = sorted((control, other), key=lambda c: (c.framework, c.id))
                    pairs[(a.id, b.id)] = {
                        "left": {
                            "control": a.id,
                            "framework": a.framework,
                            "reference": a.reference,
                        },
                        "right": {
                            "control": b.id,
                            "framework": b.framework,
                            "reference": b.reference,
                        },
                        "shared_checks": sorted(
                            {r.check for r in a.checks} & {r.check for r in b.checks}
                        ),
                    }
    return [pairs[k] for k in sorted(pairs)]


def verdict_json(v: Verdict) -> dict[str, Any]:
    """One verdict in the published JSON shape."""
    return {
        "control": v.control.id,
        "catalog": v.control.catalog,
        "framework": v.control.framework,
        "reference": v.control.reference,
        "title": v.control.title,
        "severity": v.control.severity,
        "subject": v.subject,
        "subject_kind": v.subject_kind,
        "system": v.system,
        "status": v.status,
        "reasons": list(v.reasons),
        "fix": v.fix,
        "citations": [c.to_json() for c in v.citations],
        "checks": [
            {
                "check": c.check,
                "status": c.status,
                "reasons": list(c.reasons),
                "citations": [x.to_json() for x in c.citations],
            }
            for c in v.checks
        ],
        **(
            {
                "waiver": {
                    "id": v.waiver.id,
                    "subject": v.waiver.subject,
                    "owner": v.waiver.owner,
                    "approver": v.waiver.approver,
                    "expires": v.waiver.expires.isoformat(),
                    "justification": v.waiver.justification,
                    "compensating_control": v.waiver.compensating_control,
                    "citation": v.waiver.cite.to_json(),
                }
            }
            if v.waiver
            else {}
        ),
    }


def to_json(results: Results, *, verdicts: bool = True) -> dict[str, Any]:
    """The whole result set as the published JSON document (``results.schema.json``).

    With ``verdicts=False`` its ``results`` list is left empty (see :func:`results_bytes`).
    """
    evidence = results.evidence
    subjects = sorted({(v.subject, v.subject_kind, v.system) for v in results.verdicts})
    return {
        "$schema": RESULTS_SCHEMA_ID,
        "tool": {"name": "mldossier", "version": __version__},
        "as_of": results.as_of.isoformat(),
        "as_of_source": results.as_of_source,
        "catalogs": [
            {
                "id": c.id,
                "title": c.title,
                "framework": c.framework,
                "version": c.version,
                "file": c.path,
                "sha256": c.sha256,
                "controls": len(c.controls),
            }
            for c in results.catalogs
        ],
        "evidence": {
            "manifest_sha256": results.manifest_sha256,
            "files": evidence_manifest(evidence),
        },
        "subjects": [{"name": n, "kind": k, "system": s} for n, k, s in subjects],
        "results": [verdict_json(v) for v in results.verdicts] if verdicts else [],
        "crosswalk": crosswalk(results),
        "unlinked": [
            {"kind": u.kind, "key": u.key, "reason": u.reason, "citation": u.cite.to_json()}
            for u in evidence.unlinked
        ],
        "summary": {
            "total": results.counts(),
            "by_framework": {f: results.counts(framework=f) for f in frameworks(results)},
        },
    }


_CANONICAL = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
"""orjson's options for the canonical text (what ``json`` writes with indent 2, sorted keys)."""


def dumps(data: Any) -> str:
    """Canonical, stable JSON text (sorted keys, two-space indent, trailing newline)."""
    try:
        # orjson writes the same text as json with these options, 10x faster and without
        # json's million-chunk list (its indent mode is pure Python), except that it writes
        # floats under 1e-4 positionally (0.00001 where json writes 1e-05).
        return orjson.dumps(data, option=_CANONICAL).decode() + "\n"
    except TypeError:  # integers beyond 64 bits, keys that are not strings
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def results_bytes(results: Results) -> bytes:
    """``dumps(to_json(results))`` as UTF-8, without every verdict as JSON-ready dicts at once.

    The verdicts are most of the document (tens of thousands, each citing its evidence):
    each is written on its own and indented into place, into one growing buffer, so only
    one verdict's dicts exist at a time. The text is the same, byte for byte.
    """
    try:
        head = orjson.dumps(to_json(results, verdicts=False), option=_CANONICAL)
        marker = b'\n  "results": [],\n'
        if head.count(marker) != 1 or not results.verdicts:
            raise TypeError("no single place for the verdicts")
        before, after = head.split(marker)
        out = bytearray(before)
        out += b'\n  "results": [\n'
        for index, verdict in enumerate(results.verdicts):
            if index:
                out += b",\n"
            out += _indented(verdict_json(verdict))
        out += b"\n  ],\n"
        out += after
        out += b"\n"
        return bytes(out)
    except TypeError:  # what orjson cannot write: the whole document the slow way
        return dumps(to_json(results)).encode()


def _indented(verdict: dict[str, Any]) -> bytes:
    text = orjson.dumps(verdict, option=_CANONICAL)
    return b"    " + text.replace(b"\n", b"\n    ")


def to_junit(results: Results, fail_on_warn: bool = False) -> str:
    """JUnit XML: a test suite per framework, a test case per control × subject."""
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
            if v.status != Status.ERROR and fails_gate(v.status, fail_on_warn):
                ET.SubElement(
                    case, "failure", message=f"{v.status}: {_first(v)}", type=v.status
                ).text = text
                counts["failures"] += 1
            elif v.status == Status.ERROR:
                ET.SubElement(case, "error", message=_first(v), type="error").text = text
                counts["errors"] += 1
            elif v.status in SKIPPED:
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


Style = Callable[[str, str], str]
"""Paints a piece of terminal text in the colour of a status: ``style(text, status)``."""


def plain(text: str, status: str) -> str:
    """The :data:`Style` that paints nothing (pipes, files, NO_COLOR)."""
    return text


OTHER_STATUSES = (Status.PASS, Status.MANUAL, Status.WAIVED, Status.NOT_APPLICABLE)
"""What ``--verbose`` lists after the findings, in this order."""


def format_findings(verdicts: Iterable[Verdict], style: Style = plain, width: int = 5) -> list[str]:
    """A block per verdict: status, control, subject and title, then its reasons and fix."""
    lines = []
    for v in verdicts:
        word = style(f"{Status(v.status).label:{width}}", v.status)
        lines.append(
            f"  {word} {v.control.id} {v.control.reference} [{v.subject}] {v.control.title}"
        )
        if v.status != "pass":
            lines.extend(f"        - {reason}" for reason in v.reasons)
        if v.fix:
            lines.append(f"        fix: {v.fix}")
    return lines


def _counts(counts: dict[str, int], style: Style) -> str:
    return ", ".join(style(f"{counts[s]} {s.label.lower()}", s) for s in STATUSES if counts[s])


def format_terminal(results: Results, verbose: bool = False, style: Style = plain) -> str:
    """The summary ``check`` prints: per framework and system, then what failed and why.

    ``verbose`` lists every verdict: warnings among the findings, then the passes, manual,
    waived and not applicable verdicts.
    """
    lines = [
        f"Evaluated at {results.as_of.isoformat()} ({results.as_of_source}); evidence "
        f"manifest {results.manifest_sha256[:12]}"
    ]
    for framework in frameworks(results):
        lines.append(f"\n{framework}: " + _counts(results.counts(framework=framework), style))
        systems = sorted(
            {v.system for v in results.verdicts if v.control.framework == framework and v.system}
        )
        for system in systems:
            lines.append(
                f"  {system}: " + _counts(results.counts(framework=framework, system=system), style)
            )
        # Controls on the organisation (policies, sign-offs) belong to no system: without
        # this line the systems' counts would not add up to the framework's.
        whole = [
            v.status for v in results.verdicts if v.control.framework == framework and not v.system
        ]
        if whole and systems:
            lines.append(
                "  organisation-wide: "
                + _counts({status: whole.count(status) for status in STATUSES}, style)
            )
    failing = [v for v in results.failing if verbose or v.status != "warn"]
    if failing:
        lines.append("\nFindings (worst first):")
        lines.extend(format_findings(failing, style))
    if verbose:
        others = [v for status in OTHER_STATUSES for v in results.verdicts if v.status == status]
        if others:
            lines.append("\nOther verdicts:")
            # MANUAL and WAIVED are six letters: these rows line up among themselves.
            lines.extend(format_findings(others, style, width=6))
    warns = sum(1 for v in results.verdicts if v.status == "warn")
    if warns and not verbose:
        lines.append(f"\n({warns} warning(s) not listed; --verbose lists them)")
    return "\n".join(lines)
