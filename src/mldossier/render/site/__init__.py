"""The auditors' site: the dossier as Markdown pages from Jinja templates, built by mkdocs-material.

The renderer reads only the :class:`~mldossier.render.dossier.Dossier`. Raw evidence files are
copied into ``evidence-files/`` for download, after checking that their SHA-256 is still the
one that was read. Every string from the evidence reaches a page through
:func:`escape_text`, which neutralises it for HTML *and* Markdown; templates are loaded from
files and run in a Jinja sandbox, and evidence is only ever data, never template source.

Layout (``use_directory_urls`` is off so the site also works from disk; every page is the
``index.html`` of a folder named after a stable slug, so ``systems/<slug>/`` is a permalink):

- ``index.html``: the overview;
- ``systems/`` (paginated list), ``systems/<system-slug>/``;
- ``controls/``, ``controls/<framework-slug>/`` (paginated), ``controls/<framework-slug>/<control-slug>/``;
- ``findings/``, ``evidence/``, ``unlinked/`` (paginated), ``crosswalk/``;
- ``evidence-files/<path>``, ``assets/lineage/<system-slug>.svg``, ``results.json``.

Only the section index pages are in the navigation, so a page's navigation does not grow with
the number of systems and the build stays linear.

The package, one module per step: :mod:`.pages` plans the pages, :mod:`.templating` writes
their Markdown, :mod:`.mkdocs` builds them, :mod:`.safety` keeps evidence inert on the way.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from pathlib import Path, PurePosixPath

import yaml

from mldossier.cache import Cache
from mldossier.errors import InputError, Problem
from mldossier.render.dossier import Dossier
from mldossier.render.results_json import RESULTS_NAME
from mldossier.render.site.mkdocs import mkdocs_config, run_mkdocs
from mldossier.render.site.pages import (
    LINEAGE_DIR,
    SITE_TEMPLATES,
)
from mldossier.render.site.safety import (
    EVIDENCE_FILES_DIR,
    cached_safe_svg,
    raw_copy_path,
)
from mldossier.render.site.templating import render_pages

log = logging.getLogger(__name__)


def _copy_assets(
    docs_dir: Path, dossier: Dossier, results_json: bytes, cache: Cache | None = None
) -> None:
    shutil.copytree(SITE_TEMPLATES / "assets", docs_dir / "assets", dirs_exist_ok=True)
    (docs_dir / RESULTS_NAME).write_bytes(results_json)
    for system in dossier.systems:
        if not system.diagram_svg:
            continue
        data = cached_safe_svg(system.diagram_svg, cache or Cache(None))
        if data is None:
            log.warning("lineage diagram of %s is not SVG; left out of the site", system.model.name)
            continue
        target = docs_dir / LINEAGE_DIR / f"{system.slug}.svg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def copy_evidence(dossier: Dossier, out_dir: Path) -> None:
    """Copy every evidence file into ``evidence-files/``, checking it is what was read.

    Raises :class:`InputError` when a file is gone or changed since it was hashed: the site
    would otherwise offer a file that is not the one its verdicts rest on.
    """
    root = Path(dossier.evidence.root)
    target_root = (out_dir / EVIDENCE_FILES_DIR).resolve()
    problems = []
    for f in sorted(dossier.evidence.files, key=lambda f: f.path):
        target = (out_dir / raw_copy_path(f.path)).resolve()
        if not target.is_relative_to(target_root) or PurePosixPath(f.path).is_absolute():
            problems.append(
                Problem(f.path, "", "evidence path leaves the evidence folder", "rename the file")
            )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with open(root / f.path, "rb") as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
        except OSError as exc:
            problems.append(
                Problem(
                    f.path,
                    "",
                    f"could not be copied into the site: {exc.strerror or exc}",
                    "keep the evidence folder in place until the build ends",
                )
            )
            continue
        if digest.hexdigest() != f.sha256:
            problems.append(
                Problem(
                    f.path,
                    "",
                    f"changed while the report was built: SHA-256 is now "
                    f"{digest.hexdigest()[:12]}, was {f.sha256[:12]} when read",
                    "build again once nothing writes to the evidence folder",
                )
            )
    if problems:
        raise InputError(problems)


def render_site(
    dossier: Dossier,
    out_dir: Path,
    *,
    report_id: str,
    results_json: bytes,
    pdf_name: str | None,
    cache: Cache | None = None,
    work_dir: Path | None = None,
) -> None:
    """Build the static site of the dossier into ``out_dir`` (an existing, empty folder).

    With a ``cache``, the lineage diagrams made safe before are taken from it. The pages'
    sources are written to a temporary folder in ``work_dir`` (default: the system's).
    """
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="mldossier-site-", dir=work_dir) as tmp:
        docs_dir = Path(tmp) / "docs"
        docs_dir.mkdir()
        slots_dir = Path(tmp) / "slots"
        render_pages(dossier, docs_dir, report_id=report_id, pdf_name=pdf_name, slots_dir=slots_dir)
        _copy_assets(docs_dir, dossier, results_json, cache)
        config_file = Path(tmp) / "mkdocs.yml"
        config_file.write_text(
            yaml.safe_dump(
                mkdocs_config(dossier, docs_dir, report_id),
                allow_unicode=True,
                sort_keys=False,
            ),
            encoding="utf-8",
        )
        warnings = run_mkdocs(
            config_file, out_dir, max(0, int(dossier.as_of.timestamp())), slots_dir
        )
        for message in warnings:
            log.warning("mkdocs: %s", message)
    copy_evidence(dossier, out_dir)


__all__ = [
    # What benchmarks/stages.py times through this namespace, besides render_site.
    "copy_evidence",
    "render_pages",
    "render_site",
    "run_mkdocs",
]
