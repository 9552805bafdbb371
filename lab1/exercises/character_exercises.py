"""Lab 1 exercises: make any character image look like EMNIST, and build the network that reads it.

Write each function where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError` line). Then,
from the repository root:

    make grade LAB=1          # visible and hidden checks, and your score
    .venv/bin/pytest lab1/exercises    # the visible checks alone, with pytest's full report

The course's own versions are in `text_recognizer/stems.py` and `text_recognizer/networks/lenet.py`; try
without them first.
"""

import keras
import numpy as np
from keras import layers


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """Exercise 1.1: a 2-D uint8 image as bright ink on a black (0) background, whatever its polarity.

    EMNIST is bright ink on black; a photo of a note is dark ink on light paper. The rules:
    - the background level is the median of the pixels on the image's four edges;
    - above 127, the image is dark on light: invert it (255 - pixel) and the background level with it;
    - subtract the background level, set what falls below 0 to 0;
    - if the brightest pixel is now below 16 the image is blank: raise ValueError;
    - stretch so that the brightest pixel becomes 255, and return uint8.
    """
    # YOUR CODE HERE
    raise NotImplementedError("write ink_on_black")


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """Exercise 1.2: the 2-D image centred in a black uint8 square whose side is the image's longer side.

    Where the margin cannot be split evenly, the extra pixel goes below or to the right. The input is not
    resized: EMNIST's characters were centred in a square this way before being scaled to 28x28.
    """
    # YOUR CODE HERE
    raise NotImplementedError("write pad_to_square")


def lenet(input_shape: tuple[int, int], num_classes: int) -> keras.Model:
    """Exercise 1.3: a LeNet-style classifier of uint8 images of `input_shape` (height, width).

    The model takes uint8 pixels (a `keras.Input` with dtype "uint8"), scales them to [0, 1], adds a channel
    axis, and uses at least two 3x3 convolutions with ReLU, max pooling, a dense layer and a softmax over
    `num_classes` classes. Keep it under 2 million parameters. Dropout is up to you.
    """
    # YOUR CODE HERE
    raise NotImplementedError("write lenet")
