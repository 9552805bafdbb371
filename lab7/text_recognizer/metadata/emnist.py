"""EMNIST ByClass: 62 classes, labels 0-9 are digits, 10-35 upper case, 36-61 lower case."""

import string

INPUT_SHAPE = (28, 28)
MAPPING: tuple[str, ...] = tuple(string.digits + string.ascii_uppercase + string.ascii_lowercase)
NUM_CLASSES = len(MAPPING)
