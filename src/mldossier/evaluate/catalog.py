"""Control catalogs: YAML files that map regulation references to checks, read into typed records.

A catalog is data, not code: each control names its reference, scope, the checks that
decide it (from the documented check library, with parameters), severity, maximum evidence
age and the human sign-off it needs. ``docs/catalog-format.md`` explains the format.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date as date_type
from pathlib import Path
from typing import Any

from mldossier.config import DEFAULT_CATALOGS, bundled_catalogs
from mldossier.errors import InputError, Problem, pointer
from mldossier.formats import MIB, InputProblem
from mldossier.formats.schema import schema_problems
from mldossier.formats.yaml import parse_yaml_text


@dataclass(frozen=True)
class CheckRef:
    """One check a control runs, with its parameters."""

    check: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """Which subjects a control applies to."""

    subject: str
    """``system`` or ``version``."""
    risk: tuple[str, ...] = ()
    """``eu_ai_act_category`` values it applies to; empty means every system."""
    annex_iii: tuple[str, ...] = ()
    """Annex III points it is limited to; empty means no such limit."""
    stage: str = "any"
    """For versions: ``production`` (production versions only) or ``any``."""
    roles: tuple[str, ...] = ()
    """The operator roles the obligation falls on; empty means any role."""
    flags: tuple[str, ...] = ()
    """Flags that must all hold for the system or the organisation."""
    not_flags: tuple[str, ...] = ()
    """Flags none of which may hold."""
    category: str = ""
    """SOC 2 trust services category, where the catalog gives one."""
    boundary: bool = False
    """SOC 2: only systems inside the system boundary."""


@dataclass(frozen=True)
class Applicability:
    """From when a control's obligation applies, and on what basis."""

    date: date_type
    """The date the catalog evaluates with (the practical reading where there are two)."""
    provision: str = ""
    annex_i_date: date_type | None = None
    literal_date: date_type | None = None
    original_date: date_type | None = None
    date_status: str = "settled"
    """``settled`` or ``reading``."""
    note: str = ""
    legacy_rule: str = ""
    legacy_public_authorities: date_type | None = None
    entry: str = ""
    """The ``application_dates`` id it came from, or empty for a date given inline."""


@dataclass(frozen=True)
class Control:
    """One control of a catalog."""

    id: str
    catalog: str
    framework: str
    title: str
    reference: str
    requirement: str
    scope: Scope
    checks: tuple[CheckRef, ...]
    signoff: str | None
    severity: str
    max_evidence_age_days: int | None
    mode: str
    """``automated``, ``manual`` or ``out_of_scope``."""
    rationale: str
    crosswalk: tuple[str, ...]
    pointer: str
    """Where the control stands in its catalog file."""
    applicability: Applicability | None = None
    """From when it applies; None: as long as the catalog does."""
    policy: str = ""
    """A house rule the control adds, shown as such."""
    formal: bool = False
    """A formal requirement: missing evidence is a formal nonconformity."""
    test_procedure: tuple[str, ...] = ()
    frequency: str = ""


@dataclass(frozen=True)
class Catalog:
    """A loaded catalog with its metadata and content hash."""

    id: str
    title: str
    framework: str
    regulation: str
    version: str
    source: str
    application_dates: tuple[dict[str, Any], ...]
    controls: tuple[Control, ...]
    path: str
    sha256: str
    legal_text: str = ""
    legal_text_version: str = ""
    regulatory_status: tuple[dict[str, Any], ...] = ()


def default_catalog_paths() -> list[Path]:
    """The bundled EU AI Act and SOC 2 catalogs."""
    bundled = bundled_catalogs()
    return [bundled[name] for name in DEFAULT_CATALOGS]


def load_catalog(path: Path, known_checks: dict[str, str] | None = None) -> Catalog:
    """Read and validate one catalog file; raises InputError listing every problem.

    ``known_checks`` maps each library check to the subject it looks at (``system``,
    ``version`` or ``any``); unknown checks and checks on the wrong subject are problems.
    """
    name = path.name
    raw = _read_catalog(path)
    data = _parse_catalog(raw, name)
    if not isinstance(data, dict) or not isinstance(data.get("catalog"), dict):
        raise InputError([not_a_catalog(name)])
    problems = schema_problems("catalog", data, name)
    if problems:
        raise InputError(problems)
    meta = data["catalog"]
    controls = []
    dates = {e["id"]: e for e in meta.get("application_dates", ()) if "id" in e}
    for i, item in enumerate(data.get("controls", [])):
        where = pointer("controls", i)
        problems += _control_problems(item, where, name, known_checks)
        when = item.get("applies_from")
        if when is not None and when not in dates and _iso_date(when) is None:
            problems.append(
                Problem(
                    name,
                    where + "/applies_from",
                    f"applies_from {when!r} is neither a date nor an application_dates id",
                    "use one of: "
                    + (", ".join(sorted(dates)) or "(none defined)")
                    + ", or a date YYYY-MM-DD",
                )
            )
            when = None
        controls.append(_control(item, meta, where, _applicability(when, dates, item)))
    problems += _duplicate_ids(controls, name)
    if problems:
        raise InputError(problems)
    return Catalog(
        id=meta["id"],
        title=meta["title"],
        framework=meta["framework"],
        regulation=meta.get("regulation", ""),
        version=str(meta["version"]),
        source=meta.get("source", ""),
        application_dates=tuple(meta.get("application_dates", ())),
        controls=tuple(controls),
        path=name,
        sha256=hashlib.sha256(raw).hexdigest(),
        legal_text=meta.get("legal_text", ""),
        legal_text_version=meta.get("legal_text_version", ""),
        regulatory_status=tuple(meta.get("regulatory_status", ())),
    )


def _iso_date(text: Any) -> date_type | None:
    try:
        return date_type.fromisoformat(str(text))
    except ValueError:
        return None


def _applicability(
    when: str | None, dates: dict[str, dict[str, Any]], item: dict[str, Any]
) -> Applicability | None:
    """A control's ``applies_from``, resolved against the catalog's application dates."""
    if when is None:
        return None
    entry = dates.get(when)
    if entry is None:
        day = _iso_date(when)
        assert day is not None  # checked by the caller
        return Applicability(day, note=" ".join(str(item.get("date_note", "")).split()))
    note = " ".join(str(item.get("date_note") or entry.get("note", "")).split())
    return Applicability(
        date=date_type.fromisoformat(entry["date"]),
        provision=entry.get("provision", ""),
        annex_i_date=_iso_date(entry["annex_i_date"]) if "annex_i_date" in entry else None,
        literal_date=_iso_date(entry["literal_date"]) if "literal_date" in entry else None,
        original_date=_iso_date(entry["original_date"]) if "original_date" in entry else None,
        date_status=entry.get("date_status", "settled"),
        note=note,
        legacy_rule=entry.get("legacy_rule", ""),
        legacy_public_authorities=(
            _iso_date(entry["legacy_public_authorities"])
            if "legacy_public_authorities" in entry
            else None
        ),
        entry=when,
    )


CATALOG_PATH_FIX = "check the path given with --controls or in catalogs:"
# A catalog names itself at the top: without this line the file is not shown in messages.
_CATALOG_START = re.compile(rb"^catalog:", re.MULTILINE)


def not_a_catalog(name: str) -> Problem:
    """The problem of a file that is not a catalog: named, but nothing of it quoted.

    A wrong path may point at a secrets file; its keys and values must not reach a CI log.
    """
    return Problem(
        name,
        "",
        "not a control catalog: it has no top-level catalog: section (its content is not shown)",
        CATALOG_PATH_FIX,
    )


def _read_catalog(path: Path) -> bytes:
    """The catalog file's bytes: it must exist and be of a catalog's size."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            [Problem(str(path), "", "catalog file not found", CATALOG_PATH_FIX)]
        ) from None
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    "",
                    f"cannot read the catalog file: {exc.strerror or type(exc).__name__}",
                    CATALOG_PATH_FIX,
                )
            ]
        ) from None
    if len(raw) > 16 * MIB:
        raise InputError(
            [
                Problem(
                    path.name,
                    "",
                    "catalog file is over 16 MiB",
                    "a catalog this large is not a catalog; check the path",
                )
            ]
        )
    return raw


def _parse_catalog(raw: bytes, name: str) -> Any:
    """The catalog's YAML data (not yet checked against the schema)."""
    try:
        return parse_yaml_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        if not _CATALOG_START.search(raw):
            raise InputError([not_a_catalog(name)]) from None
        raise InputError(
            [Problem(name, "", "catalog is not UTF-8 text", "save it as UTF-8")]
        ) from None
    except InputProblem as exc:
        # A YAML message may quote a key or a tag: only a catalog's own text is quoted.
        if not _CATALOG_START.search(raw):
            raise InputError([not_a_catalog(name)]) from None
        raise InputError([Problem(name, exc.pointer, exc.message, exc.fix)]) from None


def _control_problems(
    item: dict[str, Any], where: str, name: str, known_checks: dict[str, str] | None
) -> list[Problem]:
    """What the schema cannot see in one control: its checks, its stage, its sign-off."""
    problems: list[Problem] = []
    scope = item.get("applies_to", {})
    subject = scope.get("subject", "system")
    for j, ref in enumerate(item.get("checks", []) or []):
        at = where + pointer("checks", j, "check")
        if known_checks is not None:
            problems += _check_problems(ref["check"], subject, at, name, known_checks)
    if subject == "system" and "stage" in scope:
        problems.append(
            Problem(
                name,
                where + "/applies_to/stage",
                "stage is given for a system-level control",
                "remove it, or make the control apply to versions",
            )
        )
    if item.get("mode") in ("out_of_scope", "outside_tool_coverage") and item.get("signoff"):
        problems.append(
            Problem(
                name,
                where + "/signoff",
                "an out-of-scope control cannot require a sign-off",
                "remove the sign-off or make the control manual",
            )
        )
    return problems


def _check_problems(
    check: str, subject: str, at: str, name: str, known_checks: dict[str, str]
) -> list[Problem]:
    """A control's check must be in the library and look at the control's subject."""
    if check not in known_checks:
        return [
            Problem(
                name,
                at,
                f"unknown check {check!r}",
                "use a check from the library: " + ", ".join(sorted(known_checks)),
            )
        ]
    if known_checks[check] not in ("any", subject):
        return [
            Problem(
                name,
                at,
                f"check {check!r} looks at a {known_checks[check]}"
                f", but the control applies to a {subject}",
                f"set applies_to.subject to {known_checks[check]} or pick another check",
            )
        ]
    return []


def _control(
    item: dict[str, Any],
    meta: dict[str, Any],
    where: str,
    applicability: Applicability | None = None,
) -> Control:
    """One control of a valid catalog as a record, with the defaults the format documents."""
    scope = item.get("applies_to", {})
    roles = tuple(scope.get("roles", ())) or ((scope["role"],) if "role" in scope else ())
    return Control(
        id=item["id"],
        catalog=meta["id"],
        framework=item.get("framework", meta["framework"]),
        title=item["title"],
        reference=item["reference"],
        requirement=" ".join(str(item.get("requirement", "")).split()),
        scope=Scope(
            subject=scope.get("subject", "system"),
            risk=tuple(scope.get("risk", ())),
            annex_iii=tuple(scope.get("annex_iii", ())),
            stage=scope.get("stage", "any"),
            roles=roles,
            flags=tuple(scope.get("flags", ())),
            not_flags=tuple(scope.get("not_flags", ())),
            category=scope.get("category", ""),
            boundary=bool(scope.get("boundary", False)),
        ),
        checks=tuple(
            CheckRef(c["check"], dict(c.get("params") or {})) for c in item.get("checks", []) or []
        ),
        signoff=item.get("signoff"),
        severity=item.get("severity", "medium"),
        max_evidence_age_days=item.get("max_evidence_age_days"),
        mode=item.get("mode", "automated"),
        rationale=" ".join(str(item.get("rationale", "")).split()),
        crosswalk=tuple(item.get("crosswalk", ())),
        pointer=where,
        applicability=applicability,
        policy=" ".join(str(item.get("policy", "")).split()),
        formal=bool(item.get("formal", False)),
        test_procedure=tuple(item.get("test_procedure", ())),
        frequency=item.get("frequency", ""),
    )


def _duplicate_ids(controls: list[Control], name: str) -> list[Problem]:
    """A problem for every control whose id an earlier control of the catalog has."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for control in controls:
        if control.id in seen:
            problems.append(
                Problem(
                    name,
                    control.pointer + "/id",
                    f"control id {control.id!r} appears twice",
                    f"ids must be unique; the first is at {seen[control.id]}",
                )
            )
        seen.setdefault(control.id, control.pointer)
    return problems


def load_catalogs(paths: list[Path], known_checks: dict[str, str] | None = None) -> list[Catalog]:
    """Load several catalogs, reporting every problem across all of them; ids must be unique."""
    catalogs: list[Catalog] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            catalogs.append(load_catalog(path, known_checks))
        except InputError as exc:
            problems.extend(exc.problems)
    owners: dict[str, str] = {}
    for catalog in catalogs:
        if catalog.id in {c.id for c in catalogs[: catalogs.index(catalog)]}:
            problems.append(
                Problem(
                    catalog.path,
                    "/catalog/id",
                    f"catalog id {catalog.id!r} is used by another catalog",
                    "give each catalog its own id",
                )
            )
        for control in catalog.controls:
            if control.id in owners and owners[control.id] != catalog.path:
                problems.append(
                    Problem(
                        catalog.path,
                        control.pointer + "/id",
                        f"control id {control.id!r} is also in {owners[control.id]}",
                        "control ids must be unique across catalogs",
                    )
                )
            owners.setdefault(control.id, catalog.path)
    if problems:
        raise InputError(problems)
    return catalogs
