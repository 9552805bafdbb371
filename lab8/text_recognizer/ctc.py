"""CTC decoding in plain numpy, for inference without TensorFlow (the predictors use it)."""

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
