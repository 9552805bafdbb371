"""A toy data module and experiment that train in seconds: the training tests' material.

The dataset is importable by its dotted name, so worker processes (sweeps) can load it too; a test points
`TEXT_RECOGNIZER_DATA_DIR` (or `paths.PROCESSED_DATA_DIR`) at a temporary folder for its cache.
"""

import numpy as np

from text_recognizer.data.base_data_module import BaseDataModule
from text_recognizer.tests.support import toy_images


class ToyDataset(BaseDataModule):
    """Sixteen classes of bright squares; cached like a real dataset."""

    name = "toy"
    task = "toy"
    mapping = tuple("0123456789abcdef")
    input_shape = (28, 28)
    preprocessing = "emnist"

    def _fingerprint(self):
        return {"version": 1, "note": "synthetic squares"}

    def _build_arrays(self):
        arrays = {}
        for split, count, seed in (("train", 640, 0), ("validation", 160, 1), ("test", 160, 2)):
            labels = np.arange(count, dtype=np.uint8) % 16
            arrays[f"x_{split}"], arrays[f"y_{split}"] = toy_images(labels, seed=seed), labels
        return arrays


TOY_CONFIG = {
    "dataset": "training.tests.toy_experiment.ToyDataset",
    "model": "CharacterModel",
    "network": "mlp",
    "network_args": {"layer_size": 64, "num_layers": 1},
    "train_args": {"epochs": 3, "batch_size": 32, "learning_rate": 0.01},
}
