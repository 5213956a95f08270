"""``mldossier verify``'s blind spots closed: the Statement, links and special files, the
DSSE envelope (checked by an independent implementation), old signatures, unsigned checks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_integrity import make_bundle

from mldossier.bundle.manifest import (
    ENVELOPE_NAME,
    MANIFEST_NAME,
    STATEMENT_NAME,
    sign_manifest,
    verify_bundle,
)
from mldossier.cli import main

OLD_BUNDLE = Path(__file__).parent / "bundles" / "v1-raw-signature"

NOT_SIGNED = (
    "not signed: this check proves the files match manifest.json, not that nobody changed "
    "them: whoever edits a file can re-hash the manifest, and nothing covers its as_of or "
    "other fields (sign with `build --sign-key`, check with `verify --pubkey`)"
)


@dataclass(frozen=True)
class Keys:
    private: Path
    public: Path
    key: Ed25519PrivateKey


def make_keys(folder: Path, name: str = "key") -> Keys:
    key = Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return Keys(private, public, key)


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


@pytest.fixture
def signed(tmp_path: Path, keys: Keys) -> Path:
    bundle = make_bundle(tmp_path)
    sign_manifest(bundle, keys.private)
    return bundle


def verify(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(main, ["verify", *args], env={"NO_COLOR": "1"})
    return done.exit_code, done.stdout, done.stderr


def report_id(bundle: Path) -> str:
    return str(json.loads((bundle / MANIFEST_NAME).read_text())["report_id"])[:12]


# ---------------------------------------------------------------- the in-toto Statement


def test_an_emptied_statement_is_reported(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (bundle / STATEMENT_NAME).write_text('{"subject": []}')
    assert verify(str(bundle)) == (
        1,
        f"modified: manifest.intoto.json\n{bundle}: TAMPERED (report id {report_id(bundle)})\n",
        f"warning: {bundle}: {NOT_SIGNED}\n",
    )


def test_a_missing_statement_is_reported(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (bundle / STATEMENT_NAME).unlink()
    result = verify_bundle(bundle)
    assert (result.missing, result.intact) == ((STATEMENT_NAME,), False)


def test_the_statement_names_manifest_json_by_digest(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    statement = json.loads((bundle / STATEMENT_NAME).read_text())
    digest = hashlib.sha256((bundle / MANIFEST_NAME).read_bytes()).hexdigest()
    assert {"name": MANIFEST_NAME, "digest": {"sha256": digest}} in statement["subject"]


def test_a_signed_bundle_cannot_fall_back_to_the_older_statement(signed: Path) -> None:
    # The older Statement did not name manifest.json: it only stands in unsigned bundles.
    path = signed / STATEMENT_NAME
    statement = json.loads(path.read_text())
    statement["subject"] = [s for s in statement["subject"] if s["name"] != MANIFEST_NAME]
    path.write_text(json.dumps(statement, indent=2, sort_keys=True) + "\n")
    assert verify_bundle(signed).modified == (STATEMENT_NAME,)


# ---------------------------------------------------------------- links and special files


def test_links_and_fifos_are_reported_as_extra(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (bundle / "evil.html").symlink_to("/etc/passwd")
    (bundle / "etc").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(bundle / "evidence-files" / "pipe")
    assert verify(str(bundle))[:2] == (
        1,
        "extra:    etc (symbolic link)\n"
        "extra:    evidence-files/pipe (FIFO)\n"
        "extra:    evil.html (symbolic link)\n"
        f"{bundle}: TAMPERED (report id {report_id(bundle)})\n",
    )


def test_a_listed_file_replaced_by_a_link_is_missing_and_the_link_extra(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (tmp_path / "copy.html").write_bytes((bundle / "index.html").read_bytes())
    (bundle / "index.html").unlink()
    (bundle / "index.html").symlink_to(tmp_path / "copy.html")
    result = verify_bundle(bundle)
    assert (result.missing, result.extra) == (("index.html",), ("index.html",))
    assert result.not_files == (("index.html", "symbolic link"),)


def test_a_manifest_that_is_a_fifo_is_refused_unread(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    (bundle / MANIFEST_NAME).unlink()
    os.mkfifo(bundle / MANIFEST_NAME)
    assert verify(str(bundle)) == (
        2,
        "",
        f"mldossier: {bundle / MANIFEST_NAME}: a FIFO, not a file (give the bundle `mldossier build` "
        "wrote)\n",
    )


# ---------------------------------------------------------------- what an unsigned check says


def test_a_consistently_rehashed_manifest_passes_an_unsigned_check_and_says_so(
    signed: Path, keys: Keys
) -> None:
    path = signed / MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["as_of"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    # Re-made as the builder would: the Statement from the edited manifest.
    from mldossier.bundle.manifest import statement_bytes

    (signed / STATEMENT_NAME).unlink()
    (signed / ENVELOPE_NAME).rename(signed.parent / "aside")
    (signed / STATEMENT_NAME).write_bytes(statement_bytes(manifest, path.read_bytes()))
    assert verify(str(signed)) == (
        0,
        f"{signed}: intact (report id {report_id(signed)})\n",
        f"warning: {signed}: {NOT_SIGNED}\n",
    )
    (signed.parent / "aside").rename(signed / ENVELOPE_NAME)
    code, stdout, stderr = verify(str(signed), "--pubkey", str(keys.public))
    assert (code, stderr) == (1, "")
    assert stdout.splitlines() == [
        "signature: invalid (manifest.intoto.jsonl: it signs another manifest.json, not this one)",
        f"{signed}: TAMPERED (report id {report_id(signed)})",
    ]


def test_a_signature_left_unchecked_is_named(signed: Path) -> None:
    assert verify(str(signed)) == (
        0,
        f"{signed}: intact (report id {report_id(signed)})\n",
        f"warning: {signed}: signed (manifest.intoto.jsonl), but without --pubkey the "
        "signature was not checked: this check proves the files match manifest.json, not "
        "that nobody changed them: whoever edits a file can re-hash the manifest, and nothing "
        "covers its as_of or other fields (give --pubkey the builder's public key)\n",
    )


def test_quiet_keeps_an_intact_unsigned_check_silent(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    done = CliRunner().invoke(main, ["-q", "verify", str(bundle)])
    assert (done.exit_code, done.stdout, done.stderr) == (0, "", "")


# ---------------------------------------------------------------- the DSSE envelope


def test_the_envelope_is_checked_by_securesystemslib(signed: Path, keys: Keys) -> None:
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey

    public = keys.key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    trusted = SSlibKey(hashlib.sha256(der).hexdigest(), "ed25519", "ed25519", {"public": raw.hex()})
    text = (signed / ENVELOPE_NAME).read_text()
    assert text.count("\n") == 1 and text.endswith("\n")  # one envelope, one JSON line
    envelope = Envelope.from_dict(json.loads(text))
    assert envelope.payload_type == "application/vnd.in-toto+json"
    assert envelope.payload == (signed / STATEMENT_NAME).read_bytes()
    assert list(envelope.verify([trusted], 1)) == [trusted.keyid]
    statement = json.loads(envelope.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    envelope.payload = envelope.payload.replace(b"report.pdf", b"report.pdx")
    with pytest.raises(VerificationError):
        envelope.verify([trusted], 1)


def test_signing_is_deterministic(tmp_path: Path, keys: Keys) -> None:
    one, two = make_bundle(tmp_path / "one"), make_bundle(tmp_path / "two")
    sign_manifest(one, keys.private)
    sign_manifest(two, keys.private)
    assert (one / ENVELOPE_NAME).read_bytes() == (two / ENVELOPE_NAME).read_bytes()


def test_a_signed_bundle_verifies_with_its_key(signed: Path, keys: Keys) -> None:
    assert verify(str(signed), "--pubkey", str(keys.public)) == (
        0,
        "signature: valid (manifest.intoto.jsonl)\n"
        f"{signed}: intact (report id {report_id(signed)})\n",
        "",
    )


def test_another_key_does_not_verify(signed: Path, tmp_path: Path) -> None:
    other = make_keys(tmp_path, "other")
    result = verify_bundle(signed, other.public)
    assert (result.signature, result.signature_detail) == (
        "invalid",
        "manifest.intoto.jsonl: no signature in it verifies with this key",
    )


def test_an_edited_keyid_is_an_edited_envelope(signed: Path, keys: Keys) -> None:
    path = signed / ENVELOPE_NAME
    envelope = json.loads(path.read_text())
    envelope["signatures"][0]["keyid"] = "someone-else"
    path.write_text(json.dumps(envelope, separators=(",", ":"), sort_keys=True) + "\n")
    result = verify_bundle(signed, keys.public)
    assert (result.signature, result.signature_detail) == (
        "invalid",
        "manifest.intoto.jsonl: the envelope was changed after it was signed",
    )


def test_a_missing_signature_is_named(tmp_path: Path, keys: Keys) -> None:
    bundle = make_bundle(tmp_path)
    assert verify(str(bundle), "--pubkey", str(keys.public))[:2] == (
        1,
        "signature: missing (the bundle holds neither manifest.intoto.jsonl nor "
        "manifest.json.sig)\n"
        f"{bundle}: TAMPERED (report id {report_id(bundle)})\n",
    )


def test_a_flipped_byte_anywhere_in_a_small_signed_bundle_is_caught(
    signed: Path, keys: Keys
) -> None:
    for path in sorted(p for p in signed.rglob("*") if p.is_file()):
        original = path.read_bytes()
        for at in range(len(original)):
            data = bytearray(original)
            data[at] ^= 1
            path.write_bytes(bytes(data))
            try:
                intact = verify_bundle(signed, keys.public).intact
            except Exception:  # an unreadable manifest: exit 2, not intact
                intact = False
            assert not intact, (path.name, at)
        path.write_bytes(original)
    assert verify_bundle(signed, keys.public).intact


# ---------------------------------------------------------------- bundles signed the old way


@pytest.fixture
def old(tmp_path: Path) -> Path:
    shutil.copytree(OLD_BUNDLE, tmp_path / "old")
    return tmp_path / "old"


def test_an_old_bundle_still_verifies(old: Path) -> None:
    bundle = old / "bundle"
    assert verify(str(bundle), "--pubkey", str(old / "pub.pem")) == (
        0,
        f"signature: valid (manifest.json.sig)\n{bundle}: intact (report id 2369b4cbad12)\n",
        "",
    )


def test_every_flipped_byte_of_an_old_bundle_is_caught(old: Path) -> None:
    bundle, pub = old / "bundle", old / "pub.pem"
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        original = path.read_bytes()
        for at in range(len(original)):
            data = bytearray(original)
            data[at] ^= 1
            path.write_bytes(bytes(data))
            try:
                intact = verify_bundle(bundle, pub).intact
            except Exception:
                intact = False
            assert not intact, (path.name, at)
        path.write_bytes(original)


def test_an_old_signature_with_its_newline_changed_is_refused(old: Path) -> None:
    # "\n" ^ 1 is a vertical tab, which strip() took away: the one byte that escaped.
    bundle = old / "bundle"
    sig = bundle / "manifest.json.sig"
    sig.write_bytes(sig.read_bytes()[:-1] + b"\x0b")
    result = verify_bundle(bundle, old / "pub.pem")
    assert (result.signature, result.signature_detail) == (
        "invalid",
        "manifest.json.sig: the signature file was changed after it was written",
    )
    base64.b64decode(sig.read_bytes().strip(), validate=True)  # still decodes


# ---------------------------------------------------------------- a real signed bundle


@pytest.mark.slow
def test_a_flipped_byte_in_every_file_of_a_built_signed_bundle_is_caught(
    tmp_path: Path, keys: Keys
) -> None:
    from conftest import DEMO_EVIDENCE, REPO

    bundle = tmp_path / "site"
    done = CliRunner().invoke(
        main,
        [
            "--config",
            str(REPO / "mldossier.yaml"),
            "build",
            "--no-cache",
            "--evidence",
            str(DEMO_EVIDENCE),
            "--out",
            str(bundle),
            "--sign-key",
            str(keys.private),
        ],
    )
    assert done.exit_code == 0, done.output
    assert verify_bundle(bundle, keys.public).intact
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    assert {MANIFEST_NAME, STATEMENT_NAME, ENVELOPE_NAME, "report.pdf"} <= {
        p.relative_to(bundle).as_posix() for p in files
    }
    escaped = []
    for path in files:
        original = path.read_bytes()
        for at in sorted({0, len(original) // 2, len(original) - 1}):
            data = bytearray(original)
            data[at] ^= 1
            path.write_bytes(bytes(data))
            try:
                intact = verify_bundle(bundle, keys.public).intact
            except Exception:
                intact = False
            if intact:
                escaped.append((path.relative_to(bundle).as_posix(), at))
            path.write_bytes(original)
    assert escaped == []
