"""Hidden checks of the Lab 1 exercises: the same rules, on inputs the student has not seen.

The stem checks compare with the course's own stems on generated images; the network check trains it.
"""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from grading.examples import GRADING_EXAMPLES
from text_recognizer import stems


@st.composite
def characters(draw) -> np.ndarray:
    """Random strokes, dark on light or light on dark, on a uniform background with a clear border."""
    height, width = draw(st.integers(5, 40)), draw(st.integers(5, 40))
    background = draw(st.integers(0, 255))
    noise = draw(arrays(np.uint8, (height, width), elements=st.integers(0, 255)))
    image = np.full((height, width), background, dtype=np.uint8)
    ink = noise[1:-1, 1:-1] > 170
    image[1:-1, 1:-1][ink] = 255 - noise[1:-1, 1:-1][ink] if background > 127 else noise[1:-1, 1:-1][ink]
    return image


@pytest.mark.check(exercise="1.1 ink_on_black", points=2)
@GRADING_EXAMPLES
@given(characters())
def test_ink_on_black_agrees_with_the_course_stem(submission, image):
    try:
        expected = stems.ink_on_black(image)
    except stems.ImageError:
        with pytest.raises(ValueError):
            submission.ink_on_black(image)
        return
    result = submission.ink_on_black(image)
    assert result.dtype == np.uint8 and result.shape == image.shape
    assert np.abs(result.astype(int) - expected).max() <= 1, "differs from the rules in the docstring"


@pytest.mark.check(exercise="1.2 pad_to_square", points=2)
@GRADING_EXAMPLES
@given(arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30)), elements=st.integers(1, 255)))
def test_pad_to_square_agrees_with_the_course_stem(submission, image):
    np.testing.assert_array_equal(submission.pad_to_square(image), stems.pad_to_square(image))


def bars(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy images of four classes: a bright bar, horizontal or vertical, in one of two halves."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, count)
    images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        where = slice(4, 10) if label % 2 == 0 else slice(18, 24)
        if label < 2:
            image[where, 4:24] = 230
        else:
            image[4:24, where] = 230
    return images, labels


@pytest.mark.check(exercise="1.3 lenet", points=3, time_limit_s=180)
def test_lenet_is_a_small_convolutional_network_that_learns(submission):
    keras.utils.set_random_seed(0)
    model = submission.lenet((28, 28), 4)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") >= 2, f"at least two Conv2D layers, found {kinds}"
    assert "MaxPooling2D" in kinds, "max pooling after the convolutions"
    assert model.count_params() <= 2_000_000, f"{model.count_params():,} parameters: keep it under 2 million"
    assert model.inputs[0].dtype == "uint8", "the model takes uint8 pixels and scales them itself"
    images, labels = bars(256, seed=1)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=5, batch_size=32, verbose=0)
    test_images, test_labels = bars(128, seed=2)
    accuracy = float((model.predict(test_images, verbose=0).argmax(axis=1) == test_labels).mean())
    assert accuracy >= 0.9, f"test accuracy {accuracy:.2f} after 5 epochs on an easy 4-class task"
