"""Atomic outputs: a build that fails, is interrupted or runs out of disk leaves the previous bundle.

``mldossier build`` renders into a staging folder next to ``--out`` and swaps it in when it
is complete. These tests interrupt real ``mldossier build`` subprocesses (SIGINT, SIGTERM)
once the staging folder has files in it, fill a real tmpfs that holds one bundle (or, where
mounting is not allowed, make the write fail in-process), and run builds into one folder at
the same time; each time the previous bundle must still pass ``mldossier verify`` and
nothing may be left next to it (nor in the temporary folder). Tests of fixed bugs carry their
name from tests/hostile/README.md (B13 SIGTERM, B14 concurrent swaps, B15 full disk).
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mldossier import pipeline
from mldossier.bundle import atomic as outputs
from mldossier.bundle import build as build_module
from mldossier.bundle import workers
from mldossier.cli import main
from mldossier.errors import UsageError
from mldossier.render import site as site_module

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "reference" / "samples"
MIB = 1024 * 1024


def mini_evidence(target: Path, models: tuple[str, ...] = ("breast-cancer-classifier",)) -> Path:
    """Real registered models and a version of each: a small, valid evidence folder."""
    (target / "mlflow").mkdir(parents=True)
    for model in models:
        for name in (
            f"registered_models_get__{model}.json",
            f"model_versions_get__{model}__v2.json",
        ):
            shutil.copy(SAMPLES / "mlflow" / "rest" / name, target / "mlflow" / name)
    return target


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "mldossier.cli", *args]


def env(tmpdir: Path | None = None) -> dict[str, str]:
    extra = {"TMPDIR": str(tmpdir)} if tmpdir is not None else {}
    return {
        **os.environ,
        **extra,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [os.environ.get("PYTHONPATH", ""), str(REPO / "src")])
        ),
    }


def run(
    *args: str, timeout: float = 180, tmpdir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args), capture_output=True, text=True, timeout=timeout, env=env(tmpdir)
    )


def verify(bundle: Path) -> subprocess.CompletedProcess[str]:
    return run("verify", str(bundle))


def leftovers(out: Path) -> list[str]:
    """Anything next to the bundle that a build made and did not clean up."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def snapshot(bundle: Path) -> dict[str, bytes]:
    return {
        p.relative_to(bundle).as_posix(): p.read_bytes()
        for p in sorted(bundle.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mini_evidence(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="module")
def template(evidence: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real bundle (site, PDF, manifest), built once and copied into each test."""
    out = tmp_path_factory.mktemp("template") / "site"
    done = run("build", "--evidence", str(evidence), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert verify(out).returncode == 0
    return out


@pytest.fixture
def previous(template: Path, tmp_path: Path) -> Path:
    """A finished bundle in ``tmp_path/out/site`` that the next build would replace."""
    out = tmp_path / "out" / "site"
    shutil.copytree(template, out)
    return out


def start_build(
    evidence: Path, out: Path, *extra: str, tmpdir: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("build", "--evidence", str(evidence), "--out", str(out), *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmpdir),
    )


def forked_workers(proc: subprocess.Popen[str]) -> list[int]:
    """The process ids of ``proc``'s forked children (Linux): not the `dot` it runs."""
    found: list[int] = []
    command = Path(f"/proc/{proc.pid}/cmdline")
    for task in Path(f"/proc/{proc.pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for pid in (task / "children").read_text().split():
                if Path(f"/proc/{pid}/cmdline").read_bytes() == command.read_bytes():
                    found.append(int(pid))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for_staging(out: Path, proc: subprocess.Popen[str], timeout: float = 120) -> Path:
    """The build's staging folder, once it holds files (so the build is mid-render)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the build ended before it could be interrupted"
        for folder in out.parent.glob(f".{out.name}.staging-*"):
            if any(folder.rglob("*")):
                return folder
        time.sleep(0.01)
    raise AssertionError("no staging folder appeared")


# ---------------------------------------------------------------- failures and interruptions


@pytest.mark.slow
def test_build_renders_into_a_staging_folder_and_swaps_it_in(
    previous: Path, evidence: Path
) -> None:
    before = snapshot(previous)
    proc = start_build(evidence, previous)
    staging = wait_for_staging(previous, proc)
    # While the new bundle is rendered, the old one is untouched.
    assert staging.parent == previous.parent
    assert snapshot(previous) == before
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert verify(previous).returncode == 0
    assert leftovers(previous) == []


@pytest.mark.slow
def test_invalid_input_writes_nothing(previous: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.json").write_text('{"registered_model": {"name": ')
    before = snapshot(previous)
    done = run("build", "--evidence", str(bad), "--out", str(previous))
    assert done.returncode == 2
    assert "nothing was written" in done.stderr
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.slow
def test_sigint_mid_build_keeps_the_previous_bundle(previous: Path, evidence: Path) -> None:
    before = snapshot(previous)
    proc = start_build(evidence, previous)
    wait_for_staging(previous, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode not in (0, 3), err
    assert "Traceback" not in out + err
    assert "Aborted!" in err
    assert snapshot(previous) == before
    assert verify(previous).returncode == 0
    assert leftovers(previous) == []


@pytest.mark.slow
def test_sigterm_mid_build_keeps_the_previous_bundle(previous: Path, evidence: Path) -> None:
    before = snapshot(previous)
    proc = start_build(evidence, previous)
    wait_for_staging(previous, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in out + err
    assert snapshot(previous) == before
    assert verify(previous).returncode == 0


@pytest.mark.slow
def test_sigterm_mid_build_leaves_no_staging_folder(
    previous: Path, evidence: Path, tmp_path: Path
) -> None:
    # B13 (fixed): SIGTERM unwinds like SIGINT: exit 143, staging and mkdocs' folder removed.
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    proc = start_build(evidence, previous, tmpdir=tmpdir)
    wait_for_staging(previous, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in out + err
    assert leftovers(previous) == []
    assert list(tmpdir.iterdir()) == []


def terminate_amid_pdf_workers(proc: subprocess.Popen[str], count: int) -> None:
    """SIGTERM a build once ``count`` forked PDF workers run; it must end 143 and reap them.

    A worker counts once seen in two looks 0.05 s apart: a subprocess (gcc, dot) also looks
    like one for the moment between its fork and its exec.
    """
    deadline = time.monotonic() + 180
    seen: set[int] = set()
    while len(steady := seen & set(now := forked_workers(proc))) < count:
        assert proc.poll() is None, "the build ended before its PDF workers started"
        assert time.monotonic() < deadline, "no PDF worker appeared"
        seen = set(now)
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in out + err
    assert not any(alive(pid) for pid in steady)


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the PDFs are not forked")
def test_sigterm_while_pdf_workers_render_leaves_nothing(previous: Path, tmp_path: Path) -> None:
    # The per-system PDFs are rendered by forked workers: the parent kills them (they never
    # run its cleanup), waits for them and removes the staging folder.
    evidence = mini_evidence(
        tmp_path / "evidence",
        ("breast-cancer-classifier", "diabetes-progression-regressor", "wine-cultivar-classifier"),
    )
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    before = snapshot(previous)
    proc = start_build(evidence, previous, "--no-pdf", "--pdf-per-system", tmpdir=tmpdir)
    terminate_amid_pdf_workers(proc, 2)
    assert snapshot(previous) == before
    assert leftovers(previous) == []
    assert list(tmpdir.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the PDF is not forked")
def test_sigterm_while_the_summary_pdf_is_laid_out_leaves_nothing(
    previous: Path, evidence: Path
) -> None:
    # The summary PDF is laid out by a forked worker while the build renders the site.
    before = snapshot(previous)
    proc = start_build(evidence, previous, "--no-cache")
    terminate_amid_pdf_workers(proc, 1)
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.slow
def test_sigterm_in_process_raises_exit_143_and_restores_the_handler(
    previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    def terminated(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs here

    before = snapshot(previous)
    monkeypatch.setattr(build_module, "write_manifest", terminated)
    analysis = pipeline.analyse(_config(), evidence)
    # Installed first: a build that failed to take SIGTERM over would end here, not pytest.
    saved = signal.signal(signal.SIGTERM, record)
    try:
        with pytest.raises(SystemExit) as exited:
            build_module.build(analysis, previous, pdf=False)
        assert signal.getsignal(signal.SIGTERM) is record
    finally:
        signal.signal(signal.SIGTERM, saved)
    assert exited.value.code == 128 + signal.SIGTERM
    assert received == []
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.slow
def test_what_the_site_leaves_in_its_work_folder_goes_with_the_build(
    previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race left in the last session: a SIGTERM while the site's temporary folder was
    # being deleted left part of it in /tmp. That folder now sits beside the staging folder
    # and the build deletes it whatever happened inside, shown here by a cleanup that never
    # runs and a build stopped right after the site.
    class NeverCleaned(tempfile.TemporaryDirectory):  # type: ignore[type-arg]
        def __exit__(self, *exc: object) -> None:
            self._finalizer.detach()  # type: ignore[attr-defined]

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    made: list[str] = []

    def never_cleaned(**kwargs: Any) -> NeverCleaned:
        made.append(str(kwargs.get("dir")))
        return NeverCleaned(**kwargs)

    monkeypatch.setattr(site_module.tempfile, "TemporaryDirectory", never_cleaned)
    monkeypatch.setattr(build_module, "write_manifest", stopped)
    before = snapshot(previous)
    analysis = pipeline.analyse(_config(), evidence)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(analysis, previous, pdf=False)
    assert [Path(m).parent for m in made] == [previous.parent]
    assert Path(made[0]).name.startswith(f".{previous.name}.work-")
    assert snapshot(previous) == before
    assert leftovers(previous) == []


def own_children() -> list[int]:
    """The process ids of this process's children (Linux)."""
    found: list[int] = []
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


forking = pytest.mark.skipif(
    not hasattr(os, "fork") or not Path("/proc/self/task").is_dir(),
    reason="forked workers and /proc (Linux) only",
)


@forking
def test_an_interrupted_build_stops_and_reaps_its_pdf_workers() -> None:
    # Installed first: if SIGTERM were not taken over, it would end here, not pytest.
    saved = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    started = time.monotonic()
    try:
        timer.start()
        with pytest.raises(SystemExit) as exited, outputs.sigterm_unwinds():
            workers.render_in_workers(lambda index: time.sleep(60), 4, 2)
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGTERM, saved)
    assert exited.value.code == 128 + signal.SIGTERM
    assert time.monotonic() - started < 10
    assert own_children() == []


@forking
def test_a_failure_alongside_the_workers_stops_them() -> None:
    def site() -> None:
        raise OSError(28, "No space left on device")

    started = time.monotonic()
    with pytest.raises(OSError, match="No space left"):
        workers.render_in_workers(lambda index: time.sleep(60), 1, 1, alongside=site)
    assert time.monotonic() - started < 10
    assert own_children() == []


class _Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("no")


@forking
@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "/x/systems/b.pdf"),
            OSError,
            "[Errno 28] No space left on device: '/x/systems/b.pdf'",
        ),
        (_Unpicklable("a worker's own error"), RuntimeError, "_Unpicklable: a worker's own error"),
    ],
)
def test_a_pdf_worker_failure_is_raised_in_the_build(
    error: Exception, expected: type, message: str
) -> None:
    def render(index: int) -> None:
        if index == 1:
            raise error

    with pytest.raises(expected) as raised:
        workers.render_in_workers(render, 3, 2)
    assert str(raised.value) == message
    assert "(in the PDF worker " in raised.value.__notes__[0]
    assert own_children() == []


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the PDFs are not forked")
def test_a_full_disk_in_a_pdf_worker_is_reported_plainly(
    previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mldossier.render import pdf

    evidence = mini_evidence(
        tmp_path / "evidence", ("breast-cancer-classifier", "wine-cultivar-classifier")
    )
    real = pdf.render_pdf

    def full(dossier: object, out_path: Path, **kwargs: object) -> int:
        if kwargs.get("only_system") == "wine-cultivar-classifier":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out_path))
        return real(dossier, out_path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pdf, "render_pdf", full)
    before = snapshot(previous)
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--no-pdf",
            "--pdf-per-system",
            "--evidence",
            str(evidence),
            "--out",
            str(previous),
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == full_disk(previous)
    assert snapshot(previous) == before
    assert leftovers(previous) == []
    assert own_children() == []


# ---------------------------------------------------------------- disk full


@pytest.fixture
def tiny_disk(tmp_path: Path, template: Path) -> Iterator[Path | None]:
    """A tmpfs with room for one bundle and 2 MiB more (not for a second bundle), or None
    where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    bundle = sum(p.stat().st_size for p in template.rglob("*") if p.is_file())
    size = bundle // MIB + 3
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_disk_full_keeps_the_previous_bundle(
    tiny_disk: Path | None,
    template: Path,
    evidence: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if tiny_disk is not None:
        out = tiny_disk / "site"
        shutil.copytree(template, out)
        before = snapshot(out)
        done = run("build", "--evidence", str(evidence), "--out", str(out))
        assert done.returncode == 2, done.stderr
        # Where the failing call is a write() to an open file, it names no file, and the
        # message says which two folders could be full; where it opens a file, it names it.
        assert done.stderr.splitlines()[-1] in (full_disk(out), full_disk_or_temp(out))
        assert "Traceback" not in done.stdout + done.stderr
    else:
        # No mount allowed here: the manifest write fails the way a full disk makes it fail.
        out = tmp_path / "out" / "site"
        shutil.copytree(template, out)
        before = snapshot(out)
        _fail_writes_with(monkeypatch, errno.ENOSPC)
        analysis = pipeline.analyse(_config(), evidence)
        with pytest.raises(UsageError) as raised:
            build_module.build(analysis, out, pdf=False)
        assert f"mldossier: {raised.value}" == full_disk(out)
    assert snapshot(out) == before
    assert verify(out).returncode == 0
    assert leftovers(out) == []


def _config():  # type: ignore[no-untyped-def]
    from mldossier.config import Config

    return Config()


def full_disk_or_temp(out: Path) -> str:
    """What it says when the failed write named no file: the bundle or the temporary folder."""
    temporary = Path(tempfile.gettempdir()).resolve()
    return (
        f"mldossier: cannot write the bundle into {out} or the temporary folder {temporary}: "
        "No space left on device (free some space, or build into another folder with --out, "
        "or set TMPDIR to another folder)"
    )


def full_disk(out: Path) -> str:
    """What the command line says when the disk holding the bundle is full."""
    return (
        f"mldossier: cannot write the bundle into {out}: No space left on device "
        "(free some space, or build into another folder with --out)"
    )


def _fail_writes_with(
    monkeypatch: pytest.MonkeyPatch, code: int, filename: str | None = None
) -> None:
    """Make the manifest write fail with ``code`` (as a write() fails: naming no file)."""

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), *([filename] if filename else []))

    monkeypatch.setattr(build_module, "write_manifest", fail)


@pytest.mark.slow
def test_disk_full_in_process_keeps_the_previous_bundle(
    previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(previous)
    _fail_writes_with(monkeypatch, errno.ENOSPC)
    analysis = pipeline.analyse(_config(), evidence)
    with pytest.raises(UsageError) as raised:
        build_module.build(analysis, previous, pdf=False)
    assert isinstance(raised.value.__cause__, OSError)
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.slow
def test_disk_full_is_reported_as_a_full_disk(
    previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # B15 (fixed): the environment's problem, exit 2, not "internal error ... please report it".
    _fail_writes_with(monkeypatch, errno.ENOSPC)
    result = CliRunner().invoke(
        main, ["build", "--no-pdf", "--evidence", str(evidence), "--out", str(previous)]
    )
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [full_disk(previous)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            errno.EDQUOT,
            "Disk quota exceeded (free some space or raise the quota, "
            "or build into another folder with --out)",
        ),
        (
            errno.EROFS,
            "Read-only file system (mount it read-write, or build into another folder with --out)",
        ),
        (
            errno.EACCES,
            "Permission denied (check the folder's permissions, "
            "or build into another folder with --out)",
        ),
        (
            errno.EPERM,
            "Operation not permitted (check the folder's permissions, "
            "or build into another folder with --out)",
        ),
    ],
)
def test_unwritable_bundle_folder_is_reported_plainly(
    code: int, message: str, previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(previous)
    staged = str(previous.parent / f".{previous.name}.staging-x" / "manifest.json")
    _fail_writes_with(monkeypatch, code, staged)
    result = CliRunner().invoke(
        main, ["build", "--no-pdf", "--evidence", str(evidence), "--out", str(previous)]
    )
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"mldossier: cannot write the bundle into {previous}: {message}"
    ]
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.slow
def test_other_os_errors_stay_internal_errors(
    previous: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An I/O error is not the user's to fix by freeing space or choosing another folder.
    before = snapshot(previous)
    _fail_writes_with(monkeypatch, errno.EIO)
    result = CliRunner().invoke(
        main, ["build", "--no-pdf", "--evidence", str(evidence), "--out", str(previous)]
    )
    assert result.exit_code == 3, result.output
    assert "internal error: OSError: [Errno 5] Input/output error" in result.output
    assert snapshot(previous) == before
    assert leftovers(previous) == []


@pytest.mark.parametrize(
    ("code", "names", "message"),
    [
        # A copy's error names its source, then its destination in the staging folder.
        (
            errno.ENOSPC,
            ("/usr/share/x.js", "{out}/../.site.staging-1/x.js"),
            "cannot write the bundle into {out}: No space left on device "
            "(free some space, or build into another folder with --out)",
        ),
        # Creating the folders on the way to the bundle.
        (
            errno.EACCES,
            ("{out}/..",),
            "cannot write the bundle into {out}: Permission denied "
            "(check the folder's permissions, or build into another folder with --out)",
        ),
        # The temporary folder the site's pages are prepared in.
        (
            errno.ENOSPC,
            ("{tmp}/mldossier-site-1/docs/a.md",),
            "cannot write the bundle into {out}: {tmp}/mldossier-site-1/docs/a.md: No space left on "
            "device (free some space, or set TMPDIR to another folder)",
        ),
    ],
)
def test_unwritable_messages_name_the_folder(
    code: int, names: tuple[str, ...], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out" / "site"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(outputs.tempfile, "tempdir", str(tmp))
    filename, *filename2 = (n.format(out=out, tmp=tmp) for n in names)
    # OSError(errno, strerror, filename, winerror, filename2)
    error = OSError(code, os.strerror(code), filename, None, *filename2)
    with pytest.raises(UsageError) as raised, outputs.reported_as_unwritable(out):
        raise error
    assert str(raised.value) == message.format(out=out, tmp=tmp)
    assert raised.value.__cause__ is error


def test_a_permission_error_on_a_file_elsewhere_passes_unchanged(tmp_path: Path) -> None:
    error = PermissionError(errno.EACCES, "Permission denied", "/etc/shadow")
    with (
        pytest.raises(PermissionError) as raised,
        outputs.reported_as_unwritable(tmp_path / "out" / "site"),
    ):
        raise error
    assert raised.value is error


@pytest.mark.slow
def test_a_full_temporary_folder_does_not_stop_a_build(
    tiny_tmpdir: Path | None, evidence: Path, tmp_path: Path
) -> None:
    # The site's pages used to be prepared in TMPDIR, and a full one stopped the build (the
    # message named both folders: see test_unwritable_messages_name_the_folder). They are
    # prepared beside the bundle now, so a 64 KiB TMPDIR is enough.
    if tiny_tmpdir is None:
        pytest.skip("mounting a tmpfs is not allowed here")
    out = tmp_path / "out" / "site"
    done = run(
        "build", "--no-pdf", "--evidence", str(evidence), "--out", str(out), tmpdir=tiny_tmpdir
    )
    assert done.returncode == 0, done.stderr
    assert verify(out).returncode == 0
    assert leftovers(out) == []
    assert list(tiny_tmpdir.iterdir()) == []


@pytest.mark.slow
def test_read_only_file_system_keeps_the_previous_bundle(
    read_only: Path | None, evidence: Path
) -> None:
    if read_only is None:
        pytest.skip("a read-only bind mount is not allowed here")
    out = read_only / "site"
    before = snapshot(out)
    done = run("build", "--no-pdf", "--evidence", str(evidence), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"mldossier: cannot write the bundle into {out}: Read-only file system "
        "(mount it read-write, or build into another folder with --out)"
    )
    assert snapshot(out) == before


@pytest.fixture
def tiny_tmpdir(tmp_path: Path) -> Iterator[Path | None]:
    """A 64 KiB tmpfs to use as TMPDIR (too small for the site's pages), or None."""
    mount = tmp_path / "tiny-tmp"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def read_only(tmp_path: Path, template: Path) -> Iterator[Path | None]:
    """A folder holding a bundle, bind-mounted read-only over itself, or None."""
    folder = tmp_path / "ro"
    shutil.copytree(template, folder / "site")
    done = subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        yield None
        return
    try:
        done = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True, text=True
        )
        yield folder if done.returncode == 0 else None
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# ---------------------------------------------------------------- two builds at once


@pytest.mark.slow
def test_two_builds_into_one_folder_at_once(previous: Path, evidence: Path) -> None:
    # (Rarely, the two swaps meet and one build fails: that is B14, shown deterministically
    # by the next test.)
    procs = [start_build(evidence, previous, "--no-pdf") for _ in range(2)]
    results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in out + err
    checked = verify(previous)
    assert checked.returncode == 0, checked.stdout
    assert leftovers(previous) == []


def _swap_slowly(staged: str, target: str, barrier: object) -> None:
    """Swap a staged folder in, with a pause after each rename (as a loaded machine might)."""
    real = os.replace

    def slow(src: object, dst: object) -> None:
        real(src, dst)  # type: ignore[arg-type]
        time.sleep(0.2)

    os.replace = slow  # this is a child process: only its own os module changes
    barrier.wait()  # type: ignore[attr-defined]
    outputs.swap_in_folder(Path(staged), Path(target))


def test_two_swaps_at_once_both_succeed_and_leave_nothing(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.txt").write_text("old")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    staged = []
    for name in ("a", "b"):
        folder = tmp_path / f".site.staging-{name}"
        folder.mkdir()
        (folder / "who.txt").write_text(name)
        staged.append(folder)
    procs = [
        context.Process(target=_swap_slowly, args=(str(s), str(target), barrier)) for s in staged
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=30)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert (target / "who.txt").read_text() in ("a", "b")
    assert leftovers(target) == []


def _swap_and_report(staged: str, target: str, renamed: object) -> None:
    """Swap a staged folder in, slowly, and say when the first rename is done."""
    real = os.replace

    def slow(src: object, dst: object) -> None:
        real(src, dst)  # type: ignore[arg-type]
        renamed.set()  # type: ignore[attr-defined]
        time.sleep(0.5)

    os.replace = slow
    outputs.swap_in_folder(Path(staged), Path(target))


def test_sigterm_between_the_renames_of_a_swap_waits_for_the_swap(tmp_path: Path) -> None:
    # Between its two renames the bundle is under its old-folder name: a signal there is held
    # back until the swap is complete (then the process ends as SIGTERM says).
    target = tmp_path / "site"
    target.mkdir()
    (target / "who.txt").write_text("old")
    staged = tmp_path / ".site.staging-new"
    staged.mkdir()
    (staged / "who.txt").write_text("new")
    context = multiprocessing.get_context("fork")
    renamed = context.Event()
    proc = context.Process(target=_swap_and_report, args=(str(staged), str(target), renamed))
    proc.start()
    assert renamed.wait(timeout=30)
    os.kill(proc.pid, signal.SIGTERM)  # type: ignore[arg-type]
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGTERM
    assert (target / "who.txt").read_text() == "new"
    assert leftovers(target) == []


def test_a_stale_lock_file_is_taken_over_and_removed(tmp_path: Path) -> None:
    # A swap killed outright (SIGKILL) can leave its empty lock file; it holds no lock.
    target = tmp_path / "site"
    target.mkdir()
    (tmp_path / ".site.lock").touch()
    staged = tmp_path / ".site.staging-new"
    staged.mkdir()
    (staged / "who.txt").write_text("new")
    outputs.swap_in_folder(staged, target)
    assert (target / "who.txt").read_text() == "new"
    assert leftovers(target) == []


def test_a_swap_waiting_for_the_lock_can_be_interrupted(tmp_path: Path) -> None:
    import fcntl

    target = tmp_path / "site"
    target.mkdir()
    (target / "who.txt").write_text("old")
    staged = tmp_path / ".site.staging-new"
    staged.mkdir()
    context = multiprocessing.get_context("fork")
    with open(tmp_path / ".site.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = context.Process(target=outputs.swap_in_folder, args=(staged, target))
        proc.start()
        time.sleep(0.5)
        assert proc.is_alive()  # waiting for the lock
        os.kill(proc.pid, signal.SIGTERM)  # type: ignore[arg-type]
        proc.join(timeout=30)
        assert proc.exitcode == -signal.SIGTERM
    assert (target / "who.txt").read_text() == "old"
    assert staged.is_dir()  # left for the build that staged it to remove
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", ".site.staging-new", "site"]


# ---------------------------------------------------------------- what --out may be (issue 23)

REPLACE_FIX = (
    "(mldossier replaces --out as a whole and deletes only what it wrote: name a new or "
    "empty folder, such as --out site, or move those files away)"
)
OWN_FIX = (
    "(mldossier replaces --out as a whole: name a folder of the bundle's own, such as --out site)"
)


@pytest.fixture
def project(tmp_path: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, the current folder: config, notes, a git folder and the evidence."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "mldossier.yaml").write_text("evidence: evidence\n")
    (root / "NOTES.md").write_text("mine\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    shutil.copytree(evidence, root / "evidence")
    monkeypatch.chdir(root)
    return root


def tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its bytes, hidden ones included."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def build_in(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(root / "mldossier.yaml"), "build", *args])


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (".", "--out . is the current folder " + OWN_FIX),
        ("..", "--out .. contains the current folder {root} " + OWN_FIX),
        ("evidence", "--out evidence is the evidence folder " + OWN_FIX),
        ("evidence/..", "--out evidence/.. is the current folder " + OWN_FIX),
    ],
)
def test_out_that_is_or_holds_the_project_is_refused(project: Path, out: str, message: str) -> None:
    # Issue 23: `build --out .` deleted mldossier.yaml, the notes, .git and the evidence.
    before = tree(project.parent)
    done = build_in(project, "--out", out)
    assert (done.exit_code, done.stderr) == (2, f"mldossier: {message.format(root=project)}\n")
    assert tree(project.parent) == before


def test_out_holding_the_config_file_is_refused(project: Path) -> None:
    config = project / "conf" / "mldossier.yaml"
    config.parent.mkdir()
    config.write_text(f"evidence: {project / 'evidence'}\n")
    done = CliRunner().invoke(main, ["--config", str(config), "build", "--out", "conf"])
    assert (done.exit_code, done.stderr) == (
        2,
        f"mldossier: --out conf contains the config file {config} {OWN_FIX}\n",
    )
    assert config.is_file()


def test_out_that_is_a_folder_of_other_files_is_refused(project: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "NOTES.txt").write_text("mine\n")
    done = build_in(project, "--out", "docs")
    assert (done.exit_code, done.stderr) == (
        2,
        "mldossier: --out docs is not empty and holds no manifest.json of a bundle mldossier "
        f"wrote {REPLACE_FIX}\n",
    )
    assert (project / "docs" / "NOTES.txt").read_text() == "mine\n"


def test_a_forged_manifest_does_not_make_a_folder_replaceable(project: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "manifest.json").write_text(
        '{"format": "mldossier-manifest/v1", "outputs": []}'
    )
    (project / "docs" / "plan.odt").write_text("mine\n")
    done = build_in(project, "--out", "docs")
    assert (done.exit_code, done.stderr) == (
        2,
        f"mldossier: --out docs holds plan.odt, which its manifest.json does not list {REPLACE_FIX}\n",
    )
    assert (project / "docs" / "plan.odt").is_file()


def test_a_folder_that_cannot_be_looked_through_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What cannot be read cannot be known to be ours. (Root reads every folder, so the
    # unreadable sub-folder is what os.walk reports for one.)
    (project / "docs" / "private").mkdir(parents=True)
    (project / "docs" / "manifest.json").write_text(
        '{"format": "mldossier-manifest/v1", "outputs": []}'
    )
    real_walk = os.walk

    def walk(top: Any, topdown: bool = True, onerror: Any = None, followlinks: bool = False) -> Any:
        for dirpath, dirnames, filenames in real_walk(top, topdown, onerror, followlinks):
            if "private" in dirnames:
                onerror(PermissionError(13, "Permission denied", os.path.join(dirpath, "private")))
            yield dirpath, dirnames, filenames

    monkeypatch.setattr(os, "walk", walk)
    done = build_in(project, "--out", "docs")
    assert (done.exit_code, done.stderr) == (
        2,
        f"mldossier: --out docs cannot be looked through: docs/private: Permission denied "
        f"{REPLACE_FIX}\n",
    )


@pytest.mark.slow
def test_a_bundle_with_a_file_of_someone_else_is_not_replaced(
    previous: Path, evidence: Path
) -> None:
    (previous / "assets" / "notes.txt").parent.mkdir(exist_ok=True)
    (previous / "assets" / "notes.txt").write_text("mine\n")
    before = snapshot(previous)
    done = run("build", "--evidence", str(evidence), "--out", str(previous))
    assert (done.returncode, done.stderr) == (
        2,
        f"mldossier: --out {previous} holds assets/notes.txt, which its manifest.json does "
        f"not list {REPLACE_FIX}\n",
    )
    assert snapshot(previous) == before
    assert leftovers(previous) == []


def test_the_swap_replaces_only_its_own_output(tmp_path: Path) -> None:
    # Checked again under the swap's lock: the folder may have changed while rendering.
    from mldossier.bundle.out_folder import BUNDLE

    target = tmp_path / "site"
    target.mkdir()
    (target / "NOTES.txt").write_text("mine\n")
    staged = tmp_path / ".site.staging-new"
    staged.mkdir()
    (staged / "index.html").write_text("new")
    with pytest.raises(UsageError) as raised:
        outputs.swap_in_folder(staged, target, BUNDLE.refuse_foreign)
    assert str(raised.value) == (
        f"--out {target} is not empty and holds no manifest.json of a bundle mldossier wrote "
        f"{REPLACE_FIX}"
    )
    assert (target / "NOTES.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.staging-new", "site"]


def dead_pid() -> int:
    """The id of a process that has just ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_only_staging_folders_of_ended_runs_are_removed(tmp_path: Path) -> None:
    dead, host = dead_pid(), outputs.host_tag()
    stale = [f".site.staging-{host}-{dead}-ab1_x", f".site.work-{host}-{dead}-q"]
    stale += [f".site.old-{host}-{dead}-z9", f".site.collecting-{host}-{dead}-0a1b2c3d"]
    kept = [
        f".site.staging-{host}-{os.getpid()}-live",  # this run's own
        f".site.staging-{host}-1-init",  # a process that runs (another user's)
        f".site.staging-{'0' * 8 if host != '0' * 8 else '1' * 8}-{dead}-x",  # another machine's
        f".site.staging-{dead}-abcdef",  # no machine named: not recognised
        ".site.staging-abcdef",  # no owner named
        f".other.staging-{host}-{dead}-q",  # beside another folder
        f".site.staging-{host}-{dead}-x.y",  # not a name the tool makes
        "site",
    ]
    for name in stale + kept:
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text("x")
    (tmp_path / f".site.staging-{host}-{dead}-file").write_text("a file, not a folder")
    kept.append(f".site.staging-{host}-{dead}-file")
    removed = outputs.remove_stale_staging(tmp_path / "site")
    assert sorted(p.name for p in removed) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


@pytest.mark.slow
def test_a_build_killed_outright_is_tidied_up_by_the_next(previous: Path, evidence: Path) -> None:
    proc = start_build(evidence, previous)
    wait_for_staging(previous, proc)
    proc.kill()  # SIGKILL: no cleanup runs
    proc.communicate(timeout=60)
    assert leftovers(previous) != []
    done = run("build", "--evidence", str(evidence), "--out", str(previous))
    assert done.returncode == 0, done.stderr
    assert verify(previous).returncode == 0
    assert leftovers(previous) == []
