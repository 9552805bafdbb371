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


class BatchNormalization(layers.BatchNormalization):
    """Keras's batch normalization, computed by TensorFlow's fused kernel when training.

    Keras 3 normalizes a training batch with separate moment, subtraction and scaling operations: on the
    course's 2-core CPU they took half of the handwriting CNN's training step. The fused kernel computes the
    same function about 4 times faster. The class keeps Keras's name because saved weights are addressed by
    class name: models saved with Keras's layer load into this one, and the other way round.
    """

    def build(self, input_shape) -> None:
        if len(input_shape) != 4 or self.axis not in (-1, 3) or self.renorm:
            raise ValueError("this batch normalization is for (batch, height, width, channels) features, no renorm")
        super().build(input_shape)

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None:
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        features = tf.cast(inputs, "float32")
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            features, self.gamma, self.beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
        )
        # The kernel gives the sample variance (divided by n - 1); Keras's moving variance averages the
        # population variance (divided by n), which is what inference normalizes with.
        count = tf.cast(tf.size(features) // tf.shape(features)[-1], "float32")
        variance = variance * (count - 1.0) / count
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return tf.cast(outputs, self.compute_dtype)


def conv_bn_relu(x: keras.KerasTensor, filters: int, kernel_size: int = 3, momentum: float = 0.99) -> keras.KerasTensor:
    """3x3 convolution without bias, batch normalization, ReLU."""
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False)(x)
    x = BatchNormalization(momentum=momentum)(x)
    return layers.ReLU()(x)
