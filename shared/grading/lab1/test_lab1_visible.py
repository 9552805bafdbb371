"""Visible checks of the Lab 1 exercises. `make grade LAB=1` runs these and hidden ones, and scores them."""

import numpy as np
import pytest


def glyph(height: int = 20, width: int = 14) -> np.ndarray:
    """A bright 'L' on black."""
    image = np.zeros((height, width), dtype=np.uint8)
    image[2:-2, 3:6] = 200
    image[-5:-2, 3:-2] = 200
    return image


@pytest.mark.check(exercise="1.1 ink_on_black", points=1)
def test_dark_ink_on_light_paper_becomes_bright_ink_on_black(submission):
    paper = 230 - glyph()  # dark grey ink on light grey paper
    result = submission.ink_on_black(paper)
    assert result.dtype == np.uint8, f"return uint8, not {result.dtype}"
    assert result.shape == paper.shape, "keep the image's shape"
    assert result[0, 0] == 0, "the paper must become black (0)"
    assert result.max() >= 254, "the darkest ink must become 255"


@pytest.mark.check(exercise="1.1 ink_on_black", points=1)
def test_a_blank_image_is_refused(submission):
    with pytest.raises(ValueError):
        submission.ink_on_black(np.full((10, 10), 200, dtype=np.uint8))


@pytest.mark.check(exercise="1.2 pad_to_square", points=1)
def test_a_tall_image_is_centred_in_a_square(submission):
    image = np.full((6, 2), 255, dtype=np.uint8)
    square = submission.pad_to_square(image)
    assert square.shape == (6, 6) and square.dtype == np.uint8
    np.testing.assert_array_equal(square[:, 2:4], image, err_msg="the image sits in the middle columns")
    assert square[:, :2].max() == 0 and square[:, 4:].max() == 0, "the margins are black"


@pytest.mark.check(exercise="1.3 lenet", points=1, time_limit_s=120)
def test_the_network_gives_class_probabilities(submission):
    model = submission.lenet((28, 28), 10)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    probabilities = np.asarray(model(images))
    assert probabilities.shape == (4, 10), f"one row of 10 class probabilities per image, not {probabilities.shape}"
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-4, err_msg="each row must sum to 1 (softmax)")
