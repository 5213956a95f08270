"""``mldossier validate``: read and validate the evidence, print what was found."""

from __future__ import annotations

from pathlib import Path

import click

from mldossier.cli.common import Context, evidence_option, reported
from mldossier.pipeline import read
from mldossier.render.text import format_summary


@click.command()
@evidence_option
@click.pass_obj
@reported
def validate(obj: Context, evidence_dir: Path | None) -> None:
    """Read and validate every evidence file; print a summary or every problem.

    Exit 0 when all input is valid, 2 otherwise. With --quiet a valid folder prints
    nothing; with --verbose the summary lists every file read and its importer.
    """
    with obj.terminal.stages() as stage:
        stage("reading the evidence")
        intake = read(obj.config(), evidence_dir)
    obj.warn_all(intake.evidence.warnings)
    obj.terminal.say(format_summary(intake.evidence, intake.index, files=obj.terminal.verbose))
