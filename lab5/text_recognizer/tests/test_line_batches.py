"""Width-bucketed batches of variable-width lines."""

import numpy as np
import pytest

from text_recognizer.data.line_batches import LABEL_PADDING, bucket_boundaries, bucketed_lines
from text_recognizer.line_batching import width_sorted_batches


def lines(widths):
    images = [np.full((16, width), i + 1, dtype=np.uint8) for i, width in enumerate(widths)]
    labels = [[i + 1] * (1 + i % 3) for i in range(len(widths))]
    return images, labels


def test_boundaries_cover_the_widest_line():
    assert bucket_boundaries([10, 300, 129], step=128) == [128, 256, 384]


def test_batches_hold_similar_widths_padded_to_their_widest_line():
    widths = [40, 1000, 50, 990, 60, 1010, 45, 980]
    images, labels = lines(widths)
    batches = list(bucketed_lines(images, labels, batch_size=4, step=128))
    assert len(batches) == 2
    for (pixels, widths_tensor), batch_labels in batches:
        batch_widths = widths_tensor.numpy()
        assert pixels.shape[2] == batch_widths.max()  # padded to this batch's widest line only
        assert batch_widths.max() - batch_widths.min() < 128
        for row, width, label in zip(pixels.numpy(), batch_widths, batch_labels.numpy(), strict=True):
            value = row[0, 0]
            assert (row[:, :width] == value).all() and (row[:, width:] == 0).all()
            assert label[0] == value  # each line keeps its own label


def test_every_line_comes_once_and_labels_are_padded():
    images, labels = lines([30, 70, 200, 260, 500, 90, 33])
    seen = []
    for (pixels, _), batch_labels in bucketed_lines(images, labels, batch_size=2, shuffle=True, seed=1):
        for row, label in zip(pixels.numpy(), batch_labels.numpy(), strict=True):
            value = int(row[0, 0])
            seen.append(value)
            assert list(label[label != LABEL_PADDING]) == labels[value - 1]
    assert sorted(seen) == list(range(1, 8))


def test_lines_of_another_height_are_refused():
    images, labels = lines([30, 40])
    images[1] = np.zeros((17, 40), dtype=np.uint8)
    with pytest.raises(ValueError, match="16 pixels high"):
        bucketed_lines(images, labels, batch_size=2)


def test_inference_batches_go_narrowest_first_padded_with_black_to_a_multiple():
    images, _ = lines([40, 1000, 50, 990, 60])
    batches = list(width_sorted_batches(images, batch_size=2, width_multiple=16))
    assert [indices for indices, _, _ in batches] == [[0, 2], [4, 3], [1]]
    for indices, pixels, widths in batches:
        assert pixels.dtype == np.uint8 and pixels.shape[2] % 16 == 0 and pixels.shape[2] >= widths.max()
        for row, index, width in zip(pixels, indices, widths, strict=True):
            assert width == images[index].shape[1]
            np.testing.assert_array_equal(row[:, :width], images[index])
            assert (row[:, width:] == 0).all(), "padding is black: no ink the model could read"
