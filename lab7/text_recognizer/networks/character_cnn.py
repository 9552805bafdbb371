"""A compact VGG-style CNN with batch normalization: the committed character and digit models."""

import keras
from keras import layers

from text_recognizer.networks._layers import conv_bn_relu, image_input


def character_cnn(
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    filters: int = 32,
    dense_size: int = 256,
    dropout_amount: float = 0.3,
    batch_norm_momentum: float = 0.99,
) -> keras.Model:
    """Three stages of two 3x3 conv-BN-ReLU blocks (filters, 2x, 4x), pooled, then a dense head.

    Batch normalization predicts with moving averages of the batch statistics, updated with
    `batch_norm_momentum` per step: 0.99 needs several hundred steps to settle, so very short runs
    (a few epochs on a small subsample) should use 0.9.
    """
    inputs, x = image_input(input_shape)
    for stage in range(3):
        x = conv_bn_relu(x, filters * 2**stage, momentum=batch_norm_momentum)
        x = conv_bn_relu(x, filters * 2**stage, momentum=batch_norm_momentum)
        x = layers.MaxPooling2D()(x) if stage < 2 else layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(dense_size, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=batch_norm_momentum)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout_amount)(x)
    outputs = layers.Dense(output_shape[0], activation="softmax")(x)
    return keras.Model(inputs, outputs, name="character_cnn")
