"""Train the real-handwriting line model (Lab 4); `make train-handwriting` reproduces the committed one with it.

    python -m training.train_handwriting --save                    # the committed model's first cycle, then
    python -m training.train_handwriting --save --init-from text_recognizer/artifacts/handwriting \
        --epochs 24 --learning-rate 1e-3                           # its second (both: make train-handwriting)
    python -m training.train_handwriting --subsample 0.05 --epochs 2   # a quick look
    python -m training.train_handwriting --config training/experiments/handwriting/copiste.json   # options from a file

The recipe (steps 1-2 in `training.handwriting_data`):
1. Copiste d'un jour lines (`HandwritingLines`), split by writer; the codec is the training texts' characters.
   A config's `sources` weights each real corpus: how many times its training lines are used per epoch.
2. Synthetic lines rendered from handwriting fonts, their texts recombined from the training texts and the
   Brown corpus (never validation or test text), are added to the real training lines: more writing
   styles and more words than 182 writers give, and an easy start that gets CTC past its all-blank phase.
3. Real and synthetic lines are shuffled together, augmented in `tf.data` (slant, scale, stroke width,
   contrast) and batched by width; AdamW with a warm-up and cosine decay.
4. After each epoch the greedy CER on the validation writers is measured; the best epoch's weights are
   kept (and checkpointed), and training stops early when it has not improved for `--patience` epochs.
5. The test writers' CER is measured once, at the end, and saved with the model.
6. A second cycle starts from the first one's weights (`--init-from`) with a new warm-up and cosine decay
   at a third of the learning rate: the first cycle ends still improving, and the restart costs none of
   the epochs CTC spends learning to emit characters at all. The config records the first cycle's recipe.

Each run writes its history, learning curves and metrics to `training/runs/<time>-handwriting/`;
`--save` also writes the model to `text_recognizer/artifacts/handwriting/`.
"""

import argparse
import itertools
import json
import logging
import shlex
import sys
import time
from pathlib import Path

from training import tracking
from training.handwriting_data import COPISTE, PreparedLines, prepare
from training.history import write_run

RUNS_DIR = Path(__file__).resolve().parent / "runs"
TASK = "handwriting"
NETWORK = "handwriting_cnn_bilstm_ctc"
SOURCE = "Copiste d'un jour (CC BY 4.0), writers split train/validation/test"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="a JSON file of these options by name; flags given here win")
    parser.add_argument("--height", type=int, default=48, help="line height in pixels (a multiple of 8)")
    parser.add_argument("--epochs", type=int, default=20, help="at most this many epochs")
    parser.add_argument("--patience", type=int, default=5, help="stop after this many epochs without a better CER")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--synthetic-lines", type=int, default=1500, help="synthetic lines added to training")
    parser.add_argument("--subsample", type=float, default=None, help="fraction of real train/validation lines")
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--lstm-units", type=int, default=128)
    parser.add_argument(
        "--frames-per-step", type=int, default=1, choices=(1, 2), help="4-pixel CTC frames per LSTM step (1 or 2)"
    )
    parser.add_argument(
        "--init-from",
        type=Path,
        metavar="MODEL_DIR",
        help="start from this saved model's weights: a second cycle (same network, and the same data for the codec)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", action="store_true", help="save the model where the predictor looks for it")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline by default)")
    # [lab 6]
    parser.add_argument("--prepare-only", type=Path, metavar="FILE", help="save the prepared lines to FILE and stop")
    parser.add_argument("--prepared", type=Path, metavar="FILE", help="train on lines saved by --prepare-only")
    parser.add_argument("--model-dir", type=Path, help="also save the model to this folder")
    # [end lab 6]
    # How many times each real corpus's training lines are used per epoch (the config file's `sources`)
    parser.set_defaults(sources={COPISTE: 1.0})
    known, _ = parser.parse_known_args(argv)
    if known.config is not None:
        options = {action.dest for action in parser._actions} | {"sources"}
        parser.set_defaults(**read_config(known.config, options))
    args = parser.parse_args(argv)
    check_sources(args.sources)
    if args.frames_per_step not in (1, 2):  # a config file's value skips the parser's choices
        raise SystemExit(f"frames_per_step must be 1 or 2, got {args.frames_per_step}")
    if args.init_from is not None:
        check_starting_model(args)
    args.command = shlex.join(["python", "-m", "training.train_handwriting", *(sys.argv[1:] if argv is None else argv)])
    return args


def read_config(path: Path, options: set[str]) -> dict:
    """An experiment config: a JSON object whose keys are this script's options (`batch_size`, `sources`...)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"{path}: cannot read the experiment config ({error})") from error
    unknown = sorted(set(config) - options - {"description"})
    if unknown:
        raise SystemExit(f"{path}: unknown keys {unknown}; the options are {sorted(options - {'help'})}")
    return {key: value for key, value in config.items() if key != "description"}


def check_starting_model(args: argparse.Namespace) -> None:
    """Refuse, before any data is prepared, an `--init-from` folder whose model these options cannot train on."""
    from text_recognizer.model_files import CONFIG_FILENAME, WEIGHTS_FILENAME, ModelFilesError, verified_path
    from text_recognizer.model_files import read_config as read_model_config

    directory = args.init_from
    if not (directory / CONFIG_FILENAME).is_file():
        raise SystemExit(
            f"--init-from {directory}: no saved model there "
            "(a model folder: text_recognizer/artifacts/handwriting, or a run's training/runs/<run>/model)"
        )
    try:
        config = read_model_config(directory)
        if config["network"] != NETWORK:
            raise SystemExit(f"--init-from: {directory} holds a {config['network']}, not a {NETWORK}")
        verified_path(directory, WEIGHTS_FILENAME, config)
    except ModelFilesError as error:
        raise SystemExit(f"--init-from: {error}") from error
    saved = {"height": config["input_shape"][0], "frames_per_step": 1, **config["network_args"]}
    shapes = ("height", "filters", "lstm_units", "frames_per_step")
    differ = [name for name in shapes if saved.get(name) != vars(args)[name]]
    if differ:
        given = ", ".join(f"--{name.replace('_', '-')} {saved.get(name)}" for name in differ)
        raise SystemExit(f"--init-from: {directory} holds a network of other shapes; train on with {given}")


def known_sources() -> set[str]:
    """The corpora a config may weight: Copiste, and (Lab 6) every labeled dataset of data/raw/."""
    names = {COPISTE}
    # [lab 6]
    from text_recognizer.data import labeled_pages

    names |= set(labeled_pages.labeled_datasets())
    # [end lab 6]
    return names


def check_sources(sources: dict) -> None:
    unknown = sorted(set(sources) - known_sources())
    if unknown or any(not isinstance(w, int | float) or w < 0 for w in sources.values()):
        raise SystemExit(f"sources {sources}: weights must be >= 0 and names among {sorted(known_sources())}")


def trainable(images, texts, frame_width: int) -> tuple[list, list[str], int]:
    """The lines CTC can align (at least one frame per character and per repeated pair); the count left out."""
    kept = [
        (image, text)
        for image, text in zip(images, texts, strict=True)
        if image.shape[1] // frame_width >= len(text) + sum(a == b for a, b in itertools.pairwise(text)) and text
    ]
    return [image for image, _ in kept], [text for _, text in kept], len(images) - len(kept)


def train(args: argparse.Namespace) -> tuple[dict, Path]:
    """Run the recipe; return the test and validation metrics and the run's folder."""
    # [lab 6]
    from training.handwriting_data import load_prepared, save_prepared

    if args.prepare_only is not None:
        prepared = prepare(args)
        save_prepared(prepared, args.prepare_only)
        print(f"{prepared.summary}\nPrepared {prepared.counts} training lines into {args.prepare_only}")
        return {}, args.prepare_only.parent
    if args.prepared is not None:
        return fit(args, load_prepared(args.prepared, args.height))
    # [end lab 6]
    return fit(args, prepare(args))


def fit(args: argparse.Namespace, prepared: PreparedLines) -> tuple[dict, Path]:
    """Steps 3-5 of the recipe on prepared lines."""
    import keras
    import tensorflow as tf

    from text_recognizer import paths
    from text_recognizer.data.line_augmentation import augment_line
    from text_recognizer.data.line_batches import batch_count, bucketed_lines
    from text_recognizer.model_files import read_config as read_model_config
    from text_recognizer.models.handwriting_model import HandwritingModel, encode
    from text_recognizer.models.line_model import CharacterErrorRateCallback
    from training.sample_predictions import save_sample_predictions

    keras.utils.set_random_seed(args.seed)
    started = time.perf_counter()
    print(prepared.summary)
    mapping = prepared.mapping
    model = HandwritingModel(
        NETWORK,
        (args.height, None),
        mapping,
        {"filters": args.filters, "lstm_units": args.lstm_units, "frames_per_step": args.frames_per_step},
    )
    print(f"Codec: {len(mapping) - 1} characters and the blank; {model.network.count_params():,} parameters")
    lineage: dict[str, dict] = {}  # how the weights it starts from were made
    if args.init_from is not None:
        model.start_from(args.init_from)
        earlier = read_model_config(args.init_from)
        kept = ("recipe", "metrics", "sha256", "started_from")  # sha256: which weights (the folder may be overwritten)
        lineage = {"started_from": {key: earlier[key] for key in kept if key in earlier}}
        print(f"Starting from the weights of {args.init_from}")
    images, texts, left_out = trainable(*prepared.split("train"), model.frame_width)
    sources = ", ".join(f"{count} {name}" for name, count in prepared.counts.items())
    print(f"Training on {sources} lines ({left_out} too narrow for CTC to align left out)")
    labels = [encode(text, mapping) for text in texts]
    train = bucketed_lines(images, labels, args.batch_size, shuffle=True, seed=args.seed, augment=augment_line)
    steps_per_epoch = batch_count([image.shape[1] for image in images], args.batch_size)
    model.compile(args.learning_rate, total_steps=steps_per_epoch * args.epochs)

    run_dir = RUNS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{TASK}"
    run_dir.mkdir(parents=True, exist_ok=True)
    params = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    (run_dir / "args.json").write_text(json.dumps(params, indent=2) + "\n")
    validation_images, validation_texts = prepared.split("validation")
    tracker = tracking.start_run(
        TASK, run_dir, params, prepared.fingerprint, SOURCE, mlflow=not args.no_mlflow, wandb=args.wandb
    )
    callbacks = [
        CharacterErrorRateCallback(model, validation_images, validation_texts),
        keras.callbacks.ModelCheckpoint(
            run_dir / "best.weights.h5", monitor="val_cer", mode="min", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.EarlyStopping(monitor="val_cer", mode="min", patience=args.patience, restore_best_weights=True),
        keras.callbacks.CSVLogger(run_dir / "history.csv"),
        tracking.EpochMetricsCallback(tracker),
    ]
    history = model.fit(train, epochs=args.epochs, callbacks=callbacks, verbose=1 if sys.stdout.isatty() else 2)
    training_seconds = time.perf_counter() - started

    test_images, test_texts = prepared.split("test")
    metrics = {
        **{f"test_{k}": v for k, v in model.text_metrics(test_images, test_texts).items()},
        **{f"validation_{k}": v for k, v in model.text_metrics(validation_images, validation_texts).items()},
        "training_seconds": round(training_seconds, 1),
        "epochs_run": len(history.history["loss"]),
        "best_epoch": int(tf.argmin(history.history["val_cer"]).numpy()) + 1,
    }
    write_run(run_dir, history.history, metrics, "handwriting")
    extra_config = {
        "task": TASK,
        "dataset": "HandwritingLines",
        "preprocessing": "line",
        "data_source": SOURCE,
        "metrics": metrics,
        "recipe": params,
        **lineage,
    }
    model.save(run_dir / "model", extra_config=extra_config)
    save_sample_predictions(model, prepared, run_dir / "sample_predictions.png")
    files = [run_dir / name for name in ("args.json", "history.csv", "learning_curves.png", "sample_predictions.png")]
    tracking.finish_run(tracker, metrics, files, run_dir / "model")
    if args.save:
        destination = model.save(paths.ARTIFACTS_DIR / TASK, extra_config=extra_config)
        print(f"Saved weights, ONNX and config to {destination}")
    # [lab 6]
    if args.model_dir is not None:
        print(f"Saved the model to {model.save(args.model_dir, extra_config=extra_config)}")
    # [end lab 6]
    return metrics, run_dir


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
