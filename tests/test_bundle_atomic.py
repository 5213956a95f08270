"""Finished outputs read like any other file: private temporary modes do not leak out."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mldossier.bundle.atomic import atomic_write_text, swap_in_folder, usual_mode


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_atomically_written_file_gets_the_umask_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "out" / "results.json"
    atomic_write_text(target, "{}")
    assert _mode(target) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_a_swapped_in_folder_gets_the_umask_mode(tmp_path: Path, umask_022: None) -> None:
    import tempfile

    staged = Path(tempfile.mkdtemp(dir=tmp_path))  # 0700, as the build's staging folder is
    (staged / "index.html").write_text("x")
    swap_in_folder(staged, tmp_path / "site")
    assert _mode(tmp_path / "site") == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_usual_mode_follows_the_umask(umask_022: None) -> None:
    os.umask(0o027)
    assert usual_mode(directory=True) == 0o750
    assert usual_mode(directory=False) == 0o640
    assert os.umask(0o022) == 0o027  # read without changing it
