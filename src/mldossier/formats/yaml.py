"""Safe YAML: no aliases, no tags that construct objects, no duplicate keys; dates stay strings.

libyaml reads most files (ten times faster); what it rejects, and anything nested deeply,
is read again by the pure-Python :class:`SafeYamlLoader`, whose messages are the ones
reported.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from mldossier.formats import InputProblem
from mldossier.formats.text import number_problem, refuse_surrogates, short


class SafeYamlLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases (no "billion laughs") and keeps dates as strings."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose the next node, refusing an alias (``*name``) where it stands."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                "while reading", None, "YAML aliases (*name) are not accepted", event.start_mark
            )
        return super().compose_node(parent, index)


# Dates and times stay strings so that schemas can check them and nothing depends on the
# reader's time zone; the resolver list is copied so yaml.SafeLoader is untouched.
SafeYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping_no_duplicates(loader: SafeYamlLoader, node: yaml.MappingNode) -> Any:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} in a mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


SafeYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_no_duplicates)


if getattr(yaml, "__with_libyaml__", False):

    class _FastYamlLoader(yaml.CSafeLoader):
        """libyaml's parser with the same resolvers and constructors as SafeYamlLoader."""

    _FastYamlLoader.yaml_implicit_resolvers = SafeYamlLoader.yaml_implicit_resolvers
    _FastYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_no_duplicates)
else:  # pragma: no cover - PyYAML built without libyaml
    _FastYamlLoader = None  # type: ignore[assignment,misc]


_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
FAST_YAML_DEPTH = 64
"""Deeper YAML is left to SafeYamlLoader, whose recursion limit decides what is too deep."""

_NOT_READ = object()
"""What :func:`_fast_load` returns when libyaml may not, or did not, read the text."""


def _shallow(value: Any, limit: int = FAST_YAML_DEPTH) -> bool:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        if depth >= limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def parse_yaml_text(text: str) -> Any:
    """Safe YAML: no aliases, no object-constructing tags, no duplicate keys; dates as text."""
    value = _fast_load(text)
    if value is _NOT_READ:
        value = _safe_load(text)
    refuse_surrogates(text, value)
    return value


def _fast_load(text: str) -> Any:
    """The value libyaml reads, or ``_NOT_READ`` when SafeYamlLoader must read the text."""
    # Without a "*" there is no alias, so libyaml may read it. Anything it rejects, and
    # anything deep, goes to SafeYamlLoader, whose messages are pinned.
    if _FastYamlLoader is None or "*" in text or _NOT_PRINTABLE.search(text):
        return _NOT_READ
    try:
        value = yaml.load(text, Loader=_FastYamlLoader)  # noqa: S506 - CSafeLoader subclass
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
        return _NOT_READ
    return value if _shallow(value) else _NOT_READ


def _safe_load(text: str) -> Any:
    """The value SafeYamlLoader reads; every failure an :class:`InputProblem`."""
    try:
        return yaml.load(text, Loader=SafeYamlLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        raise _constructor_problem(exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        fix = (
            "write the value out in full instead of an alias"
            if "alias" in str(problem)
            else "fix the YAML syntax"
        )
        raise InputProblem("", f"not valid YAML: {problem}{_at(mark)}", fix) from None
    except yaml.YAMLError as exc:
        raise InputProblem(
            "", f"not valid YAML: {short(str(exc))}", "fix the YAML syntax"
        ) from None
    except RecursionError:
        raise InputProblem(
            "",
            "YAML is nested too deeply to read",
            "no real file nests this deep; check how it was made",
        ) from None
    except (ValueError, OverflowError) as exc:  # !!int / !!timestamp values that do not convert
        if "digits" in str(exc):
            raise number_problem(exc) from None
        raise InputProblem("", f"not valid YAML: {short(str(exc))}", "fix the value") from None


def _constructor_problem(exc: yaml.constructor.ConstructorError) -> InputProblem:
    """A refused tag, a duplicate key or a key that is no plain value, where it stands."""
    where = _at(exc.problem_mark)
    problem = str(exc.problem or "")
    if "could not determine a constructor" in problem:
        tag = problem.split("tag", 1)[-1].strip()
        return InputProblem(
            "",
            f"YAML tag {tag} is not accepted{where}",
            "remove the tag; only plain YAML data is read",
        )
    return InputProblem("", f"{problem}{where}", "fix the YAML")


def _at(mark: Any) -> str:
    """`` at line L column C`` for a YAML mark (counted from 1), "" without one."""
    return f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
