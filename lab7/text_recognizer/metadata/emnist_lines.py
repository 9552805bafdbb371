"""Synthetic EMNIST lines: one mapping for both line models.

Index 0 is the CTC blank (`tf.nn.ctc_loss` and `keras.ops.ctc_decode` are fastest with blank 0), then
the 62 EMNIST characters, the space, and the padding token that fills fixed-length labels.
"""

from text_recognizer.metadata import emnist

BLANK = "<B>"
PADDING = "<P>"
MAPPING: tuple[str, ...] = (BLANK, *emnist.MAPPING, " ", PADDING)
BLANK_INDEX = MAPPING.index(BLANK)
PADDING_INDEX = MAPPING.index(PADDING)
CHAR_HEIGHT = emnist.INPUT_SHAPE[0]
CHAR_WIDTH = emnist.INPUT_SHAPE[1]
MAX_LENGTH = 32
INPUT_SHAPE = (CHAR_HEIGHT, CHAR_WIDTH * MAX_LENGTH)
