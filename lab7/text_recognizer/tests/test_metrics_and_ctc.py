"""CER against hand-computed cases; greedy CTC decoding on hand-built probability matrices."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text_recognizer.ctc import greedy_decode
from text_recognizer.metrics import character_error_rate, edit_distance, line_accuracy


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "abc", 0),
        ("abc", "", 3),
        ("", "ab", 2),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("the cat", "the hat", 1),
        ("ab", "ba", 2),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def textbook_edit_distance(a: str, b: str) -> int:
    """The dynamic programme over prefixes, one row at a time: the definition `edit_distance` must match."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcé ß\u0301", max_size=30), st.text(alphabet="abcé ß\u0301", max_size=30))
def test_edit_distance_agrees_with_the_textbook_definition(a, b):
    assert edit_distance(a, b) == textbook_edit_distance(a, b)


def test_cer_is_total_edits_over_total_reference_length():
    assert character_error_rate(["the hat", "dog"], ["the cat", "dogs"]) == pytest.approx(2 / 11)
    assert character_error_rate(["abc"], ["abc"]) == 0.0
    assert character_error_rate(["", "x"], ["", ""]) == 1.0
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        character_error_rate(["a", "b"], ["a"])


def test_line_accuracy():
    assert line_accuracy(["a b", "c"], ["a b", "d"]) == 0.5


MAPPING = ("<B>", "a", "b", "l")


def frames(*rows):
    """Probability rows from the class each frame should favour (0.7 to it, the rest spread)."""
    probabilities = np.full((len(rows), len(MAPPING)), 0.1)
    for frame, label in enumerate(rows):
        probabilities[frame, label] = 0.7
    return probabilities


def test_repeats_merge_and_blanks_separate_doubles():
    assert greedy_decode(frames(1, 1, 0, 2, 2, 2), MAPPING)[0] == "ab"
    assert greedy_decode(frames(3, 0, 3), MAPPING)[0] == "ll"
    assert greedy_decode(frames(3, 3, 3), MAPPING)[0] == "l"


def test_all_blank_is_empty_and_confidence_is_the_path_probability():
    text, confidence = greedy_decode(frames(0, 0, 0), MAPPING)
    assert text == "" and confidence == pytest.approx(0.7**3)
