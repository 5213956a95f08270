"""Copies of one MLflow object, as several responses hold it, merged into one.

The same object usually comes back from several calls (a search page, a ``get``, a
registered model's ``latest_versions``, an alias lookup). Each copy is kept with where its
values stand; merging unites the maps (tags, params), requires the scalars to agree (only
the "last updated" time may move: the newest wins) and cites the richest copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mldossier.errors import Problem, pointer
from mldossier.formats.text import show
from mldossier.intake.files import Document
from mldossier.intake.importers import ImportResult
from mldossier.model import Citation, ModelSignature, RunDatasetInput

DISAGREE_FIX = "export both from the same moment, or remove the stale file"


@dataclass
class Copy:
    """One copy of one MLflow object, as one response holds it."""

    file: str
    pointer: str
    cite: Citation
    scalars: dict[str, tuple[Any, str]]
    """Field name to (value, JSON Pointer of the value)."""
    maps: dict[str, dict[str, tuple[str, str]]]
    """``tags``/``params``: key to (value, JSON Pointer of the value)."""
    leaves: int
    moving: int | None = None
    """The "last updated" time, which may differ between copies."""
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    """(alias, version, JSON Pointer) claims this copy makes."""
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    """(key, value, step, timestamp)."""
    datasets: tuple[RunDatasetInput, ...] = ()
    outputs: tuple[str, ...] = ()
    model_versions: tuple[tuple[str, str], ...] = ()
    prompts: tuple[tuple[str, str], ...] = ()
    """(name, version) of the prompts its ``mlflow.linkedPrompts`` tag names."""
    signature: ModelSignature | None = None

    def rank(self) -> tuple[int, int, str, str]:
        """Sort key, richest first: most values, then a single-object response, then path."""
        return (-self.leaves, self.pointer.count("/"), self.file, self.pointer)


@dataclass
class Merged:
    """The copies of one object, merged."""

    scalars: dict[str, Any]
    maps: dict[str, dict[str, str]]
    richest: Copy
    copies: list[Copy]
    """Richest first."""

    def get(self, name: str, default: Any = None) -> Any:
        """A merged scalar, or ``default`` when no copy carries it."""
        return self.scalars.get(name, default)


def merge_copies(copies: list[Copy], label: str, result: ImportResult) -> Merged:
    """Merge copies of one object; report every value two copies disagree on."""
    by_place = sorted(copies, key=lambda c: (c.file, c.pointer))
    richest_first = sorted(copies, key=Copy.rank)
    newest_first = sorted(
        copies, key=lambda c: (-(c.moving if c.moving is not None else -1), c.rank())
    )

    def settle(values: list[tuple[Copy, Any, str]], what: str, moving: bool) -> Any:
        # The first copy by file and pointer is the reference; a later one that differs
        # is reported where it stands.
        ref, ref_value, ref_where = values[0]
        if not moving:
            for copy, value, where in values[1:]:
                if value != ref_value:
                    result.problems.append(
                        Problem(
                            copy.file,
                            where,
                            f"disagrees with {ref.file}:{ref_where} for {label}{what} "
                            f"({show(value)} here, {show(ref_value)} there)",
                            DISAGREE_FIX,
                        )
                    )
        order = {id(c): i for i, c in enumerate(newest_first)}
        return min(values, key=lambda v: order[id(v[0])])[1]

    scalars: dict[str, Any] = {}
    moving_field = _moving_field(copies)
    names = sorted({name for c in copies for name in c.scalars})
    for name in names:
        values = [(c, *c.scalars[name]) for c in by_place if name in c.scalars]
        scalars[name] = settle(values, "", name == moving_field)
    maps: dict[str, dict[str, str]] = {}
    for map_name in sorted({m for c in copies for m in c.maps}):
        merged: dict[str, str] = {}
        keys = sorted({k for c in copies for k in c.maps.get(map_name, {})})
        for key in keys:
            values = [
                (c, *c.maps[map_name][key]) for c in by_place if key in c.maps.get(map_name, {})
            ]
            what = f", {map_name[:-1]} {show(key)}"
            merged[key] = settle(values, what, False)
        maps[map_name] = merged
    return Merged(scalars, maps, richest_first[0], richest_first)


def _moving_field(copies: list[Copy]) -> str | None:
    for name in ("last_updated_timestamp", "last_updated_timestamp_ms", "last_update_time"):
        if any(name in c.scalars for c in copies):
            return name
    return None


def clean(where: str, bad: list[str], nested: tuple[str, ...] = ()) -> bool:
    """Whether no schema problem lies in the object at ``where`` (nested objects aside)."""
    inside = tuple(f"{where}/{name}/" for name in nested)
    return not any(
        (place == where or place.startswith(where + "/"))
        and not (inside and place.startswith(inside))
        for place in bad
    )


def copy_of(
    doc: Document,
    where: str,
    obj: dict[str, Any],
    fields: dict[str, Any],
    base: str | None = None,
    moving: str | None = None,
    skip: tuple[str, ...] = (),
) -> Copy:
    """A copy of an object: its scalar fields (from ``fields``, at ``base``) and its tags."""
    base = where if base is None else base
    scalars = {
        name: (value, f"{base}{pointer(name)}")
        for name, value in fields.items()
        if not isinstance(value, dict | list) and name not in skip
    }
    maps = {"tags": pairs(fields.get("tags"), f"{base}/tags")}
    stamp = fields.get(moving) if moving else None
    return Copy(
        doc.file.path,
        where,
        doc.cite(where),
        scalars,
        maps,
        leaves(obj),
        moving=stamp if isinstance(stamp, int) else None,
    )


def pairs(items: Any, where: str) -> dict[str, tuple[str, str]]:
    """MLflow's ``[{key, value}]`` as key to (value, pointer); the first of a key wins."""
    found: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(items or []):
        found.setdefault(item["key"], (item.get("value", ""), f"{where}/{i}/value"))
    return found


def metrics_of(items: Any) -> list[tuple[str, float, int, int]]:
    """MLflow's ``[{key, value, step, timestamp}]`` as tuples."""
    return [
        (m["key"], float(m["value"]), int(m.get("step", 0)), int(m.get("timestamp", 0)))
        for m in items or []
    ]


def list_at(obj: Any, name: str) -> list[Any]:
    """The list an object holds under ``name``; [] when it holds none."""
    value = obj.get(name) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def leaves(value: Any) -> int:
    """How many plain values an object holds: the measure of a copy's richness."""
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaves(v) for v in value)
    return 1
