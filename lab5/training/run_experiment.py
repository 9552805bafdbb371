"""Train a model from a JSON experiment config, FSDL style.

    python -m training.run_experiment --save '{"dataset": "EmnistDataset", "model": "CharacterModel",
        "network": "mlp", "train_args": {"batch_size": 256}}'
    python -m training.run_experiment --save training/experiments/emnist_character_cnn.json

Each run writes its config, history, metrics and learning curves to `training/runs/<time>-<name>/`.
`--save` also writes the weights, ONNX export and config where the predictors look for them
(`text_recognizer/artifacts/<task>/`).
"""

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from training.experiment_config import ExperimentConfig, ExperimentConfigError
from training.history import plot_learning_curves, write_history

RUNS_DIR = Path(__file__).resolve().parent / "runs"
logger = logging.getLogger("training")


def run_experiment(
    config: ExperimentConfig, *, save: bool = False, runs_dir: Path = RUNS_DIR, verbose: int | str = "auto"
) -> dict[str, Any]:
    """Train and evaluate one experiment; return its test metrics."""
    import keras
    import tensorflow as tf

    from text_recognizer import paths

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    data = config.dataset_class(**config.dataset_args, seed=config.seed)
    data.setup()
    print(data.summary())
    model = config.model_class(config.network, data.input_shape, data.mapping, config.network_args)

    args = config.train_args
    train = data.tf_dataset("train", args["batch_size"], shuffle=True, augment=args["augment"])
    validation = data.tf_dataset("validation", args["eval_batch_size"])
    steps_per_epoch = int(train.cardinality())
    model.compile(args["learning_rate"], total_steps=steps_per_epoch * args["epochs"] if args["cosine_decay"] else None)

    run_dir = runs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(config.as_dict(), indent=2) + "\n")
    callbacks = model.callbacks(data)
    if args["early_stopping_patience"]:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=args["early_stopping_patience"], restore_best_weights=True
            )
        )

    started = time.perf_counter()
    history = model.fit(train, validation, epochs=args["epochs"], callbacks=callbacks, verbose=verbose)
    training_seconds = time.perf_counter() - started

    metrics = {}
    for split, dataset in (("test", data.tf_dataset("test", args["eval_batch_size"])), ("validation", validation)):
        metrics |= {f"{split}_{k}": v for k, v in model.evaluate(dataset).items()}
        metrics |= {f"{split}_{k}": v for k, v in model.evaluation_metrics(data, split).items()}
    metrics["training_seconds"] = round(training_seconds, 1)
    metrics["epochs_run"] = len(history.history["loss"])
    write_history(history.history, run_dir / "history.json")
    plot_learning_curves(history.history, run_dir / "learning_curves.png", title=config.name)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))
    print(f"Run written to {run_dir}")

    if save:
        destination = paths.ARTIFACTS_DIR / (config.artifact or data.task)
        model.save(
            destination,
            extra_config={
                "task": data.task,
                "dataset": config.dataset,
                "preprocessing": data.preprocessing,
                "data_source": data.source_note,
                "metrics": metrics,
                "experiment": config.as_dict(),
            },
        )
        print(f"Saved weights, ONNX and config to {destination}")
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="JSON config, inline or a path to a .json file")
    parser.add_argument("--save", action="store_true", help="save the model where the predictors look for it")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = ExperimentConfig.parse(args.experiment, seed=args.seed)
    except ExperimentConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # A progress bar per step suits a terminal; logs and notebooks get one line per epoch.
    run_experiment(config, save=args.save, verbose=1 if sys.stdout.isatty() else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
