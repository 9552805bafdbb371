"""MNIST handwritten digits (LeCun, Cortes, Burges): 60,000 train and 10,000 test images.

Validation is a stratified ~5,000 (4,994) of the official train split; test is the official test split.
`invert_probability` inverts that share of training images on the fly (different ones every epoch),
so that a model reads dark-on-light digits as well as MNIST's light-on-dark ones.
"""

import numpy as np

from text_recognizer.data import download
from text_recognizer.data.base_data_module import main
from text_recognizer.data.cache import fingerprint_files
from text_recognizer.data.character_data_module import CharacterDataModule
from text_recognizer.data.idx import read_idx_images_and_labels
from text_recognizer.data.splits import stratified_split
from text_recognizer.metadata import mnist as metadata

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SPLIT_SEED = 20191105
VALIDATION_SIZE = 5000
PROCESSING_VERSION = 1
MAX_SHIFT = 2


class MnistDataset(CharacterDataModule):
    """MNIST digits, 28x28 uint8, light ink on dark background, framed by the digit stem unless `raw=True`."""

    name = "mnist"
    task = "digit"
    mapping = metadata.MAPPING
    input_shape = metadata.INPUT_SHAPE
    preprocessing = "mnist"

    def __init__(
        self,
        subsample_fraction: float | None = None,
        seed: int = 0,
        invert_probability: float = 0.0,
        max_shift: int = MAX_SHIFT,
        raw: bool = False,
    ) -> None:
        super().__init__(subsample_fraction=subsample_fraction, seed=seed, raw=raw)
        self.invert_probability = invert_probability
        self.max_shift = max_shift

    def _files(self) -> list:
        return [download.fetch(self.name, filename) for split in ("train", "test") for filename in FILES[split]]

    def _fingerprint(self) -> dict:
        files = self._files()
        return {
            "inputs": fingerprint_files(files),
            "version": PROCESSING_VERSION,
            "seed": SPLIT_SEED,
            "note": "official MNIST; validation carved from the train split",
        }

    def _build_arrays(self) -> dict[str, np.ndarray]:
        train_images, train_labels, test_images, test_labels = self._files()
        x_train, y_train = read_idx_images_and_labels(train_images, train_labels, metadata.NUM_CLASSES)
        x_test, y_test = read_idx_images_and_labels(test_images, test_labels, metadata.NUM_CLASSES)
        fraction = VALIDATION_SIZE / len(y_train)
        train, validation = stratified_split(y_train, (1 - fraction, fraction), SPLIT_SEED)
        return {
            "x_train": x_train[train],
            "y_train": y_train[train],
            "x_validation": x_train[validation],
            "y_validation": y_train[validation],
            "x_test": x_test,
            "y_test": y_test,
        }

    def augment_batch(self, images, labels):
        """Per-image random shifts of up to `max_shift` pixels and random inversion, on uint8 batches."""
        import tensorflow as tf

        if self.max_shift:
            images = random_shift(images, self.max_shift)
        if self.invert_probability:
            flip = tf.random.uniform([tf.shape(images)[0], 1, 1]) < self.invert_probability
            images = tf.where(flip, 255 - images, images)
        return images, labels


def random_shift(images, max_shift: int):
    """Shift each image of a (batch, height, width) tensor by its own random offset, filling with 0."""
    import tensorflow as tf

    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [max_shift, max_shift], [max_shift, max_shift]])
    offsets = tf.random.uniform([batch, 2], 0, 2 * max_shift + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(height)[None, :]
    cols = offsets[:, 1:] + tf.range(width)[None, :]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


if __name__ == "__main__":
    main(MnistDataset)
