"""Look-ups by name: the model versions and datasets a user names, or why none matches."""

from __future__ import annotations

from mldossier.errors import UsageError
from mldossier.intake.linking import is_production
from mldossier.lineage.graph import LineageGraph
from mldossier.lineage.views import dataset_ids
from mldossier.model import ModelVersion, QualifiedName

LISTED = 20
"""How many known names an error message lists before saying how many more exist."""


def find_versions(graph: LineageGraph, target: str) -> list[ModelVersion]:
    """The versions ``MODEL@VERSION`` or ``MODEL`` names (its production versions)."""
    name, _, number = target.rpartition("@") if "@" in target else (target, "", "")
    index = graph.index
    known = sorted(set(index.versions) | set(index.systems))
    if name not in known:
        raise UsageError(f"unknown model {name!r}: " + _listing("registered models", known))
    versions = index.versions.get(name, [])
    if number:
        version = index.version_by_key.get(f"{name}@{number}")
        if version is None:
            raise UsageError(
                f"unknown model version {name}@{number}: "
                + _listing(f"versions of {name}", [v.version for v in versions])
            )
        return [version]
    production = [v for v in versions if is_production(v, graph.config)]
    if not production:
        rules = graph.config.production
        raise UsageError(
            f"{name} has no version in production (stages {', '.join(rules.stages)}; aliases "
            f"{', '.join(rules.aliases)}): name one as {name}@VERSION; "
            + _listing(f"versions of {name}", [v.version for v in versions])
        )
    return production


def find_dataset(graph: LineageGraph, text: str) -> QualifiedName:
    """The dataset ``namespace:name`` names (namespaces may hold colons, e.g. ``s3://b``)."""
    known = dataset_ids(graph)
    wanted = set(known)
    for i, char in enumerate(text):
        if char == ":" and QualifiedName(text[:i], text[i + 1 :]) in wanted:
            return QualifiedName(text[:i], text[i + 1 :])
    raise UsageError(
        f"unknown dataset {text!r} (give it as namespace:name): "
        + _listing("datasets", [str(d) for d in known])
    )


def _listing(what: str, names: list[str]) -> str:
    if not names:
        return f"the evidence has no {what}"
    shown = ", ".join(names[:LISTED])
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return f"known {what}: {shown}{more}"
