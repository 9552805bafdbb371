"""Single-character datasets whose images are framed by the predictor's own stem.

A character predictor re-frames every input (polarity, crop to the ink, square, resize) before the
model sees it. Published EMNIST and MNIST images were framed by their authors' recipes, which the stem
copies closely but not exactly: a model trained on them loses accuracy on the very same images once
the predictor has re-framed them (EMNIST: 0.869 -> 0.851). So the model trains and is measured on
images passed through the stem, and what it sees at inference is what it saw in training. The framed
splits are cached beside the published ones; `raw=True` gives the published images (EMNIST Lines draws
those).
"""

import logging
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from text_recognizer import stems
from text_recognizer.data import cache
from text_recognizer.data.base_data_module import SPLITS, BaseDataModule

logger = logging.getLogger(__name__)


class CharacterDataModule(BaseDataModule):
    """A `BaseDataModule` of single characters whose `preprocessing` names a stem in `stems.PREPROCESSORS`."""

    def __init__(self, subsample_fraction: float | None = None, seed: int = 0, raw: bool = False) -> None:
        super().__init__(subsample_fraction=subsample_fraction, seed=seed)
        self.raw = raw

    def prepare_data(self) -> Path:
        published = super().prepare_data()
        if self.raw:
            return published
        framed = published.with_name(f"{published.stem}_framed.h5")
        fingerprint = {"published": self.fingerprint, "stem": self.preprocessing, "stems_version": stems.VERSION}
        if not cache.is_fresh(framed, fingerprint):
            logger.info("Framing %s with the %r stem into %s", self.name, self.preprocessing, framed)
            cache.write(framed, frame_splits(cache.read(published), self.preprocessing, self.input_shape), fingerprint)
        return framed


def frame_splits(arrays: dict[str, np.ndarray], stem: str, size: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The split arrays with every image passed through `stems.PREPROCESSORS[stem]`; labels unchanged."""
    if len(size) != 2:
        raise ValueError(f"size {size}: the character stems frame 2-D images, so give (height, width)")
    frame = stems.PREPROCESSORS[stem]
    framed = dict(arrays)
    for split in SPLITS:
        images = framed[f"x_{split}"] = arrays[f"x_{split}"].copy()
        blank = 0
        for i, image in enumerate(tqdm(images, desc=f"framing {split}", leave=False, mininterval=1.0)):
            try:
                images[i] = frame(image, size)
            except stems.ImageError:  # no ink: the stem has nothing to frame, the image stays as published
                blank += 1
        if blank:
            logger.warning("%d blank %s images kept as published", blank, split)
    return framed
