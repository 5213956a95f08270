"""Running mkdocs-material on the written pages: its configuration and the slot-filling plugin."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from mkdocs.plugins import BasePlugin

from mldossier.render.dossier import Dossier
from mldossier.render.site.pages import SITE_TEMPLATES
from mldossier.render.site.safety import title_html
from mldossier.render.site.templating import when

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page as MkDocsPage

SLOT = re.compile(r'<div class="ml-slot" data-ml-slot="(\d+)"></div>')
"""Where a pre-rendered HTML block goes into a built page (see :class:`SlotFiller`)."""


# Not BasePlugin[Config]: mkdocs reads a parameter as the plugin's config schema, and the
# base Config has none. Its __init_subclass__ is unannotated: subclassing is an untyped call.
class SlotFiller(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """Puts the big HTML blocks of a page (verdict tables) into the built page.

    Those blocks are rendered straight to HTML (every value escaped) and left out of the
    Markdown: Python-Markdown and the search indexer would otherwise parse tens of
    megabytes of tables that are not searched anyway, which dominated the build time.
    """

    def __init__(self, slots_dir: Path):
        self.slots_dir = slots_dir

    def on_post_page(self, output: str, /, *, page: MkDocsPage, config: MkDocsConfig) -> str:
        """Replace each placeholder by its block."""
        path = self.slots_dir / f"{page.file.src_uri}.json"
        if not path.is_file():
            return output
        blocks = json.loads(path.read_text(encoding="utf-8"))
        return SLOT.sub(lambda m: blocks[int(m.group(1))], output)


def _nav(dossier: Dossier) -> list[Any]:
    controls: list[Any] = ["controls/index.md"]
    controls += [
        {title_html(f): f"controls/{slug}/index.md"} for f, slug in dossier.framework_slugs.items()
    ]
    return [
        {"Overview": "index.md"},
        {"Systems": "systems/index.md"},
        {"Controls": controls},
        {"Findings": "findings/index.md"},
        {"Requests": "requests/index.md"},
        {"Crosswalk": "crosswalk/index.md"},
        {"Evidence": "evidence/index.md"},
        {"Unlinked": "unlinked/index.md"},
        {"Waivers and changes": "changes/index.md"},
    ]


def mkdocs_config(dossier: Dossier, docs_dir: Path, report_id: str) -> dict[str, Any]:
    """The site's mkdocs.yml: the fixed part from the templates plus what this dossier sets."""
    config: dict[str, Any] = yaml.safe_load(
        (SITE_TEMPLATES / "mkdocs.yml").read_text(encoding="utf-8")
    )
    config["site_name"] = title_html(f"{dossier.organisation}: AI compliance dossier")
    config["docs_dir"] = str(docs_dir)
    config["nav"] = _nav(dossier)
    config["copyright"] = title_html(
        f"mldossier {dossier.tool_version} · report {report_id[:12]} · evaluated as of "
        f"{when(dossier.as_of)} ({dossier.as_of_source})"
    )
    config.setdefault("extra", {})["polyfills"] = ["assets/javascripts/iframe-worker.js"]
    return config


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, site_dir: Path, epoch: int, slots_dir: Path) -> list[str]:
    """A real mkdocs build of ``config_file`` into ``site_dir``; returns mkdocs' warnings."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    saved = os.environ.get("SOURCE_DATE_EPOCH")
    # mkdocs dates the sitemap and the gzip header from SOURCE_DATE_EPOCH: the evaluation
    # time makes two builds of the same dossier identical.
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir))
        config.plugins["mldossier-slots"] = SlotFiller(slots_dir)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    finally:
        logger.removeHandler(collect)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return collect.messages
