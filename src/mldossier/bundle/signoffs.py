"""Signed sign-offs in a built bundle, checked again with nothing but the bundle.

A bundle built from signed sign-offs holds the trusted keys (``allowed_signers``, beside
``manifest.json``), a copy of every sign-off and signature (under ``evidence-files/``) and,
in the manifest's inputs, what each signature proved when the bundle was built.
:func:`recheck` runs the intake's own check on those copies, offline, and compares the
outcome with the record: ``mldossier verify`` calls it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldossier.errors import InputError
from mldossier.formats import MIB, InputProblem
from mldossier.formats.json import parse_json_text
from mldossier.formats.text import decode_utf8
from mldossier.formats.yaml import parse_yaml_text
from mldossier.intake.signatures import (
    INSTALL_FIX,
    SignatureChecker,
    SignatureProblem,
    TrustedSigners,
    parse_signature,
    read_allowed_signers,
)

ALLOWED_SIGNERS_NAME = "allowed_signers"
"""The copy of the trusted keys in a bundle (an output like any other, hashed and listed)."""
EVIDENCE_COPIES = "evidence-files"
"""Where the site keeps its copies of the evidence files (the site's ``EVIDENCE_FILES_DIR``;
named again here so that ``verify`` does not load the site's renderer)."""
MAX_COPY_BYTES = 1 * MIB
"""Largest sign-off or signature copy read (the intake reads no larger YAML)."""


@dataclass(frozen=True)
class Rechecked:
    """One sign-off signature checked again: whether it proves what the manifest says."""

    signature: str
    """The ``.sig`` file, relative to the evidence folder it was read from."""
    ok: bool
    summary: str
    """``authenticated as ...`` or ``asserted ...`` when ok, else what is wrong."""


@dataclass(frozen=True)
class Rechecks:
    """Every sign-off signature of a bundle checked again, or why none could be."""

    results: tuple[Rechecked, ...] = ()
    unchecked: str = ""
    """Why the signatures were not checked ("" when they were, or there are none)."""


class _Unusable(Exception):
    """A copy or a record the check cannot use; the message says which and why."""


def recheck(bundle: Path, inputs: dict[str, Any], outputs: dict[str, str]) -> Rechecks:
    """Check every signature the manifest's ``inputs`` record, with the bundle's copies.

    ``outputs`` maps each file the manifest lists to its SHA-256.
    """
    recorded = inputs.get("signoff_signatures")
    if not recorded:
        return Rechecks()
    if SignatureChecker(None).program is None:
        return Rechecks((), f"ssh-keygen is not installed ({INSTALL_FIX})")
    try:
        if not isinstance(recorded, list):
            raise _Unusable("the manifest's list of sign-off signatures is not a list")
        trusted = _trusted(bundle, inputs.get("allowed_signers"))
        evidence = {e["path"]: e["sha256"] for e in inputs["evidence"]}
    except (_Unusable, KeyError, TypeError) as exc:
        why = str(exc) if isinstance(exc, _Unusable) else "the manifest's inputs are not readable"
        names = [str(e.get("signature", "?")) if isinstance(e, dict) else "?" for e in recorded]
        return Rechecks(tuple(Rechecked(name, False, why) for name in names))
    with SignatureChecker(trusted) as checker:
        return Rechecks(
            tuple(_one(bundle, entry, evidence, outputs, checker) for entry in recorded)
        )


def _trusted(bundle: Path, record: Any) -> TrustedSigners | None:
    """The bundle's copy of the trusted keys, checked against the manifest's record."""
    if record is None:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("file"), str):
        raise _Unusable("the manifest's record of allowed_signers is not readable")
    try:
        trusted = read_allowed_signers(bundle / ALLOWED_SIGNERS_NAME, record["file"])
    except InputError as exc:
        raise _Unusable(
            f"the bundle's {ALLOWED_SIGNERS_NAME} cannot be used: {exc.problems[0]}"
        ) from None
    if trusted.record.sha256 != record.get("sha256"):
        raise _Unusable(
            f"the bundle's {ALLOWED_SIGNERS_NAME} is not the {record['file']} the report trusted"
        )
    return trusted


def _one(
    bundle: Path,
    entry: Any,
    evidence: dict[str, str],
    outputs: dict[str, str],
    checker: SignatureChecker,
) -> Rechecked:
    """One recorded signature checked again with the bundle's copies."""
    name = str(entry.get("signature", "?")) if isinstance(entry, dict) else "?"
    try:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("signature", "signoff", "evidence_strength")
        ):
            raise _Unusable("the manifest's record of this signature is not readable")
        raw = _copy(bundle, entry["signature"], evidence, outputs)
        message = _copy(bundle, entry["signoff"], evidence, outputs)
        parsed = parse_signature(raw)
        if isinstance(parsed, str):
            raise _Unusable(f"not an SSH signature: {parsed}")
        principal, when = _claims(entry["signoff"], message)
        outcome = checker.check(message, raw, parsed, when, principal, entry["signoff"])
    except SignatureProblem as exc:
        return Rechecked(name, False, exc.message)
    except _Unusable as exc:
        return Rechecked(name, False, str(exc))
    except ValueError:  # a date the intake could read, changed into one it could not
        return Rechecked(name, False, f"the bundle's copy of {entry['signoff']} has a bad date")
    now = (str(outcome.strength), outcome.identity, outcome.fingerprint)
    then = (entry["evidence_strength"], entry.get("identity"), entry.get("signing_key"))
    if now != then:
        return Rechecked(
            name,
            False,
            f"the manifest says {_said(*then)}, but the signature now proves {_said(*now)}",
        )
    return Rechecked(name, True, _said(*now) + (f": {outcome.note}" if outcome.note else ""))


def _said(strength: Any, identity: Any, key: Any) -> str:
    """An outcome in words: ``authenticated as dana@... (key SHA256:...)``."""
    who = f" as {identity}" if identity else ""
    return f"{strength}{who} (key {key})" if key else f"{strength}{who}"


def _copy(bundle: Path, rel: str, evidence: dict[str, str], outputs: dict[str, str]) -> bytes:
    """The bundle's copy of an evidence file, checked to be the file the report read."""
    # The site appends .txt to copies a browser would run; a sign-off or .sig has none.
    listed = [
        c for c in (f"{EVIDENCE_COPIES}/{rel}", f"{EVIDENCE_COPIES}/{rel}.txt") if c in outputs
    ]
    if rel not in evidence or not listed:
        raise _Unusable(f"the bundle holds no copy of {rel}")
    path = bundle / listed[0]
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_COPY_BYTES + 1)
    except OSError as exc:
        raise _Unusable(
            f"the bundle's copy of {rel} cannot be read: {exc.strerror or exc}"
        ) from None
    if hashlib.sha256(data).hexdigest() != evidence[rel]:
        raise _Unusable(f"the bundle's copy of {rel} is not the file the report was built from")
    return data


def _claims(rel: str, message: bytes) -> tuple[str | None, str]:
    """A sign-off copy's ``principal`` (if any) and ``date``, as the intake read them."""
    try:
        text = decode_utf8(message)
        data = parse_json_text(text) if rel.lower().endswith(".json") else parse_yaml_text(text)
    except (UnicodeDecodeError, InputProblem):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("date"), str):
        raise _Unusable(f"the bundle's copy of {rel} is not a readable sign-off")
    principal = data.get("principal")
    return (principal if isinstance(principal, str) else None), data["date"]
