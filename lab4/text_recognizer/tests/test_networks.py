import numpy as np
import pytest

from text_recognizer import networks


@pytest.mark.parametrize("name", ["mlp", "lenet", "character_cnn"])
@pytest.mark.parametrize("num_classes", [10, 62])
def test_output_is_a_distribution_per_image(name, num_classes):
    model = networks.get(name)((28, 28), (num_classes,))
    assert model.input.dtype == "uint8"
    probabilities = np.asarray(model(np.zeros((3, 28, 28), dtype=np.uint8)))
    assert probabilities.shape == (3, num_classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_mlp_arguments_shape_the_network():
    model = networks.get("mlp")((28, 28), (10,), layer_size=32, num_layers=2, dropout_amount=0.0)
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense] == [32, 32, 10]


def test_unknown_network_lists_the_choices():
    with pytest.raises(ValueError, match=r"Available networks: .*character_cnn.*lenet.*mlp"):
        networks.get("resnet9000")


def _one_training_step(layer, features):
    """The layer's output, its gradients (features, gamma, beta) and moving statistics after one step."""
    import tensorflow as tf

    features = tf.constant(features)
    with tf.GradientTape() as tape:
        tape.watch(features)
        outputs = layer(features, training=True)
        # Weights per element: a sum over a channel of normalized features would have no gradient to test.
        loss = tf.reduce_sum(outputs * np.random.default_rng(1).normal(size=features.shape).astype("float32"))
    gradients = tape.gradient(loss, [features, layer.gamma.value, layer.beta.value])
    moving = [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
    return [np.asarray(t) for t in (outputs, *gradients)] + moving


def test_fused_batch_normalization_computes_keras_batch_normalization():
    import keras

    from text_recognizer.networks._layers import BatchNormalization

    rng = np.random.default_rng(0)
    features = (rng.normal(size=(4, 6, 10, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -2.0]).astype("float32")
    keras_layer, fused_layer = keras.layers.BatchNormalization(momentum=0.9), BatchNormalization(momentum=0.9)
    for layer in (keras_layer, fused_layer):
        layer.build(features.shape)
        layer.gamma.assign([1.0, 2.0, 0.5])
        layer.beta.assign([0.0, -1.0, 1.0])
    for expected, fused in zip(
        _one_training_step(keras_layer, features), _one_training_step(fused_layer, features), strict=True
    ):
        np.testing.assert_allclose(fused, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused_layer(features, training=False), keras_layer(features, training=False), atol=1e-5)


def test_fused_batch_normalization_keeps_keras_weight_paths(tmp_path):
    """Saved weights are addressed by class name: models saved with Keras's layer must load."""
    import keras

    from text_recognizer.networks._layers import BatchNormalization

    def network(normalization):
        inputs = keras.Input((4, 4, 2))
        return keras.Model(inputs, normalization()(keras.layers.Conv2D(2, 3)(inputs)))

    saved = network(keras.layers.BatchNormalization)
    saved.layers[-1].moving_mean.assign([0.5, -0.5])
    saved.save_weights(tmp_path / "model.weights.h5")
    loaded = network(BatchNormalization)
    loaded.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_array_equal(loaded.layers[-1].moving_mean.numpy(), [0.5, -0.5])


def test_fused_batch_normalization_refuses_other_layouts():
    from text_recognizer.networks._layers import BatchNormalization

    with pytest.raises(ValueError, match="batch, height, width, channels"):
        BatchNormalization().build((8, 16))
