"""``mldossier init``: start a project with a commented config and example evidence."""

from __future__ import annotations

from pathlib import Path

import click

from mldossier.cli.common import reported
from mldossier.errors import UsageError
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
@reported
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
    except OSError as exc:
        raise UsageError(
            f"cannot write into {directory}: {exc.strerror or exc} "
            "(choose a folder you can write to)"
        ) from exc
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
