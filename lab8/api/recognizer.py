"""The models the service answers with: one predictor per task, loaded once per process."""

import time
from dataclasses import dataclass

import numpy as np

from text_recognizer.model_files import ONNX_FILENAME
from text_recognizer.predictors import available_tasks


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float
    task: str
    model: str
    latency_ms: float
    model_input: np.ndarray  # what the model saw, after preprocessing (the web page shows it)
    lines: tuple | None = None  # for a page (task `paragraph`): each line found, with its box, text, confidence


class UnknownTaskError(ValueError):
    pass


class Recognizer:
    """Reads greyscale images with the committed ONNX models; never imports TensorFlow."""

    def __init__(self, tasks: list[str] | None = None) -> None:
        classes = available_tasks()
        chosen = tasks or sorted(classes)
        unknown = [task for task in chosen if task not in classes]
        if unknown:
            raise UnknownTaskError(f"no predictor for {unknown}; this copy of the code has {sorted(classes)}")
        self.predictors = {task: classes[task](backend="onnxruntime") for task in chosen}
        self.model_names = {task: _model_name(p.model.config) for task, p in self.predictors.items()}

    @property
    def tasks(self) -> list[str]:
        return sorted(self.predictors)

    def read(self, task: str, grey: np.ndarray) -> Reading:
        """Text and confidence for one greyscale image; ImageError when it cannot be read."""
        if task not in self.predictors:
            raise UnknownTaskError(f"unknown task {task!r}: choose one of {', '.join(self.tasks)}")
        started = time.perf_counter()
        predictor = self.predictors[task]
        model_input = predictor.preprocess(grey)
        lines = None
        if hasattr(predictor, "read_page"):  # a page: its lines come with the text
            page = predictor.read_page(model_input)
            text, confidence, lines = page.text, page.confidence, page.lines
        else:
            ((text, confidence),) = predictor.predict_preprocessed([model_input])
        latency_ms = (time.perf_counter() - started) * 1000
        return Reading(text, confidence, task, self.model_names[task], latency_ms, model_input, lines)


def _model_name(config: dict) -> str:
    """The experiment that trained a model and the start of its ONNX file's sha256, e.g. `emnist_lines_ctc@268df3d7`."""
    name = config.get("experiment", {}).get("name") or config["network"]
    return f"{name}@{config['sha256'][ONNX_FILENAME][:8]}"
