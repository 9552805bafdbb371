"""MNIST: ten digit classes."""

import string

INPUT_SHAPE = (28, 28)
MAPPING: tuple[str, ...] = tuple(string.digits)
NUM_CLASSES = len(MAPPING)
