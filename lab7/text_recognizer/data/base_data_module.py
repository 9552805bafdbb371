"""What every dataset offers: prepare (fetch + process + cache), setup (load splits), tf.data pipelines."""

import argparse
import logging
from pathlib import Path
from typing import ClassVar

import numpy as np

from text_recognizer import paths
from text_recognizer.data import cache
from text_recognizer.data.splits import stratified_subsample

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")


class BaseDataModule:
    """A dataset of uint8 images and integer labels split into train / validation / test.

    Subclasses implement `_build_arrays()` (raw files -> split arrays) and `_fingerprint()` (what the
    cache depends on). `subsample_fraction` keeps a stratified share of the train and validation
    splits; the test split is always whole so that results stay comparable.
    """

    name: ClassVar[str]
    task: ClassVar[str]
    mapping: ClassVar[tuple[str, ...]]
    input_shape: tuple[int, ...]  # set by the class, or by the instance where it depends on arguments
    preprocessing: ClassVar[str]

    def __init__(self, subsample_fraction: float | None = None, seed: int = 0) -> None:
        self.subsample_fraction = subsample_fraction
        self.seed = seed
        self.arrays: dict[str, np.ndarray] = {}
        self.fingerprint: dict = {}
        self.source_note = ""

    @property
    def num_classes(self) -> int:
        return len(self.mapping)

    @property
    def cache_path(self):
        return paths.PROCESSED_DATA_DIR / self.name / f"{self.name}.h5"

    def prepare_data(self) -> Path:
        """Fetch raw files and write the processed cache unless it is already up to date; return its path."""
        self.fingerprint = self._fingerprint()
        self.source_note = self.fingerprint.get("note", "")
        if not cache.is_fresh(self.cache_path, self.fingerprint):
            logger.info("Processing %s into %s", self.name, self.cache_path)
            cache.write(self.cache_path, self._build_arrays(), self.fingerprint)
        return self.cache_path

    def setup(self) -> None:
        """Load the splits into memory (preparing them first if needed)."""
        arrays = cache.read(self.prepare_data())
        if self.subsample_fraction is not None and self.subsample_fraction < 1:
            for split in ("train", "validation"):
                keep = stratified_subsample(arrays[f"y_{split}"], self.subsample_fraction, self.seed)
                arrays[f"x_{split}"], arrays[f"y_{split}"] = arrays[f"x_{split}"][keep], arrays[f"y_{split}"][keep]
        self.arrays = arrays

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels of one split (after `setup()`)."""
        if not self.arrays:
            raise RuntimeError(f"{type(self).__name__}.setup() must run before reading splits.")
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; choose one of {SPLITS}")
        return self.arrays[f"x_{name}"], self.arrays[f"y_{name}"]

    def tf_dataset(self, split: str, batch_size: int, *, shuffle: bool = False, augment: bool = False):
        """A batched, prefetched `tf.data.Dataset` of (uint8 images, labels)."""
        import tensorflow as tf

        images, labels = self.split(split)
        dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
        if shuffle:
            dataset = dataset.shuffle(len(images), seed=self.seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size)
        if augment:
            dataset = dataset.map(self.augment_batch, num_parallel_calls=tf.data.AUTOTUNE)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def augment_batch(self, images, labels):
        """Training-time augmentation of a uint8 batch; none by default."""
        return images, labels

    def _fingerprint(self) -> dict:
        raise NotImplementedError

    def _build_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def class_counts(self, split: str) -> np.ndarray:
        return np.bincount(self.split(split)[1], minlength=self.num_classes)

    def summary(self) -> str:
        """A readable description of the splits, their sizes and where they come from."""
        lines = [f"{type(self).__name__}: {self.num_classes} classes, input {self.input_shape}, uint8"]
        if self.source_note:
            lines.append(f"Source: {self.source_note}")
        for split in SPLITS:
            images, labels = self.split(split)
            counts = np.bincount(labels, minlength=self.num_classes)
            lines.append(f"  {split:<10} {len(images):>7} images; per class min {counts.min()}, max {counts.max()}")
        if self.subsample_fraction is not None and self.subsample_fraction < 1:
            lines.append(f"  (train and validation subsampled to {self.subsample_fraction:.0%}, stratified)")
        return "\n".join(lines)


def main(data_module_class: type[BaseDataModule]) -> None:
    """Command-line summary: `python -m text_recognizer.data.<module> [--subsample_fraction F]`."""
    parser = argparse.ArgumentParser(description=f"Prepare {data_module_class.__name__} and print a summary.")
    parser.add_argument("--subsample_fraction", type=float, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    data = data_module_class(subsample_fraction=args.subsample_fraction)
    data.setup()
    print(data.summary())


def loaded_split(splits: dict, name: str, owner: object):
    """`splits[name]`, once `name` is known to be a split and `owner.setup()` has filled `splits`."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; choose one of {SPLITS}")
    if not splits:
        raise RuntimeError(f"{type(owner).__name__}.setup() must run before reading splits.")
    return splits[name]
