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

    Plain floats, no numpy per step, and three shortcuts that leave the result as it would be without
    them: classes below `prune` in a frame are not tried; a frame of blank alone moves every prefix on
    without making a new one (most frames of a CTC output); and a new prefix asks the language model only
    if it could still be kept, counting log P_lm <= 0 as its best case (most are dropped).
    """
    if lm_weight < 0:
        raise ValueError(f"lm_weight must be >= 0 (how much the language model counts), got {lm_weight}")
    known = [language_model is not None and char in language_model.index for char in mapping]
    unknown_score = length_bonus + lm_weight * math.log(1e-6) if language_model is not None else length_bonus
    lm_scores: dict[str, float] = {}  # text -> its last character's LM and length score, asked once

    def exact_score(parent: str, c: int) -> float:
        text = parent + mapping[c]
        if (score := lm_scores.get(text)) is None:
            score = lm_scores[text] = length_bonus + lm_weight * language_model.log_probability(parent, mapping[c])
        return score

    log_probabilities = np.log(probabilities + 1e-12)
    # prefix text -> [log P ending in a blank, log P ending in its last character, last class, LM/length score]
    beams: dict[str, list] = {"": [0.0, -math.inf, -1, 0.0]}
    for frame, log_frame in zip(probabilities, log_probabilities, strict=True):
        candidates = [(int(c), float(log_frame[c])) for c in np.flatnonzero(frame >= prune)]
        if len(candidates) == 1 and candidates[0][0] == blank_index:
            p = candidates[0][1]
            for entry in beams.values():  # each prefix now ends in a blank; no prefix is new or merged
                entry[0], entry[1] = _log_add(entry[0], entry[1]) + p, -math.inf
            continue
        following: dict[str, list] = {}
        for prefix, (p_blank, p_char, last, score) in beams.items():  # the prefixes go on: scores known
            for c, p in candidates:
                if c == blank_index:
                    _add_path(following, prefix, _log_add(p_blank, p_char) + p, -math.inf, last, score)
                elif c == last:
                    _add_path(following, prefix, -math.inf, p_char + p, last, score)  # the same character goes on
        unscored: dict[str, tuple[str, int, float]] = {}  # new prefix -> (parent, class, parent's score)
        for prefix, (p_blank, p_char, last, score) in beams.items():  # new prefixes, one more character
            p_total = _log_add(p_blank, p_char)
            for c, p in candidates:
                if c == blank_index:
                    continue
                via = p_blank + p if c == last else p_total + p  # a repeat needs a blank in between
                text = prefix + mapping[c]
                if text not in following and known[c]:
                    unscored[text] = (prefix, c, score)
                _add_path(following, text, -math.inf, via, c, score + (length_bonus if known[c] else unknown_score))
        beams = _best(following, unscored, exact_score, beam_width)
    return max(beams.items(), key=_beam_score)[0]


def _best(following: dict[str, list], unscored: dict, exact_score, beam_width: int) -> dict[str, list]:
    """The `beam_width` best prefixes, asking the LM for an unscored one only if its best case could be kept."""
    entries = list(following.items())
    bounds = [_log_add(p_blank, p_char) + score for _, (p_blank, p_char, _, score) in entries]
    kept: list[tuple[float, int]] = []  # a min-heap of (total, entry index)
    for i in sorted(range(len(entries)), key=bounds.__getitem__, reverse=True):
        if len(kept) == beam_width and bounds[i] <= kept[0][0]:
            break  # no entry left can do better than the worst kept one
        text, entry = entries[i]
        total = bounds[i]
        if text in unscored:  # its score so far counts the best case for the LM: replace it with the LM's
            parent, c, parent_score = unscored[text]
            score = parent_score + exact_score(parent, c)
            total += score - entry[3]
            entry[3] = score
        if len(kept) < beam_width:
            heapq.heappush(kept, (total, i))
        elif total > kept[0][0]:
            heapq.heapreplace(kept, (total, i))
    return dict(entries[i] for _, i in kept)


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
