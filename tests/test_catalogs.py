"""The bundled control catalogs: schema, ids, crosswalks, coverage, and references that exist.

References are checked against the project's reference list (``regulation.md``), parsed
into sets of valid article, annex-point and criterion ids, so a catalog cannot cite an id
that the reference does not list.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import REGULATION
from jsonschema import Draft202012Validator

from mldossier.config import load_config
from mldossier.evaluate.checks import library
from mldossier.formats.schema import load_schema, schema_problems
from mldossier.formats.yaml import parse_yaml_text
from mldossier.pipeline import analyse

REPO = Path(__file__).resolve().parents[1]
CATALOG_FILES = {
    "eu-ai-act": REPO / "controls" / "eu-ai-act.yaml",
    "soc2": REPO / "controls" / "soc2.yaml",
}
FORMAT_DOC = REPO / "docs" / "catalog-format.md"

# The check library, by name, with the subject each check is evaluated for ("either" =
# system or version), taken from the registry so catalogs and code cannot drift apart.
CHECK_LIBRARY = {
    name: ("either" if spec.subject == "any" else spec.subject) for name, spec in library().items()
}

DASH = "\u2013"  # the en dash regulation.md writes in ranges such as "(a)–(h)"


# ---------------------------------------------------------------- reading regulation.md


@dataclass
class ValidReferences:
    """Everything regulation.md lists as existing, in the forms catalogs cite."""

    articles: set[str] = field(default_factory=set)
    """EU AI Act article numbers named in the reference, as ``9`` or ``4a``."""
    deleted: set[str] = field(default_factory=set)
    """Paragraphs the amendment deleted (``10(5)``): cited only as "ex Art. 10(5)"."""
    article_count: int = 0
    """How many articles the Regulation has, as the reference states it."""
    article_points: set[str] = field(default_factory=set)
    """Paragraphs and points below article level, as ``10(2)(b)``, ``26(5)``, ``16(a)``."""
    annex_iv: set[str] = field(default_factory=set)
    """Annex IV points and sub-points, as ``2``, ``2(d)``."""
    annex_iii: set[str] = field(default_factory=set)
    """Annex III points and sub-points, as ``5``, ``5(b)``."""
    soc2: set[str] = field(default_factory=set)
    """The SOC 2 criteria ids from section E."""
    soc2_tables: set[str] = field(default_factory=set)
    """The SOC 2 criteria ids from the tables of section B (a cross-check of section E)."""
    annex_iv_headings: set[str] = field(default_factory=set)
    """The numbered points of section A.4 (a cross-check of section E)."""


def _letters(first: str, last: str) -> list[str]:
    return [chr(c) for c in range(ord(first), ord(last) + 1)]


def _section(text: str, heading: str) -> str:
    """The text from a heading line to the next heading of the same or higher level."""
    start = text.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    rest = text[start + len(heading) :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _compact_line(text: str, label: str) -> str:
    """The body of one bullet of section E, after its label."""
    section_e = _section(text, "## E. Compact ID lists")
    match = re.search(rf"^- {re.escape(label)}:?\s*(.+)$", section_e, re.M)
    assert match, f"regulation.md section E has no line for {label!r}"
    return match.group(1).strip().rstrip(".")


def _annex_points(body: str) -> set[str]:
    """``1(a)–(c); 2; 3(a)–(d)`` as ``{"1", "1(a)", "1(b)", "1(c)", "2", "3", ...}``."""
    points: set[str] = set()
    for item in (part.strip() for part in body.split(";")):
        match = re.fullmatch(rf"(\d+)(?:\(([a-z])\){DASH}\(([a-z])\))?", item)
        assert match, f"unreadable annex point list item {item!r}"
        number, first, last = match.groups()
        points.add(number)
        if first:
            points.update(f"{number}({letter})" for letter in _letters(first, last))
    return points


def _soc2_ids(body: str) -> set[str]:
    """``CC1.1–CC1.5, P1.1`` as the individual criteria ids."""
    ids: set[str] = set()
    for item in (part.strip() for part in body.split(",")):
        match = re.fullmatch(rf"([A-Z]+\d)\.(\d+)(?:{DASH}\1\.(\d+))?", item)
        assert match, f"unreadable SOC 2 list item {item!r}"
        family, first, last = match.group(1), int(match.group(2)), match.group(3)
        for number in range(first, int(last or first) + 1):
            ids.add(f"{family}.{number}")
    return ids


def _split_top(body: str, seps: str = ",;") -> list[str]:
    """Split at separators outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch in seps and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [x for x in (*parts, cur.strip()) if x]


def _point_range(first: str, last: str) -> list[str]:
    """``a``..``h``, ``1``..``12`` or ``1a``..``1c``."""
    if first.isdigit() and last.isdigit():
        return [str(n) for n in range(int(first), int(last) + 1)]
    stem = first.rstrip("abcdefghijklmnopqrstuvwxyz")
    return [stem + x for x in _letters(first[len(stem) :], last[len(stem) :])]


GROUP = r"\(([0-9a-z]+)\)"


def _points(token: str, article: str, prefix: str, refs: ValidReferences) -> str:
    """One listed point (``5(1)(a)``, ``(b)``, ``(c)–(h)``, ``6(1a)–(1c)``); the prefix the
    next relative point hangs from."""
    token = token.replace("**", "").strip()
    if "deleted" in token:
        refs.deleted.add(re.match(r"[0-9a-z()]+", token).group(0))  # type: ignore[union-attr]
        return prefix
    token = re.sub(r"\s+(?:and .*|second subparagraphs?)$", "", token)
    if token.startswith("("):
        token = prefix + token
    match = re.fullmatch(rf"(\d+[a-z]?)((?:{GROUP})*){GROUP}(?:{DASH}{GROUP})?", token)
    assert match, f"unreadable point {token!r} under article {article}"
    number, middle = match.group(1), match.group(2)
    first, last = match.group(4), match.group(5)
    for x in _point_range(first, last) if last else [first]:
        refs.article_points.add(f"{number}{middle}({x})")
    return f"{number}{middle}"


def _article_list(body: str, refs: ValidReferences) -> None:
    """Section E's article list: ``4, 4a, 5 (5(1)(a), (b), (c)–(h); 5(1a)), 16 ((a)–(l)), 74(6)``."""
    for item in _split_top(body, ","):
        match = re.fullmatch(r"(\d+[a-z]?)(\(.*\)|(?: \((.*)\))?)", item)
        assert match, f"unreadable article list item {item!r}"
        article, tail, inner = match.group(1), match.group(2), match.group(3)
        refs.articles.add(article)
        if inner is None and tail:  # "74(6)"
            _points(article + tail, article, article, refs)
            continue
        prefix = article
        for token in _split_top(inner or "", ",;"):
            prefix = _points(token, article, prefix, refs)


def _article_table(text: str, refs: ValidReferences) -> None:
    """Section A.1: one row per article; paragraph numbers as the paraphrase gives them."""
    table = _section(text, "### A.1 Article-by-article")
    rows = re.findall(
        r"^\| (\d+[a-z]?)(?:\(\d+\))? \| \*\*[^*]+\*\* \| [^|]+ \| ([^|]+) \|", table, re.M
    )
    for number, paraphrase in rows:
        refs.articles.add(number)
        for first, last in re.findall(rf"[Pp]aras (\d+){DASH}(\d+)", paraphrase):
            refs.article_points.update(f"{number}({p})" for p in range(int(first), int(last) + 1))
        for para in re.findall(r"[Pp]ara (\d+)\b", paraphrase):
            refs.article_points.add(f"{number}({para})")
        # "(5)" standing alone marks a paragraph (Art 26's list); "3(49)" is another citation.
        for para in re.findall(r"(?<![\w)])\((\d+)\)", paraphrase):
            refs.article_points.add(f"{number}({para})")


def _article_mentions(text: str, refs: ValidReferences) -> None:
    """``Art 26(5)``, ``Art 113``, ``Arts 8–15`` anywhere (citations of other acts excluded)."""
    for number, parts in re.findall(r"\bArt\.? (\d+)((?:\([0-9a-z]+\))*)(?! Directive)", text):
        refs.articles.add(number)
        if parts:
            refs.article_points.add(number + parts)
    for first, last in re.findall(rf"\bArts (\d+){DASH}(\d+)", text):
        refs.articles.update(str(n) for n in range(int(first), int(last) + 1))
    for number in re.findall(r"^- \*\*Art (\d+) \u2014", text, re.M):
        refs.articles.add(number)


@cache
def valid_references(text: str) -> ValidReferences:
    """Parse regulation.md into the sets of references that exist."""
    refs = ValidReferences()
    count = re.search(r"(\d+) numbered articles", text)
    assert count, "regulation.md does not state the number of articles"
    refs.article_count = int(count.group(1))
    _article_list(_compact_line(text, "EU AI Act articles in section A (as amended)"), refs)
    _article_table(text, refs)
    _article_mentions(text, refs)
    # Where a point is listed, the paragraph above it exists too: 10(5)(a) -> 10(5).
    for point in list(refs.article_points):
        cuts = [m.start() for m in re.finditer(r"\(", point)]
        refs.article_points.update(point[:cut] for cut in cuts[1:])
    refs.article_points -= refs.deleted
    refs.annex_iv = _annex_points(_compact_line(text, "Annex IV"))
    refs.annex_iii = _annex_points(_compact_line(text, "Annex III"))
    refs.soc2 = _soc2_ids(_compact_line(text, "SOC 2 (61)"))
    section_b = _section(text, "## B. SOC 2")
    refs.soc2_tables = set(re.findall(r"^\| ((?:CC|A|C|PI|P)\d\.\d) \|", section_b, re.M))
    annex_iv_section = _section(text, "### A.4 Annex IV")
    refs.annex_iv_headings = set(re.findall(r"^(\d)\. \*\*", annex_iv_section, re.M))
    return refs


def regulation_text() -> str:
    """The reference list, which these tests need to exist."""
    assert REGULATION.is_file(), f"{REGULATION} is missing; the reference tests need it"
    return REGULATION.read_text("utf-8")


ARTICLE_REF = re.compile(r"Art\. (\d+[a-z]?)((?:\([0-9a-z]+\))*)")
ANNEX_IV_REF = re.compile(r"Annex IV (\d+(?:\([a-z]\))?)")
SOC2_REF = re.compile(r"(?:CC|A|C|PI|P)\d\.\d")


def reference_problem(reference: str, refs: ValidReferences) -> str | None:
    """Why ``reference`` is not a valid citation, or None when regulation.md lists it."""
    if match := ARTICLE_REF.fullmatch(reference):
        number, parts = match.group(1), match.group(2)
        if int(re.match(r"\d+", number).group(0)) > refs.article_count:  # type: ignore[union-attr]
            return f"the Regulation has only {refs.article_count} articles"
        if number not in refs.articles:
            return f"article {number} is not in the reference list"
        if f"{number}{parts}" in refs.deleted:
            return f"{number}{parts} is deleted (cite it as 'ex Art. {number}{parts}')"
        if parts and f"{number}{parts}" not in refs.article_points:
            return f"paragraph or point {number}{parts} is not in the reference list"
        return None
    if match := ANNEX_IV_REF.fullmatch(reference):
        if match.group(1) not in refs.annex_iv:
            return f"Annex IV has no point {match.group(1)}"
        return None
    if SOC2_REF.fullmatch(reference):
        return None if reference in refs.soc2 else f"{reference} is not one of the 61 criteria"
    return "not written as 'Art. N(p)(x)', 'Annex IV N(x)' or a SOC 2 criterion id"


# ---------------------------------------------------------------- loading the catalogs


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = parse_yaml_text(CATALOG_FILES[name].read_text("utf-8"))
    return data


def catalog(name: str) -> dict[str, Any]:
    """A bundled catalog, parsed the way mldossier reads YAML (a fresh copy)."""
    return copy.deepcopy(_load(name))


def all_controls() -> list[tuple[str, dict[str, Any]]]:
    """Every control of every bundled catalog, with its catalog id."""
    return [(name, control) for name in CATALOG_FILES for control in catalog(name)["controls"]]


def references(name: str) -> set[str]:
    """The references a catalog's controls implement."""
    return {control["reference"] for control in catalog(name)["controls"]}


OTHER = {"eu-ai-act": "soc2", "soc2": "eu-ai-act"}


# ---------------------------------------------------------------- the reference list itself


def test_reference_list_parses_into_the_known_sets() -> None:
    refs = valid_references(regulation_text())
    assert refs.article_count == 113
    assert len(refs.soc2) == 61
    assert refs.soc2 == refs.soc2_tables
    assert refs.annex_iv_headings == {str(n) for n in range(1, 10)}
    assert {p for p in refs.annex_iv if "(" not in p} == refs.annex_iv_headings
    assert {p for p in refs.annex_iv if p.startswith("2(")} == {f"2({x})" for x in "abcdefgh"}
    assert {f"10(2)({x})" for x in "abcdefgh"} <= refs.article_points
    assert {f"17(1)({x})" for x in "abcdefghijklm"} <= refs.article_points
    assert {f"16({x})" for x in "abcdefghijkl"} <= refs.article_points
    assert {"10(3)", "10(4)", "26(5)", "26(6)", "72(3)", "9(8)", "5(1)(bb)"} <= refs.article_points
    assert {"50(1)", "50(4)", "27(3)", "74(6)", "111(4)", "6(1c)"} <= refs.article_points
    assert refs.deleted == {"10(5)"} and "10(5)" not in refs.article_points
    assert {"4", "4a", "5", "9", "10", "16", "20", "21", "25", "43", "47", "48", "49", "50"} <= (
        refs.articles
    )
    assert {"53", "54", "55", "71", "72", "73", "86"} <= refs.articles
    assert {"5(b)", "5(c)", "2", "8(b)"} <= refs.annex_iii
    assert "2(a)" not in refs.annex_iii


@pytest.mark.parametrize(
    "reference",
    [
        "Art. 9",
        "Art. 9(8)",
        "Art. 10(2)(b)",
        "Art. 4a",
        "Art. 5(1)(ba)",
        "Art. 5(1a)",
        "Art. 6(1b)",
        "Art. 16(l)",
        "Art. 17(1)(m)",
        "Art. 26(11)",
        "Art. 72(3)",
        "Annex IV 2(d)",
        "Annex IV 9",
        "CC8.1",
        "PI1.2",
        "P8.1",
    ],
)
def test_listed_references_are_accepted(reference: str) -> None:
    assert reference_problem(reference, valid_references(regulation_text())) is None


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        ("CC9.9", "CC9.9 is not one of the 61 criteria"),
        ("CC2.4", "CC2.4 is not one of the 61 criteria"),
        ("PI1.6", "PI1.6 is not one of the 61 criteria"),
        ("Art. 200", "the Regulation has only 113 articles"),
        ("Art. 62", "article 62 is not in the reference list"),
        ("Art. 10(5)", "10(5) is deleted (cite it as 'ex Art. 10(5)')"),
        ("Art. 10(2)(i)", "paragraph or point 10(2)(i) is not in the reference list"),
        ("Art. 9(11)", "paragraph or point 9(11) is not in the reference list"),
        ("Art. 4(3)", "paragraph or point 4(3) is not in the reference list"),
        ("Art. 26(13)", "paragraph or point 26(13) is not in the reference list"),
        ("Annex IV 10", "Annex IV has no point 10"),
        ("Annex IV 3(a)", "Annex IV has no point 3(a)"),
        ("Annex IV 2(i)", "Annex IV has no point 2(i)"),
        ("Article 9", "not written as 'Art. N(p)(x)', 'Annex IV N(x)' or a SOC 2 criterion id"),
        ("cc8.1", "not written as 'Art. N(p)(x)', 'Annex IV N(x)' or a SOC 2 criterion id"),
    ],
)
def test_invented_references_are_rejected(reference: str, why: str) -> None:
    assert reference_problem(reference, valid_references(regulation_text())) == why


# ---------------------------------------------------------------- the catalogs


def test_catalog_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema("catalog")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _undocumented(node: Any, where: str) -> list[str]:
    """Properties without a description, outside ``if`` conditions (which only match)."""
    found: list[str] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if not (isinstance(sub, dict) and sub.get("description")):
                found.append(f"{where}/properties/{name}")
        for key, value in node.items():
            if key != "if":
                found.extend(_undocumented(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(_undocumented(item, f"{where}/{index}"))
    return found


def test_every_schema_property_has_a_description() -> None:
    assert _undocumented(load_schema("catalog"), "") == []


@pytest.mark.parametrize("name", sorted(CATALOG_FILES))
def test_catalog_validates_against_the_schema(name: str) -> None:
    data = catalog(name)
    assert [str(p) for p in schema_problems("catalog", data, f"controls/{name}.yaml")] == []
    assert data["catalog"]["id"] == name


BROKEN_CONTROLS = [
    # (fields to set on SOC2-CC1-2, fields to remove, the one problem expected)
    (
        {},
        ["rationale"],
        "controls/soc2.yaml:/controls/1: missing required field 'rationale' (add 'rationale')",
    ),
    (
        {"id": "soc2-cc1-2"},
        [],
        'controls/soc2.yaml:/controls/1/id: "soc2-cc1-2" does not match the pattern '
        "^[A-Z0-9]+(-[A-Z0-9]+)*$ (fix the value)",
    ),
    (
        {"mode": "automated"},
        [],
        "controls/soc2.yaml:/controls/1: missing required field 'checks' (add 'checks')",
    ),
    (
        {"checks": [{"check": "no_drift"}]},
        [],
        "controls/soc2.yaml:/controls/1/checks: [{'check': 'no_drift'}] is expected to be "
        "empty (see the published schema for this input kind)",
    ),
    (
        {"applies_to": {"subject": "version"}},
        [],
        "controls/soc2.yaml:/controls/1/applies_to: missing required field 'stage' (add 'stage')",
    ),
    (
        {"applies_to": {"subject": "system", "risk": ["high_risk"]}},
        [],
        'controls/soc2.yaml:/controls/1/applies_to/risk/0: "high_risk" is not one of '
        '"prohibited", "high-risk", "art-6-3-derogation", "not-high-risk", "limited-risk", '
        '"minimal-risk" (use one of the listed values)',
    ),
    (
        {"mode": "automated", "checks": [{"check": "monitoring_fresh"}]},
        [],
        "controls/soc2.yaml:/controls/1/checks/0: missing required field 'params' (add 'params')",
    ),
    (
        {
            "mode": "automated",
            "checks": [{"check": "monitoring_fresh", "params": {"max_age_days": 0}}],
        },
        [],
        "controls/soc2.yaml:/controls/1/checks/0/params/max_age_days: 0 is out of range "
        "(minimum 1) (fix the value)",
    ),
    (
        {"mode": "manual", "checks": [{"check": "no_drift", "params": {"threshold": 0.5}}]},
        [],
        "controls/soc2.yaml:/controls/1/checks/0/params: {'threshold': 0.5} is expected to be "
        "empty (see the published schema for this input kind)",
    ),
    (
        {"signoff": "sign_off"},
        [],
        'controls/soc2.yaml:/controls/1/signoff: "sign_off" is not one of "risk_assessment", '
        '"human_oversight_plan", "fundamental_rights_impact_assessment", '
        '"post_market_monitoring_plan", "qms_procedure", "instructions_for_use", '
        '"eu_declaration_of_conformity", "incident_report", "anomaly_review", '
        '"classification_assessment", "data_governance", "model_validation", '
        '"technical_documentation", "logging_policy", "access_review", "change_approval", '
        '"ai_literacy", "prohibited_practices_screening", "transparency_measures", '
        '"conformity_assessment", "ce_marking", "registration", "corrective_action", '
        '"authority_cooperation", "value_chain_agreement", "workers_information", "dpia", '
        '"fria_notification", "explanation_procedure", "authorised_representative_mandate", '
        '"provider_identification", "gpai_documentation", "special_category_data_safeguards", '
        '"other" (use one of the listed values)',
    ),
]


@pytest.mark.parametrize(("updates", "removals", "expected"), BROKEN_CONTROLS)
def test_schema_rejects_a_broken_control_with_a_readable_problem(
    updates: dict[str, Any], removals: list[str], expected: str
) -> None:
    data = catalog("soc2")
    control = data["controls"][1]
    assert control["id"] == "SOC2-CC1-2" and control["mode"] == "outside_tool_coverage"
    control.update(copy.deepcopy(updates))
    for name in removals:
        del control[name]
    assert [str(p) for p in schema_problems("catalog", data, "controls/soc2.yaml")] == [expected]


def test_control_ids_are_unique_across_catalogs() -> None:
    ids = [control["id"] for _, control in all_controls()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_control_ids_name_their_catalog() -> None:
    prefixes = {"eu-ai-act": "EUAIA-", "soc2": "SOC2-"}
    assert [c["id"] for name, c in all_controls() if not c["id"].startswith(prefixes[name])] == []


def test_every_reference_and_crosswalk_entry_exists_in_the_reference_list() -> None:
    refs = valid_references(regulation_text())
    wrong = []
    for name, control in all_controls():
        for cited in [control["reference"], *control.get("crosswalk", [])]:
            why = reference_problem(cited, refs)
            if why:
                wrong.append(f"{name} {control['id']}: {cited!r}: {why}")
    assert wrong == []


def test_eu_references_are_eu_and_soc2_references_are_soc2() -> None:
    assert [r for r in references("eu-ai-act") if SOC2_REF.fullmatch(r)] == []
    assert [r for r in references("soc2") if not SOC2_REF.fullmatch(r)] == []


def test_annex_iii_scopes_name_real_annex_iii_points() -> None:
    refs = valid_references(regulation_text())
    used = {p for _, c in all_controls() for p in c["applies_to"].get("annex_iii", [])}
    assert used and used <= refs.annex_iii


def test_crosswalk_targets_exist_in_the_other_catalog() -> None:
    missing = []
    for name, control in all_controls():
        for target in control.get("crosswalk", []):
            if target not in references(OTHER[name]):
                missing.append(f"{control['id']} -> {target}")
    assert missing == []


def test_crosswalks_are_filled_both_ways() -> None:
    """If A's evidence bears on B, B's control lists A back (by reference)."""
    crosswalk: dict[str, dict[str, set[str]]] = {}
    for name, control in all_controls():
        entry = crosswalk.setdefault(name, {}).setdefault(control["reference"], set())
        entry.update(control.get("crosswalk", []))
    one_way = [
        f"{name} {ref} -> {target}"
        for name, by_ref in crosswalk.items()
        for ref, targets in by_ref.items()
        for target in targets
        if ref not in crosswalk[OTHER[name]].get(target, set())
    ]
    assert one_way == []


@pytest.mark.parametrize(
    ("eu", "soc2"),
    [
        ("Art. 17(1)(a)", "CC8.1"),
        ("Annex IV 6", "CC8.1"),
        ("Art. 72", "CC7.2"),
        ("Art. 73", "CC7.4"),
        ("Art. 12", "CC7.2"),
        ("Art. 19", "CC7.2"),
    ],
)
def test_the_issue_s_crosswalk_pairs_are_present(eu: str, soc2: str) -> None:
    eu_side = {
        t
        for c in catalog("eu-ai-act")["controls"]
        if c["reference"] == eu
        for t in c.get("crosswalk", [])
    }
    assert soc2 in eu_side


def test_every_check_is_in_the_library_and_fits_the_subject() -> None:
    wrong = []
    for _, control in all_controls():
        subject = control["applies_to"]["subject"]
        for check in control.get("checks", []):
            kind = CHECK_LIBRARY.get(check["check"])
            if kind is None:
                wrong.append(f"{control['id']}: unknown check {check['check']!r}")
            elif kind not in {subject, "either"}:
                wrong.append(
                    f"{control['id']}: {check['check']} is a {kind} check, "
                    f"the control is about a {subject}"
                )
    assert wrong == []


def test_stage_is_given_only_for_version_subjects() -> None:
    assert [
        c["id"]
        for _, c in all_controls()
        if c["applies_to"]["subject"] == "system" and "stage" in c["applies_to"]
    ] == []


def test_out_of_scope_controls_ask_for_no_signoff() -> None:
    assert [
        c["id"] for _, c in all_controls() if c["mode"] == "out_of_scope" and "signoff" in c
    ] == []


def test_manual_controls_name_no_checks() -> None:
    assert [c["id"] for _, c in all_controls() if c["mode"] == "manual" and c.get("checks")] == []


def test_monitoring_ages_are_realistic() -> None:
    ages = [
        check["params"]["max_age_days"]
        for _, c in all_controls()
        for check in c.get("checks", [])
        if check["check"] == "monitoring_fresh"
    ]
    assert ages and all(30 <= age <= 90 for age in ages)


def test_risk_assessments_are_reviewed_yearly() -> None:
    ages = {
        c.get("max_evidence_age_days")
        for _, c in all_controls()
        if c.get("signoff") == "risk_assessment"
    }
    assert ages == {365}


# ---------------------------------------------------------------- coverage


def _article(reference: str) -> str | None:
    match = ARTICLE_REF.fullmatch(reference)
    return match.group(1) if match else None


def test_eu_catalog_covers_the_required_articles() -> None:
    refs = references("eu-ai-act")
    articles = {_article(r) for r in refs}
    required = "4 4a 5 9 11 12 13 14 15 16 17 18 19 20 21 25 26 27 43 47 48 49 50 53 55 72 73 86"
    assert set(required.split()) <= articles
    assert {f"Art. 10(2)({x})" for x in "abcdefgh"} | {"Art. 10(3)", "Art. 10(4)"} <= refs
    # the obligations that apply to every system today, and the financial-institution variants
    assert {"Art. 5(1)(c)", "Art. 5(1)(ba)", "Art. 26(7)", "Art. 26(9)", "Art. 27(3)"} <= refs
    assert {f"Art. 50({n})" for n in range(1, 5)} <= refs
    assert {"Art. 17(4)", "Art. 18(3)", "Art. 19(2)", "Art. 72(4)", "Art. 74(6)"} <= refs


def test_the_deleted_art_10_5_is_cited_nowhere() -> None:
    text = CATALOG_FILES["eu-ai-act"].read_text("utf-8")
    for match in re.finditer(r"Art\. 10\(5\)", text):
        assert text[max(0, match.start() - 3) : match.start()] == "ex ", text[match.start() - 40 :][
            :80
        ]


def test_eu_catalog_covers_every_annex_iv_point() -> None:
    refs = valid_references(regulation_text())
    cited = {m.group(1) for r in references("eu-ai-act") if (m := ANNEX_IV_REF.fullmatch(r))}
    assert {p.split("(")[0] for p in cited} == refs.annex_iv_headings
    # Point 2's sub-points each describe ML evidence, so each has its own control.
    assert {p for p in refs.annex_iv if p.startswith("2(")} <= cited


def test_high_risk_obligations_are_scoped_to_high_risk_systems() -> None:
    wrong = []
    for control in catalog("eu-ai-act")["controls"]:
        article = _article(control["reference"])
        number = int(article) if article and article.isdigit() else None
        high_risk = control["reference"].startswith("Annex IV") or (
            number is not None and (8 <= number <= 27 or number in {43, 47, 48, 72, 73, 86})
        )
        if high_risk and control["applies_to"].get("risk") != ["high-risk"]:
            wrong.append(control["id"])
    assert wrong == []


def test_fria_applies_to_deployers_of_credit_and_insurance_systems() -> None:
    fria = [c for c in catalog("eu-ai-act")["controls"] if c["reference"] == "Art. 27"]
    assert len(fria) == 1
    assert fria[0]["applies_to"]["annex_iii"] == ["5(b)", "5(c)"]
    assert fria[0]["applies_to"]["role"] == "deployer"
    assert fria[0]["signoff"] == "fundamental_rights_impact_assessment"


def test_soc2_catalog_lists_all_61_criteria() -> None:
    refs = valid_references(regulation_text())
    assert references("soc2") == refs.soc2


@pytest.mark.parametrize(
    "criterion",
    [
        "CC2.1",
        "CC3.2",
        "CC3.4",
        "CC4.1",
        "CC6.1",
        "CC7.1",
        "CC7.2",
        "CC7.4",
        "CC8.1",
        "CC9.2",
        "C1.1",
        "PI1.1",
        "PI1.2",
        "PI1.3",
        "PI1.4",
        "PI1.5",
    ],
)
def test_soc2_criteria_with_ml_evidence_are_evaluated(criterion: str) -> None:
    controls = [c for c in catalog("soc2")["controls"] if c["reference"] == criterion]
    assert controls
    assert all(c["mode"] != "out_of_scope" for c in controls)
    assert any(c.get("checks") or c.get("signoff") for c in controls)


SOC2_CATEGORIES = {
    "CC": "security",
    "A": "availability",
    "PI": "processing_integrity",
    "C": "confidentiality",
    "P": "privacy",
}


def soc2_controls(prefix: str = "") -> list[dict[str, Any]]:
    """The SOC 2 controls whose criterion starts with ``prefix`` (all of them by default)."""
    return [c for c in catalog("soc2")["controls"] if c["reference"].startswith(prefix)]


def test_every_common_criterion_applies() -> None:
    # The Common Criteria are the COSO principles plus SOC-specific criteria: all apply, so
    # none may be out of scope by the catalog's choice (outside_tool_coverage, not
    # out_of_scope, is how a criterion no ML evidence shows is listed for the auditor).
    common = soc2_controls("CC")
    assert {c["reference"] for c in common} == {
        r for r in valid_references(regulation_text()).soc2 if r.startswith("CC")
    }
    assert [c["id"] for c in common if c["mode"] == "out_of_scope"] == []
    assert {c["applies_to"]["category"] for c in common} == {"security"}
    outside = [c for c in common if c["mode"] == "outside_tool_coverage"]
    assert outside and all(c.get("rationale") for c in outside)


def test_every_soc2_control_has_its_category_test_procedure_and_frequency() -> None:
    wrong = []
    for control in soc2_controls():
        family = re.match(r"[A-Z]+", control["reference"])
        assert family
        if control["applies_to"].get("category") != SOC2_CATEGORIES[family.group(0)]:
            wrong.append(f"{control['id']}: category {control['applies_to'].get('category')}")
        if control["applies_to"].get("boundary") is not True:
            wrong.append(f"{control['id']}: not limited to the system boundary")
        if not control.get("test_procedure") or not control.get("frequency"):
            wrong.append(f"{control['id']}: no test_procedure or frequency")
    assert wrong == []


def test_soc2_test_procedures_say_who_tests() -> None:
    # What mldossier decides it inspects or re-performs; what it cannot see is the auditor's.
    for control in soc2_controls():
        procedures = set(control["test_procedure"])
        if control["mode"] == "automated":
            assert procedures & {"inspection", "reperformance"}, control["id"]
        elif not control.get("signoff"):
            assert procedures <= {"inquiry", "observation"}, control["id"]


def test_soc2_house_rules_are_marked_as_such() -> None:
    policies = [c["policy"] for c in soc2_controls() if "policy" in c]
    assert policies and all(p.startswith("House rule") for p in policies)
    # The yearly reviews and the 30-day monitoring age are the organisation's, not the AICPA's.
    for control in soc2_controls():
        ages = [
            check["params"]["max_age_days"]
            for check in control.get("checks", [])
            if check["check"] == "monitoring_fresh"
        ]
        if ages or control.get("max_evidence_age_days"):
            assert control.get("policy", "").startswith("House rule"), control["id"]


def _soc2_checks(criterion: str) -> set[str]:
    return {
        check["check"]
        for c in soc2_controls()
        if c["reference"] == criterion
        for check in c.get("checks", [])
    }


def test_cc7_1_is_not_decided_by_training_serving_skew() -> None:
    # Skew is a processing-integrity matter (inputs), not a configuration vulnerability.
    assert "serving_skew_absent" not in _soc2_checks("CC7.1")
    assert "serving_skew_absent" in _soc2_checks("PI1.2")


def test_cc3_4_assesses_changes_of_context_not_model_releases() -> None:
    assert _soc2_checks("CC3.4").isdisjoint(_soc2_checks("CC8.1"))
    (cc3_4,) = soc2_controls("CC3.4")
    assert "classification_consistent" in _soc2_checks("CC3.4") and cc3_4.get("signoff")


def test_release_approval_is_change_management() -> None:
    # Segregation of duties between a model's author and its approver is CC8.1 evidence;
    # CC6.3 is about access rights.
    approving = {
        c["reference"]
        for c in soc2_controls()
        for check in c.get("checks", [])
        if check["check"] == "production_version_approved"
    }
    assert approving == {"CC8.1"}


def test_cc4_1_is_an_evaluation_not_a_monitoring_age() -> None:
    assert "monitoring_fresh" not in _soc2_checks("CC4.1")
    assert {c.get("signoff") for c in soc2_controls("CC4.1")} == {"model_validation"}


def test_cc9_2_does_not_pass_on_internal_lineage_alone() -> None:
    # No check tells an external input from an internal one: vendor due diligence is signed.
    (cc9_2,) = soc2_controls("CC9.2")
    assert cc9_2["mode"] == "manual" and cc9_2.get("signoff")
    assert "lineage" in cc9_2["rationale"]


def test_c1_1_reads_the_data_classification() -> None:
    assert "data_classified" in _soc2_checks("C1.1")


def _pi_verdicts(categories: tuple[str, ...]) -> list[Any]:
    config = load_config(REPO / "mldossier.yaml")
    config = replace(config, soc2=replace(config.soc2, categories=categories))
    analysis = analyse(config, control_files=[CATALOG_FILES["soc2"]], as_of=date(2026, 11, 30))
    return [v for v in analysis.results.verdicts if v.control.reference.startswith("PI1.")]


def test_a_category_left_out_of_the_examination_is_not_applicable_by_management_s_choice() -> None:
    left_out = _pi_verdicts(("security",))
    assert {v.control.reference for v in left_out} == {f"PI1.{n}" for n in range(1, 6)}
    assert {v.status for v in left_out} == {"not_applicable"}
    assert {v.reasons for v in left_out} == {
        (
            "the Processing Integrity category is not in the examination's scope "
            "(soc2.categories in mldossier.yaml: management's choice)",
        )
    }
    in_scope = _pi_verdicts(("security", "processing_integrity"))
    assert "not_applicable" not in {v.status for v in in_scope}
    # evaluated on the production versions: the demo's skew on income-verifier shows in PI1.2
    skew = [v for v in in_scope if v.control.reference == "PI1.2" and v.subject.startswith("inc")]
    assert [v.status for v in skew] == ["exception"]


def test_application_dates_record_the_digital_omnibus_deferral() -> None:
    dates = catalog("eu-ai-act")["catalog"]["application_dates"]
    assert [d["date"] for d in dates] == sorted(d["date"] for d in dates)
    by_id = {d["id"]: d for d in dates if "id" in d}
    high = by_id["high-risk"]
    assert (high["date"], high["annex_i_date"], high["original_date"]) == (
        "2027-12-02",
        "2028-08-02",
        "2026-08-02",
    )
    assert high["legacy_rule"] == "art-111-2" and high["legacy_public_authorities"] == "2030-08-02"
    assert "Art. 113, third paragraph, point (c)" in high["provision"]
    # the unsettled points are readings, with their literal date
    for reading in ("chapter-ix", "high-risk-section-5"):
        entry = by_id[reading]
        assert (entry["date_status"], entry["literal_date"]) == ("reading", "2026-08-02")
    assert by_id["art-5-new-points"]["date"] == "2026-12-02"
    assert by_id["chapters-i-ii"]["date"] == "2025-02-02"
    # every high-risk control takes a high-risk date
    for control in catalog("eu-ai-act")["controls"]:
        if "high-risk" in control["applies_to"].get("risk", []):
            assert control.get("applies_from") in (
                "high-risk",
                "high-risk-section-5",
                "chapter-ix",
            ), control["id"]


# ---------------------------------------------------------------- documentation


def test_format_doc_explains_every_field_and_check() -> None:
    text = FORMAT_DOC.read_text("utf-8")
    schema = load_schema("catalog")
    fields = (
        set(schema["properties"]) - {"$schema"}
        | set(schema["properties"]["catalog"]["properties"])
        | set(
            schema["properties"]["catalog"]["properties"]["application_dates"]["items"][
                "properties"
            ]
        )
        | set(schema["$defs"]["control"]["properties"])
        | set(schema["$defs"]["applies_to"]["properties"])
    )
    missing = sorted(f for f in fields | set(CHECK_LIBRARY) if f"`{f}`" not in text)
    assert missing == []


def test_every_application_date_is_one_the_reference_lists() -> None:
    text = regulation_text()
    amended = _section(text, "### A.6 Digital Omnibus on AI")
    table = amended[amended.index("**Application dates as amended") :]
    listed = {d.strip("* ") for d in re.findall(r"^\| (\**\d{4}-\d\d-\d\d\**) \|", table, re.M)}
    assert {"2025-02-02", "2026-07-27", "2026-12-02", "2027-12-02", "2028-08-02"} <= listed
    original = set(
        re.findall(r"\*\*(\d{1,2} \w{3} \d{4})\*\*", _section(text, "### A.5 Application dates"))
    )
    assert original  # the superseded dates are listed too, for original_date
    for entry in catalog("eu-ai-act")["catalog"]["application_dates"]:
        for key in ("date", "annex_i_date", "literal_date", "legacy_public_authorities"):
            if key in entry:
                assert entry[key] in listed, (entry.get("id"), key, entry[key])
    # the provisions that set them are cited as the amended text cites them
    provisions = " ".join(
        e.get("provision", "") for e in catalog("eu-ai-act")["catalog"]["application_dates"]
    )
    assert "Art. 113, third paragraph, point (c)" in provisions and "Art. 113(3)" not in provisions


NOT_A_CATALOG = (
    "not a control catalog: it has no top-level catalog: section (its content is not shown) "
    "(check the path given with --controls or in catalogs:)"
)


@pytest.mark.parametrize(
    "text",
    [
        "AWS_SECRET_ACCESS_KEY: hunter2\npassword: s3cret\n",
        "API_TOKEN=hunter2\n",
        "- hunter2\n",
        "hunter2: [unclosed\n",
        "hunter2: !!python/object:os.system x\n",
        "hunter2: 1\nhunter2: 2\n",
    ],
)
def test_a_file_that_is_no_catalog_is_named_but_never_quoted(tmp_path: Path, text: str) -> None:
    from mldossier.errors import InputError
    from mldossier.evaluate.catalog import load_catalog

    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(text)
    with pytest.raises(InputError) as raised:
        load_catalog(secrets)
    assert [str(p) for p in raised.value.problems] == [f"secrets.yaml:/: {NOT_A_CATALOG}"]
    assert "hunter2" not in "\n".join(raised.value.lines())


def test_a_catalog_that_cannot_be_read_is_an_input_error(tmp_path: Path) -> None:
    from mldossier.errors import InputError
    from mldossier.evaluate.catalog import load_catalog

    with pytest.raises(InputError) as raised:
        load_catalog(tmp_path)
    assert [str(p) for p in raised.value.problems] == [
        f"{tmp_path}:/: cannot read the catalog file: Is a directory "
        "(check the path given with --controls or in catalogs:)"
    ]
