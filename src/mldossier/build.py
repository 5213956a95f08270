"""The build: evidence → results → lineage → dossier → site, PDF and results JSON, swapped in whole."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .catalog import Catalog, default_catalog_paths, load_catalogs
from .checks import library
from .config import Config
from .diagram import lineage_svg
from .dossier import Dossier, build_dossier
from .evaluate import Results, evaluate, evidence_manifest
from .intake import read_evidence
from .lineage import LineageGraph, build_graph
from .outputs import swap_in_folder
from .results import dumps, to_json

RESULTS_NAME = "results.json"
PDF_NAME = "report.pdf"


@dataclass(frozen=True)
class Analysis:
    """Everything computed from the inputs, before anything is rendered."""

    config: Config
    catalogs: tuple[Catalog, ...]
    results: Results
    lineage: LineageGraph
    report_id: str


def report_id(config: Config, results: Results) -> str:
    """SHA-256 of what the report was built from: tool version, evidence, catalogs, config."""
    config_sha = (hashlib.sha256(config.path.read_bytes()).hexdigest()
                  if config.path is not None else "")
    inputs = {
        "tool": __version__,
        "evidence": evidence_manifest(results.evidence),
        "catalogs": [{"id": c.id, "version": c.version, "sha256": c.sha256}
                     for c in results.catalogs],
        "config_sha256": config_sha,
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def analyse(config: Config, evidence_dir: Path | None = None,
            control_files: list[Path] | None = None) -> Analysis:
    """Read and validate the evidence, load the catalogs, build the lineage graph, evaluate."""
    evidence = read_evidence(config, evidence_dir)
    paths = list(control_files or ()) or list(config.catalogs) or default_catalog_paths()
    catalogs = load_catalogs(paths, set(library()))
    lineage = build_graph(evidence, config)
    results = evaluate(evidence, catalogs, config, lineage)
    return Analysis(config, tuple(catalogs), results, lineage, report_id(config, results))


def make_dossier(analysis: Analysis) -> Dossier:
    """The dossier with a lineage diagram per system."""
    diagrams = {m.name: lineage_svg(analysis.lineage, m.name)
                for m in analysis.results.evidence.registered_models}
    return build_dossier(analysis.results, analysis.config, analysis.lineage, diagrams)


def build(analysis: Analysis, out_dir: Path, *, pdf: bool = True,
          pdf_per_system: bool = False) -> Path:
    """Render site, PDF and results into a staging folder, then swap it in for ``out_dir``.

    A failure or interruption leaves the previous ``out_dir`` untouched.
    """
    from .pdf import render_pdf
    from .site import render_site

    dossier = make_dossier(analysis)
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        results_text = dumps(to_json(analysis.results))
        render_site(dossier, staging, report_id=analysis.report_id,
                    results_json=results_text, pdf_name=PDF_NAME if pdf else None)
        (staging / RESULTS_NAME).write_text(results_text, encoding="utf-8")
        if pdf:
            render_pdf(dossier, staging / PDF_NAME, report_id=analysis.report_id,
                       attachments={RESULTS_NAME: results_text.encode()})
        if pdf_per_system:
            for system in dossier.systems:
                render_pdf(dossier, staging / "systems" / f"{system.slug}.pdf",
                           report_id=analysis.report_id,
                           attachments={RESULTS_NAME: results_text.encode()},
                           only_system=system.model.name)
        swap_in_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
