"""Results as data: the published JSON (``results.schema.json``), written canonically.

The JUnit XML for CI systems is :mod:`mldossier.render.junit`; the terminal text is
:mod:`mldossier.render.text`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import orjson

from mldossier import __version__
from mldossier.evaluate.verdicts import Results, Verdict, evidence_manifest
from mldossier.render.requests import root_causes

RESULTS_SCHEMA_ID = "https://mldossier.dev/schemas/results.schema.json"


RESULTS_NAME = "results.json"
"""The results JSON's file name in the bundle and the site."""


def frameworks(results: Results) -> list[str]:
    """Frameworks in catalog order."""
    return list(dict.fromkeys(c.framework for c in results.catalogs))


def crosswalk(results: Results) -> list[dict[str, Any]]:
    """Pairs of controls in different frameworks that the same evidence bears on.

    A pair exists when either control's ``crosswalk`` names the other's reference, so a
    catalog can map itself onto one it does not edit; each pair is listed once, its sides in
    framework order, the list sorted by control ids.
    """
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
        **({"causes": list(v.causes)} if v.causes else {}),
        **({"evidence_strength": v.strength} if v.strength else {}),
        **({"readiness_status": v.readiness} if v.readiness is not None else {}),
        **(
            {"applies_from": ad.date.isoformat(), "date_status": ad.date_status}
            if (ad := v.control.applicability) is not None
            else {}
        ),
        **({"policy": v.control.policy} if v.control.policy else {}),
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
                **({"legal_text": c.legal_text} if c.legal_text else {}),
                **({"legal_text_version": c.legal_text_version} if c.legal_text_version else {}),
            }
            for c in results.catalogs
        ],
        "readiness": results.readiness,
        "profiles": [
            {
                "system": p.system,
                "category": p.category,
                "legal_class": p.legal_class,
                "annex_iii_point": p.annex_iii_point,
                "route": p.route,
                "roles": list(p.roles),
                "roles_from": p.roles_from,
                "flags": sorted(p.flags),
                "placed_on_market": p.placed_on_market.isoformat() if p.placed_on_market else None,
            }
            for p in results.profiles
        ],
        "evidence": {
            "manifest_sha256": results.manifest_sha256,
            "files": evidence_manifest(evidence),
            "export_errors": [
                {
                    "source": e.source,
                    "code": e.code,
                    "message": e.message,
                    "citation": e.cite.to_json(),
                }
                for e in evidence.export_errors
            ],
            "unavailable": [
                {
                    "kind": u.kind,
                    "id": u.id,
                    "model_versions": list(u.versions),
                    "code": u.code,
                    "message": u.message,
                    "call": u.call,
                    "citation": u.cite.to_json(),
                }
                for u in evidence.unavailable
            ],
            "quarantined": [
                {
                    "file": p.file,
                    "pointer": p.pointer,
                    "line": p.line,
                    "message": p.message,
                    "fix": p.fix,
                }
                for p in evidence.quarantined
            ],
            "prompts": [
                {
                    "name": p.name,
                    "versions": list(p.versions),
                    "used_by": list(p.used_by),
                    "citation": p.cite.to_json(),
                }
                for p in evidence.prompts
            ],
        },
        "subjects": [{"name": n, "kind": k, "system": s} for n, k, s in subjects],
        "populations": [
            {
                "control": p.control,
                "count": p.count,
                "derived": p.derived,
                "sources": list(p.sources),
            }
            for p in results.populations
        ],
        "out_of_population": [
            {"version": o.version, "system": o.system, "reason": o.reason}
            for o in results.out_of_population
        ],
        "results": [verdict_json(v) for v in results.verdicts] if verdicts else [],
        "crosswalk": crosswalk(results),
        "unlinked": [
            {"kind": u.kind, "key": u.key, "reason": u.reason, "citation": u.cite.to_json()}
            for u in evidence.unlinked
        ],
        "links": [x.to_json() for x in evidence.run_links],
        "findings": [
            {
                "cause": g.cause,
                "status": g.status,
                "summary": g.summary,
                "controls": list(g.controls),
                "frameworks": list(g.frameworks),
                "subjects": list(g.subjects),
                "verdicts": len(g.verdicts),
            }
            for g in root_causes(results)
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
