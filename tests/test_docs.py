"""The documentation site: generated pages up to date, nothing undocumented, a strict build."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
import yaml

from mldossier.cli import main
from mldossier.config import Config
from mldossier.errors import EXIT_FAILING, EXIT_INTERNAL, EXIT_INVALID, EXIT_OK
from mldossier.evaluate.checks import library
from mldossier.intake.importers import builtin_importers
from mldossier.intake.read import read_evidence
from mldossier.scaffold import init_project

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
MKDOCS_CONFIG = REPO / "mkdocs-docs.yml"


def load_gen_docs() -> ModuleType:
    """scripts/gen_docs.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_docs() -> ModuleType:
    return load_gen_docs()


@pytest.fixture(scope="module")
def generated(gen_docs: ModuleType) -> dict[str, str]:
    pages: dict[str, str] = gen_docs.generate()
    return pages


def mkdocs_config() -> dict[str, Any]:
    """mkdocs-docs.yml, with its ``!relative`` tags read as plain values."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("!", lambda load, suffix, node: suffix)
    data: dict[str, Any] = yaml.load(MKDOCS_CONFIG.read_text(), Loader=loader)  # noqa: S506
    return data


def nav_pages(nav: Any) -> list[str]:
    """Every page file named in a mkdocs nav."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return []


def commands() -> list[tuple[str, click.Command]]:
    """Every command below ``mldossier``, with its full name."""
    found = []
    for name, command in sorted(main.commands.items()):
        found.append((f"mldossier {name}", command))
        if isinstance(command, click.Group):
            found += [(f"mldossier {name} {sub}", c) for sub, c in sorted(command.commands.items())]
    return found


def test_generated_pages_are_up_to_date(generated: dict[str, str]) -> None:
    stale = [
        rel
        for rel, text in generated.items()
        if not (DOCS / rel).is_file() or (DOCS / rel).read_text("utf-8") != text
    ]
    assert stale == [], f"run `python scripts/gen_docs.py`: out of date: {', '.join(stale)}"


def test_regenerating_into_a_folder_gives_the_committed_files(
    gen_docs: ModuleType, tmp_path: Path
) -> None:
    written = gen_docs.write(tmp_path)
    for path in written:
        rel = path.relative_to(tmp_path)
        assert path.read_bytes() == (DOCS / rel).read_bytes(), rel


def test_every_command_and_option_is_documented() -> None:
    page = (DOCS / "commands.md").read_text()
    headings = set(re.findall(r"^#+ `([^`]+)`$", page, re.M))
    for name, command in [("mldossier", main), *commands()]:
        assert name in headings, f"{name} is not documented in docs/commands.md"
        section = page.split(f"`{name}`\n", 1)[1].split("\n#", 1)[0]
        for param in command.params:
            names = (
                param.opts + param.secondary_opts
                if isinstance(param, click.Option)
                else [param.human_readable_name]
            )
            for opt in names:
                assert f"`{opt}`" in section, f"{name} {opt} is not documented"
        if command.help:
            assert command.help.strip().splitlines()[0] in section


def test_every_check_is_documented() -> None:
    page = (DOCS / "checks.md").read_text()
    for name, spec in library().items():
        assert f"## `{name}` {{#{name}}}" in page, f"check {name} is not in docs/checks.md"
        assert spec.summary in page
        for param in spec.params:
            assert f"| `{param}` |" in page, f"{name}: parameter {param} is not documented"


def test_every_exit_code_is_documented() -> None:
    page = (DOCS / "outputs.md").read_text()
    table = page.split("## Exit codes", 1)[1]
    for code in (EXIT_OK, EXIT_FAILING, EXIT_INVALID, EXIT_INTERNAL):
        assert f"\n| {code} |" in table


def test_every_page_is_in_the_navigation() -> None:
    nav = nav_pages(mkdocs_config()["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages


def test_commands_in_the_pages_exist(gen_docs: ModuleType, generated: dict[str, str]) -> None:
    """Every `mldossier ...` in the hand-written pages names a real command and options."""
    problems = []
    for page in sorted(DOCS.glob("*.md")):
        if page.name in generated:
            continue
        for snippet in gen_docs.code_snippets(page.read_text()):
            problems += [f"{page.name}: {p}" for p in gen_docs.cli_usage_problems(snippet, main)]
    assert problems == []


def test_the_importer_example_in_extending_md_works(tmp_path: Path) -> None:
    """The documented importer, run as written, reads its file and reports bad input."""
    page = (DOCS / "extending.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", page, re.S)
    module = ModuleType("approvals_example")
    exec(compile(code, "extending.md", "exec"), module.__dict__)  # noqa: S102
    importer = module.ApprovalToolImporter
    init_project(tmp_path)
    export = {
        "export": "approvals",
        "approvals": [
            {
                "id": "APR-17",
                "model": "example-classifier",
                "version": "1",
                "approver": "Dana Whitfield",
                "role": "Head of Support Operations",
                "approved_on": "2026-11-03",
                "note": "Approved for production.",
            }
        ],
    }
    (tmp_path / "evidence" / "approvals.json").write_text(json.dumps(export))
    evidence = read_evidence(
        Config(evidence=tmp_path / "evidence"), importers=[*builtin_importers(), importer]
    )
    (approval,) = [s for s in evidence.signoffs if s.id == "APR-17"]
    assert (approval.kind, approval.subject, approval.cite.pointer) == (
        "change_approval",
        "example-classifier@1",
        "/approvals/0",
    )
    (listed,) = [f for f in evidence.files if f.path == "approvals.json"]
    assert (listed.kind, listed.importer) == ("signoff", "approval-tool")

    export["approvals"].append({"id": "APR-18", "approver": "Sam"})
    (tmp_path / "evidence" / "approvals.json").write_text(json.dumps(export))
    from mldossier.errors import InputError

    with pytest.raises(InputError) as raised:
        read_evidence(
            Config(evidence=tmp_path / "evidence"), importers=[*builtin_importers(), importer]
        )
    assert [str(p) for p in raised.value.problems] == [
        "approvals.json:/approvals/1: approval names no model (export it again with the "
        "registered model name in `model`)"
    ]


def test_the_docs_site_builds_strictly_and_offline(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        # Not --quiet: mkdocs then drops warnings before --strict can count them.
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(MKDOCS_CONFIG),
            "-d",
            str(site),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for page in (
        "index",
        "getting-started",
        "commands",
        "checks",
        "configuration",
        "formats",
        "outputs",
        "ci",
        "extending",
        "catalog-format",
        "signoff-format",
    ):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "schemas" / "results.schema.json").is_file()
    # Both examples are included (highlighting splits them into spans: compare the text).
    ci = re.sub(r"<[^>]+>", "", (site / "ci.html").read_text())
    assert "actions/upload-artifact@" in ci and "junit: out/junit.xml" in ci
    for html in site.glob("*.html"):
        text = html.read_text()
        assert not re.search(r'(src|href)="https?://[^"]*\.(js|css|woff2?)"', text), html.name
        assert "fonts.googleapis" not in text, html.name
