"""SSH signatures of sign-offs, checked the way git checks signed commits.

A sign-off ``X.yaml`` may have a detached signature ``X.yaml.sig`` beside it, made with
``ssh-keygen -Y sign -n mldossier X.yaml``. The project trusts the keys of one OpenSSH
``allowed_signers`` file (``signatures.allowed_signers`` in ``mldossier.yaml``). This module
reads both formats itself, for plain messages and the key's fingerprint, and leaves the
cryptography to ``ssh-keygen``: ``-Y check-novalidate`` (does the signature match the
file's bytes?), ``-Y find-principals`` (whom does the project trust this key for?) and
``-Y verify`` (is it good for that principal?). ``ssh-keygen`` runs with a fixed argument
list, no shell, a timeout, a small environment, and only copies of the bytes that were
hashed (in a private temporary folder), so what was checked is what the citations name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from mldossier.errors import InputError, Problem
from mldossier.formats.text import short, show
from mldossier.intake.files import SIGNATURE_SUFFIX
from mldossier.model import AllowedSigners, EvidenceStrength

NAMESPACE = "mldossier"
"""The signature namespace (``ssh-keygen -n``): a signature made for git or e-mail is not
a sign-off's."""
SIGNATURE_KIND = "signature"
"""The evidence kind of a ``.sig`` file."""
ALLOWED_SIGNERS_KIND = "allowed_signers"
"""The evidence kind of the trusted-keys file, when it lies inside the evidence folder."""
MAX_ALLOWED_SIGNERS_BYTES = 1024 * 1024
"""Largest ``allowed_signers`` file (some 10,000 keys)."""
TIMEOUT_SECONDS = 20.0
"""How long one ``ssh-keygen`` call may take (it takes milliseconds)."""
PROGRAM = "ssh-keygen"
INSTALL_FIX = (
    "install OpenSSH's client, e.g. `apt-get install openssh-client`; it is needed only "
    "when sign-offs are signed"
)

_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_END = "-----END SSH SIGNATURE-----"
_MAGIC = b"SSHSIG"
_KEY_TYPE = re.compile(r"(ssh|ecdsa-sha2|sk|rsa-sha2)-[A-Za-z0-9@.-]+")
_OPTIONS = ("cert-authority", "namespaces", "valid-after", "valid-before")
_PATTERN_CHARS = frozenset("*?!")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ALLOWED = "allowed_signers"
_SIGNATURE = "signature"
"""The names of the copies ``ssh-keygen`` reads, in the checker's private folder (its
working directory, so they are given as these relative names)."""


def sign_command(path: str) -> str:
    """The command that signs a sign-off (shown in messages and the docs)."""
    return f"ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n {NAMESPACE} {path}"


def signed_file(signature_path: str) -> str:
    """The file a signature at ``signature_path`` signs (its name without ``.sig``, in any case)."""
    if signature_path.lower().endswith(SIGNATURE_SUFFIX):
        return signature_path[: -len(SIGNATURE_SUFFIX)]
    return signature_path


# ---------------------------------------------------------------- the signature file


@dataclass(frozen=True)
class SshSignature:
    """What an ``SSHSIG`` file says about itself (not whether it is true)."""

    namespace: str
    key_type: str
    public_key: bytes
    """The signer's public key in SSH wire format."""

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint as ``ssh-keygen -l`` prints it: ``SHA256:`` and base64."""
        digest = base64.b64encode(hashlib.sha256(self.public_key).digest()).decode()
        return "SHA256:" + digest.rstrip("=")


class _Truncated(Exception):
    pass


def _take_string(blob: bytes, at: int) -> tuple[bytes, int]:
    """One SSH ``string`` (uint32 length, then the bytes) and the offset after it."""
    if at + 4 > len(blob):
        raise _Truncated
    length = int.from_bytes(blob[at : at + 4], "big")
    end = at + 4 + length
    if end > len(blob):
        raise _Truncated
    return blob[at + 4 : end], end


def parse_signature(raw: bytes) -> SshSignature | str:
    """The armoured ``SSHSIG`` in ``raw``, or why it is not one."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return "it is not text (an SSH signature is ASCII armour)"
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != _BEGIN or lines[-1] != _END:
        return f"it does not start with {_BEGIN} and end with {_END}"
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        return "its armour is not valid base64"
    if not blob.startswith(_MAGIC):
        return "its content does not start with SSHSIG"
    at = len(_MAGIC)
    try:
        if at + 4 > len(blob):
            raise _Truncated
        version = int.from_bytes(blob[at : at + 4], "big")
        if version != 1:
            return f"it is SSHSIG version {version}, not 1"
        public_key, at = _take_string(blob, at + 4)
        namespace, at = _take_string(blob, at)
        _reserved, at = _take_string(blob, at)
        _hash, at = _take_string(blob, at)
        _signature, at = _take_string(blob, at)
        key_type, _ = _take_string(public_key, 0)
    except _Truncated:
        return "it is cut short"
    if at != len(blob):
        return "it has bytes after the signature"
    return SshSignature(
        namespace.decode("utf-8", "replace"), key_type.decode("ascii", "replace"), public_key
    )


# ---------------------------------------------------------------- allowed_signers


@dataclass(frozen=True)
class SignerLine:
    """One line of an ``allowed_signers`` file."""

    line: int
    principals: tuple[str, ...]
    options: str
    key_type: str
    public_key: bytes

    @property
    def cert_authority(self) -> bool:
        """Whether the line trusts certificates this key issued, not the key itself."""
        return "cert-authority" in self.options.lower()


@dataclass(frozen=True)
class TrustedSigners:
    """An ``allowed_signers`` file as read once: its record, its bytes and its lines."""

    record: AllowedSigners
    data: bytes
    """The very bytes hashed in :attr:`record`; ``ssh-keygen`` is given a copy of them."""
    lines: tuple[SignerLine, ...] = field(default=())

    def listed_for(self, signature: SshSignature) -> tuple[str, ...]:
        """The principals the file lists the signature's own key for, at any time."""
        found: list[str] = []
        for entry in self.lines:
            if entry.public_key == signature.public_key and not entry.cert_authority:
                found += [p for p in entry.principals if p not in found]
        return tuple(found)


def _tokens(line: str) -> list[str]:
    """Whitespace-separated fields, a double-quoted part being part of its field."""
    return re.findall(r'(?:[^\s"]|"[^"]*")+', line)


def _signer_line(number: int, line: str) -> SignerLine | str:
    """One non-comment line read, or what is wrong with it."""
    fields_ = _tokens(line)
    if len(fields_) >= 2 and _KEY_TYPE.fullmatch(fields_[1]):
        principals, options, rest = fields_[0], "", fields_[1:]
    elif len(fields_) >= 3:
        principals, options, rest = fields_[0], fields_[1], fields_[2:]
    else:
        return "expected principals, optional options, a key type and a base64 key"
    if len(rest) < 2 or not _KEY_TYPE.fullmatch(rest[0]):
        return "expected principals, optional options, a key type and a base64 key"
    key_type, key_text = rest[0], rest[1]
    for option in re.findall(r'(?:[^,"]|"[^"]*")+', options):
        name = option.split("=", 1)[0].lower()
        if name not in _OPTIONS:
            return f"unknown option {short(name, 40)!r} (OpenSSH knows {', '.join(_OPTIONS)})"
    try:
        blob = base64.b64decode(key_text, validate=True)
        named, _ = _take_string(blob, 0)
    except (binascii.Error, ValueError, _Truncated):
        return f"the key of type {key_type} is not valid base64 key data"
    if named.decode("ascii", "replace") != key_type:
        return f"the key is of type {named.decode('ascii', 'replace')}, not {key_type}"
    names = tuple(p for p in principals.split(",") if p)
    if not names:
        return "no principal is named before the key"
    return SignerLine(number, names, options, key_type, blob)


def read_allowed_signers(path: Path, name: str) -> TrustedSigners:
    """Read, check and hash an ``allowed_signers`` file; ``name`` is how problems name it.

    Raises :class:`InputError` with every bad line: a line ``ssh-keygen`` would skip must
    not quietly leave someone untrusted.
    """
    try:
        size = path.stat().st_size
        if size > MAX_ALLOWED_SIGNERS_BYTES:
            raise InputError(
                [
                    Problem(
                        name,
                        "",
                        f"file is {size:,} bytes, over the limit of "
                        f"{MAX_ALLOWED_SIGNERS_BYTES:,} for an allowed_signers file",
                        "check that signatures.allowed_signers names the right file",
                    )
                ]
            )
        with open(path, "rb") as fh:
            data = fh.read(MAX_ALLOWED_SIGNERS_BYTES + 1)
    except FileNotFoundError:
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    "allowed_signers file not found",
                    "create it (docs: signoff-format.md) or correct "
                    "signatures.allowed_signers in mldossier.yaml",
                )
            ]
        ) from None
    except OSError as exc:
        raise InputError(
            [Problem(name, "", f"cannot be read: {exc.strerror or exc}", "check the path")]
        ) from None
    if len(data) > MAX_ALLOWED_SIGNERS_BYTES:
        raise InputError([Problem(name, "", "file grew while it was read", "read it again")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    f"file is not UTF-8 text (byte {exc.start} cannot be decoded)",
                    "save it as UTF-8",
                )
            ]
        ) from None
    lines, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        entry = _signer_line(number, stripped)
        if isinstance(entry, str):
            problems.append(
                Problem(name, "", entry, "write it as `principal ssh-ed25519 AAAA...`", number)
            )
        else:
            lines.append(entry)
    if problems:
        raise InputError(problems)
    principals = sorted({p for entry in lines for p in entry.principals})
    record = AllowedSigners(name, len(data), hashlib.sha256(data).hexdigest(), tuple(principals))
    return TrustedSigners(record, data, tuple(lines))


# ---------------------------------------------------------------- checking one signature


@dataclass(frozen=True)
class SignatureCheck:
    """What a signature that matches its file proves."""

    strength: EvidenceStrength
    identity: str | None
    fingerprint: str
    note: str = ""
    """Why a good signature still authenticates no one ("" when it does)."""


class SignatureProblem(Exception):
    """A signature that cannot count: the message and what to do.

    ``about_principal`` marks a problem with the sign-off's claimed ``principal`` rather
    than with the signature file.
    """

    def __init__(self, message: str, fix: str, about_principal: bool = False):
        super().__init__(message)
        self.message, self.fix, self.about_principal = message, fix, about_principal


def verify_time(when: str) -> str:
    """The moment a sign-off states, in ``ssh-keygen -O verify-time`` form (UTC).

    A date is its start (00:00 UTC); a date-time without a zone is UTC. ``when`` has been
    validated as an ISO date or date-time.
    """
    if len(when) == 10:
        return when.replace("-", "") + "Z"
    moment = datetime.fromisoformat(when.replace("z", "Z").replace("t", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def _environment() -> dict[str, str]:
    """What ``ssh-keygen`` runs with: the PATH, UTC (allowed_signers times without a ``Z``
    are local time, and must not depend on the machine) and the C locale; nothing else."""
    return {"PATH": os.environ.get("PATH", os.defpath), "TZ": "UTC", "LC_ALL": "C"}


@dataclass(frozen=True)
class _Ran:
    ok: bool
    stdout: str
    reason: str
    """``ssh-keygen``'s own explanation (its stderr on one line, control characters
    replaced), the copy of allowed_signers named as the config names the file."""


def _because(ran: _Ran) -> str:
    """``ssh-keygen``'s reason, to end a message with ("" when it gave none)."""
    return f"; ssh-keygen says: {ran.reason}" if ran.reason else ""


class SignatureChecker:
    """Checks signatures with ``ssh-keygen`` against one ``allowed_signers`` (or none).

    Use as a context manager: it holds a private temporary folder for the copies given to
    ``ssh-keygen``.
    """

    def __init__(self, trusted: TrustedSigners | None):
        self.trusted = trusted
        self.program = shutil.which(PROGRAM, path=_environment()["PATH"])
        self._folder: Path | None = None

    def __enter__(self) -> SignatureChecker:
        self._folder = Path(tempfile.mkdtemp(prefix="mldossier-sig-"))
        if self.trusted is not None:
            (self._folder / _ALLOWED).write_bytes(self.trusted.data)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _run(self, args: list[str], message: bytes = b"") -> _Ran:
        """One ``ssh-keygen`` call; a :class:`SignatureProblem` if it could not run at all."""
        if self.program is None:
            raise SignatureProblem(
                "cannot check this signature: ssh-keygen is not installed", INSTALL_FIX
            )
        assert self._folder is not None
        try:
            done = subprocess.run(
                [self.program, *args],
                input=message,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
                env=_environment(),
                cwd=self._folder,
            )
        except subprocess.TimeoutExpired:
            raise SignatureProblem(
                f"ssh-keygen did not finish checking this signature in {TIMEOUT_SECONDS:g} s",
                "check again; if it hangs, check the ssh-keygen installation",
            ) from None
        except OSError as exc:
            raise SignatureProblem(
                f"cannot run ssh-keygen: {exc.strerror or exc}", INSTALL_FIX
            ) from None
        trusted = self.trusted.record.path if self.trusted else _ALLOWED
        lines = [
            # ssh-keygen names our copy by its name in the private folder.
            trusted + line.removeprefix(_ALLOWED) if line.startswith(_ALLOWED + ":") else line
            for line in done.stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and line.strip() != "No principal matched."
        ]
        if any('Invalid option "verify-time' in line for line in lines):
            raise SignatureProblem(
                "this ssh-keygen cannot check a signature at a given time (-O verify-time)",
                "install OpenSSH 8.8 or newer",
            )
        if any('Invalid "verify-time" option' in line for line in lines):
            raise SignatureProblem(
                "ssh-keygen cannot check a signature at the sign-off's date",
                "check the sign-off's date",
            )
        reason = _CONTROL.sub("?", short("; ".join(lines)))
        return _Ran(done.returncode == 0, done.stdout.decode("utf-8", "replace"), reason)

    def check(
        self,
        message: bytes,
        signature_bytes: bytes,
        signature: SshSignature,
        when: str,
        claimed: str | None,
        signed_path: str,
    ) -> SignatureCheck:
        """What a signature of ``message`` proves; a :class:`SignatureProblem` if nothing.

        ``when`` is the sign-off's ``date`` as written (keys are judged valid or not at
        that moment, as git judges them at the commit's time), ``claimed`` its
        ``principal`` if it names one, ``signed_path`` the sign-off's path for messages.
        """
        assert self._folder is not None
        (self._folder / _SIGNATURE).write_bytes(signature_bytes)
        sig = _SIGNATURE
        fingerprint = signature.fingerprint
        if signature.namespace != NAMESPACE:
            raise SignatureProblem(
                f"signature is for the namespace {show(signature.namespace, 40)}, "
                f'not "{NAMESPACE}"',
                f"sign it for mldossier: {sign_command(signed_path)}",
            )
        good = self._run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", sig], message)
        if not good.ok:
            raise SignatureProblem(
                f"signature does not match {signed_path}: the file was changed after it "
                "was signed, or the signature was made for another file" + _because(good),
                "find out what changed; if the change is meant, have the signer sign the "
                f"file again: {sign_command(signed_path)}",
            )
        if self.trusted is None:
            return SignatureCheck(
                EvidenceStrength.ASSERTED,
                None,
                fingerprint,
                f"signed with key {fingerprint}, but no allowed_signers file is configured, "
                "so the signature authenticates no one",
            )
        at = verify_time(when)
        allowed = _ALLOWED
        trusted_name = self.trusted.record.path
        found = self._run(
            ["-Y", "find-principals", "-O", f"verify-time={at}", "-s", sig, "-f", allowed]
        )
        principals = [p for p in found.stdout.splitlines() if p.strip()] if found.ok else []
        listed = self.trusted.listed_for(signature)
        if not principals:
            if listed:
                raise SignatureProblem(
                    f"signed with a key that {trusted_name} lists for {', '.join(listed)} "
                    f"but not as valid on {when}" + _because(found),
                    "check the key's valid-after and valid-before in "
                    f"{trusted_name}, and the sign-off's date",
                )
            # No worse than no signature (a key removed from the file, or never added):
            # asserted, whatever principal the sign-off claims.
            unproven = f", so its principal {show(claimed)} is not proven" if claimed else ""
            return SignatureCheck(
                EvidenceStrength.ASSERTED,
                None,
                fingerprint,
                f"signed by a key the project does not trust (fingerprint {fingerprint})"
                + unproven,
            )
        if claimed is None:
            if len(principals) > 1 or any(_PATTERN_CHARS & set(p) for p in principals):
                raise SignatureProblem(
                    f"{trusted_name} allows the signing key for "
                    f"{', '.join(principals)}, not one principal, so it cannot say who signed",
                    "name the signer in the sign-off: principal: <one of them>",
                )
            claimed_or_found = principals[0]
        else:
            claimed_or_found = claimed
        verified = self._run(
            [
                "-Y",
                "verify",
                "-O",
                f"verify-time={at}",
                "-f",
                allowed,
                "-I",
                claimed_or_found,
                "-n",
                NAMESPACE,
                "-s",
                sig,
            ],
            message,
        )
        if verified.ok:
            return SignatureCheck(EvidenceStrength.AUTHENTICATED, claimed_or_found, fingerprint)
        because = _because(verified)
        patterns = any(_PATTERN_CHARS & set(p) for p in principals)
        if claimed is not None and claimed not in principals and not patterns:
            raise SignatureProblem(
                f"principal {show(claimed)} is not proven by the signature: {trusted_name} "
                f"allows its key ({fingerprint}) for {', '.join(principals)}" + because,
                f"have {claimed} sign it with their own key, or correct principal",
                about_principal=True,
            )
        raise SignatureProblem(
            f"{trusted_name} does not accept the signing key for {claimed_or_found} "
            f"signing mldossier sign-offs on {when}" + because,
            f"check the key's options (namespaces, valid-after, valid-before) in {trusted_name}",
        )
