"""Visible checks of the Lab 2 exercises. `make grade LAB=2` runs these and hidden ones, and scores them."""

import numpy as np
import pytest


def one_hot(classes: list[int], num_classes: int) -> np.ndarray:
    probabilities = np.full((len(classes), num_classes), 0.1 / num_classes)
    probabilities[np.arange(len(classes)), classes] = 0.9
    return probabilities


@pytest.mark.check(exercise="2.1 greedy_decode", points=1)
def test_repeats_merge_and_blanks_separate_them(submission):
    mapping = ("-", "a", "b")
    frames = one_hot([1, 1, 0, 1, 2, 2], 3)  # a a - a b b
    assert submission.greedy_decode(frames, mapping) == "aab"


@pytest.mark.check(exercise="2.2 edit_distance", points=1)
def test_textbook_edit_distances(submission):
    assert submission.edit_distance("kitten", "sitting") == 3
    assert submission.edit_distance("", "abc") == 3
    assert submission.edit_distance("same", "same") == 0


@pytest.mark.check(exercise="2.3 character_error_rate", points=1)
def test_the_rate_weighs_lines_by_their_length(submission):
    # 1 error in 10 characters and 1 in 2: 2 / 12, not the mean of 0.1 and 0.5
    rate = submission.character_error_rate(["abcdefghiX", "aX"], ["abcdefghij", "ab"])
    assert rate == pytest.approx(2 / 12)
