"""Find handwritten lines on a page: a small fully convolutional U-Net with dilated convolutions.

In FSDL's spirit (a fully convolutional network labelling every pixel of the page) and small enough for
a 2-core CPU. Input: a page at the detector's scale (uint8, ink bright on black, sides multiples of 8).
Output: per pixel, the probability of each class (background, line body).

The encoder halves the resolution three times (16, 32, 64 filters); at 1/8 scale, convolutions dilated
1, 2, 4 and 8 widen the receptive field to 276 pixels of the input (about 15 lines at 512), many
words wide, which is what it takes to tell a line's body from a gap where a word is missing or an
ascender reaches up. The decoder upsamples back (transposed convolutions), joined by skip connections
to the encoder's features at each scale, so that the bands' edges are placed at full resolution.
"""

import keras
from keras import layers, ops

from text_recognizer.networks._layers import BatchNormalization, conv_bn_relu


def line_detector_fcn(
    input_shape: tuple[int | None, int | None],
    output_shape: tuple[int, ...],
    filters: int = 16,
    dilations: tuple[int, ...] = (1, 2, 4, 8),
) -> keras.Model:
    """(height, width) uint8 pages -> (height, width, classes) softmax; sides must be multiples of 8."""
    (num_classes,) = output_shape
    inputs = keras.Input(shape=input_shape, dtype="uint8", name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = ops.expand_dims(x, -1)
    full = conv_bn_relu(x, filters // 2)
    half = conv_bn_relu(layers.MaxPooling2D()(full), filters)
    quarter = conv_bn_relu(layers.MaxPooling2D()(half), 2 * filters)
    x = layers.MaxPooling2D()(quarter)
    for rate in dilations:
        x = layers.Conv2D(4 * filters, 3, padding="same", dilation_rate=rate, use_bias=False)(x)
        x = BatchNormalization()(x)
        x = layers.ReLU()(x)
    for skip, width in ((quarter, 2 * filters), (half, filters), (full, filters // 2)):
        x = layers.Conv2DTranspose(width, 2, strides=2)(x)  # learnt upsampling, x2
        x = conv_bn_relu(layers.Concatenate()([x, skip]), width)
    outputs = layers.Conv2D(num_classes, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="line_detector_fcn")
