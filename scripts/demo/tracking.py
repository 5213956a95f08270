"""A real MLflow tracking server, and the training and registry work Northwind does on it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mlflow
import mlflow.data
import mlflow.sklearn
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .lineage import TrainedModel
from .story import SystemPlan, VersionPlan

RUN_STEPS = {
    "start": 1,
    "model_logged": 15,
    "metrics_logged": 20,
    "end": 22,
    "registered": 23,
}
"""Minutes after the training task's START event at which each MLflow step happens: the run
starts (parameters and inputs logged), the fitted model is logged, the evaluation metrics
are logged, the run ends, the version is registered; the task completes at minute 25
(``lineage.TRAINING_MINUTES``)."""

ESTIMATORS = {
    "logreg": ("LogisticRegression", LogisticRegression),
    "forest": ("RandomForestClassifier", RandomForestClassifier),
    "boosting": ("GradientBoostingClassifier", GradientBoostingClassifier),
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def tracking_server(workdir: Path) -> Iterator[str]:
    """Run ``mlflow server`` (sqlite store, proxied artifacts in ``workdir``); yield its URL."""
    port = free_port()
    mlflow_cli = Path(sys.executable).parent / "mlflow"
    command = [
        str(mlflow_cli),
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination",
        str(workdir / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log = (workdir / "mlflow-server.log").open("wb")
    # Own session, so the server and the workers it forks can be stopped together.
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            if not _exited(server, timeout=30):
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether ``process`` exits within ``timeout`` seconds.

    Not ``Popen.wait(timeout=...)``: it polls with time.sleep, which fails under libfaketime.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while process.poll() is None:
        if time.monotonic() >= deadline:
            return False
        pause.wait(0.1)
    return True


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    # Not time.sleep, which fails under libfaketime (see clock.py).
    pause = threading.Event()
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {server.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        pause.wait(0.5)
    raise RuntimeError(f"mlflow server at {url} did not become healthy in {timeout:.0f} s")


def check_server_clock(url: str, expected: datetime) -> None:
    """The server runs on the story's clock: its Default experiment was created at ``expected``."""
    with urllib.request.urlopen(
        f"{url}/api/2.0/mlflow/experiments/get?experiment_id=0", timeout=10
    ) as response:
        created = int(json.load(response)["experiment"]["creation_time"])
    if created != int(expected.timestamp() * 1000):
        seen = datetime.fromtimestamp(created / 1000, UTC).isoformat()
        raise RuntimeError(
            f"the tracking server's clock read {seen}, not {expected.isoformat()}: "
            "is libfaketime preloaded into it?"
        )


def build_estimator(system: SystemPlan, version: VersionPlan, numeric: list[str]) -> Pipeline:
    """Preprocessing (scaling, one-hot) and the version's classifier, with fixed seeds."""
    _, cls = ESTIMATORS[version.estimator]
    params = dict(version.params)
    if version.estimator != "logreg":
        params["random_state"] = 0
    classifier: ClassifierMixin = cls(**params)
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), list(system.categorical)),
        ]
    )
    return Pipeline([("prep", prep), ("model", classifier)])


@dataclass(frozen=True)
class FittedVersion:
    """A trained version: the MLflow ids, the fitted pipeline and its held-out metrics."""

    record: TrainedModel
    registered_version: str
    pipeline: Pipeline
    holdout: pd.DataFrame
    """The 25 % evaluation split (features and label), for out-of-sample references."""


def ensure_registered_model(client: MlflowClient, system: SystemPlan) -> None:
    """Create the registered model with its description and governance tags."""
    client.create_registered_model(
        system.name, tags=dict(system.tags), description=system.description
    )


def train_version(
    system: SystemPlan,
    version: VersionPlan,
    features: pd.DataFrame,
    openlineage_run_id: str,
    task_start: datetime,
    set_clock: Callable[[datetime], None],
) -> FittedVersion:
    """Train, evaluate, log and register one version exactly as the pipeline's task would.

    ``set_clock`` moves MLflow's clock to each step of :data:`RUN_STEPS` after ``task_start``.
    """

    def step(name: str) -> None:
        set_clock(task_start + timedelta(minutes=RUN_STEPS[name]))

    step("start")
    mlflow.set_experiment(system.experiment)
    target = system.target
    x = features.drop(columns=[target])
    y = features[target]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=version.data_seed, stratify=y
    )
    numeric = [c for c in x.columns if c not in system.categorical]
    pipeline = build_estimator(system, version, numeric)
    label, _ = ESTIMATORS[version.estimator]
    source_uri = f"file://{version.features_path}"
    stem = Path(version.features_path).stem.replace("_", "-")
    train_frame = pd.concat([x_train, y_train], axis=1)
    test_frame = pd.concat([x_test, y_test], axis=1)
    tags = {
        "mlflow.user": version.author,
        "mlflow.source.name": f"{system.dag}/train.py",
        "mlflow.source.type": "JOB",
        "mlflow.source.git.commit": version.git_commit,
        "openlineage.run_id": openlineage_run_id,
        "pipeline": system.dag,
    }
    run_name = f"{system.name}-v{version.version}-{version.estimator}"
    with mlflow.start_run(run_name=run_name, tags=tags) as run:
        mlflow.log_params(
            {
                "model_type": label,
                **version.params,
                "test_size": 0.25,
                "split_seed": version.data_seed,
                "n_features": x.shape[1],
            }
        )
        train_ds = mlflow.data.from_pandas(
            train_frame, source=source_uri, targets=target, name=f"{stem}-train"
        )
        test_ds = mlflow.data.from_pandas(
            test_frame, source=source_uri, targets=target, name=f"{stem}-holdout"
        )
        mlflow.log_input(train_ds, context="training", tags={"split": "train"})
        mlflow.log_input(test_ds, context="evaluation", tags={"split": "holdout"})
        pipeline.fit(x_train, y_train)
        signature = infer_signature(x_train, pipeline.predict(x_train))
        step("model_logged")
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=signature,
            input_example=x_train.head(3),
            # The pipeline's source, not this generator's, as the run says.
            tags={
                "framework": "scikit-learn",
                "task": "binary-classification",
                **{k: v for k, v in tags.items() if k.startswith("mlflow.source.")},
            },
            # Tree ensembles store node arrays skops does not trust by default; we made them.
            skops_trusted_types=None
            if version.estimator == "logreg"
            else ["sklearn.tree._tree.Tree"],
        )
        proba = pipeline.predict_proba(x_test)[:, 1]
        predicted = pipeline.predict(x_test)
        metrics = {
            "accuracy": float(accuracy_score(y_test, predicted)),
            "roc_auc": float(roc_auc_score(y_test, proba)),
            "f1": float(f1_score(y_test, predicted, zero_division=0)),
            "precision": float(precision_score(y_test, predicted, zero_division=0)),
            "recall": float(recall_score(y_test, predicted, zero_division=0)),
        }
        step("metrics_logged")
        mlflow.log_metrics(metrics, model_id=info.model_id, dataset=test_ds)
        train_auc = roc_auc_score(y_train, pipeline.predict_proba(x_train)[:, 1])
        mlflow.log_metric(
            "train_roc_auc", float(train_auc), model_id=info.model_id, dataset=train_ds
        )
        experiment_id = run.info.experiment_id
        mlflow_run_id = run.info.run_id
        step("end")
    step("registered")
    registered = mlflow.register_model(f"models:/{info.model_id}", system.name)
    if registered.version != version.version:
        raise RuntimeError(
            f"{system.name}: expected version {version.version}, MLflow "
            f"assigned {registered.version} (the server must start empty)"
        )
    record = TrainedModel(
        mlflow_run_id=mlflow_run_id,
        experiment_id=experiment_id,
        model_id=info.model_id,
        estimator=label,
        metrics=metrics,
    )
    return FittedVersion(record, registered.version, pipeline, test_frame)


def registered_at(task_start: datetime) -> datetime:
    """When MLflow creates the version (the ``registered`` step of :data:`RUN_STEPS`)."""
    return task_start + timedelta(minutes=RUN_STEPS["registered"])


def tag_registration(client: MlflowClient, system: SystemPlan, version: VersionPlan) -> None:
    """What the training task records on the version it registered (at the same moment)."""
    name, number = system.name, version.version
    client.set_model_version_tag(name, number, "trained_by_pipeline", system.dag)
    if version.released is None and version.description:
        client.update_model_version(name, number, description=version.description)


def release_version(client: MlflowClient, system: SystemPlan, version: VersionPlan) -> None:
    """Description, stage, aliases, validation report and approval tags, at ``released``."""
    name, number = system.name, version.version
    if version.description:
        client.update_model_version(name, number, description=version.description)
    if version.stage != "None":
        client.transition_model_version_stage(
            name, number, version.stage, archive_existing_versions=False
        )
    for alias in version.aliases:
        client.set_registered_model_alias(name, alias, number)
    if version.validation_report:
        client.set_model_version_tag(name, number, "validation_report", version.validation_report)
    if version.approved_by:
        client.set_model_version_tag(name, number, "approved_by", version.approved_by)
    if version.approval_date:
        client.set_model_version_tag(name, number, "approval_date", approval_moment(version))


def approval_moment(version: VersionPlan) -> str:
    """The recorded approval date-time: fixed, or now (the release, on the story's clock)."""
    if version.approval_date != "after-creation":
        return str(version.approval_date)
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
