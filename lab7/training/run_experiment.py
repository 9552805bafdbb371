"""Train a model from a JSON experiment config, FSDL style.

    python -m training.run_experiment --save '{"dataset": "EmnistDataset", "model": "CharacterModel",
        "network": "mlp", "train_args": {"batch_size": 256}}'
    python -m training.run_experiment --save training/experiments/emnist_character_cnn.json
    python -m training.run_experiment training/experiments/emnist_character_cnn.json --set train_args.epochs=3

A run goes through stages: build (data and model), fit (keeping the epoch that scores best on the model's
own validation metric), evaluate, save, and write its files: config, history, metrics, learning curves and
model, in `training/runs/<time>-<name>/`. `--save` also writes the model where the predictors
look for it (`text_recognizer/artifacts/<task>/`).
"""

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

from training import tracking  # [lab 3]
from training.experiment_config import ExperimentConfig, ExperimentConfigError
from training.history import plot_learning_curves, write_history

RUNS_DIR = Path(__file__).resolve().parent / "runs"
MODEL_FOLDER = "model"
logger = logging.getLogger("training")


@dataclass
class ExperimentRun:
    """What a finished run leaves: where its files are, its metrics, and its best epoch."""

    config: ExperimentConfig
    run_dir: Path
    metrics: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    mlflow_run_id: str | None = None  # [lab 3]

    @property
    def model_dir(self) -> Path:
        return self.run_dir / MODEL_FOLDER


class BestEpoch(keras.callbacks.Callback):
    """Keeps the weights of the epoch that scores best on `monitor` and puts them back after training.

    Checkpoint selection in memory: the models here are small, and nothing but the best epoch is kept.
    """

    def __init__(self, monitor: str, mode: str) -> None:
        super().__init__()
        self.monitor, self.mode = monitor, mode
        self.best_value: float | None = None
        self.best_epoch, self.best_weights = 0, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"selection metric {self.monitor!r} is not in the epoch logs {sorted(logs or {})}")
        if self.best_value is None or (value < self.best_value if self.mode == "min" else value > self.best_value):
            self.best_value, self.best_epoch = float(value), epoch + 1
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def build(config: ExperimentConfig, strategy=None):
    """Stage 1: the data module, the model compiled for the whole run, and the train/validation datasets."""
    import contextlib

    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    data = config.dataset_class(**config.dataset_args, seed=config.seed)
    data.setup()
    print(data.summary())
    args = config.train_args
    train = data.tf_dataset("train", args["batch_size"], shuffle=True, augment=args["augment"])
    validation = data.tf_dataset("validation", args["eval_batch_size"])
    total_steps = int(train.cardinality()) * args["epochs"] if args["cosine_decay"] else None
    # A distribution strategy must own the variables: the network is built and compiled in its scope.
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = config.model_class(config.network, data.input_shape, data.mapping, config.network_args)
        model.compile(args["learning_rate"], total_steps=total_steps)
    return data, model, {"train": train, "validation": validation}


def fit(config: ExperimentConfig, model, data, datasets, callbacks=(), verbose: int | str = "auto"):
    """Stage 2: train, keep the best epoch by the model's selection metric; return history and that epoch."""
    monitor, mode = model.selection_metric
    best = BestEpoch(monitor, mode)
    # The model's own callbacks run first, so the epoch logs hold their metrics (a line model's `val_cer`).
    all_callbacks = [*model.callbacks(data), best, *callbacks]
    patience = config.train_args["early_stopping_patience"]
    if patience:
        all_callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience))
    epochs = config.train_args["epochs"]
    history = model.fit(datasets["train"], datasets["validation"], epochs, all_callbacks, verbose)
    return history.history, best.best_epoch


def evaluate(model, data, datasets, eval_batch_size: int) -> dict[str, float]:
    """Stage 3: Keras's and the model's own metrics on the test and validation splits."""
    metrics = {}
    test = data.tf_dataset("test", eval_batch_size)
    for split, dataset in (("test", test), ("validation", datasets["validation"])):
        metrics |= {f"{split}_{k}": v for k, v in model.evaluate(dataset).items()}
        metrics |= {f"{split}_{k}": v for k, v in model.evaluation_metrics(data, split).items()}
    return metrics


def save_model(run: ExperimentRun, model, data, destination: Path) -> Path:
    """Stage 4: weights, ONNX export and a config carrying what inference needs, into `destination`."""
    return model.save(
        destination,
        extra_config={
            "task": data.task,
            "dataset": run.config.dataset,
            "preprocessing": data.preprocessing,
            "data_source": data.source_note,
            "metrics": run.metrics,
            "best_epoch": run.best_epoch,
            "experiment": run.config.as_dict(),
        },
    )


def write_run_files(run: ExperimentRun) -> None:
    """Stage 5 (files): history, learning curves and metrics in the run's folder."""
    write_history(run.history, run.run_dir / "history.json")
    plot_learning_curves(run.history, run.run_dir / "learning_curves.png", title=run.config.name)
    (run.run_dir / "metrics.json").write_text(json.dumps(run.metrics, indent=2) + "\n")


# [lab 3]
def log_run(tracker, run: ExperimentRun, model, data) -> None:
    """Stage 5 (tracking): final metrics, the best epoch, the run's files and its model folder."""
    from training.sample_predictions import save_sample_predictions

    save_sample_predictions(model, data, run.run_dir / "sample_predictions.png")
    names = ("config.json", "metrics.json", "learning_curves.png", "sample_predictions.png")
    metrics = {**run.metrics, "best_epoch": run.best_epoch}
    run.mlflow_run_id = tracking.finish_run(tracker, metrics, [run.run_dir / n for n in names], run.model_dir)


# [end lab 3]
def run_experiment(
    config: ExperimentConfig,
    *,
    save: bool = False,
    runs_dir: Path = RUNS_DIR,
    verbose: int | str = "auto",
    callbacks: tuple = (),
    strategy=None,
    track: bool = True,  # [lab 3]
    mlflow: bool = True,  # [lab 3]
    wandb: bool = False,  # [lab 3]
    parent_run_id: str | None = None,  # [lab 3]
    tags: dict[str, str] | None = None,  # [lab 3]
) -> ExperimentRun:
    """Build, fit, evaluate, save (in the run's folder; with `save`, for the predictors too) and log one run."""
    from text_recognizer import paths

    run = ExperimentRun(config, runs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.name}")
    run.run_dir.mkdir(parents=True, exist_ok=True)
    (run.run_dir / "config.json").write_text(json.dumps(config.as_dict(), indent=2) + "\n")

    data, model, datasets = build(config, strategy)
    # [lab 3]
    # Tracked by TensorBoard and MLflow (unless `mlflow` is false), W&B with `wandb`; nothing without `track`.
    if track:
        source = data.source_note or type(data).__name__
        options = {"mlflow": mlflow, "wandb": wandb, "parent_run_id": parent_run_id, "tags": tags}
        tracker = tracking.start_run(config.name, run.run_dir, config.as_dict(), data.fingerprint, source, **options)
        callbacks = (*callbacks, tracking.EpochMetricsCallback(tracker))
    # [end lab 3]
    started = time.perf_counter()
    run.history, run.best_epoch = fit(config, model, data, datasets, callbacks, verbose)
    run.metrics = evaluate(model, data, datasets, config.train_args["eval_batch_size"])
    run.metrics["training_seconds"] = round(time.perf_counter() - started, 1)
    run.metrics["epochs_run"] = len(run.history["loss"])

    save_model(run, model, data, run.model_dir)
    write_run_files(run)
    if track:  # [lab 3]
        log_run(tracker, run, model, data)  # [lab 3]
    print(json.dumps(run.metrics, indent=2))
    print(f"Run written to {run.run_dir} (best epoch {run.best_epoch} by {model.selection_metric[0]})")
    if save:
        destination = save_model(run, model, data, paths.ARTIFACTS_DIR / (config.artifact or data.task))
        print(f"Saved weights, ONNX and config to {destination}")
    return run


# [lab 3]
def distribution_strategy(name: str | None):
    """`mirrored`: one replica per visible GPU (or per logical CPU device, as the tests make); else none."""
    if name is None:
        return None
    import tensorflow as tf

    if name != "mirrored":
        raise ValueError(f"unknown strategy {name!r}; known: mirrored")
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


# [end lab 3]
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="JSON config, inline or a path to a .json file")
    parser.add_argument("--save", action="store_true", help="save the model where the predictors look for it")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a value, e.g. train_args.epochs=3"
    )
    # [lab 3]
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--no-tracking", action="store_true", help="no MLflow, TensorBoard or W&B")
    parser.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline by default)")
    parser.add_argument("--strategy", choices=["mirrored"], help="train data-parallel over the visible GPUs")
    # [end lab 3]
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = ExperimentConfig.parse(args.experiment, seed=args.seed, overrides=args.set)
    except ExperimentConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {}
    # [lab 3]
    options = {"mlflow": not args.no_mlflow, "wandb": args.wandb, "strategy": distribution_strategy(args.strategy)}
    options["track"] = not args.no_tracking
    try:
        if options["track"] and options["mlflow"]:
            tracking.check_tracking_uri()  # an unreachable tracking server stops the run here, before training
    except tracking.TrackingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # [end lab 3]
    # A progress bar per step suits a terminal; logs and notebooks get one line per epoch.
    run_experiment(config, save=args.save, verbose=1 if sys.stdout.isatty() else 2, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
