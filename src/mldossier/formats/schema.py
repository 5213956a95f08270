"""JSON Schema validation of inputs, with every error turned into a readable Problem."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from mldossier.errors import Problem, pointer
from mldossier.formats.text import show

try:  # The fast validator is optional: jsonschema alone gives the same verdicts, slower.
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None  # type: ignore[assignment]

SCHEMA_PACKAGE = "mldossier.schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped with the package, by file name without ``.schema.json``."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled Draft 2020-12 validator for a shipped schema (format checks on)."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


FAST_SCHEMAS = frozenset({"mlflow", "mlflow-mlmodel", "evidently", "signoff", "waiver"})
"""Schemas of bulk evidence, checked by jsonschema-rs first. Not config or catalogs: one file
each, and their ``regex`` format must mean Python's regular expressions."""


@cache
def fast_validator(name: str) -> Any:
    """``jsonschema-rs`` validator of a bulk evidence schema, checking every format.

    Its ``date`` and ``date-time`` checks are at least as strict as :func:`validator`'s, so
    what it accepts has no problem; what it rejects goes to :func:`validator` for the
    messages. None when jsonschema-rs is missing or the schema is not in FAST_SCHEMAS.
    """
    if jsonschema_rs is None or name not in FAST_SCHEMAS:
        return None
    return jsonschema_rs.validator_for(load_schema(name), validate_formats=True)


def describe(error: ValidationError) -> tuple[str, str]:
    """A plain-words message and a fix for one schema error."""
    kind = error.validator
    value = error.instance
    expected = error.validator_value
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        article = "an" if wanted[:1] in "aeiou" else "a"
        return f"expected {wanted}, got {show(value)}", f"write {article} {wanted} here"
    if kind == "required":
        missing = [key for key in expected if isinstance(value, dict) and key not in value]
        name = missing[0] if missing else str(expected)
        return f"missing required field {name!r}", f"add {name!r}"
    if kind == "enum":
        options = ", ".join(show(v) for v in expected)
        return f"{show(value)} is not one of {options}", "use one of the listed values"
    if kind == "const":
        return f"expected {show(expected)}, got {show(value)}", f"write {show(expected)}"
    if kind == "additionalProperties":
        extra = (
            sorted(set(value) - set(error.schema.get("properties", {})))
            if isinstance(value, dict)
            else []
        )
        return (
            f"unknown field {extra[0]!r}" if extra else error.message,
            "remove it or check its spelling",
        )
    if kind == "format":
        return f"{show(value)} is not a valid {expected}", f"write a valid {expected}"
    if kind == "pattern":
        return f"{show(value)} does not match the pattern {expected}", "fix the value"
    if kind in {"minLength", "minItems", "minProperties"}:
        return f"{show(value)} is too short or empty", "fill it in"
    if kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return f"{show(value)} is out of range ({kind} {expected})", "fix the value"
    return error.message, "see the published schema for this input kind"


def most_specific(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the sub-error that reads best: jsonschema's best match, and where
    the alternatives tie, the deepest one (type errors at one place merged into one)."""
    while error.context:
        best = jsonschema.exceptions.best_match([error])
        if not best.context:
            return best
        depth = max(len(e.absolute_path) for e in best.context)
        deepest = [e for e in best.context if len(e.absolute_path) == depth]
        error = deepest[0]
        if len(deepest) > 1 and all(e.validator == "type" for e in deepest):
            wanted: list[str] = []
            for e in deepest:
                for kind in (
                    e.validator_value
                    if isinstance(e.validator_value, list)
                    else [e.validator_value]
                ):
                    if kind not in wanted:
                        wanted.append(kind)
            error = copy.copy(error)
            error.validator_value = wanted if len(wanted) > 1 else wanted[0]
    return error


def schema_problems(
    name: str, data: Any, file: str, base: str = "", line: int | None = None
) -> list[Problem]:
    """Every schema error in ``data`` as a Problem (``base`` prefixes each pointer).

    A missing required field is one problem per field, at the object that lacks it.
    """
    fast = fast_validator(name)
    if fast is not None:
        try:
            if fast.is_valid(data):
                return []
        except (ValueError, TypeError, OverflowError):  # NaN, huge integers: jsonschema decides
            pass
    problems = []
    seen_required: set[tuple[Any, ...]] = set()
    for error in sorted(validator(name).iter_errors(data), key=lambda e: list(e.absolute_path)):
        best = most_specific(error)
        where = base + pointer(*best.absolute_path)
        if best.validator == "required" and isinstance(best.instance, dict):
            # jsonschema gives one error per missing field, all alike: name each once.
            if (where, id(best.schema)) in seen_required:
                continue
            seen_required.add((where, id(best.schema)))
            for name_ in best.validator_value:
                if name_ not in best.instance:
                    problems.append(
                        Problem(
                            file, where, f"missing required field {name_!r}", f"add {name_!r}", line
                        )
                    )
            continue
        message, fix = describe(best)
        problems.append(Problem(file, where, message, fix, line))
    return problems
