import numpy as np
import pytest

from text_recognizer.data.errors import DataFormatError
from text_recognizer.data.idx import read_idx, read_idx_images_and_labels
from text_recognizer.tests.support import write_idx


@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
def test_round_trip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / name, array)), array)


def test_bad_magic_number(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataFormatError, match="bad magic"):
        read_idx(path)


def test_truncated_payload_names_the_file(tmp_path):
    path = write_idx(tmp_path / "x.idx", np.zeros((5, 4, 4), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataFormatError, match=r"x\.idx.*truncated"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "x.idx.gz"
    path.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(DataFormatError, match="cannot be read"):
        read_idx(path)


def test_images_and_labels_must_agree(tmp_path):
    images = write_idx(tmp_path / "i.idx", np.zeros((4, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "l.idx", np.array([0, 1, 2], dtype=np.uint8))
    with pytest.raises(DataFormatError, match="expected 4 labels"):
        read_idx_images_and_labels(images, labels, num_classes=10)


def test_labels_out_of_range(tmp_path):
    images = write_idx(tmp_path / "i.idx", np.zeros((2, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "l.idx", np.array([0, 62], dtype=np.uint8))
    with pytest.raises(DataFormatError, match="outside the 62 known classes"):
        read_idx_images_and_labels(images, labels, num_classes=62)
