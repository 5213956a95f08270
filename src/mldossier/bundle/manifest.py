"""The build manifest: what a bundle was made from and every file it holds, with hashes.

``manifest.json`` lists the inputs (evidence files, catalogs, config, tool version; the
trusted keys and what each sign-off signature proved, when there are any) and every output
file of the bundle with its SHA-256. The report id is the SHA-256 of the inputs section, so
it can be printed inside the outputs it describes. An in-toto Statement
(``manifest.intoto.json``) names the same files and ``manifest.json`` itself by digest, for
supply-chain tools; a signed build wraps it in a DSSE envelope (``manifest.intoto.jsonl``,
Ed25519), which in-toto, cosign or securesystemslib can check without mldossier.

``verify`` re-hashes a bundle against its manifest with nothing but the bundle, rebuilds
the Statement from the manifest and compares it byte for byte, reports every entry that is
not a regular file, and checks signed sign-offs again (:mod:`mldossier.bundle.signoffs`).
With the builder's public key it checks the envelope, or ``manifest.json.sig`` (the raw
Ed25519 signature over the manifest bytes that bundles before the envelope carry).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldossier.bundle.signoffs import Rechecks, recheck
from mldossier.errors import UsageError
from mldossier.formats.json import report_id_of
from mldossier.intake.files import sha256_file

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
"""The raw Ed25519 signature over the manifest bytes that bundles before the envelope carry."""
STATEMENT_NAME = "manifest.intoto.json"
ENVELOPE_NAME = "manifest.intoto.jsonl"
"""The signed Statement: one DSSE envelope on one line, as in-toto attestation bundles are."""
FORMAT = "mldossier-manifest/v1"
PREDICATE_TYPE = "https://mldossier.dev/manifest/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
NOT_LISTED = {MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME, ENVELOPE_NAME}
"""Files a bundle holds that the manifest cannot list (itself and what is made from it)."""
SIGNATURE_FORMS = (ENVELOPE_NAME, SIGNATURE_NAME)


def walk_bundle(bundle: Path) -> tuple[list[str], dict[str, str]]:
    """The regular files below ``bundle`` (in path order), and every other entry with its kind.

    Links are not followed: a symbolic link, FIFO, socket or device is an entry of its own
    (``{"evil.html": "symbolic link"}``), never the file it points to.
    """
    files: list[str] = []
    others: dict[str, str] = {}

    def visit(folder: Path, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    visit(Path(entry.path), rel + "/")
                elif stat.S_ISREG(mode):
                    files.append(rel)
                else:
                    others[rel] = _kind(mode)

    visit(bundle, "")
    # The order of sorted(Path.rglob()), part by part, so that manifests stay as they were.
    files.sort(key=lambda rel: rel.split("/"))
    return files, others


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "not a regular file"


def list_outputs(bundle: Path) -> list[dict[str, Any]]:
    """Every file below ``bundle`` except the manifest's own files, with size and SHA-256."""
    found = []
    for rel in walk_bundle(bundle)[0]:
        if rel not in NOT_LISTED:
            path = bundle / rel
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
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (bundle / MANIFEST_NAME).write_text(text, encoding="utf-8")
    (bundle / STATEMENT_NAME).write_bytes(statement_bytes(manifest, text.encode()))
    return manifest


def statement_bytes(manifest: dict[str, Any], manifest_bytes: bytes | None) -> bytes:
    """The in-toto Statement of a manifest: every output and ``manifest.json`` by digest.

    With ``manifest_bytes`` None, the Statement that bundles before the envelope carry, which
    did not name ``manifest.json`` itself.
    """
    subjects = [{"name": o["path"], "digest": {"sha256": o["sha256"]}} for o in manifest["outputs"]]
    if manifest_bytes is not None:
        digest = hashlib.sha256(manifest_bytes).hexdigest()
        subjects.append({"name": MANIFEST_NAME, "digest": {"sha256": digest}})
        subjects.sort(key=lambda s: s["name"].split("/"))
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "report_id": manifest["report_id"],
            "as_of": manifest["as_of"],
            "inputs": manifest["inputs"],
        },
    }
    return (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what an envelope's signature is made over."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Any) -> str:
    """The envelope's ``keyid``: SHA-256 of the public key's DER SubjectPublicKeyInfo, in hex."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def envelope_bytes(payload: bytes, keyid: str, signature: bytes) -> bytes:
    """A DSSE envelope of an in-toto Statement with one signature, as one JSON line."""
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}],
    }
    return (json.dumps(envelope, separators=(",", ":"), sort_keys=True) + "\n").encode()


def sign_manifest(bundle: Path, key_path: Path) -> None:
    """Sign the bundle's in-toto Statement, as a DSSE envelope, with an Ed25519 private key.

    The key is PEM and unencrypted. The Statement names ``manifest.json`` by digest, so the
    one signature covers the manifest and, through it, every file.
    """
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
    payload = (bundle / STATEMENT_NAME).read_bytes()
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    (bundle / ENVELOPE_NAME).write_bytes(
        envelope_bytes(payload, key_id(key.public_key()), signature)
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
    not_files: tuple[tuple[str, str], ...] = ()
    """Each extra entry that is not a regular file, with its kind (``symbolic link``)."""
    signature_detail: str = ""
    """Which signature was checked, or why it does not hold."""
    signed_with: tuple[str, ...] = ()
    """The signature files the bundle holds (checked or not)."""

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
    files, others = walk_bundle(bundle)
    if MANIFEST_NAME in others:
        raise UsageError(
            f"{manifest_path}: a {others[MANIFEST_NAME]}, not a file "
            "(give the bundle `mldossier build` wrote)"
        )
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
        expected_id = report_id_of(manifest["inputs"])
        statements = (statement_bytes(manifest, manifest_bytes), statement_bytes(manifest, None))
    except FileNotFoundError:
        raise UsageError(
            f"{manifest_path}: no manifest (was this folder made by `mldossier build`?)"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{manifest_path}: not a readable mldossier manifest ({exc})") from None
    regular = set(files)
    modified, missing = [], []
    for path, digest in outputs.items():
        if path not in regular:
            missing.append(path)
        elif _sha256_or_none(bundle / path) != digest:
            modified.append(path)
    extra = [p for p in files if p not in outputs and p not in NOT_LISTED] + list(others)
    if manifest.get("report_id") != expected_id:
        modified.insert(0, MANIFEST_NAME)
    signed_with = tuple(name for name in SIGNATURE_FORMS if name in regular)
    # The Statement is made from the manifest: rebuilt, it must be the same bytes. A signed
    # bundle's names manifest.json (the older form, without it, only stands unsigned).
    if STATEMENT_NAME not in regular:
        missing.append(STATEMENT_NAME)
    elif _read(bundle / STATEMENT_NAME) not in (
        statements[:1] if ENVELOPE_NAME in regular else statements
    ):
        modified.append(STATEMENT_NAME)
    signature, detail = "not checked", ""
    if pubkey is not None:
        signature, detail = _check_signature(
            bundle, pubkey, signed_with, manifest_bytes, statements[0]
        )
    inputs = manifest["inputs"] if isinstance(manifest["inputs"], dict) else {}
    return Verification(
        tuple(sorted(modified, key=_order)),
        tuple(sorted(missing, key=_order)),
        tuple(sorted(extra, key=_order)),
        signature,
        str(manifest.get("report_id", "")),
        recheck(bundle, inputs, outputs),
        tuple(sorted(others.items(), key=lambda item: _order(item[0]))),
        detail,
        signed_with,
    )


def _order(rel: str) -> tuple[bool, list[str]]:
    """The manifest first, then path order."""
    return rel != MANIFEST_NAME, rel.split("/")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _sha256_or_none(path: Path) -> str | None:
    """A file's SHA-256, or None when it cannot be read (it is then reported modified)."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def _check_signature(
    bundle: Path,
    pubkey: Path,
    signed_with: tuple[str, ...],
    manifest_bytes: bytes,
    statement: bytes,
) -> tuple[str, str]:
    """``valid`` when every signature form the bundle holds checks out with ``pubkey``.

    ``statement`` is the Statement made from ``manifest_bytes``, which an envelope must carry.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pubkey.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{pubkey}: cannot read a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{pubkey}: not an Ed25519 public key")
    if not signed_with:
        return "missing", f"the bundle holds neither {ENVELOPE_NAME} nor {SIGNATURE_NAME}"
    for name in signed_with:
        raw = _read(bundle / name) or b""
        if name == ENVELOPE_NAME:
            why = _envelope_problem(raw, key, statement)
        else:
            why = _raw_signature_problem(raw, key, manifest_bytes)
        if why:
            return "invalid", f"{name}: {why}"
    return "valid", " and ".join(signed_with)


def _envelope_problem(raw: bytes, key: Any, statement: bytes) -> str:
    """What is wrong with a DSSE envelope of ``statement`` signed by ``key`` ("" if nothing).

    The envelope must be the one line mldossier writes for its signature, byte for byte, so
    that no byte of it can change unseen (the ``keyid`` and the layout included).
    """
    from cryptography.exceptions import InvalidSignature

    try:
        envelope = json.loads(raw.decode("utf-8"))
        payload = base64.b64decode(envelope["payload"], validate=True)
        payload_type = envelope["payloadType"]
        signatures = [base64.b64decode(s["sig"], validate=True) for s in envelope["signatures"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not a DSSE envelope"
    if payload_type != PAYLOAD_TYPE:
        return f"its payloadType is not {PAYLOAD_TYPE}"
    for signature in signatures:
        try:
            key.verify(signature, pae(PAYLOAD_TYPE, payload))
        except InvalidSignature:
            continue
        if payload != statement:
            return f"it signs another {MANIFEST_NAME}, not this one"
        if raw != envelope_bytes(payload, key_id(key), signature):
            return "the envelope was changed after it was signed"
        return ""
    return "no signature in it verifies with this key"


def _raw_signature_problem(raw: bytes, key: Any, manifest_bytes: bytes) -> str:
    """What is wrong with a raw Ed25519 signature over ``manifest_bytes`` ("" if nothing)."""
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(raw.decode("ascii").strip(), validate=True)
        key.verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        return "does not verify with this key over manifest.json"
    if raw != base64.b64encode(signature) + b"\n":
        return "the signature file was changed after it was written"
    return ""
