"""Where the time and memory of ``check`` and ``build`` go, stage by stage, in one process.

Usage: ``python benchmarks/stages.py SIZE_FOLDER [--build] [--pdf]``, with SIZE_FOLDER a
folder that ``generate.py`` wrote. Calls the library's own stages in the order
``mldossier check`` and ``build`` call them (``pipeline.analyse`` and ``build.build`` split up)
and prints, per stage: wall and CPU seconds, resident memory after it and the peak so far.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 1024 / 1024


def peak_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stages:
    """Times each stage and keeps the rows."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def __call__(self, name: str, func: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        value = func()
        self.rows.append(
            {
                "stage": name,
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "rss_mb": round(rss_mb()),
                "peak_mb": round(peak_mb()),
            }
        )
        row = self.rows[-1]
        print(
            f"{name:<28} wall {row['wall_s']:>8.2f} s  cpu {row['cpu_s']:>8.2f} s  "
            f"rss {row['rss_mb']:>6} MB  peak {row['peak_mb']:>6} MB",
            flush=True,
        )
        return value


def main(argv: list[str] | None = None) -> int:
    """Run the stages on one generated size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--build", action="store_true", help="also render site (and PDF)")
    parser.add_argument("--pdf", action="store_true", help="with --build: the summary PDF too")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args(argv)

    from mldossier.bundle.build import make_dossier
    from mldossier.config import load_config
    from mldossier.evaluate.verdicts import evaluate
    from mldossier.formats.json import report_id_of
    from mldossier.lineage.graph import build_graph
    from mldossier.pipeline import Analysis, build_inputs, load_controls, read
    from mldossier.render.results_json import results_bytes

    stage = Stages()
    inner = _time_inner_functions()
    stage("start (imports)", lambda: None)
    config = load_config(args.folder / "mldossier.yaml")
    intake = stage("read_evidence (intake)", lambda: read(config, args.folder / "evidence"))
    evidence, index = intake.evidence, intake.index
    catalogs = stage("load_catalogs", lambda: load_controls(config))
    lineage = stage("build_graph (lineage)", lambda: build_graph(evidence, config, index))
    results = stage("evaluate (checks)", lambda: evaluate(index, catalogs, lineage))
    inputs = stage("build_inputs (manifest)", lambda: build_inputs(config, results))
    stage("results JSON", lambda: len(results_bytes(results)))
    if args.build:
        from mldossier.render.pdf import render_pdf
        from mldossier.render.site import render_site

        analysis = Analysis(
            config=config,
            catalogs=tuple(catalogs),
            index=index,
            lineage=lineage,
            results=results,
            report_id=report_id_of(inputs),
            inputs=inputs,
        )
        dossier = stage("make_dossier (+ diagrams)", lambda: make_dossier(analysis))
        out = Path(tempfile.mkdtemp(prefix="mldossier-stages-"))
        try:
            text = results_bytes(results)
            stage(
                "render_site (mkdocs)",
                lambda: render_site(
                    dossier,
                    out,
                    report_id=analysis.report_id,
                    results_json=text,
                    pdf_name="report.pdf" if args.pdf else None,
                ),
            )
            if args.pdf:
                stage(
                    "render_pdf (summary)",
                    lambda: render_pdf(
                        dossier,
                        out / "report.pdf",
                        report_id=analysis.report_id,
                        attachments={"results.json": text},
                    ),
                )
        finally:
            shutil.rmtree(out, ignore_errors=True)
    for name, (calls, wall, cpu) in sorted(inner.items()):
        print(f"  inside: {name:<24} {calls:>5} call(s)  wall {wall:>8.2f} s  cpu {cpu:>8.2f} s")
        stage.rows.append(
            {
                "stage": f"inside: {name}",
                "calls": calls,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
            }
        )
    if args.json:
        args.json.write_text(json.dumps(stage.rows, indent=2) + "\n", encoding="utf-8")
    return 0


INNER = {
    "mldossier.render.site": ("render_pages", "run_mkdocs", "copy_evidence", "_copy_assets"),
    "mldossier.bundle.build": ("lineage_svgs",),
}
"""Functions inside the build stages whose share is worth seeing (wrapped with a timer)."""


def _time_inner_functions() -> dict[str, list[float]]:
    """Wrap the functions of INNER so that each call adds to its (calls, wall, cpu)."""
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    for module_name, names in INNER.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)
            totals[name] = [0, 0.0, 0.0]

            @functools.wraps(original)
            def timed(*a: Any, __f: Any = original, __n: str = name, **k: Any) -> Any:
                wall, cpu = time.perf_counter(), time.process_time()
                try:
                    return __f(*a, **k)
                finally:
                    entry = totals[__n]
                    entry[0] += 1
                    entry[1] += time.perf_counter() - wall
                    entry[2] += time.process_time() - cpu

            setattr(module, name, timed)
    return totals


if __name__ == "__main__":
    sys.exit(main())
