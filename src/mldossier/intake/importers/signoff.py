"""Human sign-offs and governance documents in mldossier's own format (``signoff/v1``).

Platforms record no human decisions, so these small YAML (or JSON) files carry them: who
signed what about which system, when, until when, with which attached files. The format is
specified in ``docs/signoff-format.md`` and ``schemas/signoff.schema.json``.

A sign-off may be signed: ``X.yaml.sig`` beside ``X.yaml``, an SSH signature in the
namespace ``mldossier``. This importer claims the ``.sig`` files too, and once every file
is read pairs each with its sign-off and checks it (:mod:`mldossier.intake.signatures`):
a good signature by a key the project trusts makes the sign-off ``authenticated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from mldossier.errors import Problem, pointer
from mldossier.formats.schema import schema_problems
from mldossier.formats.text import show
from mldossier.intake.files import SIGNATURE_SUFFIX, Document, resolve_reference, sha256_file
from mldossier.intake.importers import ImportContext, ImportResult
from mldossier.intake.signatures import (
    SignatureChecker,
    SignatureProblem,
    parse_signature,
    sign_command,
    signed_file,
)
from mldossier.model import Attachment, Citation, SignOff

FORMAT = "signoff/v1"
FORMAT_FAMILY = "signoff/"
DATE_FIELDS = ("date", "expires")
DATE_FIX = "write an ISO date such as 2026-10-01, or a date-time such as 2026-10-01T14:30:00Z"
OUTSIDE_FIX = "put the file inside the evidence folder and refer to it by a relative path"


# RFC 3339 shapes only: Python 3.11's fromisoformat also takes basic (20261012) and week
# (2026-W41-1) forms, and the schema's date-time check depends on an optional package.
_ISO_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?"
)


def parse_when(text: str) -> date | None:
    """An ISO date, or the UTC date of an ISO date-time (no zone means UTC); None if invalid."""
    if not _ISO_SHAPE.fullmatch(text):
        return None
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(UTC).date()
    except (ValueError, OverflowError):  # not a date, or outside years 1-9999 in UTC
        return None


@dataclass(frozen=True)
class _Claims:
    """What a valid sign-off says that its signature is checked against."""

    principal: str | None
    when: str
    """``date`` as written: the moment the signing key must be valid at."""


class SignOffImporter:
    """Reads ``mldossier: signoff/v1`` documents into :class:`SignOff` records, and their
    signatures (``*.sig``) into each record's evidence strength."""

    name: ClassVar[str] = "signoff"
    kind: ClassVar[str] = "signoff"

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self._signoffs: dict[str, Document] = {}
        """Every sign-off file read, valid or not, by path."""
        self._claims: dict[str, _Claims] = {}
        """The valid sign-offs' principal and date, by path."""
        self._signatures: dict[str, Document] = {}
        """Every ``.sig`` file, by path."""

    def detect(self, doc: Document) -> bool:
        """A mapping whose ``mldossier`` key names a sign-off format (any version), or a
        signature file (``*.sig``)."""
        if doc.format == "sshsig":
            return True
        # Any signoff/ version is claimed so that signoff/v2 gets a clear "expected
        # signoff/v1" instead of being reported as an unrecognised file.
        marker = doc.data.get("mldossier") if isinstance(doc.data, dict) else None
        return (
            doc.format in {"yaml", "json"}
            and isinstance(marker, str)
            and marker.startswith(FORMAT_FAMILY)
        )

    def read(self, doc: Document, result: ImportResult) -> None:
        """Validate one sign-off and add it; a sign-off with any error adds no record.

        A signature is kept until :meth:`finish`, when every sign-off is known.
        """
        if doc.format == "sshsig":
            self._signatures[doc.file.path] = doc
            return
        self._signoffs[doc.file.path] = doc
        data = doc.data
        problems = [
            self._better_date_problem(doc, p)
            for p in schema_problems("signoff", data, doc.file.path)
        ]
        dates: dict[str, date] = {}
        for field in DATE_FIELDS:
            value = data.get(field)
            if isinstance(value, str) and not any(p.pointer == f"/{field}" for p in problems):
                parsed = parse_when(value)
                if parsed is None:
                    problems.append(self._date_problem(doc, field, value))
                else:
                    dates[field] = parsed
        if "date" in dates and "expires" in dates and dates["expires"] < dates["date"]:
            problems.append(
                doc.problem(
                    "/expires",
                    f"expires ({dates['expires'].isoformat()}) is before date "
                    f"({dates['date'].isoformat()})",
                    "correct one of the dates",
                )
            )
        attachments = self._attachments(doc, data.get("attachments"), problems)
        result.problems.extend(problems)
        if any(p.is_error for p in problems):
            return
        subject = data["subject"]
        self._claims[doc.file.path] = _Claims(data.get("principal"), str(data["date"]))
        result.add(
            "signoffs",
            SignOff(
                id=data["id"],
                kind=data["kind"],
                system=subject["system"],
                version=subject.get("version"),
                title=data["title"],
                statement=data["statement"],
                signed_by=data["signed_by"],
                role=data["role"],
                date=dates["date"],
                expires=dates.get("expires"),
                attachments=attachments,
                cite=doc.cite(""),
                anomalies=tuple(data.get("anomalies", ())),
            ),
        )

    def finish(self, result: ImportResult) -> None:
        """Check the signatures, refuse duplicate ids (keeping the first by file), sort."""
        self._check_signatures(result)
        signoffs: list[SignOff] = sorted(
            result.records.get("signoffs", []), key=lambda s: (s.cite.file, s.id)
        )
        first: dict[str, SignOff] = {}
        kept = []
        for signoff in signoffs:
            if signoff.id in first:
                result.problems.append(
                    Problem(
                        signoff.cite.file,
                        "/id",
                        f"sign-off id {signoff.id!r} is already used in {first[signoff.id].cite.file}",
                        "give each sign-off its own id",
                    )
                )
                continue
            first[signoff.id] = signoff
            kept.append(signoff)
        if kept:
            kept.sort(key=lambda s: (s.system, s.version or "", s.date, s.id))
            result.records["signoffs"] = kept

    # ------------------------------------------------------------ signatures

    def _check_signatures(self, result: ImportResult) -> None:
        """Each signature checked against its sign-off; each record given its strength."""
        records: list[SignOff] = result.records.get("signoffs", [])
        at = {record.cite.file: i for i, record in enumerate(records)}
        signed = {signed_file(path) for path in self._signatures}
        for path, claims in sorted(self._claims.items()):
            if claims.principal is not None and path not in signed:
                result.problems.append(
                    self._signoffs[path].problem(
                        "/principal",
                        f"principal is proven only by a signature, and there is no "
                        f"{path}{SIGNATURE_SUFFIX}",
                        f"sign the file: {sign_command(path)}",
                        severity="warning",
                    )
                )
        if not self._signatures:
            return
        with SignatureChecker(self.context.signers) as checker:
            for path, sig_doc in sorted(self._signatures.items()):
                target = signed_file(path)
                if target not in self._signoffs:
                    result.problems.append(self._unpaired(sig_doc, target))
                elif target in at:  # else the sign-off is invalid, and its problems say why
                    checked = self._checked(checker, sig_doc, records[at[target]], result)
                    if checked is not None:
                        records[at[target]] = checked

    def _checked(
        self, checker: SignatureChecker, sig_doc: Document, record: SignOff, result: ImportResult
    ) -> SignOff | None:
        """The sign-off with what its signature proves; None (with the problem) if nothing."""
        raw = sig_doc.data if isinstance(sig_doc.data, bytes) else b""
        parsed = parse_signature(raw)
        if isinstance(parsed, str):
            result.problems.append(
                sig_doc.problem(
                    "",
                    f"not an SSH signature: {parsed}",
                    f"make it with: {sign_command(record.cite.file)}",
                )
            )
            return None
        message = self._signoffs[record.cite.file].hashed_bytes()
        if isinstance(message, Problem):
            result.problems.append(message)
            return None
        claims = self._claims[record.cite.file]
        try:
            outcome = checker.check(
                message, raw, parsed, claims.when, claims.principal, record.cite.file
            )
        except SignatureProblem as exc:
            if exc.about_principal:
                problem = self._signoffs[record.cite.file].problem(
                    "/principal", exc.message, exc.fix
                )
            else:
                problem = sig_doc.problem("", exc.message, exc.fix)
            result.problems.append(problem)
            return None
        if outcome.note:
            signers = self.context.signers
            result.problems.append(
                sig_doc.problem(
                    "",
                    f"{outcome.note}; {record.cite.file} counts as asserted",
                    f"if the signer is trusted, add their key to {signers.record.path}"
                    if signers is not None
                    else "set signatures.allowed_signers in mldossier.yaml to the file of "
                    "the keys the project trusts",
                    severity="warning",
                )
            )
        return replace(
            record,
            evidence_strength=outcome.strength,
            identity=outcome.identity,
            signature=Citation(sig_doc.file.path, "", sig_doc.file.sha256),
            signing_key=outcome.fingerprint,
            strength_note=outcome.note,
        )

    def _unpaired(self, sig_doc: Document, target: str) -> Problem:
        """The problem of a signature beside no sign-off."""
        if (self.context.root / target).is_file():
            return sig_doc.problem(
                "",
                f"signature of {target}, which is not a sign-off: only sign-offs are read "
                "with their signatures",
                "remove the signature, or move it out of the evidence folder",
            )
        return sig_doc.problem(
            "",
            f"signature of no sign-off: there is no file {target}",
            f"name it after the sign-off it signs (<sign-off file>{SIGNATURE_SUFFIX}), "
            "or remove it",
        )

    # ------------------------------------------------------------ helpers

    def _attachments(
        self, doc: Document, refs: Any, problems: list[Problem]
    ) -> tuple[Attachment, ...]:
        if not isinstance(refs, list):
            return ()
        found = []
        for index, ref in enumerate(refs):
            if not isinstance(ref, str) or not ref:
                continue  # the schema has already reported it
            where = pointer("attachments", index)
            absolute, rel = resolve_reference(self.context.root, doc.file.path, ref)
            if absolute is None:
                problems.append(doc.problem(where, f'attachment "{ref}" is {rel}', OUTSIDE_FIX))
                continue
            if not absolute.exists():
                problems.append(
                    doc.problem(
                        where,
                        f'attachment "{ref}" does not exist: there is no file {rel}',
                        "add the file there or correct the path",
                    )
                )
                continue
            if not absolute.is_file():
                problems.append(
                    doc.problem(
                        where,
                        f'attachment "{ref}" is a folder, not a file',
                        "name the file itself",
                    )
                )
                continue
            found.append(Attachment(rel, absolute.stat().st_size, sha256_file(absolute)))
        return tuple(found)

    def _better_date_problem(self, doc: Document, problem: Problem) -> Problem:
        """Replace the schema's anyOf wording for a bad date with one that says what to write."""
        field = problem.pointer.lstrip("/")
        value = doc.data.get(field) if isinstance(doc.data, dict) else None
        if field in DATE_FIELDS and isinstance(value, str):
            return self._date_problem(doc, field, value)
        if field == "principal" and isinstance(value, str) and "pattern" in problem.message:
            return doc.problem(
                "/principal",
                f"principal {show(value)} is not one principal: it has a space, comma, "
                "wildcard (* ? !), quote or control character, or starts with -",
                "write the signer's principal as allowed_signers names it, e.g. "
                "dana.whitfield@northwind.example",
            )
        return problem

    @staticmethod
    def _date_problem(doc: Document, field: str, value: str) -> Problem:
        return doc.problem(
            f"/{field}", f'{field} "{value}" is not a valid ISO date or date-time', DATE_FIX
        )
