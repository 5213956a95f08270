"""The build: an Analysis → dossier → site, PDF and results JSON, staged and swapped in whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from mldossier.bundle.atomic import (
    remove_stale_staging,
    reported_as_unwritable,
    signals_deferred,
    sigterm_unwinds,
    staging_prefix,
    swap_in_folder,
)
from mldossier.bundle.manifest import sign_manifest, write_manifest
from mldossier.bundle.out_folder import BUNDLE
from mldossier.bundle.signoffs import ALLOWED_SIGNERS_NAME
from mldossier.bundle.workers import forking, render_in_workers, render_system_pdfs
from mldossier.errors import InputError, Problem
from mldossier.evaluate.baseline import compare, load_baseline
from mldossier.intake.signatures import read_allowed_signers
from mldossier.lineage.diagram import lineage_svgs
from mldossier.pipeline import Analysis
from mldossier.render.dossier import Dossier, build_dossier
from mldossier.render.requests import (
    REQUESTS_CSV,
    REQUESTS_JSON,
    requests_csv,
    requests_json,
)
from mldossier.render.results_json import RESULTS_NAME, dumps, results_bytes, to_json

PDF_NAME = "report.pdf"
EVIDENCE_MANIFEST_NAME = "evidence-manifest.json"


def make_dossier(analysis: Analysis, baseline: Path | None = None) -> Dossier:
    """The dossier with a lineage diagram per system (and the changes since a baseline)."""
    diagrams = lineage_svgs(
        analysis.lineage,
        [m.name for m in analysis.results.evidence.registered_models],
        analysis.cache,
    )
    changes = (
        compare(load_baseline(baseline), to_json(analysis.results), baseline.name)
        if baseline is not None
        else None
    )
    return build_dossier(
        analysis.results, analysis.config, analysis.lineage, diagrams, changes, index=analysis.index
    )


def build(
    analysis: Analysis,
    out_dir: Path,
    *,
    pdf: bool = True,
    pdf_per_system: bool = False,
    sign_key: Path | None = None,
    baseline: Path | None = None,
) -> Path:
    """Render site, PDF and results into a staging folder, then swap it in for ``out_dir``.

    A failure or interruption (SIGINT, or SIGTERM: exit 143) leaves the previous ``out_dir``
    untouched and removes the staging folder; a full, read-only or forbidden disk is a
    UsageError that says so. An ``out_dir`` that holds anything but a bundle this tool built
    is refused (UsageError) at the swap, under its lock (the command line refuses it before
    the analysis too); folders a killed build left beside it are deleted first.
    """
    out_dir = out_dir.resolve()
    builder = os.getpid()
    with sigterm_unwinds():
        dossier = make_dossier(analysis, baseline)
        with reported_as_unwritable(out_dir):
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(out_dir)
            staging = Path(
                tempfile.mkdtemp(prefix=staging_prefix(out_dir, "staging"), dir=out_dir.parent)
            )
            work: Path | None = None
            try:
                # The site's page sources are prepared beside the staging folder, not in the
                # system's temporary folder: whatever stops the build (even a SIGTERM while
                # they are being deleted), they are deleted with it.
                work = Path(
                    tempfile.mkdtemp(prefix=staging_prefix(out_dir, "work"), dir=out_dir.parent)
                )
                _render_into(
                    staging,
                    analysis,
                    dossier,
                    pdf=pdf,
                    pdf_per_system=pdf_per_system,
                    sign_key=sign_key,
                    work=work,
                )
                swap_in_folder(staging, out_dir, BUNDLE.refuse_foreign)
                analysis.cache.finish()
            except BaseException:
                # A forked PDF worker unwinding through here must not delete its parent's
                # work.
                if os.getpid() == builder:
                    shutil.rmtree(staging, ignore_errors=True)
                raise
            finally:
                if work is not None and os.getpid() == builder:
                    shutil.rmtree(work, ignore_errors=True)
    return out_dir


def _render_into(
    staging: Path,
    analysis: Analysis,
    dossier: Dossier,
    *,
    pdf: bool,
    pdf_per_system: bool,
    sign_key: Path | None,
    work: Path,
) -> None:
    # Importing WeasyPrint finds its C libraries through ctypes, which runs gcc on a temporary
    # file: a signal meanwhile can leave that file behind, so it waits (well under a second).
    with signals_deferred():
        from mldossier.render.pdf import render_pdf
    from mldossier.render.site import render_site

    results_data = results_bytes(analysis.results)
    attachments = {
        RESULTS_NAME: results_data,
        EVIDENCE_MANIFEST_NAME: dumps(analysis.inputs).encode(),
    }

    def site() -> None:
        render_site(
            dossier,
            staging,
            report_id=analysis.report_id,
            results_json=results_data,
            pdf_name=PDF_NAME if pdf else None,
            cache=analysis.cache,
            work_dir=work,
        )
        (staging / RESULTS_NAME).write_bytes(results_data)
        rows = list(dossier.requests)
        (staging / REQUESTS_CSV).write_text(requests_csv(rows), encoding="utf-8", newline="")
        (staging / REQUESTS_JSON).write_text(
            dumps(requests_json(rows, analysis.results)), encoding="utf-8"
        )

    def summary(target: Path) -> None:
        render_pdf(
            dossier,
            target,
            report_id=analysis.report_id,
            attachments=attachments,
            cache=analysis.cache,
        )

    if pdf:
        _site_and_summary(site, summary, staging, work)
    else:
        site()
    if pdf_per_system:
        render_system_pdfs(
            dossier, staging / "systems", analysis.report_id, attachments, analysis.cache
        )
    copy_allowed_signers(analysis, staging)
    write_manifest(staging, analysis.inputs, analysis.results.as_of.isoformat())
    if sign_key is not None:
        sign_manifest(staging, sign_key)


def copy_allowed_signers(analysis: Analysis, staging: Path) -> None:
    """Put the trusted keys in the bundle, as evidence of whom the report trusted.

    The copy is the file the intake read (its SHA-256 checked), so ``verify`` can check the
    sign-offs' signatures again with nothing but the bundle.
    """
    trusted = analysis.results.evidence.allowed_signers
    if trusted is None or analysis.config.allowed_signers is None:
        return
    again = read_allowed_signers(analysis.config.allowed_signers, trusted.path)
    if again.record.sha256 != trusted.sha256:
        raise InputError(
            [
                Problem(
                    trusted.path,
                    "",
                    f"changed while the report was built: SHA-256 is now "
                    f"{again.record.sha256[:12]}, was {trusted.sha256[:12]} when read",
                    "build again once nothing writes to it",
                )
            ]
        )
    (staging / ALLOWED_SIGNERS_NAME).write_bytes(again.data)


def _site_and_summary(
    site: Callable[[], None], summary: Callable[[Path], None], staging: Path, work: Path
) -> None:
    """Render the site and the summary PDF, the PDF on another core when there is one."""
    if forking():
        # The summary PDF is laid out by a forked worker on the other core while this
        # process renders the site; it is written beside the staging folder, since mkdocs
        # empties the folder it builds into, and moved in after.
        laid_out = work / PDF_NAME
        render_in_workers(lambda index: summary(laid_out), 1, 1, alongside=site)
        os.replace(laid_out, staging / PDF_NAME)
    else:
        site()
        summary(staging / PDF_NAME)
