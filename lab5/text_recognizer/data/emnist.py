"""EMNIST ByClass: 62 classes of handwritten digits and letters (Cohen et al., 2017).

Raw sources, in order of preference:
1. the official `matlab.zip` (holding `matlab/emnist-byclass.mat`), found locally or downloaded;
2. the official binary IDX files, when present locally (train and test, or the test split alone).

With the official train split, validation is a stratified 10% of it and test is the official test.
With the test split alone, train / validation / test are carved from it (80/10/10, stratified, seed
fixed): results measured that way are not comparable with published EMNIST results.
"""

import io
import logging
import zipfile
import zlib
from pathlib import Path

import numpy as np

from text_recognizer.data import download
from text_recognizer.data.base_data_module import main
from text_recognizer.data.cache import fingerprint_files
from text_recognizer.data.character_data_module import CharacterDataModule
from text_recognizer.data.errors import DataFormatError
from text_recognizer.data.idx import read_idx_images_and_labels
from text_recognizer.data.splits import stratified_split
from text_recognizer.metadata import emnist as metadata

logger = logging.getLogger(__name__)

MATLAB_ZIP = "matlab.zip"
MAT_MEMBER = "matlab/emnist-byclass.mat"
IDX_FILES = {
    split: (f"emnist-byclass-{split}-images-idx3-ubyte.gz", f"emnist-byclass-{split}-labels-idx1-ubyte.gz")
    for split in ("train", "test")
}
SPLIT_SEED = 20191105
CARVED_FRACTIONS = (0.8, 0.1, 0.1)
VALIDATION_FRACTION = 0.1
PROCESSING_VERSION = 1
CARVED_NOTE = (
    "only the official EMNIST test split is present: train/validation/test were carved from it "
    "(80/10/10, stratified). Accuracies are not comparable with published EMNIST results."
)


class EmnistDataset(CharacterDataModule):
    """EMNIST ByClass characters, 28x28 uint8, upright (the raw files store them transposed), framed by the
    character stem unless `raw=True`."""

    name = "emnist"
    task = "character"
    mapping = metadata.MAPPING
    input_shape = metadata.INPUT_SHAPE
    preprocessing = "emnist"

    def _sources(self) -> tuple[str, list[Path]]:
        zip_path = download.find_local(self.name, MATLAB_ZIP)
        if zip_path is not None:
            return "matlab", [zip_path]
        idx = {split: self._all_local(files) for split, files in IDX_FILES.items()}
        if idx["test"] is not None:
            if idx["train"] is not None:
                return "idx", idx["train"] + idx["test"]
            return "idx-test-only", idx["test"]
        return "matlab", [download.fetch(self.name, MATLAB_ZIP)]

    def _all_local(self, files: tuple[str, ...]) -> list[Path] | None:
        """The local copies of `files`, or None unless every one of them is here."""
        found = [download.find_local(self.name, f) for f in files]
        present = [path for path in found if path is not None]
        return present if len(present) == len(found) else None

    def _fingerprint(self) -> dict:
        kind, files = self._sources()
        note = CARVED_NOTE if kind == "idx-test-only" else f"official EMNIST ByClass ({kind} files)"
        return {
            "kind": kind,
            "inputs": fingerprint_files(files),
            "version": PROCESSING_VERSION,
            "seed": SPLIT_SEED,
            "note": note,
        }

    def _build_arrays(self) -> dict[str, np.ndarray]:
        kind, files = self._sources()
        if kind == "matlab":
            (x_train, y_train), (x_test, y_test) = read_matlab_zip(files[0])
        elif kind == "idx":
            x_train, y_train = read_idx_images_and_labels(files[0], files[1], metadata.NUM_CLASSES)
            x_test, y_test = read_idx_images_and_labels(files[2], files[3], metadata.NUM_CLASSES)
        else:
            x_all, y_all = read_idx_images_and_labels(files[0], files[1], metadata.NUM_CLASSES)
            train, validation, test = stratified_split(y_all, CARVED_FRACTIONS, SPLIT_SEED)
            x_all = upright(x_all)
            return _named_splits(x_all, y_all, train, validation, test)
        train, validation = stratified_split(y_train, (1 - VALIDATION_FRACTION, VALIDATION_FRACTION), SPLIT_SEED)
        x_train = upright(x_train)
        arrays = _named_splits(x_train, y_train, train, validation, np.array([], dtype=int))
        arrays["x_test"], arrays["y_test"] = upright(x_test), y_test
        return arrays

    def setup(self) -> None:
        super().setup()
        if self.source_note == CARVED_NOTE:
            logger.warning("EMNIST: %s", CARVED_NOTE)


def upright(images: np.ndarray) -> np.ndarray:
    """EMNIST files store each image transposed; return them the right way up."""
    return np.ascontiguousarray(images.swapaxes(1, 2))


def _named_splits(x, y, train, validation, test) -> dict[str, np.ndarray]:
    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_validation": x[validation],
        "y_validation": y[validation],
        "x_test": x[test],
        "y_test": y[test],
    }


def read_matlab_zip(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, test) images (as stored, transposed) and labels from the official matlab.zip."""
    from scipy.io import loadmat

    try:
        with zipfile.ZipFile(path) as archive, archive.open(MAT_MEMBER) as member:
            dataset = loadmat(io.BytesIO(member.read()))["dataset"]
        result = []
        for split in ("train", "test"):
            images = dataset[split][0, 0]["images"][0, 0].reshape(-1, 28, 28).astype(np.uint8)
            labels = dataset[split][0, 0]["labels"][0, 0].reshape(-1).astype(np.uint8)
            if len(images) != len(labels) or labels.max(initial=0) >= metadata.NUM_CLASSES:
                raise ValueError(f"the {split} split has inconsistent images and labels")
            result.append((images, labels))
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError, zlib.error) as error:
        raise DataFormatError(
            f"{path}: not the official EMNIST matlab.zip with {MAT_MEMBER} ({error}). Delete it and fetch it again."
        ) from error
    return result[0], result[1]


if __name__ == "__main__":
    main(EmnistDataset)
