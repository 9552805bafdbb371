"""Line networks and models: shapes for any width, the CTC loss, decoding, and line preprocessing."""

import numpy as np
import pytest

from text_recognizer import networks
from text_recognizer.metadata import emnist_lines as metadata
from text_recognizer.models.line_model import LineModel
from text_recognizer.models.line_model_ctc import LineModelCtc, ctc_loss
from text_recognizer.predictors.image_io import ImageError
from text_recognizer.stems import line_style

NUM_CLASSES = len(metadata.MAPPING)


def test_all_conv_outputs_one_distribution_per_slot():
    model = networks.get("line_cnn_all_conv")((28, 28 * 8), (8, NUM_CLASSES))
    out = np.asarray(model(np.zeros((2, 28, 224), dtype=np.uint8)))
    assert out.shape == (2, 8, NUM_CLASSES)
    np.testing.assert_allclose(out.sum(-1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="slots"):
        networks.get("line_cnn_all_conv")((28, 100), (8, NUM_CLASSES))


@pytest.mark.parametrize("width", [64, 200, 896, 952])
def test_ctc_network_reads_any_width(width):
    model = networks.get("line_cnn_lstm_ctc")((28, None), (NUM_CLASSES,))
    out = np.asarray(model(np.zeros((1, 28, width), dtype=np.uint8)))
    assert out.shape == (1, width // 8, NUM_CLASSES)


def test_ctc_loss_prefers_the_right_alignment():
    label = np.full((1, 4), metadata.PADDING_INDEX, dtype=np.uint8)
    label[0, :2] = [1, 2]
    good = np.full((1, 6, NUM_CLASSES), 1e-3, dtype=np.float32)
    for frame, cls in enumerate([1, 1, 0, 2, 0, 0]):
        good[0, frame, cls] = 1.0
    bad = good[:, :, ::-1].copy()
    good_loss, bad_loss = float(ctc_loss(label, good)[0]), float(ctc_loss(label, bad)[0])
    assert good_loss < 0.5 and bad_loss > 5


def test_models_decode_to_text():
    ctc = LineModelCtc("line_cnn_lstm_ctc", metadata.INPUT_SHAPE, metadata.MAPPING, {})
    probabilities = np.zeros((1, 5, NUM_CLASSES), dtype=np.float32)
    for frame, cls in enumerate([11, 0, 11, 63, 2]):  # 'A', blank, 'A', ' ', '1'
        probabilities[0, frame, cls] = 1
    assert ctc.decode(probabilities) == ["AA 1"]
    assert ctc.beam_search_decode(probabilities) == ["AA 1"]
    fixed = LineModel("line_cnn_all_conv", (28, 28 * 4), metadata.MAPPING, {})
    slots = np.zeros((1, 4, NUM_CLASSES), dtype=np.float32)
    for slot, cls in enumerate([11, 63, 2, metadata.PADDING_INDEX]):
        slots[0, slot, cls] = 1
    assert fixed.decode(slots) == ["A 1"]


def test_line_preprocessing_any_polarity_and_size():
    line = np.full((120, 900), 255, dtype=np.uint8)
    line[30:90, 100:800:50] = 0
    dark_on_light, light_on_dark = line_style(line), line_style(255 - line)
    np.testing.assert_array_equal(dark_on_light, light_on_dark)
    assert dark_on_light.shape[0] == 28 and 250 < dark_on_light.shape[1] < 400


def test_line_preprocessing_refuses_blank_and_page_sized_images():
    with pytest.raises(ImageError, match="blank"):
        line_style(np.full((50, 50), 255, dtype=np.uint8))
    tall_page = np.zeros((4, 20000), dtype=np.uint8)
    tall_page[1:3, :] = 255
    with pytest.raises(ImageError, match="one line"):
        line_style(tall_page)


def test_tall_ink_is_shrunk_before_its_margin_is_padded():
    """A 200,000 x 3 stroke would get a 20,000-pixel margin on every side (16 GB) if padded first."""
    stroke = np.zeros((200_000, 3), dtype=np.uint8)
    stroke[:, 1] = 255
    assert line_style(stroke).shape == (28, 16)
