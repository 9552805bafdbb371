"""EMNIST and MNIST data modules on tiny raw files the tests write in the official layouts."""

import io
import logging
import zipfile

import numpy as np
import pytest

from text_recognizer import paths, stems
from text_recognizer.data import character_data_module, emnist, mnist
from text_recognizer.data.emnist import EmnistDataset
from text_recognizer.data.mnist import MnistDataset
from text_recognizer.tests.support import write_idx

PER_CLASS = 20


@pytest.fixture
def data_dirs(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RAW_DATA_DIR", tmp_path / "raw")
    monkeypatch.setattr(paths, "PROCESSED_DATA_DIR", tmp_path / "processed")
    monkeypatch.delenv(paths.MIRROR_ENV_VAR, raising=False)
    return tmp_path


def transposed_images(labels):
    """Images stored the EMNIST way (transposed): a bar along the first row becomes a column."""
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    images[:, 0, :] = 255
    images[:, 5, 5] = labels
    return images


def write_emnist_idx(directory, split, num_classes=62):
    labels = np.repeat(np.arange(num_classes, dtype=np.uint8), PER_CLASS)
    images_name, labels_name = emnist.IDX_FILES[split]
    write_idx(directory / images_name, transposed_images(labels))
    write_idx(directory / labels_name, labels)
    return labels


def test_emnist_test_split_only_is_carved_and_says_so(data_dirs, caplog):
    write_emnist_idx(data_dirs / "raw" / "emnist", "test")
    data = EmnistDataset(raw=True)
    with caplog.at_level(logging.WARNING):
        data.setup()
    assert "carved" in caplog.text and "carved" in data.summary()
    sizes = [len(data.split(s)[1]) for s in ("train", "validation", "test")]
    assert sizes == [62 * 16, 62 * 2, 62 * 2]
    for split in ("train", "validation", "test"):
        assert set(data.split(split)[1]) == set(range(62))
    images, labels = data.split("test")
    assert (images[:, :, 0] == 255).all(), "images are turned upright"
    np.testing.assert_array_equal(images[:, 5, 5], labels)


def test_emnist_official_train_and_test(data_dirs):
    write_emnist_idx(data_dirs / "raw" / "emnist", "train")
    test_labels = write_emnist_idx(data_dirs / "raw" / "emnist", "test")
    data = EmnistDataset()
    data.setup()
    assert "official" in data.summary()
    assert len(data.split("test")[1]) == len(test_labels)
    assert len(data.split("train")[1]) + len(data.split("validation")[1]) == 62 * PER_CLASS


def test_emnist_found_in_mirror(data_dirs, monkeypatch):
    write_emnist_idx(data_dirs / "mirror" / "emnist", "test")
    monkeypatch.setenv(paths.MIRROR_ENV_VAR, str(data_dirs / "mirror"))
    data = EmnistDataset()
    data.setup()
    assert len(data.split("train")[1]) == 62 * 16


def test_cache_is_rebuilt_when_raw_files_change(data_dirs):
    raw = data_dirs / "raw" / "emnist"
    write_emnist_idx(raw, "test")
    data = EmnistDataset()
    data.setup()
    built = data.cache_path.stat().st_mtime_ns
    EmnistDataset().setup()
    assert data.cache_path.stat().st_mtime_ns == built, "an up-to-date cache is reused"
    labels = np.repeat(np.arange(62, dtype=np.uint8), PER_CLASS + 10)
    write_idx(raw / emnist.IDX_FILES["test"][0], transposed_images(labels))
    write_idx(raw / emnist.IDX_FILES["test"][1], labels)
    rebuilt = EmnistDataset()
    rebuilt.setup()
    assert len(rebuilt.split("train")[1]) + len(rebuilt.split("validation")[1]) + len(rebuilt.split("test")[1]) == len(
        labels
    )


def test_subsample_fraction_is_stratified(data_dirs):
    write_emnist_idx(data_dirs / "raw" / "emnist", "test")
    data = EmnistDataset(subsample_fraction=0.25)
    data.setup()
    assert np.bincount(data.split("train")[1]).tolist() == [4] * 62
    assert len(data.split("test")[1]) == 62 * 2, "the test split is never subsampled"


def test_matlab_zip_is_read(data_dirs):
    from scipy.io import savemat

    labels = np.repeat(np.arange(62, dtype=np.uint8), PER_CLASS)
    split = {"images": transposed_images(labels).reshape(len(labels), -1), "labels": labels.reshape(-1, 1)}
    buffer = io.BytesIO()
    savemat(buffer, {"dataset": {"train": split, "test": split}})
    (data_dirs / "raw" / "emnist").mkdir(parents=True)
    with zipfile.ZipFile(data_dirs / "raw" / "emnist" / "matlab.zip", "w") as archive:
        archive.writestr(emnist.MAT_MEMBER, buffer.getvalue())
    data = EmnistDataset(raw=True)
    data.setup()
    assert "official" in data.summary()
    images, labels = data.split("test")
    assert len(labels) == 62 * PER_CLASS and (images[:, :, 0] == 255).all()


def test_bad_matlab_zip_says_what_to_do(data_dirs):
    (data_dirs / "raw" / "emnist").mkdir(parents=True)
    (data_dirs / "raw" / "emnist" / "matlab.zip").write_bytes(b"not a zip")
    with pytest.raises(emnist.DataFormatError, match="fetch it again"):
        EmnistDataset().setup()


def test_character_images_are_framed_by_the_predictors_stem(data_dirs):
    write_emnist_idx(data_dirs / "raw" / "emnist", "test")
    published, framed = EmnistDataset(raw=True), EmnistDataset()
    published.setup()
    framed.setup()
    for split in ("train", "validation", "test"):
        raw_images, raw_labels = published.split(split)
        images, labels = framed.split(split)
        np.testing.assert_array_equal(labels, raw_labels)
        expected = np.stack([stems.emnist_style(image) for image in raw_images])
        np.testing.assert_array_equal(images, expected)
    assert not np.array_equal(images, raw_images), "the fixture's bars are re-framed, not kept as published"
    assert framed.cache_path.exists() and framed.source_note == published.source_note


def test_blank_character_images_are_kept_as_published():
    arrays = {f"x_{split}": np.zeros((2, 28, 28), np.uint8) for split in ("train", "validation", "test")}
    arrays["x_train"][0, 10:18, 12:15] = 255
    framed = character_data_module.frame_splits(arrays, "emnist", (28, 28))
    assert framed["x_train"][0].max() == 255 and not np.array_equal(framed["x_train"][0], arrays["x_train"][0])
    np.testing.assert_array_equal(framed["x_test"], arrays["x_test"])


def test_mnist_splits_and_inversion_augmentation(data_dirs):
    raw = data_dirs / "raw" / "mnist"
    labels = np.repeat(np.arange(10, dtype=np.uint8), 600)
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    for name, array in zip(
        mnist.FILES["train"] + mnist.FILES["test"], (images, labels, images[:100], labels[:100]), strict=True
    ):
        write_idx(raw / name, array)
    data = MnistDataset(invert_probability=1.0, max_shift=0)
    data.setup()
    assert np.bincount(data.split("validation")[1]).tolist() == [500] * 10, "5,000 of 6,000, stratified"
    assert len(data.split("train")[1]) == 1000 and len(data.split("test")[1]) == 100
    batch, _ = next(iter(data.tf_dataset("train", 8, augment=True)))
    assert (batch.numpy() == 255).all(), "every image inverted with probability 1"


def test_random_shift_moves_each_image_by_its_own_offset():
    import tensorflow as tf

    images = np.zeros((64, 28, 28), dtype=np.uint8)
    images[:, 14, 14] = 255
    shifted = mnist.random_shift(tf.constant(images), max_shift=2).numpy()
    positions = {tuple(np.argwhere(image == 255)[0]) for image in shifted}
    assert shifted.shape == images.shape and (shifted == 255).sum() == 64
    assert len(positions) > 5 and all(abs(r - 14) <= 2 and abs(c - 14) <= 2 for r, c in positions)
