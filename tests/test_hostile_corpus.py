"""The hostile-input corpus: every broken or malicious case, run through the CLI.

The corpus files are not committed: ``tests/hostile/make_corpus.py`` makes them from the real
samples (deterministically) into a temporary folder once per session (``hostile_corpus``). Each
case (a file, or a folder of files that only mean something together) is copied into a
fresh evidence folder and given to a real ``mldossier`` subprocess with a timeout; catalogs
go through ``check --controls`` and configs through ``--config``. ``tests/hostile/cases.yaml``
pins what each one must give: the exit code and every ``error:``/``warning:`` line, exactly.
Whatever the case, there is never a traceback, never exit 3 and never a hang. The
``generated/`` cases (a 2 GiB file, a million-digit number, megabytes of YAML, symlinks) are
made here, in each case's folder; the big ones run alone in a fresh process whose time and peak
memory (GNU ``time``) are measured and bounded. Known bugs are ``xfail(strict=True)`` with the bug's
name from ``tests/hostile/README.md``: they turn into failures the moment they are fixed, so
the marker gets removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import HOSTILE, SAMPLES, hostile_generator

REPO = Path(__file__).resolve().parents[1]
MANIFEST = HOSTILE / "cases.yaml"
README = HOSTILE / "README.md"
KINDS = (
    "syntax",
    "mlflow",
    "openlineage",
    "evidently",
    "signoff",
    "waiver",
    "collection-log",
    "catalog",
    "config",
)
DEFAULT_TIMEOUT = 60.0
MIB = 1024 * 1024
GIB = 1024 * MIB


# ---------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class Outcome:
    """What one ``mldossier`` subprocess did."""

    exit: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool

    @property
    def problems(self) -> list[str]:
        """The ``error:`` and ``warning:`` lines, in the order printed."""
        return [
            line for line in self.stderr.splitlines() if line.startswith(("error: ", "warning: "))
        ]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env() -> dict[str, str]:
    """The environment of the subprocesses: ``PYTHONPATH``, then this checkout's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [env.get("PYTHONPATH", ""), str(REPO / "src")])
    )
    env.pop("GITHUB_STEP_SUMMARY", None)
    env["NO_COLOR"] = "1"
    return env


TIME = Path("/usr/bin/time")


def run_cli(args: list[str], cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Run ``python -m mldossier.cli ARGS`` with a timeout; measure its time and peak RSS.

    The peak RSS comes from GNU time, which forks the command itself: Linux carries the
    high-water mark across exec, so rusage of a child forked from this (large) test process
    would count the test process too. Without GNU time, ``wait4`` gives that upper bound.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out, err, rss = Path(tmp) / "out", Path(tmp) / "err", Path(tmp) / "rss"
        command = [sys.executable, "-m", "mldossier.cli", *args]
        if TIME.exists():
            command = [str(TIME), "-f", "%M", "-o", str(rss), *command]
        start = time.monotonic()
        with open(out, "wb") as fo, open(err, "wb") as fe:
            # A session of its own, so a timeout kills GNU time and the command under it.
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
                env=cli_env(),
                start_new_session=True,
            )
            timed_out = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - start > timeout:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.005)
            seconds = time.monotonic() - start
            # wait4 reaped the child: tell Popen, so it does not wait for it again.
            proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kb = usage.ru_maxrss
        measured = rss.read_text().split() if rss.exists() else []
        if measured and measured[-1].isdigit():
            peak_kb = int(measured[-1])
        return Outcome(
            proc.returncode,
            out.read_bytes().decode("utf-8", "replace"),
            err.read_bytes().decode("utf-8", "replace"),
            seconds,
            peak_kb / 1024,
            timed_out,
        )


# ---------------------------------------------------------------- the cases


def load_manifest() -> dict[str, dict[str, Any]]:
    """``cases.yaml``: case path to its expected outcome."""
    data = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return dict(data["cases"])


def corpus_files(corpus: Path) -> list[Path]:
    """Every generated corpus file under ``corpus``."""
    return sorted(p for kind in KINDS for p in (corpus / kind).rglob("*") if p.is_file())


def corpus_units(corpus: Path) -> list[str]:
    """The generated cases: each file or folder directly inside a kind folder."""
    found = []
    for kind in KINDS:
        for entry in sorted((corpus / kind).iterdir()):
            found.append(entry.relative_to(corpus).as_posix())
    return found


def mini_evidence(target: Path) -> Path:
    """A small valid evidence folder (a real registered model and version) for catalog and
    config cases."""
    mlflow = target / "mlflow"
    mlflow.mkdir(parents=True)
    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        shutil.copy(SAMPLES / "mlflow" / "rest" / name, mlflow / name)
    return target


def _copy_unit(rel: str, corpus: Path, root: Path) -> None:
    source, target = corpus / rel, root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)


# Cases made at run time, by name: each gets the evidence root and returns nothing.
Generator = Callable[[Path], None]


def _sparse(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)


def _gen_2gib_json(root: Path) -> None:
    _sparse(root / "generated" / "sparse-2gib.json", 2 * GIB)


def _gen_2gib_ndjson(root: Path) -> None:
    _sparse(root / "generated" / "sparse-2gib.ndjson", 2 * GIB)


def _gen_long_line(root: Path) -> None:
    path = root / "generated" / "one-256mib-line.ndjson"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        fh.write(b'{"eventTime": "')
        fh.truncate(256 * MIB)


def _gen_event_then_long_line(root: Path) -> None:
    """A real event, then 512 MiB without a newline, in a .json over the document limit."""
    path = root / "generated" / "event-then-512mib-line.json"
    path.parent.mkdir(parents=True)
    first = (SAMPLES / "openlineage" / "events.ndjson").read_bytes().split(b"\n", 1)[0]
    with open(path, "wb") as fh:
        fh.write(first + b"\n")
        fh.truncate(len(first) + 1 + 512 * MIB)


def _gen_million_digits(root: Path) -> None:
    path = root / "generated" / "int-1000000-digits.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"registered_model": {"name": "m", "creation_timestamp": 1' + "0" * 1_000_000 + "}}\n"
    )


def _gen_big_yaml(root: Path) -> None:
    path = root / "generated" / "signoff-2mib.yaml"
    path.parent.mkdir(parents=True)
    lines = ['mldossier: "signoff/v1"', 'id: "RA-1"', "attachments:"]
    lines += [f"  - attachments/file-{i:06d}.pdf" for i in range(2 * MIB // 32)]
    path.write_text("\n".join(lines) + "\n")


def _outside(root: Path) -> Path:
    """A file next to (not inside) the evidence folder, which nothing may read."""
    secret = root.parent / "outside" / "secret.json"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text('{"registered_model": {"name": "stolen"}}\n')
    return secret


def _gen_symlink_file(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "link.json").symlink_to(_outside(root))


def _gen_symlink_folder(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "linked-folder").symlink_to(
        _outside(root).parent, target_is_directory=True
    )


def _gen_symlink_dev_zero(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "zero.json").symlink_to("/dev/zero")


def _gen_symlink_loop(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "a.json").symlink_to("b.json")
    (root / "generated" / "b.json").symlink_to("a.json")


def _gen_dangling(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "gone.json").symlink_to("never-existed.json")


def _gen_fifo(root: Path) -> None:
    (root / "generated").mkdir()
    os.mkfifo(root / "generated" / "pipe.json")
    (root / "generated" / "pipe-link.json").symlink_to("pipe.json")
    shutil.copy(
        SAMPLES / "mlflow" / "rest" / "registered_models_get__breast-cancer-classifier.json",
        root / "generated" / "model.json",
    )


def _gen_attachment_symlink(root: Path) -> None:
    folder = root / "generated"
    (folder / "attachments").mkdir(parents=True)
    (folder / "attachments" / "assessment.md").symlink_to(_outside(root))
    (folder / "signoff.yaml").write_text(
        'mldossier: signoff/v1\nid: RA-1\nkind: risk_assessment\ntitle: "t"\n'
        'subject:\n  system: "breast-cancer-classifier"\nstatement: "s"\nsigned_by: "a"\n'
        'role: "r"\ndate: "2026-10-12"\nattachments:\n  - attachments/assessment.md\n'
    )


def _gen_log_symlink(root: Path) -> None:
    folder = root / "generated"
    folder.mkdir()
    (folder / "exported.json").symlink_to(_outside(root))
    (folder / "log.json").write_text(
        '{"mldossier": "collection-log/v1", "calls": [{"file": "exported.json", '
        '"sha256": "' + "0" * 64 + '"}]}\n'
    )


def _gen_lineage_chain(root: Path) -> None:
    """5,000 runs, each reading what the one before wrote, the last training a real version."""
    import json
    from datetime import datetime, timedelta

    for name in (
        "registered_models_get__breast-cancer-classifier.json",
        "model_versions_get__breast-cancer-classifier__v2.json",
    ):
        shutil.copy(SAMPLES / "mlflow" / "rest" / name, root / name)
    path = root / "generated" / "chain.ndjson"
    path.parent.mkdir(parents=True)
    start = datetime(2026, 11, 27)
    with open(path, "w") as fh:
        for i in range(5_000):
            last = i == 4_999
            output = (
                {"namespace": "mlflow", "name": "models:/breast-cancer-classifier/2"}
                if last
                else {"namespace": "file", "name": f"/data/{i + 1}.csv"}
            )
            for state, seconds in (("START", 0), ("COMPLETE", 5)):
                moment = start + timedelta(seconds=10 * i + seconds)
                fh.write(
                    json.dumps(
                        {
                            "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "eventType": state,
                            "producer": "https://example.org/p",
                            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"
                            "#/$defs/RunEvent",
                            "run": {"runId": f"00000000-0000-4000-8000-{i:012d}"},
                            "job": {"namespace": "chain", "name": f"step-{i}"},
                            "inputs": [{"namespace": "file", "name": f"/data/{i}.csv"}],
                            "outputs": [output],
                        }
                    )
                    + "\n"
                )


def _gen_big_config(root: Path) -> None:
    (root.parent / "config").mkdir(exist_ok=True)
    (root.parent / "config" / "config-over-1mib.yaml").write_text(
        "organisation: Example\n" + "# padding\n" * (MIB // 10 + 1)
    )


def _gen_big_catalog(root: Path) -> None:
    (root.parent / "catalog").mkdir(exist_ok=True)
    _sparse(root.parent / "catalog" / "catalog-17mib.yaml", 17 * MIB)


def _gen_config_catalog_secrets(root: Path) -> None:
    folder = root.parent / "config"
    folder.mkdir(exist_ok=True)
    (folder / "secrets.yaml").write_text("AWS_SECRET_ACCESS_KEY: hunter2\npassword: s3cret\n")
    (folder / "config-catalog-is-a-secrets-file.yaml").write_text("catalogs: [secrets.yaml]\n")


def _gen_control_file_name(root: Path) -> None:
    (root / "generated").mkdir()
    (root / "generated" / "evil\x1b[2J\x07\u202e\n::error::owned.json").write_bytes(b"")


GENERATED: dict[str, Generator] = {
    "generated/sparse-2gib.json": _gen_2gib_json,
    "generated/sparse-2gib.ndjson": _gen_2gib_ndjson,
    "generated/one-256mib-line.ndjson": _gen_long_line,
    "generated/event-then-512mib-line.json": _gen_event_then_long_line,
    "generated/int-1000000-digits.json": _gen_million_digits,
    "generated/signoff-2mib.yaml": _gen_big_yaml,
    "generated/symlink-file-outside": _gen_symlink_file,
    "generated/symlink-folder-outside": _gen_symlink_folder,
    "generated/symlink-to-dev-zero": _gen_symlink_dev_zero,
    "generated/symlink-loop": _gen_symlink_loop,
    "generated/dangling-symlink": _gen_dangling,
    "generated/fifo": _gen_fifo,
    "generated/attachment-symlink-outside": _gen_attachment_symlink,
    "generated/collection-log-symlink-outside": _gen_log_symlink,
    "generated/lineage-chain-5000": _gen_lineage_chain,
    "generated/lineage-chain-5000-check": _gen_lineage_chain,
    "generated/config-over-1mib.yaml": _gen_big_config,
    "generated/catalog-17mib.yaml": _gen_big_catalog,
    "generated/config-catalog-is-a-secrets-file.yaml": _gen_config_catalog_secrets,
    "generated/control-characters-in-file-name": _gen_control_file_name,
}


def command_of(case: str, spec: dict[str, Any]) -> str:
    """How a case is run: ``check``/``validate``/``build`` on evidence, or as catalog/config."""
    if "run" in spec:
        return str(spec["run"])
    kind = case.split("/", 1)[0]
    return kind if kind in ("catalog", "config") else "check"


def prepare_case(case: str, spec: dict[str, Any], work: Path, corpus: Path) -> list[str]:
    """Lay out one case of ``corpus`` in ``work``; return the ``mldossier`` arguments that run
    it."""
    evidence = work / "evidence"
    evidence.mkdir(parents=True)
    command = command_of(case, spec)
    if case in GENERATED:
        GENERATED[case](evidence)
    else:
        _copy_unit(case, corpus, work if command in ("catalog", "config") else evidence)
    for support in spec.get("with", []):
        _copy_unit(support, corpus, evidence)
    if spec.get("system"):
        # A folder that yields no AI system is refused: a case that shows what an importer
        # made of its file (the validate summary) gets one beside it.
        mini_evidence(evidence / "system")
    args: list[str] = []
    if "config" in spec:
        (work / "mldossier.yaml").write_text(spec["config"])
        args += ["--config", str(work / "mldossier.yaml")]
    if command in ("catalog", "config"):
        mini = mini_evidence(work / "mini")
        target = work / command / case.split("/", 1)[1]
        if command == "catalog":
            return args + ["check", "--evidence", str(mini), "--controls", str(target)]
        return ["--config", str(target), "check", "--evidence", str(mini)]
    if command == "build":
        return args + ["build", "--evidence", str(evidence), "--out", str(work / "site")]
    return args + [command, *spec.get("args", []), "--evidence", str(evidence)]


def _relative_to_work(got: Outcome, work: Path) -> Outcome:
    """Messages that name a temporary path read ``{work}`` in the manifest."""
    return dataclasses.replace(
        got,
        stdout=got.stdout.replace(str(work), "{work}"),
        stderr=got.stderr.replace(str(work), "{work}"),
    )


def run_case(case: str, spec: dict[str, Any], work: Path, corpus: Path) -> Outcome:
    """Lay out one case in ``work`` and run it in a fresh subprocess, measured."""
    args = prepare_case(case, spec, work, corpus)
    got = run_cli(args, work, float(spec.get("timeout", DEFAULT_TIMEOUT)))
    return _relative_to_work(got, work)


# A process that imports the CLI once, then forks one child per case: each case still runs
# in its own process with its own timeout, without paying Python's start-up and imports
# 300 times. It reads one JSON request per line and answers one per finished child.
FORK_SERVER = r"""
import json, os, sys, time, traceback
import mldossier.cli

slots, running, eof = int(sys.argv[1]), {}, False


def start(req):
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.chdir(req["cwd"])
        for fd, name in ((1, "out"), (2, "err")):
            os.dup2(os.open(req[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        try:
            mldossier.cli.main(req["args"], prog_name="mldossier")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


while running or not eof:
    while not eof and len(running) < slots:
        line = sys.stdin.readline()
        if not line:
            eof = True
            break
        req = json.loads(line)
        running[start(req)] = [req, time.monotonic(), False]
    pid, status, _ = os.wait4(-1, os.WNOHANG) if running else (0, 0, None)
    if pid:
        req, began, killed = running.pop(pid)
        print(json.dumps({"id": req["id"], "exit": os.waitstatus_to_exitcode(status),
                          "seconds": time.monotonic() - began, "timed_out": killed}),
              flush=True)
        continue
    for pid, entry in running.items():
        if not entry[2] and time.monotonic() - entry[1] > entry[0]["timeout"]:
            os.kill(pid, 9)
            entry[2] = True
    time.sleep(0.002)
"""


def run_forked(jobs: dict[str, tuple[list[str], Path, float]], slots: int) -> dict[str, Outcome]:
    """Run many ``mldossier`` invocations, each in a child forked from one warm process."""
    server = subprocess.Popen(
        [sys.executable, "-c", FORK_SERVER, str(slots)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=cli_env(),
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    for key, (args, work, timeout) in jobs.items():
        server.stdin.write(
            json.dumps(
                {
                    "id": key,
                    "args": args,
                    "cwd": str(work),
                    "out": str(work / ".stdout"),
                    "err": str(work / ".stderr"),
                    "timeout": timeout,
                }
            )
            + "\n"
        )
    server.stdin.close()
    results: dict[str, Outcome] = {}
    for line in server.stdout:
        reply = json.loads(line)
        args, work, _ = jobs[reply["id"]]
        got = Outcome(
            reply["exit"],
            (work / ".stdout").read_text("utf-8", "replace"),
            (work / ".stderr").read_text("utf-8", "replace"),
            reply["seconds"],
            0.0,
            reply["timed_out"],
        )
        results[reply["id"]] = _relative_to_work(got, work)
    assert server.wait(timeout=60) == 0
    assert sorted(results) == sorted(jobs), "the fork server stopped early (see its stderr)"
    return results


MANIFEST_CASES = load_manifest() if MANIFEST.is_file() else {}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, hostile_corpus: Path) -> dict[str, Outcome]:
    """Every light case run once, forked a few at a time. The big cases (``measure: true``)
    run alone in their own test, in a fresh process, so their time and memory are their own."""
    base = tmp_path_factory.mktemp("hostile")
    light = [c for c in sorted(MANIFEST_CASES) if not MANIFEST_CASES[c].get("measure")]
    jobs = {}
    for index, case in enumerate(light):
        work = base / f"{index:03d}"
        spec = MANIFEST_CASES[case]
        jobs[case] = (
            prepare_case(case, spec, work, hostile_corpus),
            work,
            float(spec.get("timeout", DEFAULT_TIMEOUT)),
        )
    results = run_forked(jobs, slots=max(2, os.cpu_count() or 2))
    shutil.rmtree(base, ignore_errors=True)
    return results


# ---------------------------------------------------------------- the tests


def test_corpus_has_at_least_150_files_of_every_kind(hostile_corpus: Path) -> None:
    files = corpus_files(hostile_corpus)
    assert len(files) >= 150, len(files)
    for kind in KINDS:
        assert any(f.relative_to(hostile_corpus).parts[0] == kind for f in files), kind


def test_every_corpus_file_has_an_expected_outcome_and_every_outcome_a_case(
    hostile_corpus: Path,
) -> None:
    committed = set(corpus_units(hostile_corpus))
    listed = set(MANIFEST_CASES)
    supports = {s for spec in MANIFEST_CASES.values() for s in spec.get("with", [])}
    assert committed - listed - supports == set(), "cases without an expected outcome"
    assert listed - committed - set(GENERATED) == set(), "expected outcomes without a case"
    assert set(GENERATED) <= listed


def test_every_case_is_in_the_readme_table() -> None:
    readme = README.read_text("utf-8")
    missing = [case for case in MANIFEST_CASES if f"`{case}`" not in readme]
    assert missing == []


# Run in a fresh interpreter with another hash seed, so set or hash order would show.
DIGESTS = r"""
import hashlib, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("make_corpus", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({rel: hashlib.sha256(content).hexdigest()
                  for rel, content in module.corpus().files.items()}))
"""


CORPUS_SHA256 = "54bd1628483da94996ce80278c7bfe6fb54776529529833fca2a16d08d9988bf"
"""SHA-256 of ``"<path> <sha256>\\n"`` over the corpus's files in path order.

It is the digest of the 301 files that were committed and reviewed before the corpus was
generated (checked equal when they were removed). A change to make_corpus.py or to the
samples it reads changes what the cases test: review the new files, then update this pin.
"""


def corpus_digest(digests: dict[str, str]) -> str:
    """One digest of the whole corpus from each file's SHA-256."""
    return hashlib.sha256(
        "".join(f"{rel} {digests[rel]}\n" for rel in sorted(digests)).encode()
    ).hexdigest()


def test_corpus_generator_is_deterministic_and_pinned(hostile_corpus: Path) -> None:
    """Another process with another hash seed makes the session's corpus byte for byte, and the
    corpus is the one last reviewed."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = json.loads(
        subprocess.run(
            [sys.executable, "-c", DIGESTS, str(HOSTILE / "make_corpus.py")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    written = {
        p.relative_to(hostile_corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in corpus_files(hostile_corpus)
    }
    assert written == other
    assert corpus_digest(written) == CORPUS_SHA256


def test_the_corpus_is_generated_not_committed() -> None:
    """The corpus lives in a temporary folder; tests/hostile holds only what makes it."""
    assert [kind for kind in KINDS if (HOSTILE / kind).exists()] == [], (
        "corpus files in tests/hostile/: they are generated at test time, not committed"
    )
    assert hostile_generator().KINDS == KINDS


def _params() -> list[Any]:
    params = []
    for case in sorted(MANIFEST_CASES):
        spec = MANIFEST_CASES[case]
        marks = []
        if spec.get("measure"):
            marks.append(pytest.mark.slow)  # big files: up to a few seconds and 200 MB each
        if spec.get("bug"):
            marks.append(pytest.mark.xfail(strict=True, reason=str(spec["bug"])))
        params.append(pytest.param(case, id=case, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_case(
    case: str, request: pytest.FixtureRequest, tmp_path: Path, hostile_corpus: Path
) -> None:
    spec = MANIFEST_CASES[case]
    if spec.get("measure"):
        try:
            got = run_case(case, spec, tmp_path / "case", hostile_corpus)
        finally:
            shutil.rmtree(tmp_path / "case", ignore_errors=True)
    else:
        got = request.getfixturevalue("outcomes")[case]
    assert not got.timed_out, f"{case} did not finish in {spec.get('timeout', DEFAULT_TIMEOUT)} s"
    assert "Traceback" not in got.output
    assert "internal error" not in got.output, got.stderr
    assert got.exit != 3
    assert got.exit == spec["exit"], got.stderr
    assert got.problems == list(spec.get("problems", [])), got.stderr
    for text in spec.get("stdout", []):
        assert text in got.stdout, text
    if "max_seconds" in spec:
        assert got.seconds <= spec["max_seconds"], f"{got.seconds:.1f} s"
    if "max_rss_mb" in spec:
        assert got.peak_rss_mb <= spec["max_rss_mb"], f"{got.peak_rss_mb:.0f} MB"
