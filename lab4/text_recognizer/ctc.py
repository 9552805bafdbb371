"""CTC decoding in plain numpy, for inference without TensorFlow (the predictors use it)."""

import math
from functools import partial

import numpy as np


def greedy_decode(probabilities: np.ndarray, mapping: tuple[str, ...], blank_index: int = 0) -> tuple[str, float]:
    """Best path: the likeliest class per frame, repeats merged, blanks dropped.

    Returns the text and the best path's probability (the product of the chosen frames' probabilities).
    """
    best = probabilities.argmax(axis=-1)
    keep = (best != blank_index) & np.concatenate([[True], best[1:] != best[:-1]])
    text = "".join(mapping[i] for i in best[keep])
    path_probability = float(np.exp(np.log(probabilities.max(axis=-1) + 1e-12).sum()))
    return text, path_probability


def beam_search_decode(
    probabilities: np.ndarray,
    mapping: tuple[str, ...],
    blank_index: int = 0,
    beam_width: int = 8,
    language_model=None,
    lm_weight: float = 0.5,
    length_bonus: float = 0.0,
    prune: float = 1e-3,
) -> str:
    """CTC prefix beam search, optionally with a character language model.

    Keeps the `beam_width` likeliest prefixes frame by frame, each with its probability of ending in a
    blank and in its last character (so that "aa" with a blank between is two a's, and without, one).
    A prefix's score adds `lm_weight` x log P_lm(text) and `length_bonus` per character to log P_ctc(text).
    Classes below `prune` in a frame are not tried, which makes this fast.
    """
    if language_model is not None:
        lm_columns = np.array([language_model.index.get(char, -1) for char in mapping])

    def lm_score(prefix: tuple[int, ...], char: int) -> float:
        if language_model is None:
            return length_bonus
        column = lm_columns[char]
        if column < 0:
            return length_bonus + lm_weight * math.log(1e-6)
        history = "".join(mapping[i] for i in prefix)
        return length_bonus + lm_weight * float(language_model.log_probabilities(history)[column])

    log_probabilities = np.log(probabilities + 1e-12)
    # prefix -> (log P ending in blank, log P ending in its last character, language/length score)
    beams: dict[tuple[int, ...], tuple[float, float, float]] = {(): (0.0, -math.inf, 0.0)}
    for frame, log_frame in zip(probabilities, log_probabilities, strict=True):
        candidates = np.flatnonzero(frame >= prune)
        following: dict[tuple[int, ...], list[float]] = {}
        add = partial(_add_path, following)
        for prefix, (p_blank, p_char, extra) in beams.items():
            p_total = np.logaddexp(p_blank, p_char)
            for c in candidates:
                p = log_frame[c]
                if c == blank_index:
                    add(prefix, p_total + p, -math.inf, extra)
                elif prefix and prefix[-1] == c:
                    add(prefix, -math.inf, p_char + p, extra)  # the same character continues
                    extended = (*prefix, int(c))  # a new one, after a blank
                    add(extended, -math.inf, p_blank + p, extra + lm_score(prefix, c))
                else:
                    extended = (*prefix, int(c))
                    add(extended, -math.inf, p_total + p, extra + lm_score(prefix, c))
        ranked = sorted(following.items(), key=lambda item: np.logaddexp(item[1][0], item[1][1]) + item[1][2])
        beams = {prefix: tuple(values) for prefix, values in ranked[-beam_width:]}
    best = max(beams.items(), key=lambda item: np.logaddexp(item[1][0], item[1][1]) + item[1][2])[0]
    return "".join(mapping[i] for i in best)


def _add_path(beams: dict, prefix: tuple[int, ...], blank_part: float, char_part: float, extra: float) -> None:
    """Add one way of reaching `prefix` (ending in a blank, or in its last character) to `beams`."""
    entry = beams.setdefault(prefix, [-math.inf, -math.inf, extra])
    entry[0] = np.logaddexp(entry[0], blank_part)
    entry[1] = np.logaddexp(entry[1], char_part)
