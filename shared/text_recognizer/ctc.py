"""CTC decoding in plain numpy, for inference without TensorFlow (the predictors use it)."""

import heapq
import math

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
    Classes below `prune` in a frame are not tried, which makes this fast (plain floats, no numpy per step).
    """
    columns = None if language_model is None else [language_model.index.get(char, -1) for char in mapping]
    unknown_score = length_bonus + lm_weight * math.log(1e-6)

    log_probabilities = np.log(probabilities + 1e-12)
    # prefix text -> [log P ending in a blank, log P ending in its last character, last class, LM/length score]
    beams: dict[str, list] = {"": [0.0, -math.inf, -1, 0.0]}
    lm_rows: dict[str, list[float]] = {}  # each prefix's next-character log probabilities, looked up once
    for frame, log_frame in zip(probabilities, log_probabilities, strict=True):
        candidates = [(int(c), float(log_frame[c])) for c in np.flatnonzero(frame >= prune)]
        following: dict[str, list] = {}
        for prefix, (p_blank, p_char, last, score) in beams.items():
            p_total = _log_add(p_blank, p_char)
            extensions = None
            for c, p in candidates:
                if c == blank_index:
                    _add_path(following, prefix, p_total + p, -math.inf, last, score)
                    continue
                if c == last:
                    _add_path(following, prefix, -math.inf, p_char + p, last, score)  # the same character goes on
                    via = p_blank + p  # a new one needs a blank in between
                else:
                    via = p_total + p
                bonus = length_bonus
                if columns is not None:
                    if extensions is None:
                        if prefix not in lm_rows:
                            lm_rows[prefix] = language_model.log_probabilities(prefix).tolist()
                        extensions = lm_rows[prefix]
                    column = columns[c]
                    bonus = unknown_score if column < 0 else length_bonus + lm_weight * extensions[column]
                _add_path(following, prefix + mapping[c], -math.inf, via, c, score + bonus)
        if len(following) > beam_width:
            beams = dict(heapq.nlargest(beam_width, following.items(), key=_beam_score))
        else:
            beams = dict(following)
    return max(beams.items(), key=_beam_score)[0]


def _beam_score(item: tuple[str, list]) -> float:
    return _log_add(item[1][0], item[1][1]) + item[1][3]


def _log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without leaving the log domain."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def _add_path(beams: dict, prefix: str, blank_part: float, char_part: float, last: int, score: float) -> None:
    """Add one way of reaching `prefix` (ending in a blank, or in its last character) to `beams`."""
    entry = beams.get(prefix)
    if entry is None:
        beams[prefix] = [blank_part, char_part, last, score]
    else:
        entry[0] = _log_add(entry[0], blank_part)
        entry[1] = _log_add(entry[1], char_part)
