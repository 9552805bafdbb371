"""Hidden checks of the Lab 2 exercises: agreement with the course's decoder and metrics on generated inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from grading.examples import GRADING_EXAMPLES
from text_recognizer import ctc, metrics

MAPPING = ("<b>", "a", "b", "c", " ")
texts = st.text(alphabet="abc ", max_size=12)


@pytest.mark.check(exercise="2.1 greedy_decode", points=2)
@GRADING_EXAMPLES
@given(
    arrays(np.float64, st.tuples(st.integers(1, 30), st.just(len(MAPPING))), elements=st.floats(0.01, 1)),
    st.integers(0, len(MAPPING) - 1),
)
def test_greedy_decode_agrees_with_the_course_decoder(submission, scores, blank_index):
    probabilities = scores / scores.sum(axis=1, keepdims=True)
    expected, _ = ctc.greedy_decode(probabilities, MAPPING, blank_index=blank_index)
    assert submission.greedy_decode(probabilities, MAPPING, blank_index) == expected


@pytest.mark.check(exercise="2.2 edit_distance", points=2)
@GRADING_EXAMPLES
@given(texts, texts)
def test_edit_distance_agrees_with_the_course_metric(submission, a, b):
    assert submission.edit_distance(a, b) == metrics.edit_distance(a, b)


@pytest.mark.check(exercise="2.3 character_error_rate", points=2)
@GRADING_EXAMPLES
@given(st.lists(st.tuples(texts, texts), max_size=6))
def test_character_error_rate_agrees_with_the_course_metric(submission, pairs):
    predictions, targets = [p for p, _ in pairs], [t for _, t in pairs]
    expected = metrics.character_error_rate(predictions, targets)
    assert submission.character_error_rate(predictions, targets) == pytest.approx(expected)


@pytest.mark.check(exercise="2.3 character_error_rate", points=1)
def test_character_error_rate_refuses_unpaired_lines(submission):
    with pytest.raises(ValueError):
        submission.character_error_rate(["a", "b"], ["a"])
