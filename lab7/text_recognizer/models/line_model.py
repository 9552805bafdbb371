"""Read a line as a fixed number of character slots, padded with <P>: the model that motivates CTC."""

import keras
import numpy as np

from text_recognizer.metadata import emnist_lines as metadata
from text_recognizer.metrics import character_error_rate, line_accuracy
from text_recognizer.models.base import BaseModel

VALIDATION_LINES_PER_EPOCH = 500


class LineModel(BaseModel):
    """One softmax per character slot, trained with cross-entropy on the padded labels.

    Also the home of what every line model shares: decoding to text, character error rate and exact-line
    accuracy, and a per-epoch validation CER logged as `val_cer`, which selects the best epoch.
    """

    selection_metric = ("val_cer", "min")

    def output_shape(self) -> tuple[int, ...]:
        return (self.input_shape[1] // metadata.CHAR_WIDTH, len(self.mapping))

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self) -> list:
        return [keras.metrics.SparseCategoricalAccuracy(name="slot_accuracy")]

    def decode(self, probabilities: np.ndarray) -> list[str]:
        skip = {metadata.PADDING_INDEX, metadata.BLANK_INDEX}
        return ["".join(self.mapping[i] for i in row if i not in skip) for row in probabilities.argmax(-1)]

    def text_metrics(self, images: np.ndarray, texts: list[str]) -> dict[str, float]:
        predictions = self.decode(self.predict_batch(images, batch_size=256))
        return {"cer": character_error_rate(predictions, texts), "line_accuracy": line_accuracy(predictions, texts)}

    def evaluation_metrics(self, data, split: str) -> dict[str, float]:
        return self.text_metrics(data.split(split)[0], data.texts(split))

    def callbacks(self, data) -> list:
        images = data.split("validation")[0][:VALIDATION_LINES_PER_EPOCH]
        return [CharacterErrorRateCallback(self, images, data.texts("validation")[:VALIDATION_LINES_PER_EPOCH])]


class CharacterErrorRateCallback(keras.callbacks.Callback):
    """Adds `val_cer` to the logs at each epoch's end, from a fixed set of validation lines."""

    def __init__(self, model: LineModel, images: np.ndarray, texts: list[str]) -> None:
        super().__init__()
        self.line_model, self.images, self.texts = model, images, texts

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["val_cer"] = self.line_model.text_metrics(self.images, self.texts)["cer"]
