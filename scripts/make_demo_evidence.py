"""Produce the demo evidence bundle (``evidence/``) by running the real tools.

Northwind Lending is a fictional lender with four AI systems. This script synthesises their
data with numpy (fixed seeds), trains and registers the models on a real ``mlflow server``,
emits OpenLineage events with the real client, runs real Evidently reports, dumps the MLflow
REST responses byte-for-byte and writes the human sign-offs. See ``evidence/README.md``.

MLflow runs on the story's clock: the script re-executes itself under libfaketime (Debian
package ``faketime``) and moves the fake time before each training and release, so runs,
versions and updates carry the story's dates (``demo/clock.py``).

Run with the ``demo`` extra installed (mlflow, openlineage-python, evidently, pandas 2)::

    python scripts/make_demo_evidence.py --out evidence
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402
from demo.clock import StoryClock, faked, reexec_under_libfaketime  # noqa: E402
from demo.data import Tables  # noqa: E402
from demo.lineage import (  # noqa: E402
    LineageLog,
    PipelineFiles,
    WrittenFile,
    pipeline_events,
    serving_events,
    training_run_id,
    training_start,
)
from demo.monitoring import write_reports  # noqa: E402
from demo.rest_dump import RestRecorder, dump_registry  # noqa: E402
from demo.signoffs import write_signoffs  # noqa: E402
from demo.story import (  # noqa: E402
    REGISTRY_EXPORTED,
    REGISTRY_OPENED,
    SYSTEMS,
    SystemPlan,
    VersionPlan,
)
from demo.tracking import (  # noqa: E402
    FittedVersion,
    check_server_clock,
    ensure_registered_model,
    registered_at,
    release_version,
    tag_registration,
    tracking_server,
    train_version,
)
from mlflow import MlflowClient  # noqa: E402

GENERATED = ("mlflow", "openlineage", "monitoring", "signoffs")
"""Sub-folders of the bundle this script owns and rewrites; anything else is left alone."""


def write_table(frame: pd.DataFrame, logical: str, disk: Path) -> WrittenFile:
    """Write a table as the pipeline would (CSV or parquet) and hash the bytes on disk."""
    disk.parent.mkdir(parents=True, exist_ok=True)
    if logical.endswith(".csv"):
        frame.to_csv(disk, index=False)
    else:
        frame.to_parquet(disk, index=False, engine="pyarrow")
    body = disk.read_bytes()
    return WrittenFile(logical, hashlib.sha256(body).hexdigest(), len(body), frame)


def write_pipeline_files(
    system: SystemPlan, version: VersionPlan, tables: Tables, data_dir: Path
) -> PipelineFiles:
    """The landing, raw and feature files of one pipeline run, in a private folder."""
    folder = data_dir / system.name / f"v{version.version}"
    landing, raw = {}, {}
    for key, (landing_path, raw_path) in system.raw_paths.items():
        frame = tables.raw[key]
        landing[key] = write_table(frame, landing_path, folder / Path(landing_path).name)
        raw[key] = write_table(frame, raw_path, folder / Path(raw_path).name)
    features = write_table(
        tables.features, version.features_path, folder / Path(version.features_path).name
    )
    return PipelineFiles(landing, raw, features)


def prepare_output(out: Path) -> None:
    """Empty the generated sub-folders of the bundle (README and other files stay)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in GENERATED:
        target = out / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)


def quiet() -> None:
    """Keep the tools' progress chatter and deprecation warnings out of the way."""
    warnings.filterwarnings("ignore")
    for name in ("mlflow", "alembic", "urllib3", "evidently", "openlineage"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")


@dataclass(frozen=True)
class RegistryStep:
    """One moment of the story on MLflow: a version's training task, or its release."""

    moment: datetime
    kind: str
    """``train`` (the run and the registration) or ``release``."""
    system: SystemPlan
    version: VersionPlan


def registry_timeline() -> list[RegistryStep]:
    """Every training and release, in the story's order (which MLflow's clock follows)."""
    steps: list[RegistryStep] = []
    for system in SYSTEMS:
        for version in system.versions:
            start = training_start(system, version)
            steps.append(RegistryStep(start, "train", system, version))
            if version.released is not None:
                if version.released <= registered_at(start):
                    raise ValueError(
                        f"{system.name} v{version.version}: released {version.released} is "
                        f"not after its registration ({registered_at(start)})"
                    )
                steps.append(RegistryStep(version.released, "release", system, version))
            elif version.approval_date == "after-creation":
                raise ValueError(f"{system.name} v{version.version}: approved but never released")
    # Stable: two steps at one moment keep the order of the story's plans.
    return sorted(steps, key=lambda s: (s.moment, s.kind == "release"))


def build(out: Path, workdir: Path, clock: StoryClock) -> None:
    """Run the whole story against fresh tools and write the bundle to ``out``."""
    data_dir = workdir / "data"
    tables: dict[tuple[str, str], Tables] = {}
    files: dict[tuple[str, str], PipelineFiles] = {}
    for system in SYSTEMS:
        for version in system.versions:
            key = (system.name, version.version)
            tables[key] = system.tables(version.data_seed)
            files[key] = write_pipeline_files(system, version, tables[key], data_dir)
    print(f"data: {len(files)} pipeline runs' tables written to {data_dir}")

    fitted: dict[tuple[str, str], FittedVersion] = {}
    server_dir = workdir / "mlflow"
    server_dir.mkdir()
    clock.set(REGISTRY_OPENED)
    with tracking_server(server_dir) as url:
        check_server_clock(url, REGISTRY_OPENED)
        print(f"mlflow: server up at {url}, its clock at {REGISTRY_OPENED:%Y-%m-%d %H:%M} UTC")
        mlflow.set_tracking_uri(url)
        client = MlflowClient(url)
        for step in registry_timeline():
            system, version = step.system, step.version
            key = (system.name, version.version)
            clock.set(step.moment)
            if step.kind == "release":
                release_version(client, system, version)
                print(
                    f"mlflow: {step.moment:%Y-%m-%d %H:%M} {system.name} v{version.version} released"
                )
                continue
            if version is system.versions[0]:
                ensure_registered_model(client, system)
            # MLflow reads the run's user from the login name; the story's author ran it.
            os.environ["LOGNAME"] = version.author
            fitted[key] = train_version(
                system,
                version,
                tables[key].features,
                training_run_id(system, version),
                step.moment,
                clock.set,
            )
            tag_registration(client, system, version)
            print(
                f"mlflow: {step.moment:%Y-%m-%d %H:%M} {system.name} v{version.version} "
                f"trained and registered (run {fitted[key].record.mlflow_run_id})"
            )
        clock.set(REGISTRY_EXPORTED)
        counts = dump_registry(RestRecorder(url, out / "mlflow"))
        print(f"mlflow: REST export written at {REGISTRY_EXPORTED:%Y-%m-%d %H:%M} UTC ({counts})")

    log = LineageLog()
    for system in SYSTEMS:
        last_good: dict[str, WrittenFile] = {}
        for version in system.versions:
            key = (system.name, version.version)
            last_good = pipeline_events(
                log, system, version, tables[key], files[key], fitted[key].record, last_good
            )
            if version.serving is not None:
                serving_events(log, system, version, tables[key].features)
    count = log.write(out / "openlineage" / "events.ndjson")
    print(f"openlineage: {count} events written")

    reports = write_reports(
        out / "monitoring",
        {k: t.features for k, t in tables.items()},
        {k: f.holdout for k, f in fitted.items()},
        {k: f.pipeline for k, f in fitted.items()},
        clock.set,
    )
    print(f"evidently: {len(reports)} reports written")
    signoffs = write_signoffs(out / "signoffs")
    print(f"sign-offs: {len(signoffs)} files written")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("evidence"),
        help="the evidence folder to (re)write (default: evidence)",
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the temporary MLflow store and data files, for debugging",
    )
    args = parser.parse_args(argv)
    if not faked():
        print("re-running under libfaketime, so that MLflow's clock follows the story")
        reexec_under_libfaketime(REGISTRY_OPENED)  # with sys.argv; does not return
    clock = StoryClock()
    quiet()
    out = args.out.resolve()
    prepare_output(out)
    workdir = Path(tempfile.mkdtemp(prefix="northwind-demo-"))
    try:
        build(out, workdir, clock)
    finally:
        clock.close()
        if args.keep_workdir:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
