"""Changes since the last report: compare these results with an earlier results JSON."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from mldossier.errors import InputError, Problem, UsageError
from mldossier.formats import InputProblem
from mldossier.formats.json import parse_json_text
from mldossier.formats.schema import schema_problems
from mldossier.status import DEFAULT_GATE, Status, got_worse


@dataclass(frozen=True)
class Flip:
    """A control whose verdict for a subject changed."""

    control: str
    reference: str
    title: str
    subject: str
    before: str
    after: str

    @property
    def regression(self) -> bool:
        """Worse than before, into the default gate or into ``not_evidenced``."""
        return self.regresses()

    def regresses(self, statuses: frozenset[Status] = DEFAULT_GATE) -> bool:
        """Whether the verdict got worse, to a status that gates or to ``not_evidenced``."""
        return got_worse(self.before, self.after, statuses)


@dataclass(frozen=True)
class Changes:
    """What changed between a baseline and the current results, in plain terms."""

    baseline: str
    baseline_as_of: str
    flipped: tuple[Flip, ...]
    new: tuple[Flip, ...]
    """Verdicts for subjects or controls the baseline did not have, whatever their status."""
    subjects_added: tuple[str, ...]
    subjects_retired: tuple[str, ...]
    evidence_changed: tuple[str, ...]
    evidence_added: tuple[str, ...]
    evidence_removed: tuple[str, ...]
    catalogs_changed: tuple[str, ...]

    @property
    def new_failures(self) -> tuple[Flip, ...]:
        """New verdicts that fail the default CI gate."""
        return tuple(f for f in self.new if f.regression)

    @property
    def regressions(self) -> tuple[Flip, ...]:
        """Flips for the worse, and new verdicts that fail."""
        return tuple(f for f in self.flipped if f.regression) + self.new_failures

    def gating(self, statuses: frozenset[Status] = DEFAULT_GATE) -> tuple[Flip, ...]:
        """What fails ``check --baseline``: verdicts that got worse, and new ones that gate."""
        return tuple(f for f in (*self.flipped, *self.new) if f.regresses(statuses))

    def lines(self) -> list[str]:
        """The changes in plain words, one per line."""
        out = []
        for f in self.flipped:
            out.append(
                f"{f.control} {f.reference} [{f.subject}]: {f.before} → {f.after}"
                + (" (regression)" if f.regression else "")
            )
        out += [
            f"{f.control} {f.reference} [{f.subject}]: new, {f.after}" for f in self.new_failures
        ]
        out += [f"subject added: {s}" for s in self.subjects_added]
        out += [f"subject retired: {s}" for s in self.subjects_retired]
        out += [f"evidence changed: {p}" for p in self.evidence_changed]
        out += [f"evidence added: {p}" for p in self.evidence_added]
        out += [f"evidence removed: {p}" for p in self.evidence_removed]
        out += [f"catalog changed: {c}" for c in self.catalogs_changed]
        return out


MAX_BASELINE_BYTES = 2 * 1024**3
"""The largest baseline read (2 GiB): a results JSON of a very large estate, not a disk."""


def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier results JSON, or the ``results.json`` of an earlier bundle folder.

    Only a regular file is read (a FIFO or device would block or never end), strictly
    (duplicate keys, deep nesting, huge numbers), and the parts compared are checked against
    ``baseline.schema.json``: a baseline that is not one is an input error naming the place,
    never an internal error.
    """
    target = path / "results.json" if path.is_dir() else path
    name = str(target)
    try:
        text = _read_regular(target)
        data = parse_json_text(text)
    except FileNotFoundError:
        raise UsageError(
            f"baseline {target} not found (give a results JSON or a bundle folder)"
        ) from None
    except InputProblem as exc:
        raise InputError([Problem(name, exc.pointer, exc.message, exc.fix)]) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"baseline {target} is not an mldossier results JSON ({exc})") from None
    except OSError as exc:
        raise UsageError(f"baseline {target} cannot be read: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise UsageError(f"baseline {target} is not an mldossier results JSON (no results list)")
    problems = schema_problems("baseline", data, name)
    if problems:
        raise InputError(
            [replace(p, fix=p.fix or "give a results JSON that mldossier wrote") for p in problems]
        )
    return cast(dict[str, Any], data)


def _read_regular(target: Path) -> str:
    """The text of a regular file, opened without blocking; OSError otherwise."""
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file (give a results JSON or a bundle folder)")
        if info.st_size > MAX_BASELINE_BYTES:
            raise OSError(0, f"larger than {MAX_BASELINE_BYTES // 1024**3} GiB")
        return fh.read().decode("utf-8")


def compare(baseline: dict[str, Any], current: dict[str, Any], label: str) -> Changes:
    """The changes from ``baseline`` to ``current`` (both in the results JSON shape)."""

    def verdicts(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["control"], r["subject"]): r for r in data.get("results", [])}

    old, new = verdicts(baseline), verdicts(current)
    flipped, added = [], []
    for key in sorted(new):
        now = new[key]
        flip = Flip(
            now["control"],
            now.get("reference", ""),
            now.get("title", ""),
            now["subject"],
            old[key]["status"] if key in old else "",
            now["status"],
        )
        if key not in old:
            added.append(flip)
        elif old[key]["status"] != now["status"]:
            flipped.append(flip)

    def subjects(data: dict[str, Any]) -> set[str]:
        return {s["name"] for s in data.get("subjects", []) if s.get("kind") != "organisation"}

    def files(data: dict[str, Any]) -> dict[str, str]:
        # Files not read (ignored, not evidence) are listed too; they are no evidence that
        # changed. Results from before roles were listed hold only files read.
        return {
            f["path"]: f["sha256"]
            for f in data.get("evidence", {}).get("files", [])
            if f.get("role", "evidence") in ("evidence", "settings")
        }

    def catalogs(data: dict[str, Any]) -> dict[str, str]:
        return {c["id"]: c["sha256"] for c in data.get("catalogs", [])}

    old_files, new_files = files(baseline), files(current)
    old_cat, new_cat = catalogs(baseline), catalogs(current)
    return Changes(
        baseline=label,
        baseline_as_of=str(baseline.get("as_of", "")),
        flipped=tuple(flipped),
        new=tuple(added),
        subjects_added=tuple(sorted(subjects(current) - subjects(baseline))),
        subjects_retired=tuple(sorted(subjects(baseline) - subjects(current))),
        evidence_changed=tuple(
            sorted(p for p in new_files if p in old_files and old_files[p] != new_files[p])
        ),
        evidence_added=tuple(sorted(set(new_files) - set(old_files))),
        evidence_removed=tuple(sorted(set(old_files) - set(new_files))),
        catalogs_changed=tuple(
            sorted(
                [f"{c} (new)" for c in set(new_cat) - set(old_cat)]
                + [f"{c} (removed)" for c in set(old_cat) - set(new_cat)]
                + [c for c in set(new_cat) & set(old_cat) if new_cat[c] != old_cat[c]]
            )
        ),
    )
