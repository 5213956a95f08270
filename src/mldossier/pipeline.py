"""One run's stages, in order: read the evidence, link it, build the lineage graph, evaluate.

Every stage after the reading looks records up through one :class:`Index` over the linked
evidence, built here once per run and handed to the lineage graph, the evaluation and (in
:class:`Analysis`) the dossier. Rendering comes after, in :mod:`mldossier.bundle.build`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mldossier import __version__
from mldossier.cache import Cache
from mldossier.config import Config
from mldossier.evaluate.catalog import Catalog, default_catalog_paths, load_catalogs
from mldossier.evaluate.checks import library
from mldossier.evaluate.verdicts import Results, evaluate, evidence_manifest
from mldossier.formats.json import report_id_of
from mldossier.intake.completeness import refuse_unusable
from mldossier.intake.linking import Index
from mldossier.intake.read import read_indexed
from mldossier.lineage.graph import LineageGraph, build_graph
from mldossier.model import Evidence


@dataclass(frozen=True)
class Intake:
    """The evidence read, validated and linked, with the run's one :class:`Index` over it."""

    evidence: Evidence
    index: Index


@dataclass(frozen=True)
class Analysis:
    """Everything computed from the inputs, before anything is rendered."""

    config: Config
    catalogs: tuple[Catalog, ...]
    index: Index = field(compare=False)
    """The look-ups over the evidence that every stage shared (built from ``results.evidence``)."""
    lineage: LineageGraph
    results: Results
    report_id: str
    inputs: dict[str, object]
    """The manifest's inputs section (the report id is its digest)."""
    cache: Cache = field(default_factory=lambda: Cache(None), compare=False)
    """Where the build reuses diagrams and PDFs made from the same inputs before."""


def read(
    config: Config,
    evidence_dir: Path | None = None,
    cache: Cache | None = None,
    *,
    strict: bool = False,
    require_system: bool = True,
    quarantine: bool = False,
) -> Intake:
    """Read, validate and link the evidence (``evidence_dir`` over the config's); index it.

    Raises InputError when the evidence yields no AI system (unless not ``require_system``)
    and, with ``strict``, when a file is not evidence or the export records a failed call
    (see :mod:`mldossier.intake.completeness`).
    """
    evidence, index = read_indexed(config, evidence_dir, cache=cache, quarantine=quarantine)
    refuse_unusable(evidence, strict, require_system)
    return Intake(evidence, index)


def load_controls(config: Config, control_files: Sequence[Path] = ()) -> list[Catalog]:
    """The catalogs given, else the config's, else the bundled ones, checked against the library."""
    paths = list(control_files) or list(config.catalogs) or default_catalog_paths()
    return load_catalogs(paths, {n: c.subject for n, c in library().items()})


def inputs_section(
    evidence_files: list[dict[str, Any]], catalogs: list[dict[str, Any]], config_sha256: str
) -> dict[str, Any]:
    """What a report is built from; its digest is the report id."""
    return {
        "tool": {"name": "mldossier", "version": __version__},
        "evidence": evidence_files,
        "catalogs": catalogs,
        "config_sha256": config_sha256,
    }


def build_inputs(config: Config, results: Results) -> dict[str, object]:
    """The manifest's inputs section: tool version, evidence, catalogs, config hash.

    With signed sign-offs or trusted keys, also the ``allowed_signers`` file and what each
    signature proved (see :func:`signature_inputs`).
    """
    config_sha = (
        hashlib.sha256(config.path.read_bytes()).hexdigest() if config.path is not None else ""
    )
    catalogs = [
        {"id": c.id, "version": c.version, "file": c.path, "sha256": c.sha256}
        for c in results.catalogs
    ]
    inputs = inputs_section(evidence_manifest(results.evidence), catalogs, config_sha)
    return {**inputs, **signature_inputs(results.evidence)}


def signature_inputs(evidence: Evidence) -> dict[str, Any]:
    """The trusted keys and each sign-off signature's outcome, for the manifest's inputs.

    ``allowed_signers`` (file as the config names it, size, SHA-256) when one is set;
    ``signoff_signatures`` (each signature, its sign-off, the evidence strength, identity
    and signing key found) when a sign-off is signed. Neither key is there otherwise, so
    a project without signatures keeps its report id. ``verify`` checks the signatures
    again against the copy of allowed_signers in the bundle, and compares.
    """
    section: dict[str, Any] = {}
    trusted = evidence.allowed_signers
    if trusted is not None:
        section["allowed_signers"] = {
            "file": trusted.path,
            "size": trusted.size,
            "sha256": trusted.sha256,
        }
    signed = sorted(
        (s for s in evidence.signoffs if s.signature is not None),
        key=lambda s: s.signature.file if s.signature else "",
    )
    if signed:
        section["signoff_signatures"] = [
            {
                "signature": s.signature.file if s.signature else "",
                "signoff": s.cite.file,
                "evidence_strength": str(s.evidence_strength),
                "identity": s.identity,
                "signing_key": s.signing_key,
            }
            for s in signed
        ]
    return section


def analyse(
    config: Config,
    evidence_dir: Path | None = None,
    control_files: Sequence[Path] | None = None,
    cache: Cache | None = None,
    as_of: date | None = None,
    readiness: bool = False,
    *,
    strict: bool = False,
    quarantine: bool = False,
) -> Analysis:
    """Read and validate the evidence, load the catalogs, build the lineage graph, evaluate.

    ``as_of`` is the evaluation date (``--as-of``); without it ``SOURCE_DATE_EPOCH``, else today.
    ``readiness`` evaluates obligations that apply later as if they applied (``--readiness``).
    ``strict``: a file that is not evidence, or a failed export call, is an input error.
    ``quarantine``: invalid records are left out and listed (``Evidence.quarantined``).
    """
    cache = cache if cache is not None else Cache(None)
    intake = read(config, evidence_dir, cache, strict=strict, quarantine=quarantine)
    catalogs = load_controls(config, control_files or ())
    lineage = build_graph(intake.evidence, config, intake.index)
    results = evaluate(intake.index, catalogs, lineage, as_of, readiness)
    inputs = build_inputs(config, results)
    cache.finish()
    return Analysis(
        config=config,
        catalogs=tuple(catalogs),
        index=intake.index,
        lineage=lineage,
        results=results,
        report_id=report_id_of(inputs),
        inputs=inputs,
        cache=cache,
    )
