"""Training-serving skew: the features a version was trained on against those serving reads."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mldossier.intake.naming import normalise_type
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.provenance import Provenance, provenance
from mldossier.lineage.runs import (
    is_model_dataset,
    read_time,
    run_json,
    serving_runs_of,
    unique_cites,
    writers_of,
)
from mldossier.model import Citation, Column, DatasetUse, LineageRun, ModelVersion


@dataclass(frozen=True)
class SkewReport:
    """Features a version was trained on against the features its serving runs read.

    ``dataset_versions_differ`` is reported but is not skew by itself: serving normally reads
    newer data of the same feature table than training did.
    """

    version_key: str
    basis: str
    """``signature``, ``training_schema`` (training input minus target columns) or ``none``."""
    serving_runs: tuple[LineageRun, ...]
    expected: tuple[Column, ...]
    served: tuple[Column, ...]
    """Feature columns of the latest serving run with a schema on a non-model input."""
    added: tuple[str, ...]
    removed: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    retyped: tuple[tuple[str, str, str], ...]
    dataset_versions_differ: tuple[tuple[str, str, str], ...]
    citations: tuple[Citation, ...]

    @property
    def has_skew(self) -> bool:
        """True when serving reads different feature columns or types than expected."""
        return bool(self.added or self.removed or self.renamed or self.retyped)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "version": self.version_key,
            "basis": self.basis,
            "has_skew": self.has_skew,
            "serving_runs": [run_json(r) for r in self.serving_runs],
            "expected": [[c.name, c.type] for c in self.expected],
            "served": [[c.name, c.type] for c in self.served],
            "added": list(self.added),
            "removed": list(self.removed),
            "renamed": [list(p) for p in self.renamed],
            "retyped": [list(t) for t in self.retyped],
            "dataset_versions_differ": [list(t) for t in self.dataset_versions_differ],
            "citations": [c.to_json() for c in self.citations],
        }


def skew(lineage: LineageGraph, version: ModelVersion) -> SkewReport:
    """Training features (signature, else training schema) against serving features.

    Worked out once per version and graph: several controls ask it of the same version.
    """
    found = lineage.memo.skew.get(version.key)
    if found is None:
        found = lineage.memo.skew[version.key] = _skew(lineage, version)
    return found


def _skew(lineage: LineageGraph, version: ModelVersion) -> SkewReport:
    targets = {t.lower() for t in lineage.config.linking.target_columns}
    cites: list[Citation] = []
    prov = provenance(lineage, version)
    expected, basis = _expected(lineage, version, prov, targets, cites)
    serving = serving_runs_of(lineage, version)
    cites.extend(r.cite for r in serving)
    served_uses = _served_features(lineage, serving)
    served: dict[str, Column] = {}
    for use in served_uses:
        cites.append(use.cite)
        for col in use.schema:
            if col.name and col.name.lower() not in targets:
                served.setdefault(col.name, col)
    added: list[str] = []
    removed: list[str] = []
    renamed: list[tuple[str, str]] = []
    retyped: list[tuple[str, str, str]] = []
    if expected and served:
        want = {c.name: c for c in expected}
        removed = [n for n in want if n not in served]
        added = [n for n in served if n not in want]
        renamed = _renames(lineage, removed, added, want, served, served_uses)
        for old, new in renamed:
            removed.remove(old)
            added.remove(new)
        pairs = [(n, n) for n in want if n in served] + renamed
        for old, new in pairs:
            a, b = normalise_type(want[old].type), normalise_type(served[new].type)
            if a and b and a != b:
                retyped.append((old, want[old].type, served[new].type))
    return SkewReport(
        version_key=version.key,
        basis=basis,
        serving_runs=tuple(serving),
        expected=expected,
        served=tuple(served.values()),
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        renamed=tuple(sorted(renamed)),
        retyped=tuple(sorted(retyped)),
        dataset_versions_differ=_versions_differ(prov, served_uses),
        citations=unique_cites(cites),
    )


def _expected(
    lineage: LineageGraph,
    version: ModelVersion,
    prov: Provenance,
    targets: set[str],
    cites: list[Citation],
) -> tuple[tuple[Column, ...], str]:
    """The features the version expects and where they come from; adds what it cites."""
    signature = lineage.index.signature_of(version)
    if signature is not None and any(c.name for c in signature.inputs):
        cites.append(signature.cite)
        return tuple(c for c in signature.inputs if c.name), "signature"
    columns: dict[str, Column] = {}
    for use in prov.input_datasets:
        if is_model_dataset(use) or not use.schema:
            continue
        cites.append(use.cite)
        for col in use.schema:
            if col.name.lower() not in targets:
                columns.setdefault(col.name, col)
    if columns:
        return tuple(columns.values()), "training_schema"
    return (), "none"


def _versions_differ(
    prov: Provenance, served_uses: list[DatasetUse]
) -> tuple[tuple[str, str, str], ...]:
    """Datasets serving read at another version than training did: (dataset, trained, served)."""
    differ: list[tuple[str, str, str]] = []
    trained_on = {u.dataset: u.version for u in prov.input_datasets if u.version}
    for use in served_uses:
        before = trained_on.get(use.dataset)
        if before and use.version and use.version != before:
            differ.append((str(use.dataset), before, use.version))
    return tuple(sorted(differ))


def _served_features(lineage: LineageGraph, serving: list[LineageRun]) -> list[DatasetUse]:
    """The feature reads (with a schema) of the latest serving run that has any.

    A read without a schema facet takes the schema its writer recorded for the output.
    """
    for run in sorted(serving, key=lambda r: (read_time(r) or 0.0, r.run_id), reverse=True):
        uses = []
        for use in run.inputs:
            if is_model_dataset(use):
                continue
            if not use.schema:
                written = [
                    o
                    for w in writers_of(lineage, run, use)[-1:]
                    for o in w.outputs
                    if o.dataset == use.dataset and o.schema
                ]
                use = written[0] if written else use
            if use.schema:
                uses.append(use)
        if uses:
            return uses
    return []


def _name_tokens(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return tuple(sorted(t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t))


def _renames(
    lineage: LineageGraph,
    removed: list[str],
    added: list[str],
    want: dict[str, Column],
    served: dict[str, Column],
    uses: list[DatasetUse],
) -> list[tuple[str, str]]:
    """Pair removed with added columns that are one column renamed.

    By column lineage first; else the added column of a compatible type whose name has the
    same tokens, or failing that the most similar name (ratio at least 0.8).
    """
    lineage_of = _served_lineage(lineage, uses)
    pairs: list[tuple[str, str]] = []
    free = list(added)
    for old in sorted(removed):
        by_lineage = [new for new in free if old in lineage_of.get(new, ())]
        if by_lineage:
            choice = sorted(by_lineage)[0]
        else:
            old_type = normalise_type(want[old].type)
            scored = []
            for new in free:
                new_type = normalise_type(served[new].type)
                if old_type and new_type and old_type != new_type:
                    continue
                if _name_tokens(old) == _name_tokens(new):
                    scored.append((2.0, new))
                else:
                    ratio = difflib.SequenceMatcher(None, old.lower(), new.lower()).ratio()
                    if ratio >= 0.8:
                        scored.append((ratio, new))
            if not scored:
                continue
            choice = sorted(scored, key=lambda s: (-s[0], s[1]))[0][1]
        pairs.append((old, choice))
        free.remove(choice)
    return pairs


def _served_lineage(lineage: LineageGraph, uses: list[DatasetUse]) -> dict[str, set[str]]:
    """Served column to the input field names it came from (columnLineage facets)."""
    found: dict[str, set[str]] = defaultdict(set)
    facets = [u.column_lineage for u in uses]
    for use in uses:
        for writer in writers_of(lineage, None, use)[-1:]:
            facets.extend(o.column_lineage for o in writer.outputs if o.dataset == use.dataset)
    for fields in facets:
        for column, spec in fields.items():
            items = spec.get("inputFields", []) if isinstance(spec, dict) else spec
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("field"), str):
                    found[column].add(item["field"])
    return found
