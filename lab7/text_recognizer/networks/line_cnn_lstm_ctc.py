"""Convolutional features, a bidirectional LSTM, and a softmax per frame over characters plus blank.

Lines may be any width: the height is fixed (28), each frame covers 8 pixels of width, so a line of
width W gives W // 8 frames for CTC to align with the text. The convolutions stay narrow on purpose:
this trains at a few hundred lines per second on two CPU cores.
"""

import keras
from keras import layers

from text_recognizer.networks._layers import conv_bn_relu

DOWNSAMPLING = 8  # pixels of width per output frame


def line_cnn_lstm_ctc(
    input_shape: tuple[int, int | None],
    output_shape: tuple[int],
    filters: int = 16,
    lstm_units: int = 64,
    dropout_amount: float = 0.2,
) -> keras.Model:
    """(height, width or None) uint8 -> (width // 8, num_classes) per-frame probabilities (blank = 0)."""
    height = input_shape[0]
    inputs = keras.Input(shape=(height, None), dtype="uint8", name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Reshape((height, -1, 1))(x)
    # Full resolution is where convolutions cost most on a CPU: the first layer strides over it.
    x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = conv_bn_relu(x, filters, momentum=0.9)
    x = layers.MaxPooling2D((2, 2))(x)
    x = conv_bn_relu(x, 2 * filters, momentum=0.9)
    x = layers.MaxPooling2D((1, 2))(x)
    x = layers.Conv2D(4 * filters, (height // 4, 1), activation="relu")(x)  # collapse the height: (1, T, C)
    x = layers.Reshape((-1, 4 * filters))(x)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x)
    x = layers.Dropout(dropout_amount)(x)
    outputs = layers.Dense(output_shape[0], activation="softmax")(x)
    return keras.Model(inputs, outputs, name="line_cnn_lstm_ctc")
