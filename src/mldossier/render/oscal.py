"""Verdicts as an OSCAL 1.1.3 assessment-results document, for GRC tools that read OSCAL.

One OSCAL ``result`` holds the whole evaluation, and every verdict is in it once, where
OSCAL puts what an assessor concluded or still has to do:

- a **finding** for each verdict that is an audit conclusion (``no_exception``,
  ``observation``, ``exception``, ``formal_nonconformity``, ``waived``): its ``target`` is the
  control (``objective-id`` = the mldossier control id) with the objective status OSCAL
  requires (``satisfied`` / ``not-satisfied``), and, when it rests on evidence, a related
  ``observation`` whose ``relevant-evidence`` points at each cited file and JSON Pointer and
  pins it by SHA-256;
- an **observation** alone for a verdict that concludes nothing about the objective
  (``not_evidenced``, ``not_assessed``, ``no_occurrence``, ``not_yet_applicable``, ``error``),
  and a **task** for each that someone must act on (the evidence request list's rows:
  ``not_evidenced`` and ``not_assessed``), with its request id and owner;
- a control ``not_applicable`` to every subject is **excluded** from ``reviewed-controls``
  (``exclude-controls``), the reasons in the selection's remarks; one not applicable to some
  subjects only is an observation for those.

The exact mldossier status is always in a ``mldossier-status`` (finding) or ``status``
(observation) property. The catalogs stand in for the assessment plan (``import-ap``), and
every evidence file is a ``back-matter`` resource with its hash.

Output is a function of the results: UUIDs are uuid5 of content, times come from
``results.as_of``, never the clock.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from mldossier import __version__
from mldossier.evaluate.catalog import Catalog
from mldossier.evaluate.verdicts import Results, Verdict
from mldossier.formats.json import pretty_json
from mldossier.model import Citation, SourceFile
from mldossier.render.requests import RootCause, request_id, request_owners, root_causes
from mldossier.status import DEFAULT_GATE, REQUESTED, Status

OSCAL_VERSION = "1.1.3"
NAMESPACE = "https://mldossier.dev/ns/oscal"
"""``ns`` of every property mldossier defines (OSCAL requires one for non-OSCAL names)."""
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)

# mldossier status -> (objective-status state, reason), for the statuses that are audit
# conclusions and so become findings; the others become observations (and tasks).
OBJECTIVE_STATUS: dict[str, tuple[str, str]] = {
    "no_exception": ("satisfied", "pass"),
    # Within tolerance with something to look at (drift found, a sign-off about to expire).
    "observation": ("satisfied", "other"),
    "exception": ("not-satisfied", "fail"),
    "formal_nonconformity": ("not-satisfied", "fail"),
    # An accepted exception: the control still is not met.
    "waived": ("not-satisfied", "other"),
}
TASK_STATUSES = frozenset(REQUESTED)
"""Verdicts that are a request to someone (evidence to provide, a judgement to make)."""


def content_uuid(*parts: str) -> str:
    """A version-5 UUID of the parts: the same content always gets the same id."""
    return str(uuid.uuid5(UUID_NAMESPACE, "\x1f".join(parts)))


def oscal_time(moment: datetime) -> str:
    """An OSCAL date-time-with-timezone, in UTC (``+00:00``, as OSCAL tools write it back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def one_line(text: str) -> str:
    """Text on one line, as OSCAL titles and property values must be."""
    return " ".join(text.split()) or "-"


def prop(name: str, value: str) -> dict[str, str]:
    """An mldossier property (namespaced, value on one line)."""
    return {"name": name, "ns": NAMESPACE, "value": one_line(value)}


def evidence_href(citation: Citation | SourceFile, prefix: str = "") -> str:
    """The cited file as a URI reference; a JSON Pointer becomes the fragment (RFC 6901 §6).

    ``prefix`` is a relative path (``../evidence/``) or an absolute base URI
    (``https://ci.example/artifacts/evidence/``, ``file:///srv/evidence/``) put before the
    file's path in the evidence folder; the path is percent-encoded, the base is kept as given.
    """
    path = citation.file if isinstance(citation, Citation) else citation.path
    if urlsplit(prefix).scheme:
        href = prefix + quote(path, safe="/")
    else:
        href = quote(prefix + path, safe="/")
    if isinstance(citation, Citation) and citation.pointer:
        href += "#" + quote(citation.pointer, safe="/~!$&'()*+,;=:@")
    return href


def to_oscal(
    results: Results, evidence_prefix: str = "", owner_tag: str = "owner"
) -> dict[str, Any]:
    """The results as an OSCAL assessment-results document (``{"assessment-results": ...}``).

    ``evidence_prefix`` is put before every evidence path (relative to the evidence folder):
    a relative path, so links resolve from wherever the document is written (``""`` leaves
    them relative to the evidence folder), or an absolute base URI, so they resolve wherever
    the document is imported. ``owner_tag`` names the registered-model tag that holds a
    system's owner (the tasks' owner).
    """
    run = "|".join(
        [
            results.manifest_sha256,
            oscal_time(results.as_of),
            *(f"{c.id}:{c.sha256}" for c in results.catalogs),
        ]
    )
    tool_uuid = content_uuid("component", "mldossier", __version__)
    result = _result(results, run, tool_uuid, evidence_prefix, owner_tag)
    when = oscal_time(results.as_of)
    back_matter = {
        "resources": [
            _plan_resource(results.catalogs, run),
            *(_catalog_resource(c) for c in results.catalogs),
            *(_file_resource(f, evidence_prefix) for f in results.evidence.files),
        ]
    }
    body: dict[str, Any] = {
        "metadata": {
            "title": "mldossier assessment results",
            "last-modified": when,
            "version": f"{when[:10]}+{results.manifest_sha256[:12]}",
            "oscal-version": OSCAL_VERSION,
            "props": [prop("tool", f"mldossier {__version__}")],
        },
        "import-ap": {
            "href": f"#{back_matter['resources'][0]['uuid']}",
            "remarks": (
                "mldossier has no OSCAL assessment plan: the plan is the control "
                "catalogs in back-matter, decided by mldossier's check library."
            ),
        },
        "results": [result],
        "back-matter": back_matter,
    }
    # The document id is a digest of everything else: new content, new id.
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"assessment-results": {"uuid": content_uuid("assessment-results", digest), **body}}


def _result(
    results: Results, run: str, tool_uuid: str, evidence_prefix: str, owner_tag: str
) -> dict[str, Any]:
    """The one OSCAL result: subjects, tasks, observations, findings, exclusions, counts."""
    files = {f.path: f for f in results.evidence.files}
    subjects = sorted(
        {
            (v.subject, v.subject_kind, v.system)
            for v in results.verdicts
            if v.subject_kind in ("system", "version")
        }
    )
    subject_uuids = {name: content_uuid("subject", name) for name, _, _ in subjects}
    excluded = _excluded_controls(results.verdicts)
    owners = request_owners(results, owner_tag)

    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    decided: list[Verdict] = []
    tasks: list[dict[str, Any]] = []
    by_verdict: dict[str, dict[str, Any]] = {}
    for verdict in results.verdicts:
        if (verdict.control.catalog, verdict.control.id) in excluded:
            continue
        concluded = verdict.status in OBJECTIVE_STATUS
        observation = _observation(
            verdict,
            run,
            tool_uuid,
            subject_uuids,
            files,
            evidence_prefix,
            results.as_of,
            always=not concluded,
        )
        if observation is not None:
            observations.append(observation)
            by_verdict[verdict.key] = observation
        if concluded:
            findings.append(_finding(verdict, observation, tool_uuid))
            decided.append(verdict)
        elif verdict.status in TASK_STATUSES and observation is not None:
            tasks.append(_task(verdict, observation, subject_uuids, owners))
    risks, risks_of = _risks(root_causes(results), by_verdict)
    for verdict, finding in zip(decided, findings, strict=True):
        if verdict.key in risks_of:
            finding["related-risks"] = [{"risk-uuid": u} for u in risks_of[verdict.key]]

    when = oscal_time(results.as_of)
    result = {
        "uuid": content_uuid("result", run),
        "title": "mldossier evaluation of "
        + ", ".join(dict.fromkeys(c.framework for c in results.catalogs)),
        "description": (
            f"Every control of {len(results.catalogs)} catalog(s) evaluated by mldossier "
            f"{__version__} on the evidence with manifest SHA-256 {results.manifest_sha256}, "
            f"as of {when} ({results.as_of_source})."
        ),
        "start": when,
        "end": when,
        "props": [
            prop("as-of-source", results.as_of_source),
            prop("evidence-manifest-sha256", results.manifest_sha256),
            *(prop(f"count-{status}", str(n)) for status, n in results.counts().items()),
        ],
        "local-definitions": _local_definitions(tool_uuid, subjects, subject_uuids, tasks),
        "reviewed-controls": {
            "description": "Every control of the catalogs listed in back-matter; a control "
            "not applicable to any subject is excluded, with the reason.",
            "control-selections": [_selection(c, excluded) for c in results.catalogs],
        },
        **({"observations": observations} if observations else {}),
        **({"risks": risks} if risks else {}),
        **({"findings": findings} if findings else {}),
    }
    return result


def _excluded_controls(verdicts: Iterable[Verdict]) -> dict[tuple[str, str], list[Verdict]]:
    """Controls not applicable to every subject they were evaluated on, by (catalog, id)."""
    by_control: dict[tuple[str, str], list[Verdict]] = {}
    for v in verdicts:
        by_control.setdefault((v.control.catalog, v.control.id), []).append(v)
    return {
        key: vs
        for key, vs in by_control.items()
        if all(v.status == Status.NOT_APPLICABLE for v in vs)
    }


def _task(
    verdict: Verdict,
    observation: dict[str, Any],
    subject_uuids: dict[str, str],
    owners: dict[str, str],
) -> dict[str, Any]:
    """What someone must do for a verdict on the request list: provide evidence, or judge."""
    request = request_id(verdict)
    needed = verdict.fix or f"evidence for: {verdict.control.requirement}"
    doing = (
        "Assess (an assessor's judgement)"
        if verdict.status == Status.NOT_ASSESSED
        else "Provide the evidence"
    )
    task: dict[str, Any] = {
        "uuid": content_uuid("task", verdict.control.catalog, verdict.control.id, verdict.subject),
        "type": "action",
        "title": one_line(f"{request}: {doing} for {verdict.control.id} on {verdict.subject}"),
        "description": needed,
        "props": [
            prop("request-id", request),
            prop("mldossier-status", verdict.status),
            prop("owner", owners.get(verdict.system, "not recorded")),
        ],
        "links": [{"href": f"#{observation['uuid']}", "rel": "related"}],
    }
    if verdict.subject in subject_uuids:
        task["subjects"] = [
            {
                "type": "inventory-item",
                "include-subjects": [
                    {"subject-uuid": subject_uuids[verdict.subject], "type": "inventory-item"}
                ],
            }
        ]
    return task


def _risks(
    causes: Iterable[RootCause], observations: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """One open risk per root cause of the gated findings (exceptions, nonconformities,
    errors), and the risks of each verdict by its key (for the findings' ``related-risks``).

    A root cause is what an assessor would raise as one risk: the same missing link or stale
    report behind several findings. Observations and missing evidence are not risks yet.
    """
    risks: list[dict[str, Any]] = []
    risks_of: dict[str, list[str]] = {}
    for cause in causes:
        if cause.status not in DEFAULT_GATE:
            continue
        risk_uuid = content_uuid("risk", cause.cause)
        controls = ", ".join(cause.controls)
        related = [observations[v.key]["uuid"] for v in cause.verdicts if v.key in observations]
        risk: dict[str, Any] = {
            "uuid": risk_uuid,
            "title": one_line(cause.summary),
            "description": (
                f"One root cause behind {len(cause.verdicts)} finding(s) on "
                f"{', '.join(cause.subjects)}, in {', '.join(cause.frameworks)}: {controls}."
            ),
            "statement": cause.summary,
            "props": [
                prop("mldossier-cause", cause.cause),
                prop("mldossier-status", cause.status),
            ],
            "status": "open",
        }
        fixes = list(dict.fromkeys(v.fix for v in cause.verdicts if v.fix))
        if fixes:
            risk["remediations"] = [
                {
                    "uuid": content_uuid("remediation", cause.cause, fix),
                    "lifecycle": "recommendation",
                    "title": "What to do",
                    "description": fix,
                }
                for fix in fixes
            ]
        if related:
            risk["related-observations"] = [{"observation-uuid": u} for u in dict.fromkeys(related)]
        risks.append(risk)
        for v in cause.verdicts:
            risks_of.setdefault(v.key, []).append(risk_uuid)
    return risks, risks_of


def dumps_oscal(document: dict[str, Any]) -> str:
    """The document as stable JSON text (keys in OSCAL order, two-space indent)."""
    return pretty_json(document)


# ------------------------------------------------------------------ parts


def _local_definitions(
    tool_uuid: str,
    subjects: list[tuple[str, str, str]],
    subject_uuids: dict[str, str],
    tasks: list[dict[str, Any]],
) -> dict[str, Any]:
    tool = {
        "uuid": tool_uuid,
        "type": "software",
        "title": f"mldossier {__version__}",
        "description": "The tool that read the evidence and decided every control.",
        "props": [{"name": "version", "value": __version__}],
        "status": {"state": "operational"},
    }
    items = [
        {
            "uuid": subject_uuids[name],
            "description": (
                f"AI system {name} (MLflow registered model)"
                if kind == "system"
                else f"Version {name.rpartition('@')[2]} of AI system {system} "
                "(MLflow model version)"
            ),
            "props": [{"name": "asset-id", "value": name}, prop("subject-kind", kind)],
        }
        for name, kind, system in subjects
    ]
    return {
        "components": [tool],
        **({"inventory-items": items} if items else {}),
        **({"tasks": tasks} if tasks else {}),
    }


def _selection(catalog: Catalog, excluded: dict[tuple[str, str], list[Verdict]]) -> dict[str, Any]:
    """The catalog's controls, those not applicable to any subject excluded with the reason."""
    out = [c for c in catalog.controls if (catalog.id, c.id) in excluded]
    selection: dict[str, Any] = {
        "description": one_line(
            f"{catalog.title} (catalog {catalog.id} version {catalog.version})"
        ),
        "props": [prop("catalog", catalog.id)],
    }
    included = [
        {"control-id": c.id} for c in catalog.controls if (catalog.id, c.id) not in excluded
    ]
    if included:
        selection["include-controls"] = included
    if out:
        selection["exclude-controls"] = [{"control-id": c.id} for c in out]
        selection["remarks"] = "\n".join(
            f"{c.id} ({c.reference}) is not applicable: "
            + _why_excluded(excluded[(catalog.id, c.id)])
            for c in out
        )
    return selection


def _why_excluded(verdicts: list[Verdict]) -> str:
    """The recorded reasons a control is not applicable, with the subjects each covers."""
    reasons: dict[str, list[str]] = {}
    for v in verdicts:
        reasons.setdefault("; ".join(v.reasons) or "no reason recorded", []).append(v.subject)
    return " / ".join(f"{why} [{', '.join(subjects)}]" for why, subjects in reasons.items())


def _observation(
    verdict: Verdict,
    run: str,
    tool_uuid: str,
    subject_uuids: dict[str, str],
    files: dict[str, SourceFile],
    prefix: str,
    as_of: datetime,
    always: bool = False,
) -> dict[str, Any] | None:
    """What was looked at for one verdict; None when nothing was (organisation-wide) and
    the verdict is a finding (``always``: a verdict that is not a finding is always one)."""
    if not verdict.citations and not verdict.checks and not always:
        return None
    methods = ["TEST"] if any(not c.check.startswith("signoff:") for c in verdict.checks) else []
    if verdict.control.signoff or any(c.check.startswith("signoff:") for c in verdict.checks):
        methods.append("EXAMINE")
    observation: dict[str, Any] = {
        "uuid": content_uuid("observation", run, verdict.key),
        "title": one_line(f"{verdict.control.id} on {verdict.subject}"),
        "description": "\n".join(verdict.reasons) or verdict.status,
        "props": [
            prop("status", verdict.status),
            prop("control", verdict.control.id),
            prop("subject", verdict.subject),
            *(prop("check", f"{c.check}: {c.status}") for c in verdict.checks),
            *([prop("status-if-applicable", verdict.readiness)] if verdict.readiness else []),
        ],
        "methods": methods or ["TEST"],
        "types": ["control-objective"],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": tool_uuid}]}],
    }
    if verdict.subject in subject_uuids:
        observation["subjects"] = [
            {
                "subject-uuid": subject_uuids[verdict.subject],
                "type": "inventory-item",
                "title": verdict.subject,
            }
        ]
    if verdict.citations:
        observation["relevant-evidence"] = [_evidence(c, files, prefix) for c in verdict.citations]
    observation["collected"] = oscal_time(as_of)
    return observation


def _evidence(citation: Citation, files: dict[str, SourceFile], prefix: str) -> dict[str, Any]:
    props = [prop("sha256", citation.sha256)]
    if citation.pointer:
        props.append(prop("json-pointer", citation.pointer))
    if citation.line is not None:
        props.append(prop("line", str(citation.line)))
    entry: dict[str, Any] = {
        "href": evidence_href(citation, prefix),
        "description": str(citation),
        "props": props,
    }
    if citation.file in files:
        entry["links"] = [{"href": f"#{_file_uuid(files[citation.file])}", "rel": "reference"}]
    return entry


def _finding(
    verdict: Verdict, observation: dict[str, Any] | None, tool_uuid: str
) -> dict[str, Any]:
    control = verdict.control
    target: dict[str, Any] = {
        "type": "objective-id",
        "target-id": control.id,
        "title": one_line(f"{control.reference} {control.title}"),
    }
    state, reason = OBJECTIVE_STATUS[verdict.status]
    target["status"] = {"state": state, "reason": reason}
    remarks = _remarks(verdict)
    if remarks:
        target["remarks"] = remarks
    finding: dict[str, Any] = {
        # Per control and subject, so the same finding keeps its id across assessments.
        "uuid": content_uuid("finding", control.catalog, control.id, verdict.subject),
        "title": one_line(f"{control.id} {control.title} [{verdict.subject}]: {verdict.status}"),
        "description": "\n".join(verdict.reasons) or verdict.status,
        "props": [
            prop("mldossier-status", verdict.status),
            prop("framework", control.framework),
            prop("catalog", control.catalog),
            prop("reference", control.reference),
            prop("severity", control.severity),
            prop("subject", verdict.subject),
        ],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": tool_uuid}]}],
        "target": target,
    }
    if observation is not None:
        finding["related-observations"] = [{"observation-uuid": observation["uuid"]}]
    if verdict.fix:
        finding["remarks"] = f"To fix: {verdict.fix}"
    return finding


def _remarks(verdict: Verdict) -> str:
    lines = [f"mldossier status: {verdict.status}"]
    if verdict.waiver is not None:
        w = verdict.waiver
        lines.append(
            f"Waiver {w.id}: approved by {w.approver}, owner {w.owner}, until "
            f"{w.expires.isoformat()}: {w.justification} (compensating control: "
            f"{w.compensating_control})"
        )
    return "\n".join(lines)


def _plan_resource(catalogs: Iterable[Catalog], run: str) -> dict[str, Any]:
    catalogs = list(catalogs)
    return {
        "uuid": content_uuid("plan", run),
        "title": "Assessment plan: the mldossier control catalogs",
        "description": "Controls and the checks that decide them: "
        + ", ".join(f"{c.id} {c.version} ({c.path}, SHA-256 {c.sha256})" for c in catalogs),
    }


def _catalog_resource(catalog: Catalog) -> dict[str, Any]:
    return {
        "uuid": content_uuid("catalog", catalog.id, catalog.sha256),
        "title": one_line(f"Control catalog {catalog.title}"),
        "props": [prop("catalog", catalog.id), prop("catalog-version", catalog.version)],
        "rlinks": [
            {
                "href": quote(catalog.path, safe="/"),
                "media-type": "application/yaml",
                "hashes": [{"algorithm": "SHA-256", "value": catalog.sha256}],
            }
        ],
    }


def _file_uuid(source: SourceFile) -> str:
    return content_uuid("evidence", source.path, source.sha256)


def _file_resource(source: SourceFile, prefix: str) -> dict[str, Any]:
    return {
        "uuid": _file_uuid(source),
        "title": one_line(f"Evidence file {source.path}"),
        "props": [
            prop("evidence-kind", source.kind),
            prop("size", str(source.size)),
            *([prop("importer", source.importer)] if source.importer else []),
        ],
        "rlinks": [
            {
                "href": evidence_href(source, prefix),
                "hashes": [{"algorithm": "SHA-256", "value": source.sha256}],
            }
        ],
    }
