"""The character language model and CTC beam search: probabilities, repeats, and the model's say."""

import math

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


def test_witten_bell_by_hand():
    # "aab", bigrams: after "a" come "a" once and "b" once (n = 2, d = 2); alone, "a" twice and "b" once
    # (n = 3, d = 2) over a uniform 1/2. P(b) = (1 + 2 x 1/2) / 5 = 0.4; P(b | a) = (1 + 2 x 0.4) / 4 = 0.45.
    model = CharacterLanguageModel.train(["aab"], order=2)
    assert math.exp(model.log_probability("a", "b")) == pytest.approx(0.45)
    assert np.exp(model.log_probabilities("a")) == pytest.approx([0.55, 0.45])


def test_a_character_outside_the_alphabet_is_refused(language_model):
    with pytest.raises(KeyError, match="not in the language model's alphabet"):
        language_model.log_probability("ma", "q")


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


def test_a_negative_language_model_weight_is_refused(language_model):
    with pytest.raises(ValueError, match="lm_weight must be >= 0"):
        beam_search_decode(frames({"m": 0.9}), MAPPING, language_model=language_model, lm_weight=-0.5)


def plain_beam_search(probabilities, mapping, language_model, beam_width, lm_weight, length_bonus, prune=1e-3):
    """The same search written plainly: every frame alike, every new prefix scored by the language model."""
    beams = {"": (0.0, -math.inf, 0.0)}  # text -> (log P ending in a blank, in its last character, score)
    for frame in probabilities:
        following: dict[str, tuple[float, float, float]] = {}

        def add(text, blank_part, char_part, score, following=following):
            old_blank, old_char, old_score = following.get(text, (-math.inf, -math.inf, score))
            following[text] = (np.logaddexp(old_blank, blank_part), np.logaddexp(old_char, char_part), old_score)

        for text, (p_blank, p_char, score) in beams.items():
            for c in np.flatnonzero(frame >= prune):
                p = math.log(frame[c] + 1e-12)
                if c == 0:
                    add(text, np.logaddexp(p_blank, p_char) + p, -math.inf, score)
                    continue
                char = mapping[c]
                if text.endswith(char):
                    add(text, -math.inf, p_char + p, score)
                via = p_blank + p if text.endswith(char) else np.logaddexp(p_blank, p_char) + p
                lm = (
                    language_model.log_probabilities(text)[language_model.index[char]]
                    if char in language_model.index
                    else math.log(1e-6)
                )
                add(text + char, -math.inf, via, score + length_bonus + lm_weight * lm)
        ranked = sorted(following.items(), key=lambda item: np.logaddexp(item[1][0], item[1][1]) + item[1][2])
        beams = dict(ranked[-beam_width:])
    return max(beams.items(), key=lambda item: np.logaddexp(item[1][0], item[1][1]) + item[1][2])[0]


@pytest.mark.parametrize(("beam_width", "lm_weight", "length_bonus"), [(2, 0.5, 0.0), (4, 2.0, 1.0), (8, 0.0, 0.5)])
def test_the_shortcuts_leave_the_reading_as_a_plain_search_finds_it(
    language_model, beam_width, lm_weight, length_bonus
):
    # Half the frames are blank alone (the fast path); characters outside the model's alphabet get its
    # unknown score; the rest of the frames spread over several characters, so that many new prefixes compete.
    rng = np.random.default_rng(0)
    for _ in range(20):
        rows = [
            np.eye(len(MAPPING))[0] if rng.random() < 0.5 else rng.dirichlet([0.4] * len(MAPPING)) for _ in range(25)
        ]
        probabilities = np.array(rows)
        expected = plain_beam_search(probabilities, MAPPING, language_model, beam_width, lm_weight, length_bonus)
        settings = {"beam_width": beam_width, "lm_weight": lm_weight, "length_bonus": length_bonus}
        assert beam_search_decode(probabilities, MAPPING, language_model=language_model, **settings) == expected
