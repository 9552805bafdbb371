"""Real handwritten lines: convolutions, two bidirectional LSTMs over masked frames, a softmax per frame.

Inputs are the batch of lines (uint8, ink bright on black, padded with 0 to the widest) and each line's
width, a multiple of `FRAME_WIDTH` (pad a line with 0 to one). Each output frame covers 4 pixels of
width: at 8, a few percent of real lines have fewer frames than characters, which CTC cannot align.
The LSTMs may still step over 8 pixels at a time (`frames_per_step=2`): each step then gives two frames,
which halves the recurrent steps, the sequential part of training and of reading a line.

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


def recurrent_steps(frames, frames_per_step: int):
    """The LSTM steps that cover a line's `frames` output frames: each step gives `frames_per_step` of them."""
    return ops.floor_divide(frames + frames_per_step - 1, frames_per_step)


class FrameMask(layers.Layer):
    """(batch, steps) booleans for the LSTMs: True for the steps that give a frame within each line's width."""

    def __init__(self, frame_width: int, frames_per_step: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frame_width = frame_width
        self.frames_per_step = frames_per_step

    def call(self, steps, widths):
        frames = ops.floor_divide(ops.cast(widths, "int32"), self.frame_width)
        valid_steps = recurrent_steps(frames, self.frames_per_step)
        return ops.less(ops.arange(ops.shape(steps)[1], dtype="int32")[None, :], valid_steps[:, None])

    def compute_output_spec(self, steps, widths):
        return keras.KerasTensor(steps.shape[:2], dtype="bool")

    def get_config(self) -> dict:
        return {**super().get_config(), "frame_width": self.frame_width, "frames_per_step": self.frames_per_step}


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
    frames_per_step: int = 1,
) -> keras.Model:
    """(image (height, width) uint8, width int32) -> (width // 4 frames, num_classes) probabilities (blank 0).

    With `frames_per_step` 2, the LSTMs run over 8-pixel steps and each step gives two 4-pixel frames for
    CTC to align. A batch may then give one frame more than its width // 4; a line's own frames are the
    first width // 4, as with 1.
    """
    if frames_per_step not in (1, 2):
        raise ValueError(f"frames_per_step must be 1 or 2, got {frames_per_step}")
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
    # The height, and the width to the LSTM steps ("same": an odd last column is a step of its own; the
    # masked columns are 0 and the features >= 0, so a line's last step is the same alone or in a batch)
    x = layers.MaxPooling2D((2, frames_per_step), padding="same")(x)
    step_features = 4 * filters * frames_per_step
    x = layers.Conv2D(step_features, (height // 8, 1), activation="relu")(x)  # collapse the height: (1, T, C)
    x = layers.Reshape((-1, step_features))(x)
    mask = FrameMask(FRAME_WIDTH, frames_per_step)(x, width)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x, mask=mask)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x, mask=mask)
    x = layers.Dropout(dropout_amount)(x)
    if frames_per_step == 1:
        outputs = DropMask()(layers.Dense(output_shape[0], activation="softmax")(x))
    else:
        x = DropMask()(layers.Dense(frames_per_step * output_shape[0])(x))
        outputs = layers.Softmax()(layers.Reshape((-1, output_shape[0]))(x))  # (steps, k x classes) -> frames
    return keras.Model([image, width], outputs, name="handwriting_cnn_bilstm_ctc")
