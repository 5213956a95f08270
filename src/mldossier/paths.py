"""Where mldossier's own data lives: the bundled catalogs and the report templates."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the package is installed from it in editable mode)."""
CONTROLS_DIR = PROJECT_ROOT / "controls"
"""The bundled control catalogs."""
TEMPLATES_DIR = PROJECT_ROOT / "templates"
"""Jinja templates and assets for the site (``templates/site``) and the PDF (``templates/pdf``)."""
