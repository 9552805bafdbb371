"""Read a handwritten line (EMNIST Lines CTC model) from an image of any size and polarity."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from text_recognizer.ctc import greedy_decode
from text_recognizer.predictors.image_io import ImageInput, load_greyscale
from text_recognizer.predictors.inference import InferenceModel, artifact_dir
from text_recognizer.stems import line_style

BATCH_SIZE = 64
FRAME_WIDTH = 8  # pixels of width per output frame of the CTC network


class LinePredictor:
    """`predict(image) -> (text, confidence)`; confidence is the probability of the decoded best path."""

    task = "line"

    def __init__(self, model_dir: Path | None = None, backend: str | None = None) -> None:
        self.model = InferenceModel(model_dir or artifact_dir(self.task), backend)
        self.mapping = tuple(self.model.config["mapping"])
        self.height = self.model.config["input_shape"][0]
        self.blank_index = self.mapping.index("<B>")

    def preprocess(self, image: ImageInput) -> np.ndarray:
        return line_style(load_greyscale(image), self.height)

    def predict(self, image: ImageInput) -> tuple[str, float]:
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[ImageInput]) -> list[tuple[str, float]]:
        return self.predict_preprocessed([self.preprocess(image) for image in images])

    def predict_preprocessed(self, lines: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Predictions for preprocessed lines of any widths, batched by similar width to limit padding."""
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
        results: list[tuple[str, float]] = [("", 0.0)] * len(lines)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            width = max(lines[i].shape[1] for i in chunk)
            width += -width % FRAME_WIDTH
            batch = np.zeros((len(chunk), self.height, width), dtype=np.uint8)
            for row, i in enumerate(chunk):
                batch[row, :, : lines[i].shape[1]] = lines[i]
            probabilities = self.model(batch)
            for row, i in enumerate(chunk):
                frames = max(1, lines[i].shape[1] // FRAME_WIDTH)
                results[i] = greedy_decode(probabilities[row, :frames], self.mapping, self.blank_index)
        return results
