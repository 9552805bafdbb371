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
    # BEGIN SOLUTION
    text, previous = [], None
    for best in np.argmax(probabilities, axis=1):
        if best != previous and best != blank_index:
            text.append(mapping[best])
        previous = best
    return "".join(text)
    # END SOLUTION


def edit_distance(a: str, b: str) -> int:
    """Exercise 2.2: the Levenshtein distance, the fewest insertions, deletions and substitutions of one
    character each that turn `a` into `b` ("kitten" -> "sitting": 3)."""
    # BEGIN SOLUTION
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
    # END SOLUTION


def character_error_rate(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Exercise 2.3: the character error rate of a set of lines, the total edit distance of the predictions
    to their targets over the total length of the targets (not a mean of per-line rates: a long line weighs
    more than a short one).

    Raise ValueError when there are not as many predictions as targets. When the targets are all empty,
    the rate is 0.0 if the predictions are too, else 1.0.
    """
    # BEGIN SOLUTION
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, targets, strict=True))
    length = sum(len(t) for t in targets)
    if length == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / length
    # END SOLUTION
