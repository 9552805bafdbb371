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
