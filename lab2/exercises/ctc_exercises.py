"""Lab 2 exercises: turn a CTC model's output into text, and measure how wrong the text is.

Write each function where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError` line). Then,
from the repository root:

    make grade LAB=2          # visible and hidden checks, and your score
    .venv/bin/pytest lab2/exercises    # the visible checks alone, with pytest's full report

The course's own versions are in `text_recognizer/ctc.py` and `text_recognizer/metrics.py`; try without
them first. Plain Python and numpy are enough.
"""

from collections.abc import Sequence

import numpy as np


def greedy_decode(probabilities: np.ndarray, mapping: Sequence[str], blank_index: int = 0) -> str:
    """Exercise 2.1: the text of the best path through a CTC output.

    `probabilities` has one row per output frame and one column per class; `mapping[i]` is class i's
    character. Take the likeliest class of each frame, merge runs of the same class into one, then drop the
    blanks: frames `a a - a b b` (with `-` the blank) read "aab".
    """
    # YOUR CODE HERE
    raise NotImplementedError("write greedy_decode")


def edit_distance(a: str, b: str) -> int:
    """Exercise 2.2: the Levenshtein distance, the fewest insertions, deletions and substitutions of one
    character each that turn `a` into `b` ("kitten" -> "sitting": 3)."""
    # YOUR CODE HERE
    raise NotImplementedError("write edit_distance")


def character_error_rate(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Exercise 2.3: the character error rate of a set of lines, the total edit distance of the predictions
    to their targets over the total length of the targets (not a mean of per-line rates: a long line weighs
    more than a short one).

    Raise ValueError when there are not as many predictions as targets. When the targets are all empty,
    the rate is 0.0 if the predictions are too, else 1.0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("write character_error_rate")
