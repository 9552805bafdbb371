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

    def __call__(self, images: np.ndarray, widths: np.ndarray | None = None) -> np.ndarray:
        """Probabilities for a batch of uint8 images shaped as the model takes them.

        Models of variable-width lines also take each image's width (the rest is padding they mask).
        """
        images = np.asarray(images)
        accepted = len(images.shape) == len(self.input_shape) + 1 and all(
            expected is None or expected == actual
            for expected, actual in zip(self.input_shape, images.shape[1:], strict=False)
        )
        if images.dtype != np.uint8 or not accepted:
            expected = ", ".join("any" if d is None else str(d) for d in self.input_shape)
            raise ValueError(
                f"expected uint8 images of shape (N, {expected}), got {images.dtype} {images.shape}: "
                "preprocess them first"
            )
        if self.takes_widths != (widths is not None):
            raise ValueError("this model takes the images' widths too" if self.takes_widths else "no widths here")
        inputs = [np.ascontiguousarray(images)]
        if widths is not None:
            inputs.append(np.asarray(widths, dtype=np.int32))
        return self._run(inputs)

    def _onnx_runner(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Threads per inference: TEXT_RECOGNIZER_THREADS, by default 0 (ONNX Runtime's choice: one per core).
        options.intra_op_num_threads = int(os.environ.get("TEXT_RECOGNIZER_THREADS", "0"))
        run_options = None
        # [lab 2]
        if None in self.config["input_shape"]:
            # Inputs of changing sizes (lines of any width): ONNX Runtime's memory arena would keep the
            # largest buffers of every size it met, and grow with each new one. It is emptied after each
            # run instead, into blocks mapped apart, so that a server's memory goes back to what one request
            # needs; a run still reuses its own buffers (batched lines/s are 1.6x those without an arena).
            from text_recognizer.predictors.memory import map_large_blocks

            map_large_blocks()
            options.enable_mem_pattern = False  # its allocation plans are per input size too
            run_options = ort.RunOptions()
            run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        # [end lab 2]
        session = ort.InferenceSession(
            str(verified_path(self.directory, ONNX_FILENAME, self.config)), options, providers=["CPUExecutionProvider"]
        )
        names = [model_input.name for model_input in session.get_inputs()]
        self.input_shape = tuple(d if isinstance(d, int) else None for d in session.get_inputs()[0].shape[1:])
        self.takes_widths = len(names) == 2
        return lambda inputs: session.run(None, dict(zip(names, inputs, strict=True)), run_options)[0]

    def _keras_runner(self):
        from text_recognizer import networks

        config = self.config
        network = networks.get(config["network"])(
            tuple(config["input_shape"]),
            tuple(config.get("output_shape", [len(config["mapping"])])),
            **config["network_args"],
        )
        network.load_weights(verified_path(self.directory, WEIGHTS_FILENAME, config))
        self.takes_widths = len(network.inputs) == 2
        self.input_shape = tuple((network.input_shape[0] if self.takes_widths else network.input_shape)[1:])
        return lambda inputs: np.asarray(network(inputs if self.takes_widths else inputs[0], training=False))


def _default_backend() -> str:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "keras"
    return "onnxruntime"
