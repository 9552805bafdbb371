"""Read a photo or scan of one line of real handwriting (the Lab 4 model, trained on Copiste d'un jour).

    HandwritingPredictor().predict("line.jpg")   # -> (text, confidence)

The model masks each line's padding, so a line reads the same alone or batched with longer ones. The
decoder is the one its config names: beam search with the character language model saved beside the
weights when that was measured better within the latency goal, greedy otherwise.
"""

from pathlib import Path

import numpy as np

from text_recognizer.ctc import beam_search_decode, greedy_decode
from text_recognizer.language_model import CharacterLanguageModel
from text_recognizer.model_files import verified_path
from text_recognizer.predictors.line_predictor import LinePredictor

DECODERS = ("greedy", "beam")


class HandwritingPredictor(LinePredictor):
    """`predict(image) -> (text, confidence)`; confidence is the probability of the greedy best path."""

    task = "handwriting"

    def __init__(self, model_dir: Path | None = None, backend: str | None = None, decoder: str | None = None) -> None:
        super().__init__(model_dir, backend)
        if not self.model.takes_widths:
            raise ValueError(f"{self.model.directory} holds no line model that takes widths: not a handwriting model")
        settings = self.model.config.get("language_model")
        self.decoder = decoder or (settings or {}).get("decoder", "greedy")
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {self.decoder!r}; choose one of {DECODERS}")
        self.language_model = None
        self.beam_settings: dict = {}
        if self.decoder == "beam":
            if settings is None:
                raise ValueError(f"{self.model.directory} has no language model for beam search: use decoder='greedy'")
            path = verified_path(self.model.directory, settings["file"], self.model.config)
            self.language_model = CharacterLanguageModel.load(path)
            self.beam_settings = {key: settings[key] for key in ("beam_width", "lm_weight", "length_bonus")}

    def decode(self, probabilities: np.ndarray) -> tuple[str, float]:
        text, confidence = greedy_decode(probabilities, self.mapping, self.blank_index)
        if self.decoder == "beam":
            text = beam_search_decode(
                probabilities, self.mapping, self.blank_index, language_model=self.language_model, **self.beam_settings
            )
        return text, confidence
