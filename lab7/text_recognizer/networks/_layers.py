"""Building blocks shared by the networks."""

import keras
from keras import layers


def image_input(input_shape: tuple[int, ...]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A uint8 image input and the same images scaled to [0, 1] with a channel axis.

    Networks take raw uint8 pixels so that data stays uint8 (4x smaller) until it reaches the model.
    """
    inputs = keras.Input(shape=input_shape, dtype="uint8", name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Reshape((*input_shape, 1))(x)
    return inputs, x


def conv_bn_relu(x: keras.KerasTensor, filters: int, kernel_size: int = 3, momentum: float = 0.99) -> keras.KerasTensor:
    """3x3 convolution without bias, batch normalization, ReLU."""
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=momentum)(x)
    return layers.ReLU()(x)
