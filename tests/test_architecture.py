"""Imports point one way: every module imports only the stages above it (docs/architecture.md).

The package is a pipeline of stages, each a top-level module or package of ``mldossier``.
This test reads every module under ``src/mldossier`` with :mod:`ast` (nothing is imported)
and checks each ``import mldossier.X`` and ``from mldossier.X import ...`` (relative imports
resolved, ``importlib.import_module("mldossier.X")`` with a literal name too) against
:data:`ORDER`, plus three rules the order alone does not say. Every violation is reported
with its ``file:line``, all of them at once.

What counts as an import:

- Every import statement, wherever it is: at the top, inside a function (a lazy import
  still makes the importer depend on the imported), inside ``try``.
- Imports under ``if TYPE_CHECKING:`` are held to the same rules, not exempted. A type
  named in a signature is a dependency of the design even if not of the running process:
  an early stage whose signatures name a later stage's types cannot be understood, tested
  or moved without it, and mypy follows those imports as if they ran. The one thing
  ``TYPE_CHECKING`` is for here is a cycle between modules of one stage, which the rules
  already allow. Violations under it are labelled ``(type-only)`` so the fix is obvious.
- ``from mldossier import X``, where ``X`` is a module, is an import of ``mldossier.X``;
  ``from mldossier import __version__, data_folder`` is an import of the package root,
  which every stage may use.

``mldossier/__main__.py`` (``python -m mldossier``) belongs to the cli stage (:data:`MEMBERS`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "mldossier"

# The stages in pipeline order. A module may import its own stage and the stages listed
# BEFORE it (plus the package root ``mldossier``, for ``__version__`` and ``data_folder``);
# never a stage listed after it. Each position has a reason (docs/architecture.md says more):
ORDER: tuple[str, ...] = (
    # Problem and the error root with its exit code: every stage reports problems.
    "errors",
    # The verdict vocabulary (one StrEnum): the model, the checks and every renderer use it.
    "status",
    # The typed records every stage passes on; they know errors and statuses, nothing else.
    "model",
    # Strict JSON, safe YAML, JSON Schema with plain messages: generic readers of text,
    # used by config, intake and the catalogs alike, so they sit before all of them.
    "formats",
    # The content-hash build cache: bytes and pickles of records; config names its folder.
    "cache",
    # Config and load_config: every default once; read by every stage from intake on.
    "config",
    # Folder -> validated, linked Evidence: the first stage that reads the evidence.
    "intake",
    # The lineage graph is made of the linked Evidence.
    "lineage",
    # Catalogs, the check library, verdicts, baselines: checks read evidence and lineage.
    "evaluate",
    # analyse(): the stages above, in order, into one typed Analysis.
    "pipeline",
    # The dossier and every output made of it: they render an Analysis, decide nothing.
    "render",
    # Staging, forked PDF workers, manifest, atomic swaps: writes what render makes.
    "bundle",
    # Live pulls that write an evidence folder through bundle's atomic swap; nothing in the
    # pipeline needs them, so they come after it.
    "collect",
    # What `init` writes: a config from config's defaults and an evidence skeleton.
    "scaffold",
    # Terminal manners (colour, quiet/verbose, progress): only the command line talks.
    "terminal",
    # Click only: one module per command. It may import everything; nothing imports it.
    "cli",
)

# Package data mapped into the package (pyproject.toml), not code in src/mldossier; an
# import of one counts as an import of the stage that owns it.
DATA_PACKAGES: dict[str, str] = {
    # config resolves a catalog id to its bundled file; evaluate reads catalogs by path.
    "catalogs": "config",
    "templates": "render",
    "schemas": "formats",
}

# Top-level modules that are part of a stage without being named after it.
MEMBERS: dict[str, str] = {
    # `python -m mldossier`: the command line's other door, so it is of the cli stage and
    # may import mldossier.cli (rule (c) is about library code depending on the CLI).
    "__main__": "cli",
}

# Rule (a): renderers work from citations and records only; they never open evidence files.
RENDER_MAY_NOT_IMPORT: tuple[str, ...] = ("mldossier.intake.files", "mldossier.intake.read")
# Rule (b): no importer knows about controls.
INTAKE_MAY_NOT_IMPORT: tuple[str, ...] = ("mldossier.evaluate", "mldossier.catalogs")


@dataclass(frozen=True)
class Import:
    """One import of an mldossier module found in a source file."""

    path: Path
    line: int
    source: str
    """The importing module, e.g. ``mldossier.intake.read``."""
    target: str
    """The imported module, e.g. ``mldossier.intake.files`` (or ``mldossier`` for the root)."""
    type_only: bool

    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent).as_posix()}:{self.line}"

    def describe(self, why: str) -> str:
        label = " (type-only)" if self.type_only else ""
        return f"{self.where()}: {self.source} imports {self.target}{label}: {why}"


def module_name(path: Path) -> str:
    """``src/mldossier/intake/read.py`` -> ``mldossier.intake.read``."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


MODULES: frozenset[str] = frozenset(module_name(p) for p in source_files())


def stage_of(module: str) -> str | None:
    """The stage a module belongs to: its first name below ``mldossier``; None for the root."""
    parts = module.split(".")
    return MEMBERS.get(parts[1], parts[1]) if len(parts) > 1 else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: -(level - 1)]
    return ".".join([*base, name] if name else base)


class _Finder(ast.NodeVisitor):
    """Collects the mldossier imports of one module, noting those under TYPE_CHECKING."""

    def __init__(self, path: Path, module: str) -> None:
        self.path = path
        self.module = module
        self.is_package = path.name == "__init__.py"
        self.type_only = 0
        self.found: list[Import] = []

    def _add(self, node: ast.stmt | ast.expr, target: str) -> None:
        if target == "mldossier" or target.startswith("mldossier."):
            self.found.append(
                Import(self.path, node.lineno, self.module, target, self.type_only > 0)
            )

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_only += 1
            for child in node.body:
                self.visit(child)
            self.type_only -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve(self.module, self.is_package, node.level, node.module)
        if not (base == "mldossier" or base.startswith("mldossier.")):
            return
        plain = True
        for alias in node.names:
            # ``from mldossier.intake import files`` imports the module mldossier.intake.files.
            sub = f"{base}.{alias.name}"
            if sub in MODULES or (base == "mldossier" and alias.name in DATA_PACKAGES):
                self._add(node, sub)
            else:
                plain = False
        if not plain:
            self._add(node, base)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            name == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node, node.args[0].value)
        if (
            name == "data_folder"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in DATA_PACKAGES
        ):
            # ``data_folder("templates")`` reads a data package by name: an import of it.
            self._add(node, f"mldossier.{node.args[0].value}")
        self.generic_visit(node)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for path in source_files():
        finder = _Finder(path, module_name(path))
        finder.visit(ast.parse(path.read_text("utf-8"), filename=str(path)))
        found += finder.found
    return found


IMPORTS = all_imports()


def _within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _report(violations: list[str]) -> str:
    return f"{len(violations)} violation(s):\n  " + "\n  ".join(violations)


def test_the_walker_sees_the_package() -> None:
    """A guard against a vacuous pass: the tree is there and its imports are found."""
    assert len(MODULES) > 20, sorted(MODULES)
    assert len(IMPORTS) > 100, len(IMPORTS)
    assert any(i.source.startswith("mldossier.cli") for i in IMPORTS)


def test_every_top_level_module_has_a_place_in_the_order() -> None:
    unknown: list[str] = []
    for path in sorted(PACKAGE.iterdir()):
        if path.name in ("__init__.py", "__pycache__") or path.name.startswith("."):
            continue  # the package root itself
        if path.suffix == ".py":
            name = path.stem
        elif path.is_dir() and any(path.rglob("*.py")):
            name = path.name
        else:
            continue  # data folders (schemas/) and other files
        if MEMBERS.get(name, name) not in ORDER:
            unknown.append(
                f"{path.relative_to(SRC.parent).as_posix()}: the top-level module {name!r} "
                "is not in ORDER: add it to ORDER in tests/test_architecture.py and to the "
                "stage list in docs/architecture.md, at the place its imports allow"
            )
    for imp in IMPORTS:
        stage = stage_of(imp.target)
        if stage is not None and stage not in ORDER and stage not in DATA_PACKAGES:
            unknown.append(
                imp.describe(
                    f"{stage!r} is not a stage in ORDER (a module that is gone, or a new one "
                    "to add to ORDER and to docs/architecture.md)"
                )
            )
    assert not unknown, _report(unknown)


def test_imports_point_one_way() -> None:
    """A module imports its own stage, the stages above it and the package root; no other."""
    rank = {stage: i for i, stage in enumerate(ORDER)}
    rank.update({data: rank[owner] for data, owner in DATA_PACKAGES.items()})
    violations: list[str] = []
    for imp in IMPORTS:
        target = stage_of(imp.target)
        if target is None or target not in rank:
            continue  # the root is open to all; unknown names fail the test above
        source = stage_of(imp.source)
        if source is None:
            violations.append(
                imp.describe(
                    "the package root imports no stage: every stage imports the root, "
                    "so the root importing one would make every stage depend on it"
                )
            )
        elif source in rank and rank[target] > rank[source]:
            violations.append(
                imp.describe(
                    f"stage {target!r} comes after {source!r} in ORDER: imports point "
                    "one way; move the shared piece up to a stage both may import"
                )
            )
    assert not violations, _report(violations)


def test_renderers_do_not_open_evidence_files() -> None:
    """(a) render/ works from citations and records: no file reading, no intake."""
    violations = [
        imp.describe(
            "render/ must not open evidence files; take what it needs from the records, "
            "their citations or the Dossier"
        )
        for imp in IMPORTS
        if stage_of(imp.source) == "render"
        and any(_within(imp.target, banned) for banned in RENDER_MAY_NOT_IMPORT)
    ]
    assert not violations, _report(violations)


def test_importers_know_nothing_of_controls() -> None:
    """(b) Nothing under intake/ imports mldossier.evaluate (or the catalogs)."""
    violations = [
        imp.describe(
            "intake/ reads and links evidence and must not know about controls; "
            "whatever a check needs goes into the records"
        )
        for imp in IMPORTS
        if stage_of(imp.source) == "intake"
        and any(_within(imp.target, banned) for banned in INTAKE_MAY_NOT_IMPORT)
    ]
    assert not violations, _report(violations)


def test_nothing_outside_the_command_line_imports_it() -> None:
    """(c) cli/ may import anything; no module outside cli/ imports mldossier.cli."""
    violations = [
        imp.describe(
            "only cli/ imports mldossier.cli; move what is shared into the library stage "
            "it belongs to"
        )
        for imp in IMPORTS
        if stage_of(imp.source) != "cli" and _within(imp.target, "mldossier.cli")
    ]
    assert not violations, _report(violations)


# ---------------------------------------------------------------- the walker itself


def _imports_of(rel: str, code: str) -> list[tuple[str, int, bool]]:
    """The imports the walker finds in ``code``, as if it were the file ``rel`` of src/."""
    path = SRC / rel
    finder = _Finder(path, module_name(path))
    finder.visit(ast.parse(code))
    return [(i.target, i.line, i.type_only) for i in finder.found]


@pytest.mark.parametrize(
    ("rel", "code", "expected"),
    [
        (
            "mldossier/render/site.py",
            "from mldossier.intake import files\nfrom mldossier import __version__\n",
            [("mldossier.intake.files", 1, False), ("mldossier", 2, False)],
        ),
        (
            "mldossier/intake/read.py",
            "from . import files\nfrom ..config import Config\nfrom .importers.mlflow import X\n",
            [
                ("mldossier.intake.files", 1, False),
                ("mldossier.config", 2, False),
                ("mldossier.intake.importers.mlflow", 3, False),
            ],
        ),
        (
            "mldossier/intake/__init__.py",
            "from .linking import link\n",
            [("mldossier.intake.linking", 1, False)],
        ),
        (
            "mldossier/model.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mldossier.cli\n"
            "else:\n    import mldossier.errors\n"
            "def f():\n    import importlib\n    importlib.import_module('mldossier.cache')\n",
            [
                ("mldossier.cli", 3, True),
                ("mldossier.errors", 5, False),
                ("mldossier.cache", 8, False),
            ],
        ),
    ],
)
def test_the_walker_resolves_every_form_of_import(
    rel: str, code: str, expected: list[tuple[str, int, bool]]
) -> None:
    assert _imports_of(rel, code) == expected


def test_stages_of_modules() -> None:
    assert stage_of("mldossier") is None
    assert stage_of("mldossier.intake.importers.mlflow") == "intake"
    assert stage_of("mldossier.__main__") == "cli"
