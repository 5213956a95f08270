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

    Signed sign-offs are checked again with ssh-keygen against the allowed_signers the
    bundle holds; one that no longer proves what the manifest says makes the bundle
    tampered. Exit 0 intact, 1 tampered (or a bad signature), 2 unusable (no manifest, bad
    key). Needs no network and nothing but the bundle (and ssh-keygen for signed
    sign-offs: without it they are reported not checked). With --quiet an intact bundle
    prints nothing.
    """
    term = current()
    result = verify_bundle(bundle, pubkey)
    if result.signoffs.unchecked:
        click.echo(f"sign-off signatures not checked: {result.signoffs.unchecked}", err=True)
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
    for checked in result.signoffs.results:
        verdict = "" if checked.ok else term.style("INVALID", "fail") + ": "
        click.echo(f"signed:   {checked.signature}: {verdict}{checked.summary}")
    if not result.intact:
        click.echo(
            f"{bundle}: {term.style('TAMPERED', 'exception')} (report id {result.report_id[:12]})"
        )
        sys.exit(EXIT_FAILING)
    click.echo(
        f"{bundle}: {term.style('intact', 'no_exception')} (report id {result.report_id[:12]})"
    )
