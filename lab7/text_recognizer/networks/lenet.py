"""LeNet-style convolutional network (LeCun et al., 1998), as the FSDL labs used it."""

import keras
from keras import layers

from text_recognizer.networks._layers import image_input


def lenet(input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> keras.Model:
    """Two 3x3 convolutions, max pooling, dropout, a dense layer and a softmax."""
    inputs, x = image_input(input_shape)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(output_shape[0], activation="softmax")(x)
    return keras.Model(inputs, outputs, name="lenet")
