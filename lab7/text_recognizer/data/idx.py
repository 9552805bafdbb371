"""Reader for the IDX format of MNIST and EMNIST (optionally gzip-compressed)."""

import gzip
from pathlib import Path

import numpy as np

from text_recognizer.data.errors import DataFormatError

_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: Path) -> np.ndarray:
    """Return the array stored in an IDX file, checking its magic number and declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise DataFormatError(f"{path}: cannot be read ({error}). Delete it and fetch it again.") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataFormatError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()}).")
    num_dims = raw[3]
    header_size = 4 + 4 * num_dims
    if num_dims == 0 or len(raw) < header_size:
        raise DataFormatError(f"{path}: IDX header is truncated.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dims))
    dtype = _IDX_DTYPES[raw[2]]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_size != expected:
        raise DataFormatError(
            f"{path}: header declares shape {shape} ({expected} bytes) but holds "
            f"{len(raw) - header_size} bytes. The file is truncated or corrupt: delete it and fetch it again."
        )
    return np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)


def read_idx_images_and_labels(images_path: Path, labels_path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Read a matching pair of image and label files and validate them against each other."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(f"{images_path}: expected uint8 images of rank 3, got {images.dtype} {images.shape}.")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataFormatError(
            f"{labels_path}: expected {len(images)} labels to match {images_path.name}, got shape {labels.shape}."
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataFormatError(
            f"{labels_path}: labels span [{labels.min()}, {labels.max()}], outside the {num_classes} known classes."
        )
    return images, labels.astype(np.uint8)
