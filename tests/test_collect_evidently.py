"""``mldossier collect evidently``: copying an Evidently 0.7 workspace into an evidence folder.

One fixture builds a workspace with the real evidently 0.7.23 (a test dependency) from the
real full snapshots in tests/reference/samples/evidently; the others lay out the same files by
hand, in the layout that test checks against the real library.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import multiprocessing
import os
import re
import signal
import warnings
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import SAMPLES
from factories import COLLECTION_OWN_FIX as OWN_FIX
from factories import COLLECTION_REPLACE_FIX as REPLACE_FIX
from factories import read_collection

from mldossier.bundle.atomic import host_tag
from mldossier.cli import Context
from mldossier.cli.collect import collect
from mldossier.collect import LOG_NAME
from mldossier.collect.staging import StagedFolder

DRIFT = SAMPLES / "evidently" / "data_drift_report.full_snapshot.json"
CLASSIFICATION = SAMPLES / "evidently" / "classification_report.full_snapshot.json"

PROJECT = "01a21cae-be09-7765-b391-43c609cb8774"
OTHER_PROJECT = "01a21cae-be09-7765-b391-43c609cb8775"
DRIFT_ID = "01a21cae-bf96-7bbf-8f2f-40488c8f6956"
CLASSIFICATION_ID = "01a21cae-bf96-7bbf-8f2f-40488c8f6957"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ---------------------------------------------------------------- helpers


def cli() -> click.Group:
    """A stand-in for the main group: sets the shared Context, holds ``collect``."""

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = Context(None, False)

    root.add_command(collect)
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli(), ["collect", "evidently", *args])


def project_metadata(project_id: str, name: str, description: str = "") -> bytes:
    """``metadata.json`` as evidently 0.7.23's LocalState.write_project writes it."""
    data = {
        "id": project_id,
        "name": name,
        "description": description,
        "org_id": None,
        "version": "2",
    }
    return json.dumps(data, indent=2).encode()


def add_project(workspace: Path, project_id: str, name: str, snapshots: dict[str, bytes]) -> Path:
    folder = workspace / project_id
    (folder / "snapshots").mkdir(parents=True)
    (folder / "metadata.json").write_bytes(project_metadata(project_id, name, "demo"))
    for snapshot_id, raw in snapshots.items():
        (folder / "snapshots" / f"{snapshot_id}.json").write_bytes(raw)
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """One project holding the two real full snapshots, laid out as Evidently does."""
    root = tmp_path / "workspace"
    add_project(
        root,
        PROJECT,
        "Breast cancer / monitoring",
        {DRIFT_ID: DRIFT.read_bytes(), CLASSIFICATION_ID: CLASSIFICATION.read_bytes()},
    )
    return root


def layout(root: Path) -> list[str]:
    """A workspace's files, with every UUID written as ``<id>``."""

    def generic(part: str) -> str:
        head, dot, rest = part.partition(".")
        return f"<id>{dot}{rest}" if UUID.match(head) else part

    return sorted(
        "/".join(generic(part) for part in p.relative_to(root).parts)
        for p in root.rglob("*")
        if p.is_file()
    )


# ---------------------------------------------------------------- the real library


def _need_evidently() -> None:
    if importlib.util.find_spec("evidently") is None:
        if os.environ.get("CI"):
            pytest.fail("evidently==0.7.23 is a test dependency: pip install -e '.[test]'")
        pytest.skip("evidently is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def real_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace written by evidently 0.7.23 itself, holding the two real snapshots."""
    _need_evidently()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evidently's own deprecation warnings on import
        from evidently.core.report import Snapshot
        from evidently.ui.workspace import Workspace

        root = tmp_path_factory.mktemp("evidently") / "workspace"
        workspace = Workspace.create(str(root))
        project = workspace.create_project("Breast cancer / monitoring", description="demo")
        for sample in (DRIFT, CLASSIFICATION):
            workspace.add_run(project.id, Snapshot.load(str(sample)))
    yield root


@pytest.mark.slow
def test_the_hand_made_layout_is_the_real_one(real_workspace: Path, workspace: Path) -> None:
    assert (
        layout(real_workspace)
        == layout(workspace)
        == ["<id>/metadata.json", "<id>/snapshots/<id>.json", "<id>/snapshots/<id>.json"]
    )
    real_meta = next(real_workspace.glob("*/metadata.json"))
    made_meta = next(workspace.glob("*/metadata.json"))
    real = json.loads(real_meta.read_bytes())
    assert real.keys() == json.loads(made_meta.read_bytes()).keys()
    assert real_meta.read_bytes() == project_metadata(real["id"], real["name"], "demo")
    stored = {
        json.loads(p.read_bytes())["name"]: json.loads(p.read_bytes())
        for p in real_workspace.glob("*/snapshots/*.json")
    }
    for sample in (DRIFT, CLASSIFICATION):
        data = json.loads(sample.read_bytes())
        assert stored[data["name"]] == data  # the workspace stores the full snapshot as is


@pytest.mark.slow
def test_collects_a_real_workspace(real_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "evidence" / "monitoring"
    result = run("--workspace", str(real_workspace), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Collected 2 snapshot(s) of 1 project(s) into {out} (see collection-log.json)\n"
    )
    assert result.stderr == ""
    project_dir = next(p for p in real_workspace.iterdir() if p.is_dir())
    for source in (project_dir / "snapshots").iterdir():
        copied = out / "Breast cancer %2F monitoring" / "snapshots" / source.name
        assert copied.read_bytes() == source.read_bytes()
    evidence = read_collection(tmp_path / "evidence")
    assert sorted(
        (r.name, r.model_name, r.model_version, r.linked_by) for r in evidence.reports
    ) == [
        ("breast-cancer classification quality", "breast-cancer-classifier", None, "metadata"),
        ("breast-cancer drift (injected)", "breast-cancer-classifier", "demo-logreg", "metadata"),
    ]


# ---------------------------------------------------------------- the collection


def test_copies_snapshots_byte_for_byte_with_a_log(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "evidence" / "monitoring"
    result = run("--workspace", str(workspace), "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        f"Breast cancer %2F monitoring/snapshots/{DRIFT_ID}.json",
        f"Breast cancer %2F monitoring/snapshots/{CLASSIFICATION_ID}.json",
        LOG_NAME,
    ]
    folder = out / "Breast cancer %2F monitoring" / "snapshots"
    assert (folder / f"{DRIFT_ID}.json").read_bytes() == DRIFT.read_bytes()
    assert (folder / f"{CLASSIFICATION_ID}.json").read_bytes() == CLASSIFICATION.read_bytes()

    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert log["mldossier"] == "collection-log/v1"
    assert log["collector"] == "evidently"
    assert log["source"] == str(workspace.resolve())
    assert log["counts"] == {"projects": 1, "snapshots": 2}
    assert log["skipped"] == []
    meta = (workspace / PROJECT / "metadata.json").read_bytes()
    assert log["projects"] == [
        {
            "id": PROJECT,
            "name": "Breast cancer / monitoring",
            "folder": "Breast cancer %2F monitoring",
            "metadata_file": f"{PROJECT}/metadata.json",
            "metadata_sha256": hashlib.sha256(meta).hexdigest(),
            "metadata_size": len(meta),
            "metadata": json.loads(meta),
            "snapshots": 2,
        }
    ]
    assert [c["file"] for c in log["calls"]] == files[:2]
    for call in log["calls"]:
        assert call["method"] == "READ"
        assert call["url"].startswith("file:///") and call["url"].endswith(Path(call["file"]).name)
        assert call["sha256"] == hashlib.sha256((out / call["file"]).read_bytes()).hexdigest()

    evidence = read_collection(tmp_path / "evidence")
    assert len(evidence.reports) == 2
    assert {r.model_name for r in evidence.reports} == {"breast-cancer-classifier"}


def test_a_project_name_is_never_read_as_a_model(workspace: Path, tmp_path: Path) -> None:
    # Without model metadata, the importer may read <model>/<version>/ from folders; the
    # snapshots/ folder keeps it from taking <folder>/<project name>/ for that.
    data = json.loads(DRIFT.read_bytes())
    data["metadata"] = {}
    add_project(workspace, OTHER_PROJECT, "v2", {DRIFT_ID: json.dumps(data).encode()})
    out = tmp_path / "evidence" / "monitoring" / "evidently"
    result = run("--workspace", str(workspace), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: {workspace.resolve()}/{OTHER_PROJECT}/snapshots/{DRIFT_ID}.json: the "
        "snapshot's metadata names no model, so it cannot be tied to a model version (pass "
        "metadata={'model': ..., 'model_version': ...} to Report(...))\n"
    )
    evidence = read_collection(tmp_path / "evidence")
    unlinked = [r for r in evidence.reports if r.model_name is None]
    assert [r.cite.file for r in unlinked] == [f"monitoring/evidently/v2/snapshots/{DRIFT_ID}.json"]


def test_what_evidently_would_not_read_is_skipped_and_said(workspace: Path, tmp_path: Path) -> None:
    (workspace / "README.txt").write_text("notes")
    (workspace / PROJECT / "snapshots" / "draft.json").write_text("{}")
    (workspace / OTHER_PROJECT).mkdir()
    out = tmp_path / "out"
    result = run("--workspace", str(workspace), "--out", str(out))
    assert result.exit_code == 0, result.output
    root = workspace.resolve()
    assert result.stderr == (
        f"warning: {root}/{OTHER_PROJECT}: project folder without metadata.json; Evidently "
        "cannot load it either; not collected\n"
        f"warning: {root}/README.txt: not a project folder (Evidently reads only folders named "
        "by a project UUID); not collected\n"
        f"warning: {root}/{PROJECT}/snapshots/draft.json: not a snapshot (Evidently reads only "
        "<snapshot UUID>.json); not collected\n"
    )
    log = json.loads((out / LOG_NAME).read_text("utf-8"))
    assert [s["path"] for s in log["skipped"]] == [
        OTHER_PROJECT,
        "README.txt",
        f"{PROJECT}/snapshots/draft.json",
    ]


def test_projects_with_one_folder_name_get_their_ids(workspace: Path, tmp_path: Path) -> None:
    add_project(
        workspace, OTHER_PROJECT, "breast cancer / MONITORING", {DRIFT_ID: DRIFT.read_bytes()}
    )
    out = tmp_path / "out"
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        f"Breast cancer %2F monitoring~{PROJECT}",
        f"breast cancer %2F MONITORING~{OTHER_PROJECT}",
    ]


@pytest.mark.parametrize(
    ("project", "folder"),
    [("_archive", "%5Farchive"), ("README", "%52EADME"), ("notes.md", "notes%2Emd")],
)
def test_a_project_the_default_ignore_patterns_would_skip_is_collected_readable(
    workspace: Path, tmp_path: Path, project: str, folder: str
) -> None:
    add_project(workspace, OTHER_PROJECT, project, {DRIFT_ID: DRIFT.read_bytes()})
    out = tmp_path / "evidence" / "monitoring"
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0
    assert folder in {p.name for p in out.iterdir()}
    evidence = read_collection(tmp_path / "evidence")
    assert f"monitoring/{folder}/snapshots/{DRIFT_ID}.json" in {
        r.cite.file for r in evidence.reports
    }
    assert evidence.not_read == ()


def test_only_the_projects_asked_for(workspace: Path, tmp_path: Path) -> None:
    add_project(workspace, OTHER_PROJECT, "fraud", {DRIFT_ID: DRIFT.read_bytes()})
    for choice in ("fraud", OTHER_PROJECT):
        out = tmp_path / choice
        result = run("--workspace", str(workspace), "--out", str(out), "--project", choice)
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == [LOG_NAME, "fraud"]
    result = run("--workspace", str(workspace), "--out", str(tmp_path / "x"), "--project", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: --project 'nope': no project with that name or id in {workspace} "
        "(projects: 'Breast cancer / monitoring', 'fraud')\n"
    )


def test_a_broken_snapshot_stops_the_collection_and_keeps_the_old_one(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0
    before = tree(out)
    broken = workspace / PROJECT / "snapshots" / f"{DRIFT_ID}.json"
    broken.write_bytes(DRIFT.read_bytes()[:500])
    result = run("--workspace", str(workspace), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"mldossier: {broken.resolve()}: not valid JSON (Unterminated string starting at: line "
        "1 column 485 (char 484); if Evidently was still writing it, collect again; otherwise "
        "move the file out of the workspace)\n"
    )
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its bytes, hidden ones included."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_out_that_is_the_current_folder_is_refused(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 23: `collect evidently --out .` deleted NOTES.txt, .git/HEAD and a sub-folder.
    here = tmp_path / "here"
    (here / ".git").mkdir(parents=True)
    (here / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (here / "NOTES.txt").write_text("mine\n")
    (here / "sub").mkdir()
    (here / "sub" / "a.json").write_text("{}")
    before = tree(here)
    monkeypatch.chdir(here)
    result = run("--workspace", str(workspace), "--out", ".")
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out . is the current folder {OWN_FIX}\n",
    )
    assert tree(here) == before


def test_out_holding_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    result = run("--workspace", str(workspace), "--out", str(tmp_path))
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out {tmp_path} contains the workspace {workspace} {OWN_FIX}\n",
    )
    assert (workspace / PROJECT / "metadata.json").is_file()


def test_out_that_is_not_a_collection_is_refused(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.json").write_text('{"metrics": [], "tests": []}')
    result = run("--workspace", str(workspace), "--out", str(out))
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out {out} is not empty and holds no collection-log.json of a "
        f"collection mldossier wrote {REPLACE_FIX}\n",
    )
    assert [p.name for p in out.iterdir()] == ["old.json"]


def test_a_collection_with_a_file_of_someone_else_is_not_replaced(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0  # its own
    (out / "NOTES.txt").write_text("mine\n")
    result = run("--workspace", str(workspace), "--out", str(out))
    assert (result.exit_code, result.stderr) == (
        2,
        f"mldossier: --out {out} holds NOTES.txt, which its collection-log.json does not "
        f"list {REPLACE_FIX}\n",
    )
    assert (out / "NOTES.txt").read_text() == "mine\n"


def _killed_while_collecting(out: str) -> None:
    """Stage part of a collection, then die as SIGKILL makes a process: no cleanup runs."""
    with StagedFolder(Path(out)) as staged:
        staged.write("half.json", b"{}")
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_collection_killed_outright_is_tidied_up_by_the_next(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    child = multiprocessing.get_context("fork").Process(
        target=_killed_while_collecting, args=(str(out),)
    )
    child.start()
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert left == [f".out.collecting-{host_tag()}-{child.pid}-{left[0].rsplit('-', 1)[1]}"]
    assert run("--workspace", str(workspace), "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "workspace"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda root: root.write_text("x"),
            "mldossier: --workspace {root} is not a folder (pass the folder given to evidently's "
            "Workspace(...), the one holding <project id>/metadata.json)\n",
        ),
        (
            lambda root: root.mkdir(),
            "mldossier: --workspace {root} holds no Evidently projects (expected <project "
            "id>/metadata.json folders, as Workspace.create() writes)\n",
        ),
        (
            lambda root: (
                (root / PROJECT).mkdir(parents=True)
                or (root / PROJECT / "metadata.json").write_text('{"project": 1}')
            ),
            "mldossier: {resolved}/" + PROJECT + "/metadata.json: not an Evidently project file "
            "(expected an object with id and name, as Workspace.create_project() writes)\n",
        ),
    ],
)
def test_not_a_workspace(tmp_path: Path, make: object, message: str) -> None:
    root = tmp_path / "ws"
    make(root)  # type: ignore[operator]
    result = run("--workspace", str(root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == message.format(root=root, resolved=root.resolve())
    assert not (tmp_path / "out").exists()
