"""``mldossier build``: render the site, the PDF and the results into one verifiable bundle."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from mldossier.bundle.build import build
from mldossier.bundle.out_folder import BUNDLE, refuse_unsafe_out
from mldossier.cli.common import (
    Context,
    as_of_option,
    build_cache,
    evidence_option,
    inputs_of,
    no_cache_option,
    quarantine_option,
    readiness_option,
    reported,
)
from mldossier.pipeline import analyse


@click.command("build")
@evidence_option
@click.option(
    "--controls",
    "control_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A control catalog (repeatable).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Bundle folder: the site, report.pdf, results.json and manifest.json.",
)
@click.option(
    "--pdf/--no-pdf", default=True, show_default=True, help="Write report.pdf into the bundle."
)
@click.option(
    "--pdf-per-system", is_flag=True, help="Also write one PDF per AI system (systems/<name>.pdf)."
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 private key (PEM) to sign the bundle with: a DSSE envelope of the in-toto "
    "Statement (manifest.intoto.jsonl), which names manifest.json by digest.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="An earlier results JSON or bundle: add a 'changes since' page and section.",
)
@as_of_option
@readiness_option
@quarantine_option
@no_cache_option
@click.pass_obj
@reported
def build_command(
    obj: Context,
    evidence_dir: Path | None,
    control_files: tuple[Path, ...],
    out_dir: Path,
    pdf: bool,
    pdf_per_system: bool,
    sign_key: Path | None,
    baseline: Path | None,
    as_of: date | None,
    readiness: bool,
    quarantine: bool,
    no_cache: bool,
) -> None:
    """Build the auditors' site and the PDF report into one verifiable bundle.

    Everything is rendered into a temporary folder and swapped in when complete, so a
    failed build leaves the previous bundle intact. --out must be new, empty or a bundle
    built before (nothing else is replaced), and neither be nor hold the current folder,
    the config file or the evidence folder. Exit 0 when built, 2 on invalid input; with
    --quarantine, 5 when built with invalid records left out.
    With --quiet a successful build prints nothing; with --verbose it names each stage.
    """
    config = obj.config()
    refuse_unsafe_out(out_dir, BUNDLE, inputs_of(config, evidence_dir))
    with obj.terminal.stages(announce=True) as stage:
        stage("reading the evidence and evaluating the controls")
        analysis = analyse(
            config,
            evidence_dir,
            list(control_files),
            build_cache(config, no_cache),
            as_of,
            readiness=readiness,
            quarantine=quarantine,
        )
        stage.close()  # the warnings start on a line of their own
        obj.warn_all(analysis.results.evidence.warnings)
        obj.show_quarantine(analysis.results.evidence.quarantined)
        stage(f"rendering {bundle_parts(pdf, pdf_per_system, sign_key)} into {out_dir}")
        built = build(
            analysis,
            out_dir,
            pdf=pdf,
            pdf_per_system=pdf_per_system,
            sign_key=sign_key,
            baseline=baseline,
        )
    counts = analysis.results.counts()
    obj.terminal.say(
        f"Built {built} (report id {analysis.report_id[:12]}): "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    )
    obj.exit_quarantined(analysis.results.evidence.quarantined)


def bundle_parts(pdf: bool, pdf_per_system: bool, sign_key: Path | None) -> str:
    """What ``build`` renders, in words, for --verbose."""
    parts = ["the site", "results.json"]
    parts += ["report.pdf"] if pdf else []
    parts += ["systems/*.pdf"] if pdf_per_system else []
    parts += ["manifest.json" + (" (signed)" if sign_key else "")]
    return ", ".join(parts[:-1]) + " and " + parts[-1]
