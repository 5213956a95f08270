"""``evidence.ignore``: which files of the evidence folder are not evidence, by gitignore rules.

The patterns are gitignore's (``pathspec``'s ``GitIgnoreSpec``), matched against each file's
path relative to the evidence root: the defaults (:data:`DEFAULT_IGNORE`), then the
project's own, so a project's pattern adds to the defaults and ``!pattern`` reads a file
again (the last pattern that matches decides). Unlike git, patterns are matched file by
file, so ``!`` also reaches into a folder an earlier pattern ignores. Hidden folders are not
walked at all (:func:`mldossier.intake.files.scan`), whatever the patterns say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pathspec import GitIgnoreSpec

from mldossier.config import DEFAULT_IGNORE, Config


@dataclass(frozen=True)
class IgnoreRules:
    """The default patterns and the project's, compiled once; which file each one ignores."""

    patterns: tuple[str, ...] = ()
    """The project's own patterns (``evidence.ignore``), after the defaults."""
    defaults: tuple[str, ...] = DEFAULT_IGNORE
    _spec: GitIgnoreSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines: Sequence[str] = (*self.defaults, *self.patterns)
        object.__setattr__(self, "_spec", GitIgnoreSpec.from_lines(lines))

    def reason(self, path: str) -> str | None:
        """Why the file at ``path`` (relative to the root, with ``/``) is ignored; None if not."""
        result = self._spec.check_file(path)
        if not result.include or result.index is None:
            return None
        lines = (*self.defaults, *self.patterns)
        where = "a default of" if result.index < len(self.defaults) else "listed in"
        return f"matches `{lines[result.index]}`, {where} evidence.ignore"

    @classmethod
    def of(cls, config: Config) -> IgnoreRules:
        """The defaults and the config's ``evidence.ignore``."""
        return cls(config.evidence_ignore)
