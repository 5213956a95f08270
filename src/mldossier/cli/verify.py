"""``mldossier verify``: re-hash a built bundle against its manifest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mldossier.bundle.manifest import verify_bundle
from mldossier.cli.common import reported
from mldossier.errors import EXIT_FAILING
from mldossier.terminal import current


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--pubkey",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 public key (PEM): also check manifest.json.sig.",
)
@reported
def verify(bundle: Path, pubkey: Path | None) -> None:
    """Re-hash a built bundle against its manifest; name every modified, missing or extra file.

    Exit 0 intact, 1 tampered (or a bad signature), 2 unusable (no manifest, bad key).
    Needs no network and nothing but the bundle. With --quiet an intact bundle prints
    nothing.
    """
    term = current()
    result = verify_bundle(bundle, pubkey)
    if result.intact and term.quiet:
        return
    for path in result.modified:
        click.echo(f"modified: {path}")
    for path in result.missing:
        click.echo(f"missing:  {path}")
    for path in result.extra:
        click.echo(f"extra:    {path}")
    if pubkey is not None:
        click.echo(f"signature: {result.signature}")
    if not result.intact:
        click.echo(
            f"{bundle}: {term.style('TAMPERED', 'exception')} (report id {result.report_id[:12]})"
        )
        sys.exit(EXIT_FAILING)
    click.echo(
        f"{bundle}: {term.style('intact', 'no_exception')} (report id {result.report_id[:12]})"
    )
