"""Read a handwritten line (EMNIST Lines CTC model) from an image of any size and polarity."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from text_recognizer.ctc import greedy_decode
from text_recognizer.line_batching import width_sorted_batches
from text_recognizer.predictors.image_io import ImageInput, load_greyscale
from text_recognizer.predictors.inference import InferenceModel, artifact_dir
from text_recognizer.stems import line_style

BATCH_SIZE = 64
FRAME_WIDTH = 8  # pixels of width per output frame, for models whose config does not record it (Lab 2's)


class LinePredictor:
    """`predict(image) -> (text, confidence)`; confidence is the probability of the greedy best path."""

    task = "line"
    batch_size = BATCH_SIZE  # lines per network run: more is faster, and costs memory in proportion

    def __init__(self, model_dir: Path | None = None, backend: str | None = None) -> None:
        self.model = InferenceModel(model_dir or artifact_dir(self.task), backend)
        self.mapping = tuple(self.model.config["mapping"])
        self.height = self.model.config["input_shape"][0]
        self.blank_index = self.model.config.get("blank_index", self.mapping.index("<B>"))
        self.frame_width = self.model.config.get("frame_width", FRAME_WIDTH)

    def preprocess(self, image: ImageInput) -> np.ndarray:
        return line_style(load_greyscale(image), self.height)

    def predict(self, image: ImageInput) -> tuple[str, float]:
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[ImageInput]) -> list[tuple[str, float]]:
        return self.predict_preprocessed([self.preprocess(image) for image in images])

    def predict_preprocessed(self, lines: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Predictions for preprocessed lines of any widths."""
        return [self.decode(p) for p in self.probabilities(lines)]

    def probabilities(self, lines: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each line's (frames, classes) probabilities, batched by similar width to limit padding."""
        results: list[np.ndarray] = [np.empty(0)] * len(lines)
        for indices, pixels, widths in width_sorted_batches(lines, self.batch_size, self.frame_width):
            batch = self.model(pixels, widths) if self.model.takes_widths else self.model(pixels)
            for row, (index, width) in enumerate(zip(indices, widths, strict=True)):
                results[index] = batch[row, : max(1, int(width) // self.frame_width)]
        return results

    def decode(self, probabilities: np.ndarray) -> tuple[str, float]:
        return greedy_decode(probabilities, self.mapping, self.blank_index)
