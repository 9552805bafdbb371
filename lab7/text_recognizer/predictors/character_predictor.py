"""Read single handwritten characters (EMNIST ByClass model) and digits (MNIST model)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from text_recognizer.predictors.image_io import ImageInput, load_greyscale
from text_recognizer.predictors.inference import InferenceModel, artifact_dir
from text_recognizer.stems import PREPROCESSORS

BATCH_SIZE = 1024


class CharacterPredictor:
    """`predict(image) -> (character, confidence)` for an image of any size, shape and polarity."""

    task = "character"

    def __init__(self, model_dir: Path | None = None, backend: str | None = None) -> None:
        self.model = InferenceModel(model_dir or artifact_dir(self.task), backend)
        self.mapping = self.model.config["mapping"]
        self.input_shape = tuple(self.model.config["input_shape"])
        self._preprocess = PREPROCESSORS[self.model.config["preprocessing"]]

    def preprocess(self, image: ImageInput) -> np.ndarray:
        """The model's 28x28 uint8 input for one image."""
        return self._preprocess(load_greyscale(image), self.input_shape)

    def predict(self, image: ImageInput) -> tuple[str, float]:
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[ImageInput]) -> list[tuple[str, float]]:
        """Predictions for many images, run through the model in batches."""
        if not len(images):
            return []
        return self.predict_preprocessed(np.stack([self.preprocess(image) for image in images]))

    def predict_preprocessed(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Predictions for images already shaped like the training data: (N, 28, 28) uint8 or a list of them."""
        inputs = np.asarray(inputs)
        results = []
        for start in range(0, len(inputs), BATCH_SIZE):
            probabilities = self.model(inputs[start : start + BATCH_SIZE])
            best = probabilities.argmax(axis=1)
            results += [(self.mapping[i], float(p[i])) for i, p in zip(best, probabilities, strict=True)]
        return results


class DigitPredictor(CharacterPredictor):
    """The same for single digits, with the MNIST model (reads light-on-dark and dark-on-light)."""

    task = "digit"
