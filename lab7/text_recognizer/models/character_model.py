"""Classify one character image into one of the dataset's classes."""

import keras

from text_recognizer.models.base import BaseModel


class CharacterModel(BaseModel):
    """Softmax classifier trained with sparse categorical cross-entropy; reports accuracy."""

    selection_metric = ("val_accuracy", "max")

    def loss(self) -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self) -> list:
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
