"""Collect the snapshots of a local Evidently 0.7 workspace.

A workspace (``evidently.ui.workspace.Workspace``, checked with evidently 0.7.23) holds one
folder per project, named by the project's UUID, with ``metadata.json`` (id, name,
description, org_id, version) and ``snapshots/<snapshot UUID>.json``, each a full snapshot
(``snapshot.dumps()``: name, timestamp, metadata, tags, metric_results, ...). Evidently
itself lists only UUID-named project folders and UUID-named snapshot files; so does this.

Each snapshot is copied byte for byte to ``<out>/<project name>/snapshots/<snapshot id>.json``.
The ``snapshots`` folder is kept on purpose: the Evidently importer never reads a model and
version from a ``snapshots`` folder's parents, so a project name is never taken for a model.
The project's ``metadata.json`` is recorded (parsed, with its SHA-256) in
``collection-log.json`` rather than copied, because no importer reads that shape.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldossier.collect.http import CollectError, utc_now
from mldossier.collect.progress import Progress
from mldossier.collect.staging import LOG_NAME, StagedFolder, new_log, safe_name
from mldossier.errors import UsageError

PROJECT_FILE = "metadata.json"
SNAPSHOTS = "snapshots"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
"""What Evidently's ``LocalState`` accepts as a project or snapshot id."""


@dataclass(frozen=True)
class EvidentlySummary:
    """What a collection copied, and what it noticed."""

    out: Path
    projects: int
    snapshots: int
    warnings: tuple[str, ...]

    def line(self) -> str:
        """One line for the terminal."""
        return (
            f"Collected {self.snapshots} snapshot(s) of {self.projects} project(s) into "
            f"{self.out} (see {LOG_NAME})"
        )


@dataclass(frozen=True)
class _Project:
    id: str
    name: str
    folder: Path
    raw: bytes
    data: dict[str, Any]


def collect_evidently(
    workspace: Path, out: Path, only: tuple[str, ...] = (), progress: Progress | None = None
) -> EvidentlySummary:
    """Copy every snapshot of the workspace (or of the projects in ``only``) into ``out``."""
    progress = progress or Progress(enabled=False)
    if not workspace.is_dir():
        raise UsageError(
            f"--workspace {workspace} is not a folder (pass the folder given to "
            "evidently's Workspace(...), the one holding <project id>/metadata.json)"
        )
    root = workspace.resolve()
    projects, skipped = _projects(root)
    if not projects:
        raise UsageError(
            f"--workspace {workspace} holds no Evidently projects (expected "
            "<project id>/metadata.json folders, as Workspace.create() writes)"
        )
    projects = _chosen(projects, only, workspace)
    folders = _folders(projects)
    warnings: list[str] = [f"{root / s['path']}: {s['reason']}" for s in skipped]
    log = new_log("evidently", str(root), utc_now(), {"projects": list(only)})
    log["projects"] = []
    log["skipped"] = skipped
    copied = 0
    try:
        with StagedFolder(out) as staged:
            for project in projects:
                notes, found = _snapshots(project, root, skipped)
                warnings.extend(notes)
                log["projects"].append(_project_log(project, folders[project.id], len(found)))
                for i, (source, raw) in enumerate(found, 1):
                    rel = f"{folders[project.id]}/{SNAPSHOTS}/{source.name}"
                    written = staged.write(rel, raw)
                    log["calls"].append(
                        {
                            "method": "READ",
                            "url": source.as_uri(),
                            "retrieved": utc_now(),
                            "sha256": written.sha256,
                            "size": written.size,
                            "file": written.path,
                        }
                    )
                    progress.update(f"project {project.name}", i, len(found))
                    copied += 1
            log["finished"] = utc_now()
            log["counts"] = {"projects": len(projects), "snapshots": copied}
            staged.commit(log)
    finally:
        progress.close()
    return EvidentlySummary(out, len(projects), copied, tuple(warnings))


def _project_log(project: _Project, folder: str, snapshots: int) -> dict[str, Any]:
    """The collection log's entry of one project: its metadata file, hashed, and counts."""
    return {
        "id": project.id,
        "name": project.name,
        "folder": folder,
        "metadata_file": f"{project.folder.name}/{PROJECT_FILE}",
        "metadata_sha256": hashlib.sha256(project.raw).hexdigest(),
        "metadata_size": len(project.raw),
        "metadata": project.data,
        "snapshots": snapshots,
    }


def _projects(root: Path) -> tuple[list[_Project], list[dict[str, str]]]:
    """The workspace's projects, by name then id, and the entries that are not projects."""
    found: list[_Project] = []
    skipped: list[dict[str, str]] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.is_dir() or not UUID.match(entry.name):
            if not entry.name.startswith("."):
                skipped.append(
                    {
                        "path": entry.name,
                        "reason": "not a project folder (Evidently reads only folders "
                        "named by a project UUID); not collected",
                    }
                )
            continue
        meta = entry / PROJECT_FILE
        if not meta.is_file():
            skipped.append(
                {
                    "path": entry.name,
                    "reason": f"project folder without "
                    f"{PROJECT_FILE}; Evidently cannot load it either; not collected",
                }
            )
            continue
        raw = meta.read_bytes()
        data = _json(meta, raw)
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("name"), str)
            or not isinstance(data.get("id"), str)
        ):
            raise CollectError(
                f"{meta}: not an Evidently project file (expected an object "
                "with id and name, as Workspace.create_project() writes)"
            )
        found.append(_Project(data["id"], data["name"], entry, raw, data))
    found.sort(key=lambda p: (p.name, p.id))
    return found, skipped


def _chosen(projects: list[_Project], only: tuple[str, ...], workspace: Path) -> list[_Project]:
    if not only:
        return projects
    missing = [w for w in only if not any(w in (p.name, p.id) for p in projects)]
    if missing:
        names = ", ".join(repr(p.name) for p in projects)
        raise UsageError(
            f"--project {missing[0]!r}: no project with that name or id in "
            f"{workspace} (projects: {names})"
        )
    return [p for p in projects if p.name in only or p.id in only]


def _folders(projects: list[_Project]) -> dict[str, str]:
    """One output folder per project: its name, with the id added when names collide."""
    by_name: dict[str, list[_Project]] = {}
    for project in projects:
        by_name.setdefault(safe_name(project.name).casefold(), []).append(project)
    folders = {}
    for group in by_name.values():
        for project in group:
            name = safe_name(project.name)
            folders[project.id] = name if len(group) == 1 else f"{name}~{safe_name(project.id)}"
    return folders


def _snapshots(
    project: _Project, root: Path, skipped: list[dict[str, str]]
) -> tuple[list[str], list[tuple[Path, bytes]]]:
    """The project's snapshot files with their bytes, and warnings about their content."""
    folder = project.folder / SNAPSHOTS
    notes: list[str] = []
    found: list[tuple[Path, bytes]] = []
    if not folder.is_dir():
        return notes, found
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        if not (path.is_file() and path.suffix == ".json" and UUID.match(path.stem)):
            reason = "not a snapshot (Evidently reads only <snapshot UUID>.json); not collected"
            skipped.append({"path": path.relative_to(root).as_posix(), "reason": reason})
            notes.append(f"{path}: {reason}")
            continue
        raw = path.read_bytes()
        data = _json(path, raw)
        metadata = data.get("metadata") if isinstance(data, dict) else None
        if not isinstance(metadata, dict) or not (
            metadata.get("model") or metadata.get("model_name")
        ):
            notes.append(
                f"{path}: the snapshot's metadata names no model, so it cannot be "
                "tied to a model version (pass metadata={'model': ..., "
                "'model_version': ...} to Report(...))"
            )
        found.append((path, raw))
    return notes, found


def _json(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CollectError(
            f"{path}: not valid JSON ({exc}; if Evidently was still writing it, "
            "collect again; otherwise move the file out of the workspace)"
        ) from None
