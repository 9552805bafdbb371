"""Train the line detector (Lab 5): the one command that reproduces the committed model.

    python -m training.train_line_detector --save                  # the committed model (make train-line-detector)
    python -m training.train_line_detector --subsample 0.1 --epochs 2 --steps 5   # a quick look

The recipe:
1. Copiste d'un jour pages at the detector's scale (`LineDetectionPages`: longer side 512), split by the
   writers of the Lab 4 line data; targets are the lines' bodies (`line_targets`). Synthetic paragraphs
   (2 to 30 lines of any size, `synthetic_paragraphs`) are added to the training pages.
2. Each step takes random 256 x 256 crops of training pages, scaled, rotated, tilted in perspective and
   relit as a phone photo would (`page_augmentation`): crops are four times cheaper than pages, and a
   fully convolutional network reads whole pages all the same.
3. AdamW with warm-up and cosine decay; after each epoch the loss and line-body IoU on the whole
   validation pages; the best epoch's weights are kept.
4. How far lines reach beyond their bodies (measured on the training lines' targets) is calibrated on
   the bands the network actually draws, which are thicker than the targets (`calibrated_settings`); the
   predictor needs it to cut lines out. Then the line-finding precision and recall on the validation
   pages, with the predictor's post-processing; both are saved with the model.

Each run writes its history and learning curves to `training/runs/<time>-line_detector/`;
`--save` also writes the model to `text_recognizer/artifacts/line_detector/`.
"""

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from training import tracking
from training.history import write_run

RUNS_DIR = Path(__file__).resolve().parent / "runs"
CALIBRATION_PAGES = 60
TASK = "line_detector"
NETWORK = "line_detector_fcn"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=512, help="pages' longer side at the detector's scale")
    parser.add_argument("--crop", type=int, default=256, help="side of the training crops")
    parser.add_argument("--epochs", type=int, default=36)
    parser.add_argument("--steps", type=int, default=50, help="batches per epoch")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--synthetic-pages", type=int, default=300, help="synthetic paragraphs added to training")
    parser.add_argument(
        "--iam", action="store_true", help="add the IAM forms (needs IAM, see text_recognizer.data.iam)"
    )
    parser.add_argument("--subsample", type=float, default=None, help="fraction of train/validation pages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", action="store_true", help="save the model where the predictor looks for it")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline by default)")
    parser.add_argument(
        "--calibrate", action="store_true", help="only calibrate the saved model's post-processing again (no training)"
    )
    return parser.parse_args(argv)


def train(args: argparse.Namespace) -> tuple[dict, Path]:
    """Run the recipe; return the validation metrics and the run's folder."""
    import keras
    import numpy as np
    import tensorflow as tf

    from text_recognizer import paths
    from text_recognizer.data.line_detection_pages import LineDetectionPages
    from text_recognizer.data.line_targets import CLASSES
    from text_recognizer.data.page_augmentation import page_crops
    from text_recognizer.models.line_detector_model import LineDetectorModel

    keras.utils.set_random_seed(args.seed)
    started = time.perf_counter()
    data = LineDetectionPages(
        side=args.side,
        subsample_fraction=args.subsample,
        seed=args.seed,
        synthetic_pages=args.synthetic_pages,
        iam=args.iam,
    )
    data.setup()
    print(data.summary())
    model = LineDetectorModel(NETWORK, (None, None), CLASSES, {"filters": args.filters})
    print(f"{model.network.count_params():,} parameters")
    train_images, train_targets = data.split("train")
    synthetic_images, synthetic_targets = data.synthetic
    train = page_crops(
        train_images + synthetic_images, train_targets + synthetic_targets, args.crop, args.batch_size, args.seed
    )
    validation_images, validation_targets = data.split("validation")
    validation = tf.data.Dataset.from_generator(
        lambda: ((x[None], y[None]) for x, y in zip(validation_images, validation_targets, strict=True)),
        output_signature=(tf.TensorSpec((1, None, None), tf.uint8), tf.TensorSpec((1, None, None), tf.uint8)),
    ).cache()
    model.compile(args.learning_rate, total_steps=args.steps * args.epochs)

    run_dir = RUNS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{TASK}"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "args.json").write_text(json.dumps(vars(args), indent=2) + "\n")
    source = "Copiste d'un jour (CC BY 4.0), pages split by writer as the Lab 4 lines"
    tracker = tracking.start_run(
        TASK, run_dir, vars(args), data.fingerprint, source, mlflow=not args.no_mlflow, wandb=args.wandb
    )
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            run_dir / "best.weights.h5", monitor="val_loss", mode="min", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.CSVLogger(run_dir / "history.csv"),
        tracking.EpochMetricsCallback(tracker),
    ]
    history = model.network.fit(
        train,
        validation_data=validation,
        epochs=args.epochs,
        steps_per_epoch=args.steps,
        callbacks=callbacks,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    model.network.load_weights(run_dir / "best.weights.h5")
    training_seconds = time.perf_counter() - started

    settings = calibrated_settings(model, data, args.side)
    scores = validation_scores(model, data, settings)
    metrics = {
        **scores,
        "validation_body_iou": round(float(np.max(history.history["val_iou"])), 4),
        "training_seconds": round(training_seconds, 1),
        "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
    }
    write_run(run_dir, history.history, metrics, "line detector")
    extra_config = {
        "task": TASK,
        "dataset": "LineDetectionPages",
        "detector": settings.to_config(),
        "data_source": source,
        "metrics": metrics,
        "recipe": {**vars(args), "command": "python -m training.train_line_detector --save"},
    }
    model.save(run_dir / "model", extra_config=extra_config)
    files = [run_dir / name for name in ("args.json", "history.csv", "learning_curves.png")]
    tracking.finish_run(tracker, metrics, files, run_dir / "model")
    if args.save:
        destination = model.save(paths.ARTIFACTS_DIR / TASK, extra_config=extra_config)
        print(f"Saved weights, ONNX and config to {destination}")
    return metrics, run_dir


def calibrated_settings(model, data, side: int):
    """The post-processing settings, with the lines' extent calibrated on the model's own bands.

    The extent (how far a line reaches above and below its band, `LineDetectionPages.extent`) is measured
    in the *target* bands' thickness; the network draws its bands somewhat thicker (about 6 pixels for 4.9
    at side 512), which would make every outline that much too tall. The median thickness of the bands it
    draws on `CALIBRATION_PAGES` training pages gives the factor (validation pages stay for validation).
    """
    import numpy as np

    from text_recognizer import line_detection

    images = data.split("train")[0][:CALIBRATION_PAGES]
    thicknesses = []
    for image in images:
        mask = (model.predict_batch(image[None])[0][..., 1] >= line_detection.DetectorSettings.threshold).astype(
            np.uint8
        )
        thicknesses += [line_detection.band_thickness(band) for band in line_detection.components(mask, 0.1)]
    drawn = float(np.median(thicknesses))
    factor = data.extent["thickness"] / drawn
    print(f"bands drawn {drawn:.2f} px thick for {data.extent['thickness']:.2f} in the targets: extent x {factor:.3f}")
    return line_detection.DetectorSettings(
        side=side,
        above=data.extent["above"] * factor,
        below=data.extent["below"] * factor,
        thickness=drawn,
        ink_height=data.extent["ink_height"],
    )


def validation_scores(model, data, settings) -> dict[str, float]:
    """Line-finding precision and recall on the validation pages, with the predictor's post-processing."""
    from text_recognizer.line_detection import find_lines
    from text_recognizer.line_matching import detection_scores

    found, truth = [], []
    images = data.split("validation")[0]
    for image, page in zip(images, data.pages("validation"), strict=True):
        probabilities = model.predict_batch(image[None])[0]
        left, top, right, bottom = page.region or (0, 0, *_page_size(page)[::-1])
        size = (bottom - top, right - left)
        lines = find_lines(probabilities, settings.side / max(size), size, settings)
        found.append([(x0 + left, y0 + top, x1 + left, y1 + top) for x0, y0, x1, y1 in (line.box for line in lines)])
        truth.append([line.box for line in page.lines])
    scores = detection_scores(found, truth)
    return {"validation_line_precision": round(scores.precision, 4), "validation_line_recall": round(scores.recall, 4)}


def calibrate_saved(side: int) -> None:
    """Calibrate the saved model's post-processing again and rewrite its config (weights untouched)."""
    import os

    from text_recognizer import paths
    from text_recognizer.data.line_detection_pages import LineDetectionPages
    from text_recognizer.model_files import CONFIG_FILENAME, read_config
    from text_recognizer.models.line_detector_model import LineDetectorModel

    directory = paths.ARTIFACTS_DIR / TASK
    model = LineDetectorModel.load(directory)
    data = LineDetectionPages(side=side)
    data.setup()
    settings = calibrated_settings(model, data, side)
    config = read_config(directory)
    config["detector"] = settings.to_config()
    config.setdefault("metrics", {}).update(validation_scores(model, data, settings))
    staging = directory / f".{CONFIG_FILENAME}.tmp"
    staging.write_text(json.dumps(config, indent=2) + "\n")
    os.replace(staging, directory / CONFIG_FILENAME)
    print(json.dumps(config["metrics"], indent=2))


def _page_size(page) -> tuple[int, int]:
    """(height, width) of a page image, read from its header."""
    from PIL import Image

    with Image.open(page.page_image) as image:
        return image.height, image.width


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.calibrate:
        calibrate_saved(args.side)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
