"""The build cache: same bytes with and without it, invalidation by content, damage is a miss."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DEMO_EVIDENCE, REPO

from mldossier.bundle.build import build
from mldossier.cache import (
    ENTRIES_DIR,
    MAC_SIZE,
    MAGIC,
    Cache,
    cache_key,
    key_file,
    open_cache,
)
from mldossier.config import load_config
from mldossier.errors import InputError
from mldossier.intake.linking import Index
from mldossier.intake.read import INTAKE_NAMESPACE, SELF_CONTAINED_IMPORTERS, read_evidence
from mldossier.lineage.diagram import SVG_NAMESPACE, lineage_dot, lineage_svgs
from mldossier.lineage.graph import build_graph
from mldossier.pipeline import analyse
from mldossier.render.pdf import PDF_NAMESPACE
from mldossier.render.site.safety import SAFE_SVG_NAMESPACE

CONFIG = REPO / "mldossier.yaml"
KEY_A, KEY_B, KEY_C = (cache_key(name) for name in ("a", "b", "c"))


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def entries(folder: Path, namespace: str = "") -> list[Path]:
    return sorted(p for p in (folder / ENTRIES_DIR / namespace).rglob("*") if p.is_file())


def reword_a_signoff(evidence: Path) -> Path:
    """The benchmark's edit: one sign-off's statement reworded."""
    target = sorted((evidence / "signoffs").glob("*.yaml"))[0]
    text = target.read_text("utf-8")
    changed = re.sub(r"(?m)^statement: >-\n", "statement: >-\n  (Reviewed again.)\n", text, count=1)
    assert changed != text
    target.write_text(changed, encoding="utf-8")
    return target


def importers_with_files(evidence: Path) -> set[str]:
    found = read_evidence(load_config(CONFIG), evidence)
    return {f.importer for f in found.files if f.importer}


def the_key() -> Path:
    """The user's key file (the tests' state folder is set, so there is one)."""
    path = key_file()
    assert path is not None
    return path


@pytest.fixture(autouse=True, scope="module")
def own_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's state folder (where the cache key lives) is a fresh one for these tests."""
    with pytest.MonkeyPatch.context() as patch:
        state = tmp_path_factory.mktemp("state")
        patch.setenv("XDG_STATE_HOME", str(state))
        patch.delenv("MLDOSSIER_CACHE_KEY", raising=False)
        yield state


# ---------------------------------------------------------------- the store


def test_bytes_and_objects_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    assert cache.get("svg", KEY_A) is None
    cache.put("svg", KEY_A, b"<svg/>")
    value = {"tuple": (1, 2.5, float("nan")), "shared": [[]] * 2}
    cache.put_object("intake", KEY_B, value)
    again = Cache(tmp_path / "c")
    assert again.get("svg", KEY_A) == b"<svg/>"
    loaded = again.get_object("intake", KEY_B)
    assert loaded["tuple"][:2] == (1, 2.5) and loaded["tuple"][2] != loaded["tuple"][2]
    assert loaded["shared"][0] is loaded["shared"][1]  # sharing survives
    assert again.get("svg", KEY_B) is None  # other namespace, other kind: a miss
    assert again.get_object("intake", KEY_A) is None
    assert (again.hits["svg"], again.hits["intake"], again.misses["svg"]) == (1, 1, 1)


def test_the_folder_is_private_and_ignored_by_git(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    cache.put("svg", KEY_A, b"x")
    secret = the_key()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert len(secret.read_bytes()) == 32
    # Not in the cache folder: a copy of it (a CI cache archive) holds no key.
    assert not any(secret.read_bytes() in data for data in files(tmp_path / "c").values())
    assert stat.S_IMODE(entries(tmp_path / "c")[0].stat().st_mode) == 0o600
    assert (tmp_path / "c" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (tmp_path / "c" / "CACHEDIR.TAG")
        .read_bytes()
        .startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    )


def test_the_key_is_typed_and_length_prefixed() -> None:
    assert cache_key("ab") != cache_key("a", "b")
    assert cache_key("1") != cache_key(1) != cache_key(b"1")
    assert cache_key("a", "") != cache_key("a")
    assert re.fullmatch(r"[0-9a-f]{64}", cache_key("x"))
    with pytest.raises(TypeError):
        cache_key(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "damage",
    ["flip a payload byte", "flip a MAC byte", "truncate", "empty", "garbage", "wrong kind"],
)
def test_a_damaged_entry_is_a_miss_and_is_removed(tmp_path: Path, damage: str) -> None:
    cache = Cache(tmp_path / "c")
    cache.put("svg", KEY_A, b"<svg>diagram</svg>")
    cache.put_object("intake", KEY_B, ("records", 1))
    for path in entries(tmp_path / "c"):
        data = bytearray(path.read_bytes())
        if damage == "flip a payload byte":
            data[len(MAGIC) + 2] ^= 1
        elif damage == "flip a MAC byte":
            data[-1] ^= 1
        elif damage == "truncate":
            data = data[: len(data) - MAC_SIZE - 1]
        elif damage == "empty":
            data = bytearray()
        elif damage == "garbage":
            data = bytearray(os.urandom(200))
        else:
            data[len(MAGIC)] = ord("p") if data[len(MAGIC)] == ord("b") else ord("b")
        path.write_bytes(bytes(data))
    again = Cache(tmp_path / "c")
    assert again.get("svg", KEY_A) is None
    assert again.get_object("intake", KEY_B) is None
    assert entries(tmp_path / "c") == []  # removed, so the next build writes them afresh
    assert (again.misses["svg"], again.misses["intake"]) == (1, 1)
    again.put("svg", KEY_A, b"<svg>diagram</svg>")
    assert again.get("svg", KEY_A) == b"<svg>diagram</svg>"


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.marker),)


def test_a_forged_pickle_is_never_unpickled(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    cache.put_object("intake", KEY_A, "genuine")
    path = entries(tmp_path / "c")[0]
    marker = tmp_path / "pwned"
    forged = pickle.dumps(_Exploit(marker))
    # Right frame, valid-looking MAC of the wrong key: whoever wrote it lacks the key.
    path.write_bytes(MAGIC + b"p" + forged + os.urandom(MAC_SIZE))
    assert Cache(tmp_path / "c").get_object("intake", KEY_A) is None
    assert not marker.exists()
    # The same payload with the right MAC would run: the MAC is what protects.
    pickle.loads(forged)
    assert marker.exists()


def test_a_secret_others_can_read_disables_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Cache(tmp_path / "c").put("svg", KEY_A, b"x")
    the_key().chmod(0o644)
    cache = Cache(tmp_path / "c")
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        assert cache.get("svg", KEY_A) is None
        cache.put("svg", KEY_B, b"y")
    assert not cache.enabled
    assert len(entries(tmp_path / "c")) == 1
    the_key().chmod(0o600)
    assert (
        f"the cache key {the_key()} is not yours alone (owner or mode 0600); delete it "
        "(building without the cache)"
    ) in caplog.text


def test_a_restored_cache_folder_carries_no_key_to_forge_with(tmp_path: Path) -> None:
    # Issue 23: the key sat beside the entries (secret.key), so whoever could write or
    # restore the folder (an actions/cache archive) could forge an entry that is unpickled.
    folder = tmp_path / "c"
    Cache(folder).put("svg", KEY_A, b"x")
    known = bytes(32)
    (folder / "secret.key").write_bytes(known)
    (folder / "secret.key").chmod(0o600)
    marker = tmp_path / "pwned"
    forged = pickle.dumps(_Exploit(marker))
    mac = hmac.new(known, f"intake\0{KEY_B}\0".encode() + b"p" + forged, hashlib.sha256)
    target = folder / ENTRIES_DIR / "intake" / KEY_B[:2] / KEY_B
    target.parent.mkdir(parents=True)
    target.write_bytes(MAGIC + b"p" + forged + mac.digest())
    assert Cache(folder).get_object("intake", KEY_B) is None
    assert not marker.exists()


def test_the_key_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("MLDOSSIER_CACHE_KEY", "a" * 64)
    Cache(tmp_path / "c").put("svg", KEY_A, b"x")
    assert Cache(tmp_path / "c").get("svg", KEY_A) == b"x"
    assert not (tmp_path / "state").exists()  # no key file was made
    monkeypatch.setenv("MLDOSSIER_CACHE_KEY", "b" * 64)
    assert Cache(tmp_path / "c").get("svg", KEY_A) is None  # made with another key: a miss
    monkeypatch.setenv("MLDOSSIER_CACHE_KEY", "short")
    cache = Cache(tmp_path / "c")
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        assert cache.get("svg", KEY_A) is None
    assert not cache.enabled
    assert caplog.messages == [
        "MLDOSSIER_CACHE_KEY is shorter than 32 characters (set it to a random secret, e.g. "
        "the output of: openssl rand -hex 32) (building without the cache)"
    ]


def test_without_a_home_folder_the_key_is_not_made_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no HOME, no passwd entry
    monkeypatch.chdir(tmp_path)
    cache = Cache(tmp_path / "c")
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        cache.put("svg", KEY_A, b"x")
    assert not cache.enabled
    assert not (tmp_path / "~").exists()
    assert caplog.messages == [
        "there is no home folder to keep the cache key in (set MLDOSSIER_CACHE_KEY to a "
        "random secret, or XDG_STATE_HOME to a folder of yours) (building without the cache)"
    ]


def test_a_linked_entries_folder_is_never_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 23: a committed link `entries -> ..` made every prune delete the oldest files
    # of the folder above until it was under cache.max_mb.
    project = tmp_path / "project"
    folder = project / ".mldossier-cache"
    Cache(folder).put("svg", KEY_A, b"x")
    shutil.rmtree(folder / ENTRIES_DIR)
    (folder / ENTRIES_DIR).symlink_to("..")
    (project / "mldossier.yaml").write_text("evidence: evidence\n")
    (project / "model.bin").write_bytes(bytes(50_000))
    before = files(project)
    cache = Cache(folder, max_bytes=10)
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        cache.put("svg", KEY_B, b"y")
        assert cache.prune() == 0
    assert files(project) == before
    assert not cache.enabled
    assert caplog.messages == [
        f"the cache folder's {folder / ENTRIES_DIR} is a link (the cache never follows one); "
        "delete the cache folder (building without the cache)"
    ]


def test_the_prune_deletes_only_entry_shaped_files(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    cache = Cache(folder)
    keys = [cache_key(i) for i in range(3)]
    for key in keys:
        cache.put("svg", key, bytes(1000))
    top = folder / ENTRIES_DIR
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / KEY_C[:2]).mkdir(parents=True)
    (elsewhere / KEY_C[:2] / KEY_C).write_bytes(bytes(1000))  # entry-shaped, behind a link
    (top / "pdf").symlink_to(elsewhere)
    foreign = [
        top / "notes.txt",
        top / "svg" / "notes.txt",
        top / "svg" / keys[0][:2] / "notes.txt",
        top / "svg" / keys[0][:2] / ("f" * 64 if keys[0][:2] != "ff" else "0" * 64),
        top / "Not a namespace" / KEY_C[:2] / KEY_C,
        top / "svg" / KEY_C[:2] / "deeper" / KEY_C,
    ]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(1000))
    kept = files(elsewhere) | {p.as_posix(): p.read_bytes() for p in foreign}
    cache.put("pdf", KEY_C, b"not through the link")
    assert cache.size() == 3 * (len(MAGIC) + 1 + 1000 + MAC_SIZE)
    cache.max_bytes = 0
    assert cache.prune() == 3 * (len(MAGIC) + 1 + 1000 + MAC_SIZE)
    assert files(elsewhere) | {p.as_posix(): p.read_bytes() for p in foreign} == kept
    assert [cache.get("svg", key) for key in keys] == [None, None, None]


def test_a_folder_that_is_not_the_caches_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # `cache.dir: .` or `cache.dir: evidence` must not turn a project folder into a cache.
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "run.json").write_text("{}")
    cache = Cache(folder)
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        cache.put("svg", KEY_A, b"x")
    assert not cache.enabled
    assert [p.name for p in folder.iterdir()] == ["run.json"]
    assert caplog.messages == [
        f"the cache folder {folder} is not mldossier's (it holds other files and no "
        "CACHEDIR.TAG of mldossier's cache); name a folder of its own in cache.dir "
        "(building without the cache)"
    ]


def test_an_unusable_folder_is_no_cache_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "c").write_text("a file where the folder should be")
    cache = Cache(tmp_path / "c")
    with caplog.at_level(logging.WARNING, logger="mldossier.cache"):
        cache.put("svg", KEY_A, b"x")
        assert cache.get("svg", KEY_A) is None
    assert not cache.enabled
    assert f"cannot use the cache folder {tmp_path / 'c'}" in caplog.text


def test_the_disabled_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache = Cache(None)
    cache.put("svg", KEY_A, b"x")
    cache.put_object("intake", KEY_A, 1)
    assert cache.get("svg", KEY_A) is None and cache.get_object("intake", KEY_A) is None
    assert not cache.enabled and cache.prune() == 0
    assert open_cache(None).folder == Path(".mldossier-cache")


def test_the_least_recently_used_entries_go_above_the_cap(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c", max_bytes=100_000)
    keys = [cache_key(i) for i in range(4)]
    for n, key in enumerate(keys):
        cache.put("pdf", key, bytes(3000))
        os.utime(_entry(tmp_path / "c", "pdf", key), (1_000_000 + n, 1_000_000 + n))
    cache.max_bytes = 10_000
    assert cache.get("pdf", keys[0]) is not None  # read: now the most recently used
    assert cache.prune() > 0
    assert cache.size() <= 10_000
    assert cache.get("pdf", keys[1]) is None  # the oldest unread entry went first
    assert cache.get("pdf", keys[0]) is not None
    assert cache.get("pdf", keys[3]) is not None
    cache.put("pdf", cache_key("too big"), bytes(20_000))  # larger than the cap: not kept
    assert cache.get("pdf", cache_key("too big")) is None


def _entry(folder: Path, namespace: str, key: str) -> Path:
    return folder / ENTRIES_DIR / namespace / key[:2] / key


def _writer(folder: str, rounds: int) -> None:
    cache = Cache(Path(folder))
    for n in range(rounds):
        cache.put("svg", cache_key(n % 5), f"value {n % 5}".encode() * 1000)
        cache.put_object("intake", cache_key(n % 3), ("value", n % 3))


def test_builds_sharing_a_cache_never_see_a_half_written_entry(tmp_path: Path) -> None:
    folder = str(tmp_path / "c")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(folder, 60)) for _ in range(4)]
    for worker in workers:
        worker.start()
    reader = Cache(Path(folder))
    seen = 0
    while any(w.is_alive() for w in workers):
        for n in range(5):
            value = reader.get("svg", cache_key(n))
            assert value in (None, f"value {n}".encode() * 1000)
            seen += value is not None
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
    final = Cache(Path(folder))
    assert [final.get("svg", cache_key(n)) for n in range(5)] == [
        f"value {n}".encode() * 1000 for n in range(5)
    ]
    assert [final.get_object("intake", cache_key(n)) for n in range(3)] == [
        ("value", n) for n in range(3)
    ]
    assert not list(Path(folder).rglob(".tmp-*"))


# ---------------------------------------------------------------- configuration


def test_the_config_names_the_folder_and_the_cap(tmp_path: Path) -> None:
    (tmp_path / "mldossier.yaml").write_text("cache:\n  dir: build/cache\n  max_mb: 10\n")
    config = load_config(tmp_path / "mldossier.yaml")
    assert config.cache_dir == tmp_path / "build" / "cache"
    assert config.cache_max_bytes == 10 * 1024 * 1024
    defaults = load_config(CONFIG)
    assert defaults.cache_dir == REPO / ".mldossier-cache"
    assert defaults.cache_max_bytes == 4096 * 1024 * 1024
    (tmp_path / "mldossier.yaml").write_text("cache:\n  max_mb: .nan\n")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "mldossier.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "mldossier.yaml:/cache/max_mb: NaN is not a size in MiB (write a positive number "
        "such as 4096)"
    ]
    (tmp_path / "mldossier.yaml").write_text("cache:\n  folder: x\n")
    warnings = [str(w) for w in load_config(tmp_path / "mldossier.yaml").warnings]
    assert warnings == [
        "mldossier.yaml:/cache: unknown key 'folder' (it is ignored; check its spelling)"
    ]


# ---------------------------------------------------------------- whole builds


@dataclass
class Builds:
    base: Path
    evidence: Path
    folder: Path
    cold: Cache
    warm: Cache


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """The demo built three times: cold cache, warm cache, no cache (PDFs one at a time)."""
    base = tmp_path_factory.mktemp("cache-builds")
    evidence = base / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    config = load_config(CONFIG)
    folder = base / "cache"
    with pytest.MonkeyPatch.context() as patch:
        # One process renders the per-system PDFs, so that this one counts the cache's hits.
        patch.setattr(os, "cpu_count", lambda: 1)
        cold, warm = Cache(folder), Cache(folder)
        for name, cache in (("cold", cold), ("warm", warm), ("none", None)):
            build(analyse(config, evidence, cache=cache), base / name, pdf_per_system=True)
    return Builds(base, evidence, folder, cold, warm)


@pytest.mark.slow
def test_cold_warm_and_uncached_builds_are_byte_identical(builds: Builds) -> None:
    cold, warm, none = (files(builds.base / n) for n in ("cold", "warm", "none"))
    assert sorted(cold) == sorted(warm) == sorted(none)
    assert [n for n in cold if cold[n] != warm[n]] == []
    assert [n for n in cold if cold[n] != none[n]] == []
    assert {"index.html", "report.pdf", "results.json", "manifest.json"} <= set(cold)
    assert len([n for n in cold if n.startswith("systems/") and n.endswith(".pdf")]) == 4


@pytest.mark.slow
def test_the_warm_build_takes_everything_from_the_cache(builds: Builds) -> None:
    importers = importers_with_files(builds.evidence)
    assert builds.cold.hits == {}
    assert builds.cold.writes == {
        INTAKE_NAMESPACE: len(importers),
        SVG_NAMESPACE: 4,
        SAFE_SVG_NAMESPACE: 4,
        PDF_NAMESPACE: 5,
    }
    assert builds.warm.hits == builds.cold.writes
    assert builds.warm.writes == {}
    assert len(entries(builds.folder)) == len(importers) + 4 + 4 + 5


@pytest.mark.slow
def test_a_changed_signoff_invalidates_only_what_depends_on_it(
    builds: Builds, tmp_path: Path
) -> None:
    # In place: the evidence folder is part of every intake key.
    evidence = builds.evidence
    folder = tmp_path / "cache"
    shutil.copytree(builds.folder, folder)
    changed = reword_a_signoff(evidence)
    config = load_config(CONFIG)
    cache = Cache(folder)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "cpu_count", lambda: 1)
            build(analyse(config, evidence, cache=cache), tmp_path / "rebuilt", pdf_per_system=True)
            build(analyse(config, evidence), tmp_path / "fresh", pdf_per_system=True)
        importers = importers_with_files(evidence)
    finally:
        shutil.copyfile(DEMO_EVIDENCE / changed.relative_to(evidence), changed)
    reread = {name for name in importers if name not in SELF_CONTAINED_IMPORTERS}
    assert "signoff" in reread and "openlineage" not in reread
    assert cache.hits[INTAKE_NAMESPACE] == len(importers) - len(reread)
    assert cache.misses[INTAKE_NAMESPACE] == len(reread)
    # The statement is not drawn: every diagram is reused.
    assert (cache.hits[SVG_NAMESPACE], cache.misses[SVG_NAMESPACE]) == (4, 0)
    assert (cache.hits[SAFE_SVG_NAMESPACE], cache.misses[SAFE_SVG_NAMESPACE]) == (4, 0)
    # Every PDF shows the report id, which the changed file changed: all laid out again.
    assert (cache.hits[PDF_NAMESPACE], cache.misses[PDF_NAMESPACE]) == (0, 5)
    rebuilt, fresh = files(tmp_path / "rebuilt"), files(tmp_path / "fresh")
    assert sorted(rebuilt) == sorted(fresh)
    assert [n for n in rebuilt if rebuilt[n] != fresh[n]] == []
    assert rebuilt["results.json"] != files(builds.base / "cold")["results.json"]


@pytest.mark.slow
def test_the_same_folder_named_relative_or_absolute_is_the_same_input(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    absolute = read_evidence(load_config(CONFIG), builds.evidence, cache=cache)
    monkeypatch.chdir(builds.evidence.parent)
    again = Cache(tmp_path / "cache")
    relative = read_evidence(
        load_config(Path(os.path.relpath(CONFIG))), Path("evidence"), cache=again
    )
    assert again.hits[INTAKE_NAMESPACE] == len(importers_with_files(builds.evidence))
    assert relative.signoffs == absolute.signoffs


@pytest.mark.slow
def test_a_changed_diagram_is_the_only_one_laid_out_again(builds: Builds, tmp_path: Path) -> None:
    config = load_config(CONFIG)
    evidence = tmp_path / "evidence"
    shutil.copytree(builds.evidence, evidence)
    before = read_evidence(config, evidence)
    lineage = build_graph(before, config, Index(before, config))
    systems = [m.name for m in before.registered_models]
    # A sign-off drawn with its own title (not folded into "N sign-offs"): retitle it.
    drawn = next(
        s
        for s in before.signoffs
        if s.system in systems
        and any(t.endswith(f"{s.kind}: {s.title}") for t in lineage_dot(lineage, s.system)[1])
    )
    path = evidence / drawn.cite.file
    path.write_text(
        path.read_text("utf-8").replace(drawn.title, drawn.title + " (retitled)"), encoding="utf-8"
    )
    after = read_evidence(config, evidence)
    cache = Cache(tmp_path / "cache")
    first = lineage_svgs(lineage, systems, cache)
    second = lineage_svgs(build_graph(after, config, Index(after, config)), systems, cache)
    assert (cache.hits[SVG_NAMESPACE], cache.misses[SVG_NAMESPACE]) == (3, 5)
    assert [s for s in systems if first[s] != second[s]] == [drawn.system]
    assert "(retitled)" in second[drawn.system]
    again = build_graph(after, config, Index(after, config))
    assert second == lineage_svgs(again, systems)  # no cache: the same


@pytest.mark.slow
def test_a_build_over_damaged_entries_rewrites_them(builds: Builds, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    shutil.copytree(builds.folder, folder)
    for path in entries(folder):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    cache = Cache(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "cpu_count", lambda: 1)
        build(
            analyse(load_config(CONFIG), builds.evidence, cache=cache),
            tmp_path / "out",
            pdf_per_system=True,
        )
    assert cache.hits == {}
    assert cache.writes == builds.cold.writes
    assert files(tmp_path / "out") == files(builds.base / "cold")
    again = Cache(folder)
    analyse(load_config(CONFIG), builds.evidence, cache=again)
    assert again.hits[INTAKE_NAMESPACE] == len(importers_with_files(builds.evidence))


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in ``cwd``, with a copy of the demo's config there."""
    shutil.copyfile(CONFIG, cwd / "mldossier.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "mldossier.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_command_line_cache_and_no_cache(builds: Builds, tmp_path: Path) -> None:
    """Forked per-system PDF workers read and write the cache too; --no-cache touches none."""
    built = cli(
        tmp_path, "build", "--evidence", str(builds.evidence), "--out", "cold", "--pdf-per-system"
    )
    assert built.returncode == 0, built.stderr
    folder = tmp_path / ".mldossier-cache"  # beside mldossier.yaml
    assert len(entries(folder, PDF_NAMESPACE)) == 5
    written = set(entries(folder))
    warm = cli(
        tmp_path, "build", "--evidence", str(builds.evidence), "--out", "warm", "--pdf-per-system"
    )
    assert warm.returncode == 0, warm.stderr
    assert set(entries(folder)) == written
    assert files(tmp_path / "cold") == files(tmp_path / "warm") == files(builds.base / "cold")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checked = cli(elsewhere, "check", "--evidence", str(builds.evidence), "--no-cache")
    built = cli(
        elsewhere,
        "build",
        "--evidence",
        str(builds.evidence),
        "--out",
        "site",
        "--no-pdf",
        "--no-cache",
    )
    assert checked.returncode == 1 and built.returncode == 0, built.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["mldossier.yaml", "site"]


def test_every_evidence_record_pickles_to_an_equal_record() -> None:
    # The model's records pickle their field values as a tuple (model._fast_pickling); the
    # demo holds every kind of record, each nested in Evidence.
    evidence = read_evidence(load_config(CONFIG), DEMO_EVIDENCE)
    # Every field is a tuple of records but root and allowed_signers (one record or None).
    groups = [getattr(evidence, f.name) for f in dataclasses.fields(evidence)]
    kinds = {
        type(r).__name__
        for group in groups
        for r in (group if isinstance(group, tuple) else (group,))
        if dataclasses.is_dataclass(r)
    }
    assert {"LineageRun", "ModelVersion", "MonitoringReport", "SignOff", "SourceFile"} <= kinds
    again = pickle.loads(pickle.dumps(evidence, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == evidence and again is not evidence
    assert copy.deepcopy(evidence) == evidence
    run = evidence.lineage_runs[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.state = "FAIL"  # type: ignore[misc]
    assert run.__getstate__() == tuple(  # type: ignore[attr-defined]
        getattr(run, f.name) for f in dataclasses.fields(run)
    )
