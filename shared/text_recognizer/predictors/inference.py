"""Run a committed model: ONNX Runtime when available, the Keras network as a fallback.

A model folder holds `config.json` (network, mapping, preprocessing, sha256 of each file), `model.onnx`
and `model.weights.h5`. Each file is checked against its recorded sha256 before it is used.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from text_recognizer import paths

CONFIG_FILENAME = "config.json"
ONNX_FILENAME = "model.onnx"
WEIGHTS_FILENAME = "model.weights.h5"


class ModelFilesError(RuntimeError):
    """A model folder is missing, incomplete or does not match its recorded checksums."""


def artifact_dir(task: str) -> Path:
    return paths.ARTIFACTS_DIR / task


def read_config(directory: Path) -> dict[str, Any]:
    path = Path(directory) / CONFIG_FILENAME
    if not path.is_file():
        raise ModelFilesError(
            f"{path} is missing: no trained model here. Train one with "
            "`python -m training.run_experiment --save <config>` or restore the committed files with git."
        )
    return json.loads(path.read_text())


def verify(directory: Path, filename: str, config: dict[str, Any]) -> Path:
    """Return the path of a model file after checking its sha256 against config.json."""
    path = Path(directory) / filename
    if not path.is_file():
        raise ModelFilesError(f"{path} is missing; restore it with git or retrain the model.")
    expected = config.get("sha256", {}).get(filename)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected != actual:
        raise ModelFilesError(
            f"{path} has sha256 {actual} but config.json records {expected}: the file is corrupt or from "
            "another training run. Restore it with `git checkout -- <path>` or retrain with --save."
        )
    return path


class InferenceModel:
    """Probabilities for a batch of preprocessed uint8 images, from ONNX Runtime or Keras."""

    def __init__(self, directory: Path, backend: str | None = None) -> None:
        self.directory = Path(directory)
        self.config = read_config(self.directory)
        self.backend = backend or os.environ.get("TEXT_RECOGNIZER_BACKEND") or _default_backend()
        if self.backend == "onnxruntime":
            self._run = self._onnx_runner()
        elif self.backend == "keras":
            self._run = self._keras_runner()
        else:
            raise ValueError(f"unknown backend {self.backend!r}; use 'onnxruntime' or 'keras'")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self._run(np.ascontiguousarray(images, dtype=np.uint8))

    def _onnx_runner(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(verify(self.directory, ONNX_FILENAME, self.config)), options, providers=["CPUExecutionProvider"]
        )
        input_name = session.get_inputs()[0].name
        return lambda images: session.run(None, {input_name: images})[0]

    def _keras_runner(self):
        from text_recognizer import networks

        config = self.config
        network = networks.get(config["network"])(
            tuple(config["input_shape"]), (len(config["mapping"]),), **config["network_args"]
        )
        network.load_weights(verify(self.directory, WEIGHTS_FILENAME, config))
        return lambda images: np.asarray(network(images, training=False))


def _default_backend() -> str:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "keras"
    return "onnxruntime"
