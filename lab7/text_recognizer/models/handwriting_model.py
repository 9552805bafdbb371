"""Read real handwritten lines of any width with CTC, each line's padding masked by its width.

The network takes (pixels, widths) and gives one probability row per frame of `frame_width` pixels. CTC
needs to know how many of a line's frames are real; Keras hands a loss only (targets, outputs), so the
targets carry it: `ctc_targets` puts each line's frame count in front of its labels, and `ctc_loss`
takes it back out. The codec (`mapping`, blank first) and the frame width are written to config.json,
which is all the predictor needs to decode.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from text_recognizer.ctc import greedy_decode
from text_recognizer.line_batching import width_sorted_batches
from text_recognizer.metrics import character_error_rate, line_accuracy
from text_recognizer.models.base import BaseModel
from text_recognizer.models.onnx_recurrent import export_with_onnx_lstms

BLANK = "<B>"
LABEL_PADDING = -1  # what `line_batches` pads label rows with


def build_codec(texts: Sequence[str]) -> tuple[str, ...]:
    """The mapping for these texts: the blank, then every character they use, in code point order."""
    return (BLANK, *sorted(set("".join(texts))))


def encode(text: str, mapping: Sequence[str]) -> list[int]:
    """Class indices of a text's characters; a character outside the codec is an error, not a silent skip."""
    index = {char: i for i, char in enumerate(mapping)}
    unknown = sorted(set(text) - set(index) - {BLANK})
    if unknown:
        raise ValueError(f"characters {''.join(unknown)!r} are not in the codec; leave such lines out or rebuild it")
    return [index[char] for char in text]


def ctc_targets(frames, labels):
    """(batch, 1 + label length) int32: each line's frame count, then its labels padded with -1."""
    import tensorflow as tf

    return tf.concat([tf.cast(frames, tf.int32)[:, None], tf.cast(labels, tf.int32)], axis=1)


def ctc_loss(targets, probabilities):
    """CTC loss per line over its own frames only (`targets` from `ctc_targets`; blank = class 0)."""
    import tensorflow as tf

    targets = tf.cast(targets, tf.int32)
    frames, labels = targets[:, 0], targets[:, 1:]
    labels = tf.where(labels == LABEL_PADDING, tf.zeros_like(labels), labels)  # class 0 is never a label
    return tf.nn.ctc_loss(
        labels=tf.sparse.from_dense(labels),
        logits=tf.math.log(probabilities + 1e-8),
        label_length=None,
        logit_length=frames,
        logits_time_major=False,
        blank_index=0,
    )


class HandwritingModel(BaseModel):
    """CNN + BiLSTM + CTC over real lines; greedy decoding here, beam search with a language model in `ctc`."""

    selection_metric = ("val_cer", "min")

    def __init__(self, network, input_shape, mapping, network_args=None) -> None:
        if mapping[0] != BLANK:
            raise ValueError(f"the codec must start with the blank {BLANK!r}, got {mapping[0]!r}")
        super().__init__(network, input_shape, mapping, network_args)
        self.frame_width = self._measured_frame_width()

    def _measured_frame_width(self) -> int:
        """Pixels per output frame, read off the network itself (so no constant is repeated here)."""
        probe = 256
        frames = self.network([np.zeros((1, self.input_shape[0], probe), np.uint8), np.array([probe], np.int32)])
        return probe // int(frames.shape[1])

    def loss(self):
        return ctc_loss

    def training_pairs(self, dataset):
        """Batches of ((pixels, widths), labels) -> ((pixels, widths), CTC targets with frame counts)."""
        frame_width = self.frame_width
        return dataset.map(lambda inputs, labels: (inputs, ctc_targets(inputs[1] // frame_width, labels)))

    def fit(self, train_dataset, validation_dataset=None, **kwargs):
        validation = None if validation_dataset is None else self.training_pairs(validation_dataset)
        return super().fit(self.training_pairs(train_dataset), validation, **kwargs)

    def evaluate(self, dataset) -> dict[str, float]:
        return super().evaluate(self.training_pairs(dataset))

    def probabilities(self, lines: Sequence[np.ndarray], batch_size: int = 32) -> list[np.ndarray]:
        """Each line's (frames, classes) probabilities, for preprocessed uint8 lines of any widths."""
        import tensorflow as tf

        run = tf.function(lambda pixels, widths: self.network([pixels, widths], training=False), reduce_retracing=True)
        results: list[np.ndarray] = [np.empty(0)] * len(lines)
        for indices, pixels, widths in width_sorted_batches(lines, batch_size, self.frame_width):
            batch = run(pixels, widths).numpy()
            for row, (index, width) in enumerate(zip(indices, widths, strict=True)):
                results[index] = batch[row, : max(1, int(width) // self.frame_width)]
        return results

    def decode(self, probabilities: Sequence[np.ndarray]) -> list[str]:
        return [greedy_decode(p, self.mapping, 0)[0] for p in probabilities]

    def text_metrics(self, lines: Sequence[np.ndarray], texts: Sequence[str]) -> dict[str, float]:
        """CER and exact-line accuracy of greedy decoding."""
        predictions = self.decode(self.probabilities(lines))
        return {"cer": character_error_rate(predictions, texts), "line_accuracy": line_accuracy(predictions, texts)}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "blank_index": 0, "frame_width": self.frame_width}

    def export_onnx(self, path) -> None:
        """Export (pixels uint8 (N, H, W), widths int32 (N,)) -> probabilities, with a dynamic width and the
        LSTMs as ONNX `LSTM` operators (see `onnx_recurrent`)."""
        import tensorflow as tf

        height = self.input_shape[0]
        signature = [
            tf.TensorSpec((None, height, None), tf.uint8, name="image"),
            tf.TensorSpec((None,), tf.int32, name="width"),
        ]
        export_with_onnx_lstms(self.network, path, signature, self.frame_width)
