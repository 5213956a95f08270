"""The build manifest: what a bundle was made from and every file it holds, with hashes.

``manifest.json`` lists the inputs (evidence files, catalogs, config, tool version; the
trusted keys and what each sign-off signature proved, when there are any) and every output
file of the bundle with its SHA-256. The report id is the SHA-256 of the inputs section, so
it can be printed inside the outputs it describes. ``verify`` re-hashes a bundle against its
manifest with nothing but the bundle, and checks signed sign-offs again
(:mod:`mldossier.bundle.signoffs`); an optional Ed25519 signature covers the manifest
bytes, and an in-toto Statement carries the same digests for supply-chain tools.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldossier.bundle.signoffs import Rechecks, recheck
from mldossier.errors import UsageError
from mldossier.formats.json import report_id_of
from mldossier.intake.files import sha256_file

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
STATEMENT_NAME = "manifest.intoto.json"
FORMAT = "mldossier-manifest/v1"
PREDICATE_TYPE = "https://mldossier.dev/manifest/v1"
NOT_LISTED = {MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME}
"""Files a bundle holds that the manifest cannot list (itself and what is made from it)."""


def list_outputs(bundle: Path) -> list[dict[str, Any]]:
    """Every file below ``bundle`` except the manifest's own files, with size and SHA-256."""
    found = []
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in NOT_LISTED:
            found.append({"path": rel, "size": path.stat().st_size, "sha256": sha256_file(path)})
    return found


def write_manifest(bundle: Path, inputs: dict[str, Any], as_of: str) -> dict[str, Any]:
    """Write ``manifest.json`` and the in-toto Statement into a finished bundle."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "report_id": report_id_of(inputs),
        "as_of": as_of,
        "inputs": inputs,
        "outputs": list_outputs(bundle),
    }
    (bundle / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": o["path"], "digest": {"sha256": o["sha256"]}} for o in manifest["outputs"]
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"report_id": manifest["report_id"], "as_of": as_of, "inputs": inputs},
    }
    (bundle / STATEMENT_NAME).write_text(
        json.dumps(statement, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def sign_manifest(bundle: Path, key_path: Path) -> None:
    """Sign ``manifest.json`` with an Ed25519 private key (PEM, unencrypted)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(
            f"{key_path}: cannot read an unencrypted PEM private key ({exc})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(
            f"{key_path}: not an Ed25519 key (make one with `openssl genpkey -algorithm ed25519`)"
        )
    signature = key.sign((bundle / MANIFEST_NAME).read_bytes())
    (bundle / SIGNATURE_NAME).write_text(
        base64.b64encode(signature).decode() + "\n", encoding="ascii"
    )


@dataclass(frozen=True)
class Verification:
    """The result of re-hashing a bundle against its manifest."""

    modified: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    signature: str
    """``valid``, ``invalid``, ``missing`` or ``not checked``."""
    report_id: str
    signoffs: Rechecks = Rechecks()
    """The sign-offs' SSH signatures, checked again against the bundle's allowed_signers."""

    @property
    def intact(self) -> bool:
        """No file changed, missing or added, no signature failure, no sign-off's either."""
        return (
            not (self.modified or self.missing or self.extra)
            and self.signature in ("valid", "not checked")
            and all(r.ok for r in self.signoffs.results)
        )


def verify_bundle(bundle: Path, pubkey: Path | None = None) -> Verification:
    """Re-hash every file of a bundle against its manifest (and check the signature)."""
    manifest_path = bundle / MANIFEST_NAME
    if not bundle.is_dir():
        raise UsageError(f"{bundle} is not a folder (give the built bundle, e.g. site/)")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
        expected_id = report_id_of(manifest["inputs"])
    except FileNotFoundError:
        raise UsageError(
            f"{manifest_path}: no manifest (was this folder made by `mldossier build`?)"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{manifest_path}: not a readable mldossier manifest ({exc})") from None
    present = {o["path"]: o["sha256"] for o in list_outputs(bundle)}
    modified = sorted(p for p in outputs if p in present and present[p] != outputs[p])
    missing = sorted(p for p in outputs if p not in present)
    extra = sorted(p for p in present if p not in outputs)
    if manifest.get("report_id") != expected_id:
        modified.insert(0, MANIFEST_NAME)
    signature = "not checked"
    if pubkey is not None:
        signature = _check_signature(bundle, pubkey)
    inputs = manifest["inputs"] if isinstance(manifest["inputs"], dict) else {}
    return Verification(
        tuple(modified),
        tuple(missing),
        tuple(extra),
        signature,
        str(manifest.get("report_id", "")),
        recheck(bundle, inputs, outputs),
    )


def _check_signature(bundle: Path, pubkey: Path) -> str:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pubkey.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{pubkey}: cannot read a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{pubkey}: not an Ed25519 public key")
    sig_path = bundle / SIGNATURE_NAME
    if not sig_path.is_file():
        return "missing"
    try:
        key.verify(
            base64.b64decode(sig_path.read_text("ascii").strip(), validate=True),
            (bundle / MANIFEST_NAME).read_bytes(),
        )
    except (InvalidSignature, ValueError):
        return "invalid"
    return "valid"
