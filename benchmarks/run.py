"""Run mldossier on generated evidence of each size and write the measurements.

Usage: ``python benchmarks/run.py [--sizes S,M,L] [--data DIR] [--results FILE]``, or
``python benchmarks/run.py --sweep 50,500,2000 [--events-per-system 250]`` for the systems
sweep.

For each size: generate the evidence (``generate.py``) unless it is already there, then in
fresh subprocesses, one at a time, measure the orjson floor (read and parse the same input
bytes with orjson and nothing else), ``mldossier check --json``, ``mldossier build`` (site
and summary PDF), a rebuild after one sign-off file changed, and optionally a build with
``--pdf-per-system``. The build cache (``.mldossier-cache`` beside the size's config) is
deleted before ``check``, ``build`` and the per-system build, so those are cold; the rebuild
and a ``check`` after the change find what the build left there. Wall time, CPU time and peak resident memory come from ``os.wait4``
on each child; the load average is recorded with every measurement, since other work on
the machine stretches wall time (CPU time much less).

The systems sweep (``--sweep``) generates evidence of each number of systems with the same
evidence per system (``generate.py sweep-<systems>``) and measures the orjson floor and a
cold ``check --no-cache`` of each: time and memory per system stay flat where ``check`` is
linear in systems, and grow where something is quadratic.

The measurements go into ``benchmarks/results.json`` (merged by size, so sizes can be run
separately; the sweep under ``sweep``) and the tables between the markers of
``benchmarks/RESULTS.md``; the rest of that file, the analysis, is written by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path("/work/bench-data")
DEFAULT_RESULTS = HERE / "RESULTS.md"
START_MARK = "<!-- measurements:start (written by benchmarks/run.py) -->"
END_MARK = "<!-- measurements:end -->"
SWEEP_START = "<!-- sweep:start (written by benchmarks/run.py --sweep) -->"
SWEEP_END = "<!-- sweep:end -->"
SIZE_ORDER = ["XS", "S", "M", "L"]
LIBRARIES = [
    "mldossier",
    "orjson",
    "jsonschema",
    "jsonschema-rs",
    "networkx",
    "PyYAML",
    "Jinja2",
    "mkdocs",
    "mkdocs-material",
    "weasyprint",
]
TARGETS = {
    "check_seconds": 60,
    "check_rss_mb": 2048,
    "floor_ratio": 4.0,
    "build_seconds": 300,
    "rebuild_share": 0.10,
}
"""The scale issue's targets, for size L on a 2-core, 24 GB machine."""

FLOOR_SCRIPT = r"""
import os, sys, orjson
root = sys.argv[1]
parsed = skipped = 0
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    for name in sorted(filenames):
        path = os.path.join(dirpath, name)
        if name.endswith((".ndjson", ".jsonl")):
            with open(path, "rb") as fh:
                for line in fh:
                    if line.strip():
                        orjson.loads(line)
                        parsed += len(line)
        elif name.endswith(".json"):
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError:  # NaN in Evidently snapshots: read, not parsed
                pass
            parsed += len(data)
        else:  # YAML, MLmodel, attachments: orjson cannot parse them; read only
            with open(path, "rb") as fh:
                skipped += len(fh.read())
print(parsed, skipped)
"""


@dataclass
class Measurement:
    """One command in a fresh process."""

    name: str
    command: list[str]
    wall_s: float
    cpu_s: float
    rss_mb: float
    exit_code: int
    load_before: float
    load_after: float
    stdout_tail: str = ""


def measure(name: str, command: list[str], cwd: Path, log: Path) -> Measurement:
    """Run ``command`` and take its wall time, CPU time and peak RSS from ``os.wait4``."""
    load_before = os.getloadavg()[0]
    with open(log, "wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = log.read_text("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
    return Measurement(
        name,
        command,
        round(wall, 2),
        round(usage.ru_utime + usage.ru_stime, 2),
        round(usage.ru_maxrss / 1024, 1),
        proc.returncode,
        round(load_before, 2),
        round(os.getloadavg()[0], 2),
        tail[0][:300],
    )


def mldossier(*args: str) -> list[str]:
    """The mldossier command of this interpreter."""
    return [sys.executable, "-m", "mldossier.cli", *args]


def tree_bytes(root: Path) -> tuple[int, int]:
    """(files, bytes) below ``root``."""
    files = size = 0
    for path in root.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


def pdf_pages(path: Path) -> int | None:
    """Pages of a PDF by ``pdfinfo`` (None when poppler is missing or the file is)."""
    if not path.is_file() or shutil.which("pdfinfo") is None:
        return None
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
    return int(found.group(1)) if found else None


def site_pages(site: Path) -> int:
    """HTML pages of a built site (the theme's assets hold none)."""
    return sum(1 for p in site.rglob("*.html") if "assets" not in p.relative_to(site).parts)


def change_one_file(evidence: Path) -> tuple[Path, bytes]:
    """Edit one sign-off (as a person would: a reworded statement); return it to restore."""
    target = sorted((evidence / "signoffs").glob("*.yaml"))[0]
    original = target.read_bytes()
    text = original.decode()
    changed = re.sub(r"(?m)^statement: >-\n", "statement: >-\n  (Reviewed again.)\n", text, count=1)
    assert changed != text, target
    target.write_text(changed, encoding="utf-8")
    return target, original


CACHE_NAME = ".mldossier-cache"


def clear_cache(folder: Path) -> None:
    """Delete the size's build cache, so that the next command starts cold."""
    shutil.rmtree(folder / CACHE_NAME, ignore_errors=True)


def run_size(size: str, data: Path, per_system: bool, rebuild: bool, pdf: bool) -> dict[str, Any]:
    """Generate (if needed) and measure one size; return its record."""
    folder = data / size
    logs = folder / "logs"
    summary_file = folder / "generation.json"
    generated = None
    if not summary_file.is_file():
        logs.mkdir(parents=True, exist_ok=True)
        generated = measure(
            "generate",
            [sys.executable, str(HERE / "generate.py"), size, str(folder)],
            HERE.parent,
            data / f"generate-{size}.log",
        )
        if generated.exit_code != 0:
            raise SystemExit(f"generate.py {size} failed: see {data}/generate-{size}.log")
    logs.mkdir(parents=True, exist_ok=True)
    generation = json.loads(summary_file.read_text("utf-8"))
    evidence = folder / "evidence"
    config = ["--config", str(folder / "mldossier.yaml")]
    site = folder / "site"
    shutil.rmtree(site, ignore_errors=True)
    runs: list[Measurement] = []
    if generated is not None:
        runs.append(generated)
    runs.append(
        measure(
            "floor", [sys.executable, "-c", FLOOR_SCRIPT, str(evidence)], folder, logs / "floor.log"
        )
    )
    clear_cache(folder)
    runs.append(
        measure(
            "check",
            mldossier(
                *config,
                "check",
                "--evidence",
                str(evidence),
                "--json",
                str(folder / "results.json"),
            ),
            folder,
            logs / "check.log",
        )
    )
    pdf_flag = [] if pdf else ["--no-pdf"]
    clear_cache(folder)
    runs.append(
        measure(
            "build",
            mldossier(*config, "build", "--evidence", str(evidence), "--out", str(site), *pdf_flag),
            folder,
            logs / "build.log",
        )
    )
    record: dict[str, Any] = {"size": size, "generation": generation, "pdf": pdf, "cache": True}
    if site.is_dir():
        files, size_bytes = tree_bytes(site)
        record["site"] = {
            "html_pages": site_pages(site),
            "files": files,
            "bytes": size_bytes,
            "pdf_pages": pdf_pages(site / "report.pdf"),
            "pdf_bytes": (site / "report.pdf").stat().st_size
            if (site / "report.pdf").is_file()
            else None,
        }
    if rebuild:
        target, original = change_one_file(evidence)
        try:
            runs.append(
                measure(
                    "rebuild",
                    mldossier(
                        *config, "build", "--evidence", str(evidence), "--out", str(site), *pdf_flag
                    ),
                    folder,
                    logs / "rebuild.log",
                )
            )
            runs.append(
                measure(
                    "check, warm",
                    mldossier(
                        *config,
                        "check",
                        "--evidence",
                        str(evidence),
                        "--json",
                        str(folder / "results-warm.json"),
                    ),
                    folder,
                    logs / "check-warm.log",
                )
            )
        finally:
            target.write_bytes(original)
        record["rebuild_changed"] = target.relative_to(folder).as_posix()
        record["cache_bytes"] = tree_bytes(folder / CACHE_NAME)[1]
    if per_system:
        out = folder / "site-per-system"
        shutil.rmtree(out, ignore_errors=True)
        clear_cache(folder)
        runs.append(
            measure(
                "build --pdf-per-system",
                mldossier(
                    *config,
                    "build",
                    "--evidence",
                    str(evidence),
                    "--out",
                    str(out),
                    "--no-pdf",
                    "--pdf-per-system",
                ),
                folder,
                logs / "per-system.log",
            )
        )
        pdfs = sorted((out / "systems").glob("*.pdf")) if (out / "systems").is_dir() else []
        record["per_system"] = {"pdfs": len(pdfs), "pages": sum(pdf_pages(p) or 0 for p in pdfs)}
        shutil.rmtree(out, ignore_errors=True)
    record["runs"] = {m.name: asdict(m) for m in runs}
    return record


def run_sweep_point(systems: int, events_per_system: int, data: Path) -> dict[str, Any]:
    """Generate ``systems`` systems of the sweep and measure the floor and a cold ``check``."""
    name = f"sweep-{systems}"
    folder = data / name
    logs = data / f"{name}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    generated = measure(
        "generate",
        [
            sys.executable,
            str(HERE / "generate.py"),
            name,
            str(folder),
            "--events-per-system",
            str(events_per_system),
        ],
        HERE.parent,
        logs / "generate.log",
    )
    if generated.exit_code != 0:
        raise SystemExit(f"generate.py {name} failed: see {logs / 'generate.log'}")
    evidence = folder / "evidence"
    runs = [
        generated,
        measure(
            "floor", [sys.executable, "-c", FLOOR_SCRIPT, str(evidence)], folder, logs / "floor.log"
        ),
    ]
    clear_cache(folder)
    runs.append(
        measure(
            "check",
            mldossier(
                "--config",
                str(folder / "mldossier.yaml"),
                "check",
                "--no-cache",
                "--evidence",
                str(evidence),
                "--json",
                str(folder / "results.json"),
            ),
            folder,
            logs / "check.log",
        )
    )
    return {
        "systems": systems,
        "generation": json.loads((folder / "generation.json").read_text("utf-8")),
        "runs": {m.name: asdict(m) for m in runs},
        "measured_at": time.strftime("%Y-%m-%d %H:%M", time.localtime()),
    }


def render_sweep(sweep: dict[str, Any], info: dict[str, Any]) -> str:
    """The sweep section of RESULTS.md: one row per number of systems."""
    points = [sweep["points"][k] for k in sorted(sweep["points"], key=int)]
    lines = [
        "## Systems sweep",
        "",
        f"`check --no-cache` (cold, one fresh process) on generated evidence of a growing "
        f"number of systems with the same evidence per system: "
        f"{sweep['events_per_system']} lineage events, 4 versions and 4 monitoring reports a "
        f"system. {info['nproc']} cores ({info['cpu'] or 'unknown CPU'}), {info['memory']}, "
        f"Python {info['python']}. Per system: the run's total over its systems; per added "
        "system: the growth over the row above, over the systems added (flat where `check` "
        "is linear in systems).",
        "",
        "```sh",
        sweep.get("command", "python benchmarks/run.py --sweep 50,500,2000"),
        "```",
        "",
        "| systems | events · files · input | floor: wall · CPU | `check`: wall · CPU · peak RSS "
        "(load) | check ÷ floor (CPU) | CPU per system | RSS per system | CPU per added system "
        "| RSS per added system |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    previous: dict[str, Any] | None = None
    for point in points:
        n, gen, runs = point["systems"], point["generation"], point["runs"]
        check, floor = runs["check"], runs["floor"]
        added = "–", "–"
        if previous is not None:
            dn = n - previous["systems"]
            before = previous["runs"]["check"]
            added = (
                f"{(check['cpu_s'] - before['cpu_s']) / dn * 1000:,.1f} ms",
                f"{(check['rss_mb'] - before['rss_mb']) / dn * 1024:,.0f} KB",
            )
        lines.append(
            f"| {n:,} | {gen['events']:,} · {gen['files']:,} · {_mb(gen['bytes'])} "
            f"| {floor['wall_s']:,.1f} s · {floor['cpu_s']:,.1f} s | {_run_cell(check)} "
            f"| {check['cpu_s'] / max(floor['cpu_s'], 0.01):.1f}× "
            f"| {check['cpu_s'] / n * 1000:,.1f} ms | {check['rss_mb'] / n * 1024:,.0f} KB "
            f"| {added[0]} | {added[1]} |"
        )
        previous = point
    lines += [
        "",
        "Measured at: " + ", ".join(f"{p['systems']:,} {p['measured_at']}" for p in points),
        "",
    ]
    return "\n".join(lines)


def write_sweep(results_md: Path, sweep: dict[str, Any], info: dict[str, Any]) -> None:
    """Replace the sweep section of RESULTS.md, or add it at the end."""
    section = f"{SWEEP_START}\n{render_sweep(sweep, info)}\n{SWEEP_END}"
    text = results_md.read_text("utf-8") if results_md.is_file() else "# Scale benchmark results\n"
    if SWEEP_START in text and SWEEP_END in text:
        before, rest = text.split(SWEEP_START, 1)
        text = before + section + rest.split(SWEEP_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results_md.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- the report


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else ""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        found = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else ""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": versions,
    }


def _mb(n: int | float | None) -> str:
    return (
        "–"
        if n is None
        else f"{n / 1024 / 1024:,.0f} MB"
        if n >= 1024 * 1024
        else f"{n / 1024:,.0f} KB"
    )


def _secs(run: dict[str, Any] | None) -> str:
    if not run:
        return "–"
    flag = "" if run["exit_code"] in (0, 1) else f" (exit {run['exit_code']})"
    return f"{run['wall_s']:,.1f} s{flag}"


def _run_cell(run: dict[str, Any] | None) -> str:
    if not run:
        return "–"
    return (
        f"{_secs(run)} · {run['cpu_s']:,.1f} s · {run['rss_mb']:,.0f} MB "
        f"({run['load_before']:.1f}→{run['load_after']:.1f})"
    )


def render_tables(records: dict[str, dict[str, Any]], info: dict[str, Any]) -> str:
    """The measurement section of RESULTS.md: machine, commands, one column per size."""
    sizes = [s for s in SIZE_ORDER if s in records]
    lines = ["## Machine", ""]
    lines.append(
        f"- {info['nproc']} cores ({info['cpu'] or 'unknown CPU'}), {info['memory']} "
        f"memory, Python {info['python']}, {info['platform']}"
    )
    lines.append("- " + ", ".join(f"{k} {v}" for k, v in info["libraries"].items()))
    lines += [
        "",
        "## Commands",
        "",
        "```sh",
        "python benchmarks/generate.py L /work/bench-data/L    # or S, M (XS and S: CI smoke)",
        *dict.fromkeys(
            records[s].get("command", f"python benchmarks/run.py --sizes {s}") + f"    # {s}"
            for s in sizes
        ),
        "# what run.py runs for each size, one fresh process each (cwd = the size folder):",
        "python -c FLOOR_SCRIPT evidence           # orjson floor: parse JSON/NDJSON only",
        "mldossier --config mldossier.yaml check --evidence evidence --json results.json",
        "mldossier --config mldossier.yaml build --evidence evidence --out site",
        "# (rm -rf .mldossier-cache before check and build: both start cold)",
        "# edit one sign-off, then the same build again (the rebuild, warm cache), and check",
        "mldossier --config mldossier.yaml build --evidence evidence --out site-per-system "
        "--no-pdf --pdf-per-system",
        "```",
        "",
    ]
    lines += [
        "## Measurements",
        "",
        "Each command is one fresh process: wall time · CPU time (user + system) · peak "
        "RSS, and in brackets the 1-minute load average before → after (2 cores: above "
        "2, other work competed for the CPU, which stretches wall time, not CPU time).",
        "",
    ]
    header = "| | " + " | ".join(sizes) + " |"
    lines += [header, "|---" * (len(sizes) + 1) + "|"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    gens = [records[s]["generation"] for s in sizes]
    row("systems / versions", [f"{g['systems']} / {g['model_versions']}" for g in gens])
    row("lineage events (NDJSON)", [f"{g['events']:,} ({_mb(g['ndjson_bytes'])})" for g in gens])
    row(
        "monitoring reports (full snapshots)",
        [f"{g['reports']} ({g['full_snapshots']})" for g in gens],
    )
    row("sign-offs / evidence files", [f"{g['signoffs']} / {g['files']:,}" for g in gens])
    row("input bytes", [_mb(g["bytes"]) for g in gens])
    row("generate.py (in-process)", [f"{g['seconds']:.1f} s" for g in gens])
    runs = [records[s]["runs"] for s in sizes]
    for name, label in (
        ("floor", "orjson floor"),
        ("check", "`check`"),
        ("build", "`build` (site + PDF)"),
        ("rebuild", "rebuild, 1 file changed (warm cache)"),
        ("check, warm", "`check`, 1 file changed (warm cache)"),
        ("build --pdf-per-system", "`build --no-pdf --pdf-per-system`"),
    ):
        if any(name in r for r in runs):
            row(
                f"{label}: wall · CPU · peak RSS (load)",
                [
                    _run_cell(r.get(name))
                    + (
                        " **site only, no PDF**"
                        if name in ("build", "rebuild")
                        and name in r
                        and not records[s].get("pdf", True)
                        else ""
                    )
                    + (
                        " **no cache yet**"
                        if name == "rebuild" and name in r and not records[s].get("cache")
                        else ""
                    )
                    for s, r in zip(sizes, runs, strict=True)
                ],
            )
    row(
        "check ÷ floor (wall / CPU)",
        [
            f"{r['check']['wall_s'] / r['floor']['wall_s']:.1f}× / "
            f"{r['check']['cpu_s'] / max(r['floor']['cpu_s'], 0.01):.1f}×"
            if "check" in r and "floor" in r
            else "–"
            for r in runs
        ],
    )
    if any("rebuild" in r for r in runs):
        row(
            "rebuild ÷ build (wall / CPU)",
            [
                f"{r['rebuild']['wall_s'] / r['build']['wall_s']:.0%} / "
                f"{r['rebuild']['cpu_s'] / r['build']['cpu_s']:.0%}"
                if "rebuild" in r
                else "–"
                for r in runs
            ],
        )
        row(
            "build cache after the rebuild",
            [_mb(records[s]["cache_bytes"]) if "cache_bytes" in records[s] else "–" for s in sizes],
        )
    sites = [records[s].get("site") for s in sizes]
    row("site HTML pages", [str(x["html_pages"]) if x else "–" for x in sites])
    row("site bytes (with evidence copies)", [_mb(x["bytes"]) if x else "–" for x in sites])
    row(
        "summary PDF pages (bytes)",
        [
            f"{x['pdf_pages']} ({_mb(x['pdf_bytes'])})" if x and x["pdf_pages"] else "–"
            for x in sites
        ],
    )
    per = [records[s].get("per_system") for s in sizes]
    if any(per):
        row("per-system PDFs (pages)", [f"{x['pdfs']} ({x['pages']})" if x else "–" for x in per])
        row(
            "per-system build CPU ÷ wall (2 = both cores)",
            [
                f"{r['build --pdf-per-system']['cpu_s'] / r['build --pdf-per-system']['wall_s']:.2f}"
                if "build --pdf-per-system" in r
                else "–"
                for r in runs
            ],
        )
    lines += [""] + [f"- {s}: {records[s]['note']}" for s in sizes if records[s].get("note")]
    lines += [
        "",
        "Measured at: " + ", ".join(f"{s} {records[s].get('measured_at', '?')}" for s in sizes),
        "",
    ]
    return "\n".join(lines)


def write_results(
    results_md: Path, records: dict[str, dict[str, Any]], info: dict[str, Any]
) -> None:
    """Replace the measurement section of RESULTS.md (create the file if needed)."""
    section = f"{START_MARK}\n{render_tables(records, info)}\n{END_MARK}"
    if results_md.is_file():
        text = results_md.read_text("utf-8")
        if START_MARK in text and END_MARK in text:
            before, rest = text.split(START_MARK, 1)
            after = rest.split(END_MARK, 1)[1]
            results_md.write_text(before + section + after, encoding="utf-8")
            return
    results_md.write_text(f"# Scale benchmark results\n\n{section}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: measure the sizes asked for and update the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sizes", help="comma-separated: XS, S, M, L (default S,M,L, none with --sweep)"
    )
    parser.add_argument(
        "--sweep", help="comma-separated numbers of systems for the systems sweep, e.g. 50,500"
    )
    parser.add_argument(
        "--events-per-system",
        type=int,
        default=250,
        help="lineage events per system in the sweep (default 250)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="where the evidence is generated (never inside the repository)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="the RESULTS.md to update (its raw data goes beside it as results.json)",
    )
    parser.add_argument(
        "--per-system", action="store_true", help="also measure a build with --pdf-per-system"
    )
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild")
    parser.add_argument("--no-pdf", action="store_true", help="build the site only")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="delete each size's generated data when it has been measured",
    )
    args = parser.parse_args(argv)
    sizes_text = args.sizes if args.sizes is not None else ("" if args.sweep else "S,M,L")
    sizes = [s.strip() for s in sizes_text.split(",") if s.strip()]
    counts = [c.strip() for c in (args.sweep or "").split(",") if c.strip()]
    if not all(c.isdigit() and int(c) > 0 for c in counts):
        parser.error(f"--sweep {args.sweep!r}: give numbers of systems, e.g. 50,500,2000")
    unknown = [s for s in sizes if s not in SIZE_ORDER]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}: choose from {', '.join(SIZE_ORDER)}")
    raw_file = args.results.with_name("results.json")
    raw = json.loads(raw_file.read_text("utf-8")) if raw_file.is_file() else {}
    records: dict[str, dict[str, Any]] = raw.get("sizes", {})
    args.data.mkdir(parents=True, exist_ok=True)
    info = machine()
    for size in sizes:
        record = run_size(size, args.data, args.per_system, not args.no_rebuild, not args.no_pdf)
        record["measured_at"] = time.strftime("%Y-%m-%d %H:%M", time.localtime())
        record["command"] = " ".join(
            ["python benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]
        )
        records[size] = record
        raw_file.write_text(
            json.dumps({**raw, "machine": info, "sizes": records}, indent=2) + "\n",
            encoding="utf-8",
        )
        write_results(args.results, records, info)
        print(
            json.dumps(
                {
                    size: {
                        k: (v["wall_s"], v["cpu_s"], v["rss_mb"]) for k, v in record["runs"].items()
                    }
                }
            )
        )
        if args.clean:
            shutil.rmtree(args.data / size, ignore_errors=True)
    if counts:
        sweep = raw.get("sweep", {})
        if sweep.get("events_per_system") != args.events_per_system:
            sweep = {"events_per_system": args.events_per_system, "points": {}}
        sweep["command"] = " ".join(
            ["python benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]
        )
        sweep["machine"] = info
        for count in sorted({int(c) for c in counts}):
            point = run_sweep_point(count, args.events_per_system, args.data)
            sweep["points"][str(count)] = point
            raw["sweep"] = sweep
            # The sizes' machine stays theirs when only the sweep ran; the sweep keeps its own.
            machine_of_sizes = info if sizes else raw.get("machine", info)
            raw_file.write_text(
                json.dumps({**raw, "machine": machine_of_sizes, "sizes": records}, indent=2) + "\n",
                encoding="utf-8",
            )
            write_sweep(args.results, sweep, info)
            print(
                json.dumps(
                    {
                        f"sweep-{count}": {
                            k: (v["wall_s"], v["cpu_s"], v["rss_mb"])
                            for k, v in point["runs"].items()
                        }
                    }
                )
            )
            if args.clean:
                shutil.rmtree(args.data / f"sweep-{count}", ignore_errors=True)
                shutil.rmtree(args.data / f"sweep-{count}-logs", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
