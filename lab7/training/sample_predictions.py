"""A picture of what a trained model reads: validation images with their true and predicted text."""

from pathlib import Path

import numpy as np


def sample_readings(model, data, split: str = "validation", count: int = 8, seed: int = 0):
    """`count` random images of `split`, their true labels and the model's readings.

    Line models show text (variable-width lines too); character models show the predicted class.
    """
    images, labels = data.split(split)
    chosen = sorted(np.random.default_rng(seed).choice(len(images), size=min(count, len(images)), replace=False))
    picked = [images[i] for i in chosen]
    if hasattr(model, "probabilities"):  # lines of any width, as lists
        truths = [labels[i] for i in chosen]
        predictions = model.decode(model.probabilities(picked))
    elif hasattr(model, "decode"):
        truths = [data.texts(split)[i] for i in chosen]
        predictions = model.decode(model.predict_batch(np.stack(picked), batch_size=len(picked)))
    else:
        truths = [model.mapping[int(labels[i])] for i in chosen]
        probabilities = model.predict_batch(np.stack(picked), batch_size=len(picked))
        predictions = [model.mapping[int(i)] for i in probabilities.argmax(-1)]
    return picked, truths, predictions


def sample_predictions_figure(images, truths, predictions):
    """One panel per image, titled with the truth and the reading (green when they match)."""
    from matplotlib.figure import Figure  # off-screen: notebooks keep their backend

    lines = images[0].shape[1] > 2 * images[0].shape[0]
    rows, columns = (len(images), 1) if lines else (2, (len(images) + 1) // 2)
    figure = Figure(figsize=(10, 1.1 * rows) if lines else (1.6 * columns, 4))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, image, truth, prediction in zip(axes, images, truths, predictions, strict=False):
        axis.imshow(image, cmap="gray")
        colour = "green" if truth == prediction else "red"
        axis.set_title(f"true: {truth}\npredicted: {prediction}", fontsize=8, loc="left", color=colour)
        axis.axis("off")
    for axis in axes[len(images) :]:
        axis.axis("off")
    figure.tight_layout()
    return figure


def save_sample_predictions(model, data, path: Path) -> Path:
    sample_predictions_figure(*sample_readings(model, data)).savefig(path, dpi=80)
    return path
