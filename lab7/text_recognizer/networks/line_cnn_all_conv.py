"""FSDL's sliding-window line model written as convolutions: one softmax per character slot.

The line is `output_length` slots of one EMNIST character's width. After two 2x2 poolings a convolution
of width two slots, moving one slot at a time, acts as a classifier slid along the line: it reads each
slot with its neighbours' context and outputs exactly `output_length` predictions, padded with <P>. This
works while characters sit in their slots; overlap and uneven spacing break it, which is why CTC exists.
"""

import keras
from keras import layers

from text_recognizer.networks._layers import conv_bn_relu, image_input


def line_cnn_all_conv(
    input_shape: tuple[int, int],
    output_shape: tuple[int, int],
    filters: int = 32,
    window_slots: int = 2,
    dropout_amount: float = 0.2,
) -> keras.Model:
    """(height, output_length * char_width) uint8 -> (output_length, num_classes) probabilities."""
    height, width = input_shape
    output_length, num_classes = output_shape
    if width % (4 * output_length) or height % 4:
        raise ValueError(f"input {input_shape} must be output_length={output_length} slots, each a multiple of 4")
    slot = width // output_length // 4
    inputs, x = image_input(input_shape)
    x = conv_bn_relu(x, filters, momentum=0.9)
    x = layers.MaxPooling2D()(x)
    x = conv_bn_relu(x, 2 * filters, momentum=0.9)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(4 * filters, (height // 4, 1), activation="relu")(x)
    x = layers.Conv2D(4 * filters, (1, window_slots * slot), strides=(1, slot), padding="same", activation="relu")(x)
    x = layers.Dropout(dropout_amount)(x)
    x = layers.Conv2D(num_classes, 1, activation="softmax")(x)
    outputs = layers.Reshape((output_length, num_classes))(x)
    return keras.Model(inputs, outputs, name="line_cnn_all_conv")
