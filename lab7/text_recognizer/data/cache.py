"""Processed datasets cached as HDF5, stamped with a fingerprint of what produced them."""

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from text_recognizer import atomic_files
from text_recognizer.data.download import file_digest


def fingerprint_files(files: list[Path]) -> list[dict[str, Any]]:
    """Name, size and sha256 of each raw input, so a replaced file invalidates the cache."""
    return [{"name": Path(f).name, "size": Path(f).stat().st_size, "sha256": file_digest(f)} for f in files]


def _canonical(fingerprint: dict[str, Any]) -> str:
    return json.dumps(fingerprint, sort_keys=True)


def is_fresh(path: Path, fingerprint: dict[str, Any]) -> bool:
    """True if `path` exists and was built from exactly `fingerprint`."""
    if not path.exists():
        return False
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("fingerprint") == _canonical(fingerprint)
    except OSError:
        return False


def write(path: Path, arrays: dict[str, np.ndarray], fingerprint: dict[str, Any]) -> None:
    """Write arrays to HDF5 through a temporary file renamed into place."""
    with atomic_files.atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for key, array in arrays.items():
            f.create_dataset(key, data=array, compression="lzf")
        f.attrs["fingerprint"] = _canonical(fingerprint)


def read_fingerprint(path: Path) -> dict[str, Any]:
    """The fingerprint a cache file was built from."""
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["fingerprint"])


def read(path: Path) -> dict[str, np.ndarray]:
    """All arrays of a cache file, loaded into memory."""
    with h5py.File(path, "r") as f:
        return {key: f[key][()] for key in f}
