"""Experiment tracking: one small interface that fans out to MLflow, TensorBoard and, opt-in, W&B.

MLflow is the default and needs no server: runs go to a SQLite file in the repository's git-ignored
`data/mlflow/` (browse them with `make mlflow-ui`). `MLFLOW_TRACKING_URI` points the same code at a
team's tracking server and `MLFLOW_EXPERIMENT_NAME` picks the experiment. TensorBoard event files are
always written into the run's folder. Weights & Biases (FSDL 2019's tool) logs only when asked for,
through its plain API (its Keras callbacks do not support Keras 3), offline unless `WANDB_MODE` says
otherwise.
"""

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import keras

from text_recognizer import paths

DEFAULT_EXPERIMENT = "text-recognizer"
LOCAL_TRACKING_DIR = paths.DATA_DIR / "mlflow"
REPOSITORY_DIR = Path(__file__).resolve().parents[2]
MODEL_ARTIFACT = "model"  # the artifact folder of a run's model, which promotion copies
RECORDED_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "onnx", "onnxruntime", "mlflow", "optuna")


class TrackingError(RuntimeError):
    """Runs cannot be tracked where asked; the message says how to fix it."""


class Tracker:
    """Where a run's parameters, tags, metrics and files go. The base class records nothing."""

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def set_tags(self, tags: dict[str, str]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_artifact(self, path: Path, folder: str | None = None) -> None:
        """A file, or a folder with everything in it, stored under `folder` of the run's artifacts."""

    def finish(self, status: str = "FINISHED") -> None:
        """End the run: FINISHED, FAILED or KILLED."""


class FanOutTracker(Tracker):
    """Sends every call to each of its trackers.

    A run that never reaches `finish` (an exception, a killed notebook cell) is ended as FAILED by
    `finish_open_runs`, which runs at interpreter exit and after a failed sweep trial.
    """

    def __init__(self, trackers: list[Tracker]) -> None:
        self.trackers = trackers
        _open_trackers.append(self)

    def log_params(self, params):
        for tracker in self.trackers:
            tracker.log_params(params)

    def set_tags(self, tags):
        for tracker in self.trackers:
            tracker.set_tags(tags)

    def log_metrics(self, metrics, step=None):
        for tracker in self.trackers:
            tracker.log_metrics(metrics, step)

    def log_artifact(self, path, folder=None):
        for tracker in self.trackers:
            tracker.log_artifact(path, folder)

    def finish(self, status="FINISHED"):
        if self in _open_trackers:
            _open_trackers.remove(self)
        for tracker in self.trackers:
            tracker.finish(status)

    @property
    def mlflow_run_id(self) -> str | None:
        """The MLflow run's id (waiting for the run to be made), or None when MLflow is not tracking."""
        for tracker in self.trackers:
            inner = tracker.wrapped() if isinstance(tracker, BackgroundTracker) else tracker
            if isinstance(inner, MlflowTracker):
                return inner.run_id
        return None


_open_trackers: list[FanOutTracker] = []


def finish_open_runs(status: str = "FAILED") -> None:
    """End every run this process started and did not finish."""
    while _open_trackers:
        _open_trackers[-1].finish(status)


atexit.register(finish_open_runs)


def tracking_uri() -> str:
    """`MLFLOW_TRACKING_URI`, or the local SQLite file (made on first use)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    LOCAL_TRACKING_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{LOCAL_TRACKING_DIR / 'mlflow.db'}"


def mlflow_client(uri: str | None = None):
    """An MLflow client for `uri` (default: `tracking_uri()`); a server that does not answer is an error."""
    from mlflow import MlflowClient

    uri = check_tracking_uri(uri)
    return MlflowClient(tracking_uri=uri)


def check_tracking_uri(uri: str | None = None, timeout: float = 5.0) -> str:
    """The tracking URI, once a server it names has answered: fail now with a clear message, not after
    MLflow's minutes of retries at the first metric. Costs no MLflow import."""
    uri = uri or tracking_uri()
    if not uri.startswith(("http://", "https://")):
        return uri
    try:
        urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout).close()  # noqa: S310  # http(s) only, checked above
    except (urllib.error.URLError, OSError) as error:
        raise TrackingError(
            f"The MLflow tracking server at {uri} does not answer ({error}). Start it, correct "
            "MLFLOW_TRACKING_URI, or unset MLFLOW_TRACKING_URI to track runs in the local file "
            f"{LOCAL_TRACKING_DIR / 'mlflow.db'}."
        ) from error
    return uri


def experiment_id(client, name: str | None = None) -> str:
    """The id of experiment `name` (default: `MLFLOW_EXPERIMENT_NAME` or "text-recognizer"), made if new.

    A local experiment keeps its artifacts beside the SQLite file, not in the working directory.
    """
    name = name or os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if client.tracking_uri.startswith("sqlite:///"):
        location = (Path(client.tracking_uri.removeprefix("sqlite:///")).parent / "artifacts").as_uri()
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(name, artifact_location=location)
    except MlflowException as error:  # another worker may have created it first
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise TrackingError(f"cannot create MLflow experiment {name!r}: {error}") from error
        return experiment.experiment_id


class MlflowTracker(Tracker):
    """One MLflow run, written through the client API (no global active run: safe in workers)."""

    def __init__(
        self,
        run_name: str,
        *,
        parent_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        experiment: str | None = None,
        client=None,
    ) -> None:
        self.client = client or mlflow_client()
        # The run is created with the tags that identify it (its parent, a sweep's trial number): a process
        # killed right after this still leaves a run that can be found and marked.
        tags = {**(tags or {}), **({"mlflow.parentRunId": parent_run_id} if parent_run_id else {})}
        run = self.client.create_run(experiment_id(self.client, experiment), run_name=run_name, tags=tags)
        self.run_id = run.info.run_id

    def log_params(self, params):
        from mlflow.entities import Param

        items = [Param(key, str(value)[:6000]) for key, value in params.items()]
        for start in range(0, len(items), 100):  # MLflow's limit per batch
            self.client.log_batch(self.run_id, params=items[start : start + 100])

    def set_tags(self, tags):
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(key, str(value)) for key, value in tags.items()])

    def log_metrics(self, metrics, step=None):
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(key, float(value), now, step or 0) for key, value in metrics.items()]
        self.client.log_batch(self.run_id, metrics=items)

    def log_artifact(self, path, folder=None):
        path = Path(path)
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), folder or path.name)
        else:
            self.client.log_artifact(self.run_id, str(path), folder)

    def finish(self, status="FINISHED"):
        self.client.set_terminated(self.run_id, status)


class BackgroundTracker(Tracker):
    """Makes another tracker and runs its calls, in order, on a thread of their own.

    Importing MLflow and writing to its database take seconds; on this thread they overlap data
    preparation and training instead of adding to them. Arguments are copied when a call is made; an
    error is raised by `finish` (or `wrapped`).
    """

    def __init__(self, make: Callable[[], Tracker]) -> None:
        self._calls: queue.Queue = queue.Queue()
        self._built = threading.Event()
        self._error: BaseException | None = None
        self._tracker: Tracker | None = None
        self._thread = threading.Thread(target=self._work, args=(make,), name="tracker", daemon=True)
        self._thread.start()

    def _work(self, make: Callable[[], Tracker]) -> None:
        try:
            self._tracker = make()
        except BaseException as error:  # kept and raised in the caller's thread by finish()
            self._error = error
        self._built.set()
        while (call := self._calls.get()) is not None:
            if self._error is None:
                try:
                    call(self._tracker)
                except BaseException as error:
                    self._error = error

    def wrapped(self) -> Tracker:
        """The tracker itself, once made."""
        self._built.wait()
        self._raise_error()
        return self._tracker

    def _raise_error(self) -> None:
        if self._error is not None:
            raise TrackingError(f"tracking failed: {self._error}") from self._error

    def log_params(self, params):
        params = dict(params)
        self._calls.put(lambda tracker: tracker.log_params(params))

    def set_tags(self, tags):
        tags = dict(tags)
        self._calls.put(lambda tracker: tracker.set_tags(tags))

    def log_metrics(self, metrics, step=None):
        metrics = dict(metrics)
        self._calls.put(lambda tracker: tracker.log_metrics(metrics, step))

    def log_artifact(self, path, folder=None):
        self._calls.put(lambda tracker: tracker.log_artifact(path, folder))

    def finish(self, status="FINISHED"):
        if self._thread.is_alive():
            self._calls.put(lambda tracker: tracker.finish(status))
            self._calls.put(None)
            self._thread.join()
        self._raise_error()


class TensorBoardTracker(Tracker):
    """Scalars per epoch as TensorBoard event files: `tensorboard --logdir training/runs`."""

    def __init__(self, log_dir: Path) -> None:
        import tensorflow as tf

        self.tf = tf
        self.writer = tf.summary.create_file_writer(str(log_dir))

    def log_metrics(self, metrics, step=None):
        with self.writer.as_default():
            for key, value in metrics.items():
                self.tf.summary.scalar(key, float(value), step=step or 0)
        self.writer.flush()

    def finish(self, status="FINISHED"):
        self.writer.close()


class WandbTracker(Tracker):
    """A W&B run through its plain API; offline (files in the run's folder) unless `WANDB_MODE` is set."""

    def __init__(self, run_name: str, run_dir: Path, group: str | None = None) -> None:
        try:
            import wandb
        except ImportError as error:
            raise TrackingError("W&B logging was asked for but wandb is not installed: pip install wandb") from error
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", DEFAULT_EXPERIMENT),
            name=run_name,
            group=group,
            dir=str(run_dir),
            mode=os.environ.get("WANDB_MODE", "offline"),
            reinit="create_new",
        )

    def log_params(self, params):
        self.run.config.update(params, allow_val_change=True)

    def set_tags(self, tags):
        self.run.summary.update({f"tag/{key}": value for key, value in tags.items()})

    def log_metrics(self, metrics, step=None):
        self.run.log(dict(metrics), step=step)

    def log_artifact(self, path, folder=None):
        path = Path(path)
        if path.suffix == ".png":
            import wandb

            self.run.log({path.stem: wandb.Image(str(path))})

    def finish(self, status="FINISHED"):
        self.run.finish(exit_code=0 if status == "FINISHED" else 1)


def open_tracker(
    run_name: str,
    run_dir: Path,
    *,
    mlflow: bool = True,
    wandb: bool = False,
    parent_run_id: str | None = None,
    group: str | None = None,
    tags: dict[str, str] | None = None,
) -> FanOutTracker:
    """The trackers a training run logs to: TensorBoard always, MLflow by default, W&B when asked."""
    trackers: list[Tracker] = [TensorBoardTracker(run_dir / "tensorboard")]
    if mlflow:
        check_tracking_uri()
        trackers.append(BackgroundTracker(lambda: MlflowTracker(run_name, parent_run_id=parent_run_id, tags=tags)))
    if wandb:
        trackers.append(WandbTracker(run_name, run_dir, group=group))
    return FanOutTracker(trackers)


def start_run(
    run_name: str,
    run_dir: Path,
    params: dict[str, Any],
    data_fingerprint: dict,
    data_source: str,
    *,
    mlflow: bool = True,
    wandb: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, str] | None = None,
) -> FanOutTracker:
    """Open a run's trackers and record what reproduces it: its parameters, code, packages and data."""
    tracker = open_tracker(run_name, run_dir, mlflow=mlflow, wandb=wandb, parent_run_id=parent_run_id, tags=tags)
    tracker.log_params(flatten(params))
    tracker.set_tags(
        {
            **code_version(),
            **{f"version.{name}": version for name, version in package_versions().items()},
            "data_fingerprint": data_fingerprint_tag(data_fingerprint),
            "data_source": data_source,
            "run_dir": str(run_dir),
            **(tags or {}),
        }
    )
    return tracker


def finish_run(tracker: FanOutTracker, metrics: dict[str, float], files: list[Path], model_dir: Path) -> str | None:
    """Log the final metrics, the run's files and its model folder; end the run; return its MLflow id."""
    tracker.log_metrics(metrics)
    for path in files:
        if path.exists():
            tracker.log_artifact(path)
    tracker.log_artifact(model_dir, MODEL_ARTIFACT)
    tracker.finish()
    return tracker.mlflow_run_id


class EpochMetricsCallback(keras.callbacks.Callback):
    """Sends each epoch's logs (after other callbacks added theirs, e.g. `val_cer`) to a tracker."""

    def __init__(self, tracker: Tracker) -> None:
        super().__init__()
        self.tracker = tracker

    def on_epoch_end(self, epoch, logs=None):
        self.tracker.log_metrics({k: v for k, v in (logs or {}).items() if _is_number(v)}, step=epoch + 1)


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train_args": {"epochs": 3}} -> {"train_args.epochs": 3}: the names sweeps and `--set` use."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def code_version() -> dict[str, str]:
    """The git commit and whether the working tree differs from it ("unknown" outside a checkout)."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    return {"git_commit": commit, "git_dirty": str(dirty).lower()}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPOSITORY_DIR, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions, those installed."""
    versions = {"python": sys.version.split()[0]}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def data_fingerprint_tag(fingerprint: dict) -> str:
    """A short, stable digest of a data module's fingerprint (what its cache was built from)."""
    import hashlib

    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:16]
