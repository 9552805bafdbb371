"""Real handwritten lines: convolutions, two bidirectional LSTMs over masked frames, a softmax per frame.

Inputs are the batch of lines (uint8, ink bright on black, padded with 0 to the widest) and each line's
width, a multiple of `FRAME_WIDTH` (pad a line with 0 to one). Each output frame covers 4 pixels of
width: at 8, a few percent of real lines have fewer frames than characters, which CTC cannot align.

A line is read the same alone or beside a longer one: after every convolution the columns past a line's
width are set to 0, as the convolution's own zero padding would be for the line alone (otherwise a
3x3 kernel spreads the line's last column into the padding, and the next layers read it back), and the
LSTMs skip the frames past it.
"""

import keras
from keras import layers, ops

from text_recognizer.networks._layers import conv_bn_relu

FRAME_WIDTH = 4  # pixels of width per output frame


def _valid_columns(widths, columns, scale: int):
    """(batch, columns) booleans: True where a column at `scale` pixels per column lies within the width."""
    positions = ops.arange(columns, dtype="int32")
    return ops.less(positions[None, :], ops.floor_divide(ops.cast(widths, "int32"), scale)[:, None])


class ColumnMask(layers.Layer):
    """Features (batch, height, columns, channels) with the columns past each line's width set to 0."""

    def __init__(self, scale: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, features, widths):
        valid = _valid_columns(widths, ops.shape(features)[2], self.scale)
        return features * ops.cast(valid, features.dtype)[:, None, :, None]

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


class FrameMask(layers.Layer):
    """(batch, frames) booleans for the LSTMs: True for the frames within each line's width."""

    def __init__(self, frame_width: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frame_width = frame_width

    def call(self, frames, widths):
        return _valid_columns(widths, ops.shape(frames)[1], self.frame_width)

    def compute_output_spec(self, frames, widths):
        return keras.KerasTensor(frames.shape[:2], dtype="bool")

    def get_config(self) -> dict:
        return {**super().get_config(), "frame_width": self.frame_width}


class DropMask(layers.Layer):
    """Passes its input on without the frames' mask: the CTC loss takes each line's frame count instead.

    (Keras would otherwise weight the per-line loss by the (batch, frames) mask, which has another shape.)
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # it takes the mask in, and gives none out

    def call(self, inputs):
        return ops.copy(inputs)  # a new tensor: the input's own carries the mask

    def compute_mask(self, inputs, mask=None):
        return None


def handwriting_cnn_bilstm_ctc(
    input_shape: tuple[int, int | None],
    output_shape: tuple[int],
    filters: int = 32,
    lstm_units: int = 128,
    dropout_amount: float = 0.25,
) -> keras.Model:
    """(image (height, width) uint8, width int32) -> (width // 4 frames, num_classes) probabilities (blank 0)."""
    height = input_shape[0]
    if height % 8:
        raise ValueError(f"the line height must be a multiple of 8 (three 2x poolings), got {height}")
    image = keras.Input(shape=(height, None), dtype="uint8", name="image")
    width = keras.Input(shape=(), dtype="int32", name="width")
    x = layers.Rescaling(1.0 / 255)(image)
    x = layers.Reshape((height, -1, 1))(x)
    x = ColumnMask(1)(conv_bn_relu(x, filters, momentum=0.9), width)
    x = layers.MaxPooling2D((2, 2))(x)
    x = ColumnMask(2)(conv_bn_relu(x, 2 * filters, momentum=0.9), width)
    x = layers.MaxPooling2D((2, 2))(x)
    x = ColumnMask(4)(conv_bn_relu(x, 4 * filters, momentum=0.9), width)
    x = ColumnMask(4)(conv_bn_relu(x, 4 * filters, momentum=0.9), width)
    x = layers.MaxPooling2D((2, 1))(x)  # the height only: the frames stay 4 pixels wide
    x = layers.Conv2D(4 * filters, (height // 8, 1), activation="relu")(x)  # collapse the height: (1, T, C)
    x = layers.Reshape((-1, 4 * filters))(x)
    mask = FrameMask(FRAME_WIDTH)(x, width)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x, mask=mask)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x, mask=mask)
    x = layers.Dropout(dropout_amount)(x)
    outputs = DropMask()(layers.Dense(output_shape[0], activation="softmax")(x))
    return keras.Model([image, width], outputs, name="handwriting_cnn_bilstm_ctc")
