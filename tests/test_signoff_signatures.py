"""Signed sign-offs: real SSH keys and signatures, every outcome, the exact messages.

Each test makes its keys with ``ssh-keygen -t ed25519`` and signs with ``ssh-keygen -Y
sign -n mldossier``, exactly as a signer would; without ``ssh-keygen`` they are skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mldossier.bundle.manifest import MANIFEST_NAME, write_manifest
from mldossier.cache import Cache
from mldossier.cli import main
from mldossier.config import load_config
from mldossier.errors import InputError
from mldossier.intake import signatures
from mldossier.intake.read import read_evidence
from mldossier.model import AllowedSigners, Citation, Evidence, EvidenceStrength, SignOff

SSH_KEYGEN = shutil.which("ssh-keygen")
pytestmark = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")

SIGNOFF = """\
mldossier: signoff/v1
id: RA-2026-014
kind: risk_assessment
title: Risk assessment, credit-default-scorer
subject:
  system: credit-default-scorer
statement: Residual risks reviewed and accepted for production use.
signed_by: Dana Whitfield
role: Chief Risk Officer
date: 2026-10-01
"""
PATH = "signoffs/RA-2026-014.yaml"
SIG = PATH + ".sig"
CONFIG = "evidence: evidence\nsignatures:\n  allowed_signers: keys/allowed_signers\n"


class Keys:
    """Ed25519 key pairs made in a test's temporary folder, by name."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def private(self, name: str) -> Path:
        """The private key ``name``, made on first use."""
        key = self.folder / name
        if not key.exists():
            subprocess.run(
                [str(SSH_KEYGEN), "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                check=True,
            )
        return key

    def public(self, name: str) -> str:
        """``type base64`` of the public key ``name``."""
        self.private(name)
        return " ".join((self.folder / f"{name}.pub").read_text().split()[:2])

    def fingerprint(self, name: str) -> str:
        """The key's SHA256 fingerprint as ``ssh-keygen -l`` prints it."""
        self.private(name)
        out = subprocess.run(
            [str(SSH_KEYGEN), "-l", "-f", str(self.folder / f"{name}.pub")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()[1]


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return Keys(tmp_path / "keys-private")


@pytest.fixture
def project(tmp_path: Path, keys: Keys) -> Path:
    """A project trusting dana@ and eve@, with one unsigned sign-off."""
    root = tmp_path / "project"
    (root / "evidence/signoffs").mkdir(parents=True)
    (root / "keys").mkdir()
    (root / "mldossier.yaml").write_text(CONFIG)
    trust(
        root,
        f"dana.whitfield@northwind.example {keys.public('dana')}",
        f"eve.martin@northwind.example {keys.public('eve')}",
    )
    (root / "evidence" / PATH).write_text(SIGNOFF)
    return root


def trust(root: Path, *lines: str) -> None:
    """Write the project's allowed_signers."""
    (root / "keys/allowed_signers").write_text("".join(line + "\n" for line in lines))


def sign(root: Path, keys: Keys, name: str, rel: str = PATH, namespace: str = "mldossier") -> Path:
    """Sign an evidence file as a signer would, replacing any signature beside it."""
    target = root / "evidence" / rel
    Path(f"{target}.sig").unlink(missing_ok=True)
    subprocess.run(
        [
            str(SSH_KEYGEN),
            "-q",
            "-Y",
            "sign",
            "-f",
            str(keys.private(name)),
            "-n",
            namespace,
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    return Path(f"{target}.sig")


def read(root: Path, cache: Cache | None = None) -> Evidence:
    return read_evidence(load_config(root / "mldossier.yaml"), cache=cache)


def the_signoff(root: Path) -> SignOff:
    [signoff] = read(root).signoffs
    return signoff


def problems(root: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read(root)
    return [str(p) for p in caught.value.problems]


def warnings(evidence: Evidence) -> list[str]:
    return [str(p) for p in evidence.warnings]


def edit(root: Path, old: str, new: str, rel: str = PATH) -> None:
    path = root / "evidence" / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# ---------------------------------------------------------------- authenticated


def test_a_good_signature_by_a_trusted_key_authenticates_its_principal(
    project: Path, keys: Keys
) -> None:
    sig = sign(project, keys, "dana")
    evidence = read(project)
    [signoff] = evidence.signoffs
    assert signoff.evidence_strength is EvidenceStrength.AUTHENTICATED
    assert signoff.evidence_strength == "authenticated"
    assert signoff.identity == "dana.whitfield@northwind.example"
    assert signoff.signed_by == "Dana Whitfield"  # the name stays what the file says
    assert signoff.signature == Citation(SIG, "", hashlib.sha256(sig.read_bytes()).hexdigest())
    assert signoff.signing_key == keys.fingerprint("dana")
    assert signoff.strength_note == ""
    assert warnings(evidence) == []
    # The signature is evidence of its own kind, read by the sign-off importer.
    kinds = {f.path: (f.kind, f.importer) for f in evidence.files}
    assert kinds == {PATH: ("signoff", "signoff"), SIG: ("signature", "signoff")}
    data = (project / "keys/allowed_signers").read_bytes()
    assert evidence.allowed_signers == AllowedSigners(
        "keys/allowed_signers",
        len(data),
        hashlib.sha256(data).hexdigest(),
        ("dana.whitfield@northwind.example", "eve.martin@northwind.example"),
    )


def test_signed_records_pickle_to_equal_records(project: Path, keys: Keys) -> None:
    # The build cache pickles the intake's records (model._fast_pickling).
    sign(project, keys, "dana")
    evidence = read(project)
    again = pickle.loads(pickle.dumps(evidence, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == evidence
    assert again.signoffs[0].evidence_strength is EvidenceStrength.AUTHENTICATED


def test_an_unsigned_signoff_is_asserted(project: Path) -> None:
    signoff = the_signoff(project)
    assert signoff.evidence_strength is EvidenceStrength.ASSERTED
    assert (signoff.identity, signoff.signature, signoff.signing_key) == (None, None, "")
    assert signoff.strength_note == ""


def test_a_claimed_principal_is_the_one_the_key_is_verified_for(project: Path, keys: Keys) -> None:
    trust(project, f"dana@northwind.example,dana.whitfield@northwind.example {keys.public('dana')}")
    edit(project, "role:", "principal: dana@northwind.example\nrole:")
    sign(project, keys, "dana")
    signoff = the_signoff(project)
    assert signoff.evidence_strength is EvidenceStrength.AUTHENTICATED
    assert signoff.identity == "dana@northwind.example"


def test_a_key_trusted_for_a_pattern_authenticates_the_principal_the_signoff_names(
    project: Path, keys: Keys
) -> None:
    trust(project, f"*@northwind.example {keys.public('dana')}")
    edit(project, "role:", "principal: dana.whitfield@northwind.example\nrole:")
    sign(project, keys, "dana")
    assert the_signoff(project).identity == "dana.whitfield@northwind.example"


def test_a_json_signoff_is_signed_the_same_way(project: Path, keys: Keys) -> None:
    (project / "evidence" / PATH).unlink()
    doc = yaml.safe_load(SIGNOFF) | {"date": "2026-10-01T14:30:00+02:00"}
    (project / "evidence/signoffs/ra.json").write_text(json.dumps(doc))
    sig = sign(project, keys, "dana", "signoffs/ra.json")
    signoff = the_signoff(project)
    assert signoff.identity == "dana.whitfield@northwind.example"
    assert signoff.signature is not None and signoff.signature.file == "signoffs/ra.json.sig"
    assert sig.exists()


def test_keys_are_judged_at_the_signoffs_date_not_today(project: Path, keys: Keys) -> None:
    # Valid only in 2019: a sign-off dated then still verifies, years later, every time.
    window = 'valid-after="20190101Z",valid-before="20200101Z"'
    trust(project, f"dana.whitfield@northwind.example {window} {keys.public('dana')}")
    edit(project, "date: 2026-10-01", "date: 2019-06-01T09:30:00+02:00")
    sign(project, keys, "dana")
    assert the_signoff(project).identity == "dana.whitfield@northwind.example"


# ---------------------------------------------------------------- input errors


@pytest.mark.parametrize("principal", ["*@northwind.example", "-I", "dana eve", "a,b", "d\x1b[2J"])
def test_a_principal_must_be_one_plain_principal(project: Path, principal: str) -> None:
    edit(project, "role:", f"principal: {json.dumps(principal)}\nrole:")
    assert problems(project) == [
        f"{PATH}:/principal: principal {json.dumps(principal)} is not one principal: it has a "
        "space, comma, wildcard (* ? !), quote or control character, or starts with - (write "
        "the signer's principal as allowed_signers names it, e.g. "
        "dana.whitfield@northwind.example)"
    ]


def test_a_signature_by_another_principals_key_is_an_error(project: Path, keys: Keys) -> None:
    edit(project, "role:", "principal: dana.whitfield@northwind.example\nrole:")
    sign(project, keys, "eve")
    assert problems(project) == [
        f'{PATH}:/principal: principal "dana.whitfield@northwind.example" is not proven by '
        "the signature: keys/allowed_signers allows its key "
        f"({keys.fingerprint('eve')}) for eve.martin@northwind.example "
        "(have dana.whitfield@northwind.example sign it with their own key, or correct "
        "principal)"
    ]


def test_a_claimed_principal_signed_by_an_unknown_key_stays_asserted(
    project: Path, keys: Keys
) -> None:
    # A key removed from allowed_signers (or never added) proves nothing, and breaks nothing.
    edit(project, "role:", "principal: dana.whitfield@northwind.example\nrole:")
    sign(project, keys, "mallory")
    evidence = read(project)
    [signoff] = evidence.signoffs
    assert (signoff.evidence_strength, signoff.identity) == (EvidenceStrength.ASSERTED, None)
    assert signoff.strength_note == (
        f"signed by a key the project does not trust (fingerprint {keys.fingerprint('mallory')})"
        ', so its principal "dana.whitfield@northwind.example" is not proven'
    )
    assert warnings(evidence) == [
        f"{SIG}:/: {signoff.strength_note}; {PATH} counts as asserted (if the signer is "
        "trusted, add their key to keys/allowed_signers)"
    ]


def test_a_signoff_changed_after_signing_is_an_error(project: Path, keys: Keys) -> None:
    sign(project, keys, "dana")
    edit(project, "accepted for production use", "accepted for any use")
    assert problems(project) == [
        f"{SIG}:/: signature does not match {PATH}: the file was changed after it was "
        "signed, or the signature was made for another file; ssh-keygen says: Signature "
        "verification failed: incorrect signature (find out what changed; if the change is "
        "meant, have the signer sign the file again: ssh-keygen -Y sign -f "
        f"~/.ssh/id_ed25519 -n mldossier {PATH})"
    ]


def test_a_signature_of_another_file_is_an_error(project: Path, keys: Keys) -> None:
    (project / "evidence/signoffs/other.yaml").write_text(
        SIGNOFF.replace("RA-2026-014", "RA-2026-015")
    )
    sig = sign(project, keys, "dana", "signoffs/other.yaml")
    shutil.copy(sig, project / "evidence" / SIG)
    assert [p.split(";")[0] for p in problems(project)] == [
        f"{SIG}:/: signature does not match {PATH}: the file was changed after it was "
        "signed, or the signature was made for another file"
    ]


def test_a_signature_for_another_namespace_is_an_error(project: Path, keys: Keys) -> None:
    sign(project, keys, "dana", namespace="git")
    assert problems(project) == [
        f'{SIG}:/: signature is for the namespace "git", not "mldossier" (sign it for '
        f"mldossier: ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n mldossier {PATH})"
    ]


def test_a_signature_beside_no_signoff_is_an_error(project: Path, keys: Keys) -> None:
    sig = sign(project, keys, "dana")
    sig.rename(project / "evidence/signoffs/RA-2026-013.yaml.sig")
    assert problems(project) == [
        "signoffs/RA-2026-013.yaml.sig:/: signature of no sign-off: there is no file "
        "signoffs/RA-2026-013.yaml (name it after the sign-off it signs (<sign-off "
        "file>.sig), or remove it)"
    ]


def test_a_signature_named_in_capitals_is_still_its_signoffs(project: Path, keys: Keys) -> None:
    sign(project, keys, "dana").rename(project / "evidence" / (PATH + ".SIG"))
    evidence = read(project)
    assert evidence.signoffs[0].identity == "dana.whitfield@northwind.example"
    assert {f.path: f.kind for f in evidence.files}[PATH + ".SIG"] == "signature"


def test_a_signature_of_a_file_that_is_not_a_signoff_is_an_error(project: Path, keys: Keys) -> None:
    (project / "evidence/notes.txt").write_text("not a sign-off\n")
    sign(project, keys, "dana", "notes.txt")
    assert problems(project) == [
        "notes.txt.sig:/: signature of notes.txt, which is not a sign-off: only sign-offs are "
        "read with their signatures (remove the signature, or move it out of the evidence "
        "folder)"
    ]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (
            b"",
            "it does not start with -----BEGIN SSH SIGNATURE----- and end with "
            "-----END SSH SIGNATURE-----",
        ),
        (
            b"-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n",
            "it does not start with -----BEGIN SSH SIGNATURE----- and end with "
            "-----END SSH SIGNATURE-----",
        ),
        (b"\x89\x01\x33\x04\x00\x01\x08\x00", "it is not text (an SSH signature is ASCII armour)"),
        (
            b"-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n",
            "its armour is not valid base64",
        ),
        (
            b"-----BEGIN SSH SIGNATURE-----\naGVsbG8=\n-----END SSH SIGNATURE-----\n",
            "its content does not start with SSHSIG",
        ),
        (
            b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADM=\n-----END SSH SIGNATURE-----\n",
            "it is cut short",
        ),
    ],
)
def test_a_sig_that_is_not_an_ssh_signature_is_an_error(
    project: Path, content: bytes, why: str
) -> None:
    (project / "evidence" / SIG).write_bytes(content)
    assert problems(project) == [
        f"{SIG}:/: not an SSH signature: {why} (make it with: ssh-keygen -Y sign -f "
        f"~/.ssh/id_ed25519 -n mldossier {PATH})"
    ]


def test_an_oversized_sig_is_refused_unread(project: Path) -> None:
    (project / "evidence" / SIG).write_bytes(b"A" * (64 * 1024 + 1))
    assert problems(project) == [
        f"{SIG}:/: file is 65,537 bytes, over the limit of 65,536 for a signature (an SSH "
        "signature is a few hundred bytes; check that this is the right file)"
    ]


def test_several_principals_for_the_key_and_none_named_is_an_error(
    project: Path, keys: Keys
) -> None:
    trust(project, f"dana@northwind.example,dana.whitfield@northwind.example {keys.public('dana')}")
    sign(project, keys, "dana")
    assert problems(project) == [
        f"{SIG}:/: keys/allowed_signers allows the signing key for dana@northwind.example, "
        "dana.whitfield@northwind.example, not one principal, so it cannot say who signed "
        "(name the signer in the sign-off: principal: <one of them>)"
    ]


def test_a_key_trusted_only_at_other_times_is_an_error(project: Path, keys: Keys) -> None:
    window = 'valid-before="20250101Z"'
    trust(project, f"dana.whitfield@northwind.example {window} {keys.public('dana')}")
    sign(project, keys, "dana")
    [message] = problems(project)
    assert message.startswith(
        f"{SIG}:/: signed with a key that keys/allowed_signers lists for "
        "dana.whitfield@northwind.example but not as valid on 2026-10-01; ssh-keygen says: "
        "keys/allowed_signers:1: key has expired"
    )
    assert message.endswith(
        "(check the key's valid-after and valid-before in keys/allowed_signers, and the "
        "sign-off's date)"
    )


def test_a_claimed_principal_whose_key_is_for_other_namespaces_is_an_error(
    project: Path, keys: Keys
) -> None:
    trust(project, f'dana.whitfield@northwind.example namespaces="git" {keys.public("dana")}')
    edit(project, "role:", "principal: dana.whitfield@northwind.example\nrole:")
    sign(project, keys, "dana")
    [message] = problems(project)
    assert message.startswith(
        f"{SIG}:/: keys/allowed_signers does not accept the signing key for "
        "dana.whitfield@northwind.example signing mldossier sign-offs on 2026-10-01"
    )


def test_a_key_trusted_only_for_other_namespaces_is_an_error(project: Path, keys: Keys) -> None:
    trust(project, f'dana.whitfield@northwind.example namespaces="git" {keys.public("dana")}')
    sign(project, keys, "dana")
    assert problems(project) == [
        f"{SIG}:/: keys/allowed_signers does not accept the signing key for "
        "dana.whitfield@northwind.example signing mldossier sign-offs on 2026-10-01; "
        "ssh-keygen says: keys/allowed_signers:1: key is not permitted for use in signature "
        'namespace "mldossier" (check the key\'s options (namespaces, valid-after, '
        "valid-before) in keys/allowed_signers)"
    ]


# ---------------------------------------------------------------- asserted, with a note


def test_a_good_signature_by_an_untrusted_key_stays_asserted_with_a_note(
    project: Path, keys: Keys
) -> None:
    sign(project, keys, "mallory")
    evidence = read(project)
    [signoff] = evidence.signoffs
    fingerprint = keys.fingerprint("mallory")
    assert signoff.evidence_strength is EvidenceStrength.ASSERTED
    assert signoff.identity is None
    assert signoff.signing_key == fingerprint
    assert signoff.signature is not None and signoff.signature.file == SIG
    assert signoff.strength_note == (
        f"signed by a key the project does not trust (fingerprint {fingerprint})"
    )
    assert warnings(evidence) == [
        f"{SIG}:/: signed by a key the project does not trust (fingerprint {fingerprint}); "
        f"{PATH} counts as asserted (if the signer is trusted, add their key to "
        "keys/allowed_signers)"
    ]


def test_a_signature_without_allowed_signers_is_asserted_with_a_note(
    project: Path, keys: Keys
) -> None:
    (project / "mldossier.yaml").write_text("evidence: evidence\n")
    sign(project, keys, "dana")
    evidence = read(project)
    [signoff] = evidence.signoffs
    fingerprint = keys.fingerprint("dana")
    assert (signoff.evidence_strength, signoff.identity) == (EvidenceStrength.ASSERTED, None)
    assert signoff.strength_note == (
        f"signed with key {fingerprint}, but no allowed_signers file is configured, so the "
        "signature authenticates no one"
    )
    assert evidence.allowed_signers is None
    assert warnings(evidence) == [
        f"{SIG}:/: {signoff.strength_note}; {PATH} counts as asserted (set "
        "signatures.allowed_signers in mldossier.yaml to the file of the keys the project "
        "trusts)"
    ]


def test_without_allowed_signers_a_signature_must_still_match_its_file(
    project: Path, keys: Keys
) -> None:
    (project / "mldossier.yaml").write_text("evidence: evidence\n")
    sign(project, keys, "dana")
    edit(project, "Dana Whitfield", "Mallory")
    assert [p.split(";")[0] for p in problems(project)] == [
        f"{SIG}:/: signature does not match {PATH}: the file was changed after it was "
        "signed, or the signature was made for another file"
    ]


def test_a_principal_without_a_signature_is_a_warning_and_proves_nothing(project: Path) -> None:
    edit(project, "role:", "principal: dana.whitfield@northwind.example\nrole:")
    evidence = read(project)
    [signoff] = evidence.signoffs
    assert (signoff.evidence_strength, signoff.identity) == (EvidenceStrength.ASSERTED, None)
    assert warnings(evidence) == [
        f"{PATH}:/principal: principal is proven only by a signature, and there is no {SIG} "
        f"(sign the file: ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n mldossier {PATH})"
    ]


# ---------------------------------------------------------------- the trusted keys


def test_a_bad_allowed_signers_line_is_an_error_naming_the_line(project: Path, keys: Keys) -> None:
    trust(
        project,
        "# trusted signers",
        f"dana.whitfield@northwind.example {keys.public('dana')}",
        "eve.martin@northwind.example ssh-ed25519",
        'eve.martin@northwind.example expires="2027" ' + keys.public("eve"),
        "eve.martin@northwind.example ssh-ed25519 bm90IGEga2V5",
    )
    fix = "(write it as `principal ssh-ed25519 AAAA...`)"
    assert problems(project) == [
        "keys/allowed_signers:3:/: expected principals, optional options, a key type and a "
        f"base64 key {fix}",
        "keys/allowed_signers:4:/: unknown option 'expires' (OpenSSH knows cert-authority, "
        f"namespaces, valid-after, valid-before) {fix}",
        f"keys/allowed_signers:5:/: the key of type ssh-ed25519 is not valid base64 key data {fix}",
    ]


def test_a_missing_allowed_signers_is_an_error(project: Path) -> None:
    (project / "keys/allowed_signers").unlink()
    assert problems(project) == [
        "keys/allowed_signers:/: allowed_signers file not found (create it (docs: "
        "signoff-format.md) or correct signatures.allowed_signers in mldossier.yaml)"
    ]


def test_allowed_signers_inside_the_evidence_folder_is_not_mistaken_for_evidence(
    project: Path, keys: Keys
) -> None:
    (project / "mldossier.yaml").write_text(
        "evidence: evidence\nsignatures:\n  allowed_signers: evidence/trust/allowed_signers.yaml\n"
    )
    (project / "evidence/trust").mkdir()
    (project / "evidence/trust/allowed_signers.yaml").write_text(
        f"dana.whitfield@northwind.example {keys.public('dana')}\n"
    )
    sign(project, keys, "dana")
    evidence = read(project)
    assert evidence.signoffs[0].identity == "dana.whitfield@northwind.example"
    kinds = {f.path: f.kind for f in evidence.files}
    assert kinds["trust/allowed_signers.yaml"] == "allowed_signers"
    assert evidence.allowed_signers is not None
    assert evidence.allowed_signers.path == "evidence/trust/allowed_signers.yaml"


def test_a_changed_allowed_signers_is_read_again_despite_the_cache(
    project: Path, keys: Keys, tmp_path: Path
) -> None:
    sign(project, keys, "dana")
    cache = Cache(tmp_path / "cache")
    assert read(project, cache).signoffs[0].identity == "dana.whitfield@northwind.example"
    trust(project, f"eve.martin@northwind.example {keys.public('eve')}")
    [signoff] = read(project, Cache(tmp_path / "cache")).signoffs
    assert (signoff.evidence_strength, signoff.identity) == (EvidenceStrength.ASSERTED, None)


# ---------------------------------------------------------------- ssh-keygen itself


def test_no_ssh_keygen_with_a_signature_is_an_input_error(
    project: Path, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign(project, keys, "dana")
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert problems(project) == [
        f"{SIG}:/: cannot check this signature: ssh-keygen is not installed (install "
        "OpenSSH's client, e.g. `apt-get install openssh-client`; it is needed only when "
        "sign-offs are signed)"
    ]
    (project / "evidence" / SIG).unlink()
    assert the_signoff(project).evidence_strength is EvidenceStrength.ASSERTED


def test_a_hanging_ssh_keygen_is_stopped_by_the_timeout(
    project: Path, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign(project, keys, "dana")
    fake = tmp_path / "slow-programs"
    fake.mkdir()
    (fake / "ssh-keygen").write_text("#!/bin/sh\nexec sleep 30\n")
    (fake / "ssh-keygen").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(signatures, "TIMEOUT_SECONDS", 0.5)
    assert problems(project) == [
        f"{SIG}:/: ssh-keygen did not finish checking this signature in 0.5 s (check again; "
        "if it hangs, check the ssh-keygen installation)"
    ]


def test_file_names_never_reach_a_shell_or_the_arguments(
    project: Path, keys: Keys, tmp_path: Path
) -> None:
    hostile = "signoffs/-f $(touch pwned); `touch pwned2`.yaml"
    (project / "evidence" / hostile).write_text(SIGNOFF)
    (project / "evidence" / PATH).unlink()
    sign(project, keys, "dana", hostile)
    signoff = the_signoff(project)
    assert signoff.identity == "dana.whitfield@northwind.example"
    assert signoff.signature is not None and signoff.signature.file == hostile + ".sig"
    assert not list(tmp_path.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))


# ---------------------------------------------------------------- the command line


def test_validate_exits_2_on_a_tampered_signoff(project: Path, keys: Keys) -> None:
    sign(project, keys, "dana")
    edit(project, "Chief Risk Officer", "Intern")
    result = CliRunner().invoke(
        main, ["--config", str(project / "mldossier.yaml"), "validate"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert f"error: {SIG}:/: signature does not match {PATH}" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- the bundle and verify


@dataclass(frozen=True)
class Built:
    """A project with one signed sign-off, and the bundle built from it."""

    project: Path
    bundle: Path
    keys: Keys


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: run scripts/install-system-deps.sh")
    base = tmp_path_factory.mktemp("signed-bundle")
    keys = Keys(base / "keys-private")
    project = base / "project"
    code, _, stderr = cli(base, "init", str(project))
    assert code == 0, stderr
    (project / "keys").mkdir()
    trust(project, f"dana.whitfield@northwind.example {keys.public('dana')}")
    config = project / "mldossier.yaml"
    config.write_text(
        config.read_text().replace("allowed_signers: null", "allowed_signers: keys/allowed_signers")
    )
    sign(project, keys, "dana", "signoffs/risk-assessment.yaml")
    code, _, stderr = cli(project, "--config", str(config), "build", "--no-pdf", "--out", "site")
    assert code == 0, stderr
    return Built(project, project / "site", keys)


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    """The command line, run in ``cwd``."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bundle(built: Built, tmp_path: Path) -> Path:
    """A fresh copy of the built bundle, to tamper with."""
    copy = tmp_path / "site"
    shutil.copytree(built.bundle, copy)
    return copy


def reseal(bundle: Path, change: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Rewrite the manifest to match the bundle's files (and ``change`` its inputs), as a
    forger without the signers' keys could: every hash and the report id agree again."""
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    inputs = manifest["inputs"]
    copies = {e["path"]: bundle / "evidence-files" / e["path"] for e in inputs["evidence"]}
    for entry in inputs["evidence"]:
        entry["sha256"] = hashlib.sha256(copies[entry["path"]].read_bytes()).hexdigest()
    if change is not None:
        change(inputs)
    write_manifest(bundle, inputs, manifest["as_of"])


SIGNED = "signoffs/risk-assessment.yaml"


def test_the_bundle_holds_the_trusted_keys_and_what_each_signature_proved(built: Built) -> None:
    manifest = json.loads((built.bundle / MANIFEST_NAME).read_text())
    trusted = (built.project / "keys/allowed_signers").read_bytes()
    assert (built.bundle / "allowed_signers").read_bytes() == trusted
    assert manifest["inputs"]["allowed_signers"] == {
        "file": "keys/allowed_signers",
        "size": len(trusted),
        "sha256": hashlib.sha256(trusted).hexdigest(),
    }
    assert manifest["inputs"]["signoff_signatures"] == [
        {
            "signature": SIGNED + ".sig",
            "signoff": SIGNED,
            "evidence_strength": "authenticated",
            "identity": "dana.whitfield@northwind.example",
            "signing_key": built.keys.fingerprint("dana"),
        }
    ]
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert listed["allowed_signers"] == hashlib.sha256(trusted).hexdigest()
    kinds = {e["path"]: e["kind"] for e in manifest["inputs"]["evidence"]}
    assert kinds[SIGNED + ".sig"] == "signature"


def test_verify_checks_the_signatures_again(built: Built) -> None:
    code, stdout, _ = cli(built.project, "verify", str(built.bundle))
    assert code == 0
    assert stdout.splitlines()[0] == (
        f"signed:   {SIGNED}.sig: authenticated as dana.whitfield@northwind.example "
        f"(key {built.keys.fingerprint('dana')})"
    )
    assert stdout.splitlines()[-1].startswith(f"{built.bundle}: intact")


def test_verify_refuses_a_bundle_whose_signoff_was_rewritten_with_every_hash(
    built: Built, bundle: Path
) -> None:
    copy = bundle / "evidence-files" / SIGNED
    copy.write_text(copy.read_text().replace("example", "forged example", 1))
    reseal(bundle)
    code, stdout, _ = cli(built.project, "verify", str(bundle))
    assert code == 1
    assert stdout.splitlines()[0] == (
        f"signed:   {SIGNED}.sig: INVALID: signature does not match {SIGNED}: the file was "
        "changed after it was signed, or the signature was made for another file; "
        "ssh-keygen says: Signature verification failed: incorrect signature"
    )
    assert "TAMPERED" in stdout


def test_verify_refuses_other_trusted_keys(built: Built, bundle: Path) -> None:
    mallory = f"dana.whitfield@northwind.example {built.keys.public('mallory')}\n"
    (bundle / "allowed_signers").write_text(mallory)
    code, stdout, _ = cli(built.project, "verify", str(bundle))
    assert code == 1
    assert "modified: allowed_signers" in stdout.splitlines()
    assert (
        f"signed:   {SIGNED}.sig: INVALID: the bundle's allowed_signers is not the "
        "keys/allowed_signers the report trusted"
    ) in stdout.splitlines()


def test_verify_refuses_a_manifest_that_claims_another_identity(built: Built, bundle: Path) -> None:
    def claim_eve(inputs: dict[str, Any]) -> None:
        inputs["signoff_signatures"][0]["identity"] = "eve.martin@northwind.example"

    reseal(bundle, claim_eve)
    code, stdout, _ = cli(built.project, "verify", str(bundle))
    key = built.keys.fingerprint("dana")
    assert code == 1
    assert stdout.splitlines()[0] == (
        f"signed:   {SIGNED}.sig: INVALID: the manifest says authenticated as "
        f"eve.martin@northwind.example (key {key}), but the signature now proves "
        f"authenticated as dana.whitfield@northwind.example (key {key})"
    )


def test_verify_without_ssh_keygen_says_the_signatures_were_not_checked(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, stdout, stderr = cli(built.project, "verify", str(built.bundle))
    assert code == 0
    assert stderr.splitlines()[0] == (
        "sign-off signatures not checked: ssh-keygen is not installed (install OpenSSH's "
        "client, e.g. `apt-get install openssh-client`; it is needed only when sign-offs are "
        "signed)"
    )
    # The second line is verify's note on what a check without --pubkey proves.
    assert len(stderr.splitlines()) == 2
    assert stderr.splitlines()[1].startswith(f"warning: {built.bundle}: not signed: ")
    assert "signed:" not in stdout


def test_the_bundle_names_the_site_s_copies_as_the_site_does() -> None:
    from mldossier.bundle.signoffs import EVIDENCE_COPIES
    from mldossier.render.site.safety import EVIDENCE_FILES_DIR, raw_copy_path

    assert EVIDENCE_COPIES == EVIDENCE_FILES_DIR
    assert raw_copy_path(SIGNED) == f"{EVIDENCE_COPIES}/{SIGNED}"
    assert raw_copy_path(SIGNED + ".sig") == f"{EVIDENCE_COPIES}/{SIGNED}.sig"
