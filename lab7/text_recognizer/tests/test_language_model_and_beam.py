"""The character language model and CTC beam search: probabilities, repeats, and the model's say."""

import numpy as np
import pytest

from text_recognizer.ctc import beam_search_decode, greedy_decode
from text_recognizer.language_model import CharacterLanguageModel

MAPPING = ("<B>", "a", "b", "m", "n", "r")


def frames(*rows: dict[str, float]) -> np.ndarray:
    """(frames, classes) probabilities from {character: probability} rows; the rest of a row goes to blank."""
    out = np.zeros((len(rows), len(MAPPING)))
    for t, row in enumerate(rows):
        for char, p in row.items():
            out[t, MAPPING.index(char)] = p
        out[t, 0] += 1 - out[t].sum()
    return out


@pytest.fixture(scope="module")
def language_model():
    return CharacterLanguageModel.train(["ma mama", "am ma", "mamam"] * 5, order=3)


def test_probabilities_sum_to_one_after_any_history(language_model):
    for history in ("", "m", "ma", "zz", "mamama"):
        assert np.exp(language_model.log_probabilities(history)).sum() == pytest.approx(1.0)


def test_the_model_learns_which_character_follows(language_model):
    after_m = np.exp(language_model.log_probabilities("m"))
    assert after_m[language_model.index["a"]] > 0.5 > after_m[language_model.index["m"]]


def test_saved_and_loaded_models_agree(language_model, tmp_path):
    loaded = CharacterLanguageModel.load(language_model.save(tmp_path / "lm.json"))
    assert np.allclose(loaded.log_probabilities("ma"), language_model.log_probabilities("ma"))


def test_a_corrupt_file_gets_a_clear_error(tmp_path):
    (tmp_path / "lm.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a character language model"):
        CharacterLanguageModel.load(tmp_path / "lm.json")


def test_without_a_model_beam_search_agrees_with_greedy_on_clear_frames():
    probabilities = frames({"a": 0.9}, {"a": 0.9}, {}, {"a": 0.8}, {"b": 0.95}, {})
    assert greedy_decode(probabilities, MAPPING)[0] == "aab"
    assert beam_search_decode(probabilities, MAPPING) == "aab"


def test_beam_search_sums_the_paths_of_a_reading():
    # Best single path: blank blank ("" at 0.36); but "a" has many paths and is likelier in total.
    probabilities = frames({"a": 0.4}, {"a": 0.4})
    assert greedy_decode(probabilities, MAPPING)[0] == ""
    assert beam_search_decode(probabilities, MAPPING) == "a"


def test_the_language_model_settles_an_ambiguous_frame(language_model):
    # The network hesitates between "n" and "m" after "ma"; the language model has seen "mam", never "man".
    probabilities = frames({"m": 0.9}, {"a": 0.9}, {"n": 0.5, "m": 0.45})
    assert beam_search_decode(probabilities, MAPPING) == "man"
    assert beam_search_decode(probabilities, MAPPING, language_model=language_model, lm_weight=1.0) == "mam"
