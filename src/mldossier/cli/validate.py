"""``mldossier validate``: read and validate the evidence, print what was found."""

from __future__ import annotations

from pathlib import Path

import click

from mldossier.cli.common import Context, evidence_option, reported, strict_intake_option
from mldossier.pipeline import read
from mldossier.render.text import format_summary


@click.command()
@evidence_option
@strict_intake_option
@click.pass_obj
@reported
def validate(obj: Context, evidence_dir: Path | None, strict: bool) -> None:
    """Read and validate every evidence file; print a summary or every problem.

    Exit 0 when all input is valid, 2 otherwise: an invalid file, or a folder that yields
    no AI system (with --strict also a file that is not evidence, or a failed export call).
    With --quiet a valid folder prints nothing; with --verbose the summary lists every file
    read and its importer, and every file not read and why.
    """
    with obj.terminal.stages() as stage:
        stage("reading the evidence")
        intake = read(obj.config(), evidence_dir, strict=strict)
    obj.warn_all(intake.evidence.warnings)
    obj.terminal.say(format_summary(intake.evidence, intake.index, files=obj.terminal.verbose))
