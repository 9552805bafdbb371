"""The base model: owns a Keras network, fits it on tf.data pipelines, evaluates, saves and loads it."""

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from text_recognizer import networks
from text_recognizer.model_files import (
    CONFIG_FILENAME,
    ONNX_FILENAME,
    WEIGHTS_FILENAME,
    read_config,
    sha256,
    verified_path,
)


class BaseModel:
    """A network with the loss, metrics and pre/post-processing of one kind of task.

    The network is built from its name and arguments so that a saved model can be rebuilt from its
    config alone, with no dataset. `selection_metric` names the validation metric (and whether lower or
    higher is better) that picks a run's best epoch and compares runs.
    """

    selection_metric: tuple[str, str] = ("val_loss", "min")

    def __init__(
        self,
        network: str,
        input_shape: Sequence[int],
        mapping: Sequence[str],
        network_args: dict[str, Any] | None = None,
    ) -> None:
        self.network_name = network
        self.network_args = dict(network_args or {})
        self.input_shape = tuple(input_shape)
        self.mapping = tuple(mapping)
        self.network = self._build_network()

    def _build_network(self, weights_from: keras.Model | None = None) -> keras.Model:
        network = networks.get(self.network_name)(self.input_shape, self.output_shape(), **self.network_args)
        if weights_from is not None:
            network.set_weights(weights_from.get_weights())
        return network

    def start_from(self, directory: Path) -> None:
        """Take the weights of a model saved in `directory` (to train it further): same network, same codec."""
        saved = type(self).load(directory)
        if (saved.network_name, saved.mapping) != (self.network_name, self.mapping):
            raise ValueError(
                f"{directory} holds a {saved.network_name} with a {len(saved.mapping)}-class codec, not this "
                f"{self.network_name} with its {len(self.mapping)} classes: train from scratch instead"
            )
        self.network.set_weights(saved.network.get_weights())  # raises if the layers' shapes differ

    def output_shape(self) -> tuple[int, ...]:
        """What the network outputs per image: one probability per class by default."""
        return (len(self.mapping),)

    def loss(self) -> keras.losses.Loss:
        raise NotImplementedError

    def metrics(self) -> list:
        return []

    def callbacks(self, data) -> list:
        """Extra Keras callbacks for training on `data` (a data module)."""
        return []

    def evaluation_metrics(self, data, split: str) -> dict[str, float]:
        """Metrics beyond Keras's own on one split of `data`."""
        return {}

    def compile(self, learning_rate: float = 1e-3, total_steps: int | None = None, weight_decay: float = 1e-4) -> None:
        """AdamW; with `total_steps`, a short linear warm-up then cosine decay to zero."""
        schedule: float | keras.optimizers.schedules.LearningRateSchedule = learning_rate
        if total_steps:
            warmup = max(1, total_steps // 20)
            schedule = keras.optimizers.schedules.CosineDecay(
                0.0, total_steps - warmup, warmup_target=learning_rate, warmup_steps=warmup
            )
        optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)
        self.network.compile(optimizer=optimizer, loss=self.loss(), metrics=self.metrics())

    def fit(
        self,
        train_dataset,
        validation_dataset=None,
        epochs: int = 10,
        callbacks: list | None = None,
        verbose: int | str = "auto",
    ) -> keras.callbacks.History:
        """Train on batched (uint8 images, labels) datasets."""
        return self.network.fit(
            train_dataset,
            validation_data=validation_dataset,
            epochs=epochs,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,  # the tf.data pipeline shuffles
        )

    def evaluate(self, dataset) -> dict[str, float]:
        """Loss and metrics on a batched dataset."""
        return {k: float(v) for k, v in self.network.evaluate(dataset, verbose=0, return_dict=True).items()}

    def predict_batch(self, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities for a batch of preprocessed uint8 images."""
        return self.network.predict(images, batch_size=batch_size, verbose=0)

    def config(self) -> dict[str, Any]:
        return {
            "model": type(self).__name__,
            "network": self.network_name,
            "network_args": self.network_args,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape()),
            "mapping": list(self.mapping),
        }

    def save(self, directory: Path, extra_config: dict[str, Any] | None = None) -> Path:
        """Write weights, an ONNX export and a config with both files' sha256 into `directory`.

        Files are written to a temporary folder first and moved in only when all three exist, so a
        failed export never leaves a mismatched set.
        """
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            # A fresh, uncompiled copy: its weights file holds no optimizer state (a third of the size).
            self._build_network(weights_from=self.network).save_weights(staging / WEIGHTS_FILENAME)
            self.export_onnx(staging / ONNX_FILENAME)
            config = {**self.config(), **(extra_config or {})}
            config["sha256"] = {name: sha256(staging / name) for name in (WEIGHTS_FILENAME, ONNX_FILENAME)}
            (staging / CONFIG_FILENAME).write_text(json.dumps(config, indent=2) + "\n")
            directory.mkdir(exist_ok=True)
            for name in (WEIGHTS_FILENAME, ONNX_FILENAME, CONFIG_FILENAME):
                os.replace(staging / name, directory / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory

    def export_onnx(self, path: Path) -> None:
        """Export the inference graph (uint8 images in, probabilities out) to ONNX."""
        self.network(np.zeros((1, *self.input_shape), dtype=np.uint8))
        self.network.export(str(path), format="onnx", verbose=False)

    @classmethod
    def load(cls, directory: Path) -> "BaseModel":
        """Rebuild a saved model from its config and checksum-verified weights."""
        config = read_config(directory)
        model = cls(config["network"], config["input_shape"], config["mapping"], config["network_args"])
        model.network.load_weights(verified_path(directory, WEIGHTS_FILENAME, config))
        return model
