"""``mldossier verify``: re-hash a built bundle against its manifest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mldossier.bundle.manifest import Verification, verify_bundle
from mldossier.cli.common import reported
from mldossier.errors import EXIT_FAILING
from mldossier.formats.text import printable
from mldossier.terminal import current, echo

UNSIGNED_PROVES = (
    "this check proves the files match manifest.json, not that nobody changed them: "
    "whoever edits a file can re-hash the manifest, and nothing covers its as_of or "
    "other fields"
)


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--pubkey",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The builder's Ed25519 public key (PEM): also check the signature "
    "(manifest.intoto.jsonl, or manifest.json.sig in older bundles).",
)
@reported
def verify(bundle: Path, pubkey: Path | None) -> None:
    """Re-hash a built bundle against its manifest; name every modified, missing or extra file.

    Signed sign-offs are checked again with ssh-keygen against the allowed_signers the
    bundle holds; one that no longer proves what the manifest says makes the bundle
    tampered. Without --pubkey the check only shows that the files match the manifest, which
    anyone can re-hash: a warning says so. Exit 0 intact, 1 tampered (or a bad signature),
    2 unusable (no manifest, bad key). Needs no network and nothing but the bundle (and
    ssh-keygen for signed sign-offs: without it they are reported not checked). With
    --quiet an intact bundle prints nothing.
    """
    term = current()
    result = verify_bundle(bundle, pubkey)
    if result.signoffs.unchecked:
        echo(f"sign-off signatures not checked: {result.signoffs.unchecked}", err=True)
    if pubkey is None:
        term.warn(unchecked_signature(bundle, result))
    if result.intact and term.quiet:
        return
    kinds = dict(result.not_files)
    for path in result.modified:
        echo(f"modified: {path}")
    for path in result.missing:
        echo(f"missing:  {path}")
    for path in result.extra:
        kind = f" ({kinds[path]})" if path in kinds else ""
        echo(f"extra:    {path}{kind}")
    if pubkey is not None:
        echo(f"signature: {result.signature} ({result.signature_detail})")
    for checked in result.signoffs.results:
        verdict = "" if checked.ok else term.style("INVALID", "fail") + ": "
        echo(f"signed:   {checked.signature}: {verdict}{checked.summary}")
    if not result.intact:
        echo(f"{bundle}: {term.style('TAMPERED', 'exception')} (report id {result.report_id[:12]})")
        sys.exit(EXIT_FAILING)
    echo(f"{bundle}: {term.style('intact', 'no_exception')} (report id {result.report_id[:12]})")


def unchecked_signature(bundle: Path, result: Verification) -> str:
    """What a check without --pubkey proves, and whether a signature was left unchecked."""
    if result.signed_with:
        return (
            f"{printable(str(bundle))}: signed ({' and '.join(result.signed_with)}), but "
            f"without --pubkey the signature was not checked: {UNSIGNED_PROVES} (give "
            "--pubkey the builder's public key)"
        )
    return (
        f"{printable(str(bundle))}: not signed: {UNSIGNED_PROVES} (sign with "
        "`build --sign-key`, check with `verify --pubkey`)"
    )
