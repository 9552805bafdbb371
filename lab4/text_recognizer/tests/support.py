"""Helpers that tests use to write tiny raw files in the real formats."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed if the name ends in .gz)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def toy_images(labels: np.ndarray, size: int = 28, seed: int = 0) -> np.ndarray:
    """Images whose bright square's position encodes the label: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 30, size=(len(labels), size, size), dtype=np.uint8)
    for image, label in zip(images, labels, strict=True):
        row, col = divmod(int(label) % 16, 4)
        image[row * 6 + 2 : row * 6 + 7, col * 6 + 2 : col * 6 + 7] = 255
    return images


def modules_inference_must_not_import(code: str) -> list[str]:
    """Run `code` in a fresh interpreter in this copy of the code; return the data, training, TensorFlow
    and Keras modules it imported (inference must import none)."""
    probe = (
        code
        + "\nimport json, sys\nbanned = ('text_recognizer.data', 'training', 'tensorflow', 'keras')\n"
        + "print(json.dumps([m for m in sys.modules if m.split('.')[0] in banned or m.startswith(banned)]))\n"
    )
    package_parent = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=package_parent
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
