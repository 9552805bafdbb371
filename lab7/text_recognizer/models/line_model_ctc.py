"""Read a line of any width with CTC: per-frame probabilities aligned to the text by the loss itself."""

import keras
import numpy as np

from text_recognizer.ctc import greedy_decode
from text_recognizer.metadata import emnist_lines as metadata
from text_recognizer.models.line_model import LineModel


def ctc_loss(y_true, y_pred):
    """CTC loss per line from labels padded with <P> and per-frame probabilities (blank = 0).

    Uses `tf.nn.ctc_loss` with sparse labels, several times faster on CPU than the dense-label
    `keras.ops.ctc_loss`. Character indices are all >= 1, so zeros mark the padding to drop.
    """
    import tensorflow as tf

    labels = tf.cast(y_true, tf.int32)
    labels = tf.where(labels == metadata.PADDING_INDEX, tf.zeros_like(labels), labels)
    batch_size, frames = tf.shape(y_pred)[0], tf.shape(y_pred)[1]
    return tf.nn.ctc_loss(
        labels=tf.sparse.from_dense(labels),
        logits=tf.math.log(y_pred + 1e-8),
        label_length=None,
        logit_length=tf.fill([batch_size], frames),
        logits_time_major=False,
        blank_index=metadata.BLANK_INDEX,
    )


class LineModelCtc(LineModel):
    """CNN + BiLSTM + CTC over lines of any width; greedy decoding, beam search on request."""

    def output_shape(self) -> tuple[int, ...]:
        return (len(self.mapping),)

    def loss(self):
        return ctc_loss

    def metrics(self) -> list:
        return []

    def decode(self, probabilities: np.ndarray) -> list[str]:
        return [greedy_decode(p, self.mapping, metadata.BLANK_INDEX)[0] for p in probabilities]

    def beam_search_decode(self, probabilities: np.ndarray, beam_width: int = 10) -> list[str]:
        """The likeliest labelling found by a beam search (`keras.ops.ctc_decode`): slower than greedy."""
        lengths = np.full(len(probabilities), probabilities.shape[1], dtype=np.int32)
        decoded, _ = keras.ops.ctc_decode(
            np.log(probabilities + 1e-8),
            lengths,
            strategy="beam_search",
            beam_width=beam_width,
            mask_index=metadata.BLANK_INDEX,
        )
        paths = keras.ops.convert_to_numpy(decoded[0])
        return ["".join(self.mapping[i] for i in row if i > 0) for row in paths]
