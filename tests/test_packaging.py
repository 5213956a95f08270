"""The package as users get it: a wheel installed into a fresh venv, run outside the clone.

The rest of the suite imports the editable install from the clone, which finds the catalogs
and templates beside the source whatever the packaging says; only this file proves that
``pip install mldossier`` works. It builds the wheel and the sdist, installs the wheel
(non-editable) into a new virtual environment and runs every command from folders outside
the repository, as a CI job or a user would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DATA_FOLDERS = {
    "mldossier/catalogs": ROOT / "controls",
    "mldossier/templates": ROOT / "templates",
    "mldossier/schemas": ROOT / "src/mldossier/schemas",
}


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and wheel that ``python -m build`` makes of the checkout (as CI has it)."""
    out = tmp_path_factory.mktemp("dist")
    done = _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("mldossier-*.whl")
    return found


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, its dependencies from the package index."""
    venv = tmp_path_factory.mktemp("venv")
    assert _run([sys.executable, "-m", "venv", str(venv)], cwd=venv).returncode == 0
    done = _run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=venv,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


@pytest.fixture()
def outside(tmp_path: Path, venv_bin: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder outside the clone and an environment whose PATH starts at the venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SOURCE_DATE_EPOCH", None)
    env["NO_COLOR"] = "1"
    yield tmp_path, env


def test_the_wheel_holds_every_catalog_and_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for inside, source in DATA_FOLDERS.items():
        files = [p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files
        for path in files:
            assert f"{inside}/{path.relative_to(source).as_posix()}" in names
    assert "mldossier/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # `unzip -l` is what a user would look at; it lists the same.
    if shutil.which("unzip"):
        listing = _run(["unzip", "-l", str(wheel)], cwd=wheel.parent).stdout
        assert "mldossier/catalogs/eu-ai-act.yaml" in listing
        assert "mldossier/templates/site/mkdocs.yml" in listing


def test_every_package_of_the_tree_is_packaged(wheel: Path) -> None:
    """Every folder of src/, controls/ and templates/ is listed in pyproject.toml, so none is lost."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (ROOT / "src").rglob("*.py"):
        assert module.relative_to(ROOT / "src").as_posix() in names
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = {Path(folder): name for name, folder in setuptools["package-dir"].items() if name}
    folders = {
        p: p.relative_to(ROOT / "src").as_posix().replace("/", ".")
        for p in (ROOT / "src/mldossier").rglob("*")
        if p.is_dir() and "__pycache__" not in p.parts
    }
    folders[ROOT / "src/mldossier"] = "mldossier"
    for folder, name in mapped.items():
        for p in [ROOT / folder, *(ROOT / folder).rglob("*")]:
            if p.is_dir() and "__pycache__" not in p.parts:
                rest = p.relative_to(ROOT / folder).as_posix()
                folders[p] = name if rest == "." else f"{name}.{rest.replace('/', '.')}"
    assert sorted(folders.values()) == sorted(setuptools["packages"])


def test_the_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    done = _run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())], cwd=dist
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_new_project_runs_end_to_end_outside_the_clone(
    outside: tuple[Path, dict[str, str]],
) -> None:
    """``init``, ``validate``, ``check``, ``build``, ``verify``.

    The example's gaps are evidence missing from its export (``not_evidenced``): ``check``
    exits 0 by default and 1 with ``--strict``.
    """
    folder, env = outside
    done = _run(["mldossier", "init", "p"], cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    project = folder / "p"
    assert yaml.safe_load((project / "mldossier.yaml").read_text())["catalogs"] == [
        "eu-ai-act",
        "soc2",
    ]
    validate = _run(["mldossier", "validate"], cwd=project, env=env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    check = _run(["mldossier", "check", "--json", "out/results.json"], cwd=project, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (project / "out/results.json").is_file()
    strict = _run(["mldossier", "check", "--strict"], cwd=project, env=env)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    build = _run(["mldossier", "build", "--out", "site"], cwd=project, env=env)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "site/report.pdf").read_bytes().startswith(b"%PDF-")
    assert (project / "site/index.html").is_file()
    verify = _run(["mldossier", "verify", "site"], cwd=project, env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "intact" in verify.stdout


def test_with_catalogs_gives_editable_copies_that_check_reads(
    outside: tuple[Path, dict[str, str]],
) -> None:
    folder, env = outside
    assert _run(["mldossier", "init", "--with-catalogs", "q"], cwd=folder, env=env).returncode == 0
    catalog = folder / "q/controls/soc2.yaml"
    # An edit to the copy is what check reads: its SHA-256 is the one recorded.
    catalog.write_text(catalog.read_text() + "# edited by the organisation\n")
    check = _run(["mldossier", "check", "--json", "r.json"], cwd=folder / "q", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    catalogs = yaml.safe_load((folder / "q/r.json").read_text())["catalogs"]
    assert [c["file"] for c in catalogs] == ["eu-ai-act.yaml", "soc2.yaml"]
    assert catalogs[1]["sha256"] == hashlib.sha256(catalog.read_bytes()).hexdigest()


def test_check_on_the_bundled_demo_evidence(outside: tuple[Path, dict[str, str]]) -> None:
    """The demo's config and evidence, copied out of the clone, checked by the installed tool."""
    folder, env = outside
    shutil.copytree(ROOT / "evidence", folder / "evidence")
    shutil.copy(ROOT / "mldossier.yaml", folder / "mldossier.yaml")
    check = _run(["mldossier", "check", "--json", "results.json"], cwd=folder, env=env)
    assert check.returncode == 1, check.stdout + check.stderr
    editable = _run(
        [str(Path(sys.executable).parent / "mldossier"), "check", "--json", "editable.json"],
        cwd=folder,
        env={**env, "PATH": os.environ["PATH"]},
    )
    assert editable.returncode == 1
    # The installed package decides exactly as the clone does.
    assert (folder / "results.json").read_bytes() == (folder / "editable.json").read_bytes()


def test_the_github_workflow_steps_run_with_the_installed_package(
    outside: tuple[Path, dict[str, str]],
) -> None:
    """The workflow's own ``run:`` scripts, in order, on a project made by ``init``."""
    folder, env = outside
    assert _run(["mldossier", "init", "."], cwd=folder, env=env).returncode == 0
    workflow = yaml.safe_load((ROOT / "examples/github-actions.yml").read_text())
    (job,) = workflow["jobs"].values()
    github_env, github_output = folder / "github-env", folder / "github-output"
    github_env.touch()
    github_output.touch()
    env = {**env, "GITHUB_ENV": str(github_env), "GITHUB_OUTPUT": str(github_output)}
    ran = []
    for step in job["steps"]:
        script = step.get("run", "")
        # The system packages are this machine's already; pip install is what the fixture did;
        # collection needs a tracking server (its own tests cover it).
        if not script or "apt-get" in script or "pip install" in script or "collect" in script:
            continue
        if "CHECK_EXIT" in script:
            env["CHECK_EXIT"] = github_output.read_text().split("code=")[-1].strip()
        done = _run(["bash", "-e", "-c", script], cwd=folder, env=env)
        ran.append((step.get("name"), done.returncode))
        for line in github_env.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        if "CHECK_EXIT" in script:
            # The gate fails the job with check's code: the example's gaps are not evidenced,
            # which the default gate lets pass.
            assert done.returncode == int(env["CHECK_EXIT"]) == 0, (script, done.stdout)
        else:
            assert done.returncode == 0, (script, done.stdout, done.stderr)
    assert any(name and "Check" in name for name, _ in ran)
    assert (folder / "site/report.pdf").is_file()
    assert (folder / "out/junit.xml").is_file()


def test_the_gitlab_job_script_runs_with_the_installed_package(
    outside: tuple[Path, dict[str, str]],
) -> None:
    """The GitLab job's ``script:``, as its shell runs it, on a project made by ``init``."""
    folder, env = outside
    assert _run(["mldossier", "init", "."], cwd=folder, env=env).returncode == 0
    pipeline = yaml.safe_load((ROOT / "examples/gitlab-ci.yml").read_text())
    (job,) = [v for v in pipeline.values() if isinstance(v, dict) and "script" in v]
    env = {k: v for k, v in env.items() if k != "MLFLOW_TRACKING_URI"}  # no collection
    done = _run(
        ["bash", "-e", "-o", "pipefail", "-c", "\n".join(job["script"])], cwd=folder, env=env
    )
    # The job builds the report, then ends with check's code: the example's gaps are not
    # evidenced, which the default gate lets pass.
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "site/report.pdf").is_file()
    assert (folder / "out/junit.xml").is_file()
    assert (folder / "out/assessment-results.json").is_file()
