"""The real-handwriting line network: frames per width, and masking that makes batches not matter."""

import keras
import numpy as np
import pytest

from text_recognizer.networks.handwriting_cnn_bilstm_ctc import FRAME_WIDTH, handwriting_cnn_bilstm_ctc

HEIGHT = 48


@pytest.fixture(scope="module", params=[1, 2], ids=["4-pixel steps", "8-pixel steps"])
def network(request):
    keras.utils.set_random_seed(0)
    return handwriting_cnn_bilstm_ctc(
        (HEIGHT, None), (20,), filters=8, lstm_units=16, dropout_amount=0.0, frames_per_step=request.param
    )


SHORT = 204  # 51 frames: with two frames per LSTM step, the last step gives one frame of the line


def lines():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (HEIGHT, SHORT), dtype=np.uint8), rng.integers(0, 256, (HEIGHT, 640), dtype=np.uint8)


def test_one_frame_per_four_pixels_and_probabilities(network):
    short, _ = lines()
    out = network([short[None, :, :200], np.array([200], np.int32)], training=False).numpy()
    assert out.shape == (1, 200 // FRAME_WIDTH, 20)
    assert np.allclose(out.sum(axis=-1), 1, atol=1e-5)


def test_a_line_reads_the_same_alone_and_beside_a_longer_one(network):
    short, long = lines()
    alone = network([short[None], np.array([SHORT], np.int32)], training=False).numpy()[0, : SHORT // FRAME_WIDTH]
    batch = np.zeros((2, HEIGHT, 640), dtype=np.uint8)
    batch[0, :, :SHORT], batch[1] = short, long
    together = network([batch, np.array([SHORT, 640], np.int32)], training=False).numpy()[0, : len(alone)]
    assert np.abs(np.log(alone) - np.log(together)).max() < 1e-5  # float noise only
    # Control: told its width is the batch's, the backward LSTMs start in the padding and read it otherwise.
    unmasked = network([batch, np.array([640, 640], np.int32)], training=False).numpy()[0, : len(alone)]
    assert np.abs(np.log(alone) - np.log(unmasked)).max() > 5e-3


def test_a_height_the_poolings_cannot_halve_is_refused():
    with pytest.raises(ValueError, match="multiple of 8"):
        handwriting_cnn_bilstm_ctc((44, None), (20,))


def test_the_default_size_suits_a_cpu():
    parameters = handwriting_cnn_bilstm_ctc((HEIGHT, None), (140,)).count_params()
    assert 0.5e6 < parameters < 3e6


def test_only_one_or_two_frames_per_step():
    with pytest.raises(ValueError, match="frames_per_step"):
        handwriting_cnn_bilstm_ctc((HEIGHT, None), (20,), frames_per_step=3)
