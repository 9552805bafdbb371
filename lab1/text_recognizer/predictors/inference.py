"""Run a committed model: ONNX Runtime when available, the Keras network as a fallback.

Each model file is checked against the sha256 recorded in its config.json before it is used.
"""

import os
from pathlib import Path

import numpy as np

from text_recognizer import paths
from text_recognizer.model_files import (
    ONNX_FILENAME,
    WEIGHTS_FILENAME,
    read_config,
    verified_path,
)


def artifact_dir(task: str) -> Path:
    return paths.ARTIFACTS_DIR / task


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

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.config["input_shape"])

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Probabilities for uint8 images of shape (N, *input_shape)."""
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.shape[1:] != self.input_shape:
            raise ValueError(
                f"expected uint8 images of shape (N, {', '.join(map(str, self.input_shape))}), "
                f"got {images.dtype} {images.shape}: preprocess them first"
            )
        return self._run(np.ascontiguousarray(images))

    def _onnx_runner(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(verified_path(self.directory, ONNX_FILENAME, self.config)), options, providers=["CPUExecutionProvider"]
        )
        input_name = session.get_inputs()[0].name
        return lambda images: session.run(None, {input_name: images})[0]

    def _keras_runner(self):
        from text_recognizer import networks

        config = self.config
        network = networks.get(config["network"])(
            tuple(config["input_shape"]), (len(config["mapping"]),), **config["network_args"]
        )
        network.load_weights(verified_path(self.directory, WEIGHTS_FILENAME, config))
        return lambda images: np.asarray(network(images, training=False))


def _default_backend() -> str:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "keras"
    return "onnxruntime"
