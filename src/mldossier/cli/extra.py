"""Command-line pieces for the ecosystem: ``init`` and ``check --oscal``.

``cli.py`` adds :data:`init_command` to the group and calls :func:`write_oscal` from
``check``; this module only parses and calls the library.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mldossier.bundle.atomic import atomic_write_text
from mldossier.errors import EXIT_INVALID, UsageError
from mldossier.evaluate.verdicts import Results
from mldossier.render.oscal import dumps_oscal, to_oscal
from mldossier.scaffold import init_project
from mldossier.terminal import current


@click.command("init")
@click.argument(
    "directory", required=False, default=Path("."), type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--with-catalogs",
    is_flag=True,
    help="Copy the bundled catalogs into DIRECTORY/controls/ to edit, and list the copies.",
)
def init_command(directory: Path, force: bool, with_catalogs: bool) -> None:
    """Start a project: a commented mldossier.yaml and an example evidence folder.

    Writes DIRECTORY/mldossier.yaml (every key with its default), the JSON Schemas editors
    complete it with, and evidence/ with one tiny example of each input kind. Refuses to
    overwrite existing files (exit 2, naming them) unless --force. The config lists the
    bundled catalogs by id; --with-catalogs copies them into controls/ to edit instead. With
    --quiet it prints nothing.
    """
    try:
        written = init_project(directory, force, with_catalogs)
    except UsageError as exc:
        click.echo(f"mldossier: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    except OSError as exc:
        click.echo(
            f"mldossier: cannot write into {directory}: {exc.strerror or exc} "
            "(choose a folder you can write to)",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    term = current()
    term.say(f"Wrote {len(written)} files into {directory}:")
    for path in written:
        term.say(f"  {path.relative_to(directory).as_posix()}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    # Not "check && build": check exits 1 when a control fails, which the examples do.
    term.say(
        "Next: replace evidence/ with your own exports, then run\n"
        f"  {where}mldossier validate && mldossier check; mldossier build"
    )


oscal_option = click.option(
    "--oscal",
    "oscal_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the verdicts as an OSCAL 1.1.3 assessment-results document (JSON).",
)
"""The ``check --oscal FILE`` option."""


def evidence_prefix(evidence_root: Path, out: Path) -> str:
    """The path from the folder of ``out`` to the evidence root, so evidence links resolve."""
    rel = Path(os.path.relpath(evidence_root.resolve(), out.resolve().parent)).as_posix()
    return "" if rel == "." else rel + "/"


def write_oscal(results: Results, out: Path) -> None:
    """Write the OSCAL assessment results to ``out`` (atomically)."""
    prefix = evidence_prefix(Path(results.evidence.root), out)
    atomic_write_text(out, dumps_oscal(to_oscal(results, prefix)))
