"""The build: evidence → results → lineage → dossier → site, PDF and results JSON, swapped in whole."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .baseline import compare, load_baseline
from .cache import Cache
from .catalog import Catalog, default_catalog_paths, load_catalogs
from .checks import library
from .config import Config
from .diagram import lineage_svgs
from .dossier import Dossier, build_dossier
from .evaluate import Results, evaluate, evidence_manifest
from .intake import read_evidence
from .lineage import LineageGraph, build_graph
from .manifest import inputs_section, report_id_of, sign_manifest, write_manifest
from .outputs import swap_in_folder
from .results import dumps, to_json

RESULTS_NAME = "results.json"
PDF_NAME = "report.pdf"
EVIDENCE_MANIFEST_NAME = "evidence-manifest.json"


@dataclass(frozen=True)
class Analysis:
    """Everything computed from the inputs, before anything is rendered."""

    config: Config
    catalogs: tuple[Catalog, ...]
    results: Results
    lineage: LineageGraph
    report_id: str
    inputs: dict[str, object]
    """The manifest's inputs section (the report id is its digest)."""
    cache: Cache = field(default_factory=lambda: Cache(None), compare=False)
    """Where the build reuses diagrams and PDFs made from the same inputs before."""


def build_inputs(config: Config, results: Results) -> dict[str, object]:
    """The manifest's inputs section: tool version, evidence, catalogs, config hash."""
    config_sha = (hashlib.sha256(config.path.read_bytes()).hexdigest()
                  if config.path is not None else "")
    catalogs = [{"id": c.id, "version": c.version, "file": c.path, "sha256": c.sha256}
                for c in results.catalogs]
    return inputs_section(evidence_manifest(results.evidence), catalogs, config_sha)


def analyse(config: Config, evidence_dir: Path | None = None,
            control_files: list[Path] | None = None, cache: Cache | None = None) -> Analysis:
    """Read and validate the evidence, load the catalogs, build the lineage graph, evaluate."""
    cache = cache if cache is not None else Cache(None)
    evidence = read_evidence(config, evidence_dir, cache=cache)
    paths = list(control_files or ()) or list(config.catalogs) or default_catalog_paths()
    catalogs = load_catalogs(paths, {n: c.subject for n, c in library().items()})
    lineage = build_graph(evidence, config)
    results = evaluate(evidence, catalogs, config, lineage)
    inputs = build_inputs(config, results)
    cache.finish()
    return Analysis(config, tuple(catalogs), results, lineage, report_id_of(inputs), inputs,
                    cache)


def make_dossier(analysis: Analysis, baseline: Path | None = None) -> Dossier:
    """The dossier with a lineage diagram per system (and the changes since a baseline)."""
    diagrams = lineage_svgs(analysis.lineage,
                            [m.name for m in analysis.results.evidence.registered_models],
                            analysis.cache)
    changes = (compare(load_baseline(baseline), to_json(analysis.results), baseline.name)
               if baseline is not None else None)
    return build_dossier(analysis.results, analysis.config, analysis.lineage, diagrams,
                         changes)


def build(analysis: Analysis, out_dir: Path, *, pdf: bool = True,
          pdf_per_system: bool = False, sign_key: Path | None = None,
          baseline: Path | None = None) -> Path:
    """Render site, PDF and results into a staging folder, then swap it in for ``out_dir``.

    A failure or interruption leaves the previous ``out_dir`` untouched.
    """
    from .pdf import render_pdf
    from .site import render_site

    dossier = make_dossier(analysis, baseline)
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        results_text = dumps(to_json(analysis.results))
        attachments = {RESULTS_NAME: results_text.encode(),
                       EVIDENCE_MANIFEST_NAME: dumps(analysis.inputs).encode()}
        render_site(dossier, staging, report_id=analysis.report_id,
                    results_json=results_text, pdf_name=PDF_NAME if pdf else None,
                    cache=analysis.cache)
        (staging / RESULTS_NAME).write_text(results_text, encoding="utf-8")
        if pdf:
            render_pdf(dossier, staging / PDF_NAME, report_id=analysis.report_id,
                       attachments=attachments, cache=analysis.cache)
        if pdf_per_system:
            render_system_pdfs(dossier, staging / "systems", analysis.report_id, attachments,
                               analysis.cache)
        write_manifest(staging, analysis.inputs, analysis.results.as_of.isoformat())
        if sign_key is not None:
            sign_manifest(staging, sign_key)
        swap_in_folder(staging, out_dir)
        analysis.cache.finish()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


_SHARED: tuple[Dossier, str, dict[str, bytes], Cache] | None = None
"""What forked workers render from (inherited, never pickled)."""


def _render_system(job: tuple[str, str]) -> None:
    from .pdf import render_pdf

    assert _SHARED is not None
    dossier, report_id, attachments, cache = _SHARED
    name, target = job
    render_pdf(dossier, Path(target), report_id=report_id, attachments=attachments,
               only_system=name, cache=cache)


def render_system_pdfs(dossier: Dossier, folder: Path, report_id: str,
                       attachments: dict[str, bytes], cache: Cache | None = None) -> None:
    """One PDF per system, rendered by one forked worker per core.

    Each PDF is independent of the others, so its bytes do not depend on which worker made it.
    """
    global _SHARED
    jobs = [(s.model.name, str(folder / f"{s.slug}.pdf")) for s in dossier.systems]
    workers = min(len(jobs), os.cpu_count() or 1)
    _SHARED = (dossier, report_id, attachments, cache if cache is not None else Cache(None))
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for job in jobs:
                _render_system(job)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for _ in pool.imap_unordered(_render_system, jobs):
                pass
    finally:
        _SHARED = None
