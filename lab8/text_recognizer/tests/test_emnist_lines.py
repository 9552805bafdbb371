"""EMNIST Lines generation on tiny EMNIST files and a fixed list of sentences the tests provide."""

import numpy as np
import pytest

from text_recognizer import paths
from text_recognizer.data import emnist_lines
from text_recognizer.data.emnist_lines import EmnistLinesDataset, decode_labels, draw_lines, encode_texts
from text_recognizer.data.sentences import clean, sample_snippet
from text_recognizer.metadata import emnist as emnist_metadata
from text_recognizer.tests.test_datasets import write_emnist_idx

SENTENCES = [f"sentence {i} has Words and 42 digits" for i in range(200)]


@pytest.fixture
def lines_data(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RAW_DATA_DIR", tmp_path / "raw")
    monkeypatch.setattr(paths, "PROCESSED_DATA_DIR", tmp_path / "processed")
    monkeypatch.delenv(paths.MIRROR_ENV_VAR, raising=False)
    monkeypatch.setattr(emnist_lines, "brown_sentences", lambda: SENTENCES)
    write_emnist_idx(tmp_path / "raw" / "emnist", "test")
    return tmp_path


def make(**kwargs):
    data = EmnistLinesDataset(num_train=40, num_validation=10, num_test=10, **kwargs)
    data.setup()
    return data


def test_shapes_labels_and_lengths(lines_data):
    data = make(max_length=16)
    images, labels = data.split("train")
    assert images.shape == (40, 28, 28 * 16) and images.dtype == np.uint8 and labels.shape == (40, 16)
    texts = data.texts("train")
    assert all(0 < len(t) <= 16 for t in texts)
    assert all(set(t) <= set(emnist_metadata.MAPPING) | {" "} for t in texts)


def test_no_sentence_is_in_two_splits(lines_data, monkeypatch):
    # Few sentences for many lines: the training lines use nearly all of theirs, so a test line drawn from a
    # training sentence (a leak) would show here, not slip through by the luck of the draw.
    monkeypatch.setattr(emnist_lines, "brown_sentences", lambda: SENTENCES[:20])
    data = make(max_length=40)
    numbers = {
        split: {t.split()[1] for t in data.texts(split) if t.startswith("sentence ")}
        for split in ("train", "validation", "test")
    }
    assert all(numbers.values()), f"every split holds numbered sentences to compare: {numbers}"
    assert not numbers["train"] & numbers["validation"] and not numbers["train"] & numbers["test"]
    assert not numbers["validation"] & numbers["test"]


def test_generation_is_deterministic_and_cached(lines_data):
    first = make()
    second = make()
    np.testing.assert_array_equal(first.split("train")[0], second.split("train")[0])
    other = EmnistLinesDataset(num_train=40, num_validation=10, num_test=10, data_seed=1)
    other.setup()
    assert other.cache_path != first.cache_path
    assert not np.array_equal(first.split("train")[0], other.split("train")[0])


def test_a_split_does_not_change_with_the_size_of_any_split(lines_data):
    full = make()
    held_out = EmnistLinesDataset.held_out({}, num_test=4)
    held_out.setup()
    assert held_out.texts("test") == full.texts("test")[:4]
    np.testing.assert_array_equal(held_out.split("test")[0], full.split("test")[0][:4])
    more_training = EmnistLinesDataset(num_train=80, num_validation=10, num_test=10)
    more_training.setup()
    assert more_training.texts("validation") == full.texts("validation")
    assert more_training.texts("train")[:40] == full.texts("train")


def test_subsampling_generated_lines_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="num_train"):
        EmnistLinesDataset(subsample_fraction=0.5)


def test_each_character_draws_its_own_image_at_bounded_overlap():
    char_images = np.zeros((4, 28, 28), dtype=np.uint8)
    for k in range(4):
        char_images[k, :, k] = 100  # image k has one bright column at x = k
    labels = np.array([10, 10, 10, 10])  # all 'A'
    rng = np.random.default_rng(0)
    line = draw_lines(["AA"], char_images, labels, max_length=4, min_overlap=0.25, max_overlap=0.25, rng=rng)[0]
    columns = np.flatnonzero(line.max(axis=0))
    assert len(columns) == 2, "two different images, one per character"
    assert columns[1] - columns[0] in {21 + k for k in range(-3, 4)}, "placed 21 pixels apart (25% overlap)"


def test_overlapping_ink_is_summed_and_clipped():
    char_images = np.full((1, 28, 28), 200, dtype=np.uint8)
    line = draw_lines(["AA"], char_images, np.array([10]), 2, 0.5, 0.5, np.random.default_rng(0))[0]
    assert line.max() == 255 and line[:, 0].max() == 200


def test_label_encoding_round_trip():
    labels = encode_texts(["Hi 7", ""], max_length=6)
    assert labels.shape == (2, 6) and decode_labels(labels) == ["Hi 7", ""]
    with pytest.raises(ValueError, match="longer than max_length"):
        encode_texts(["too long"], max_length=3)


def test_bad_overlap_is_refused():
    with pytest.raises(ValueError, match="min_overlap"):
        EmnistLinesDataset(min_overlap=0.5, max_overlap=0.2)


def test_clean_and_snippets():
    assert clean("Hello, world!  It's `` 1961 ''.") == "Hello world It s 1961"
    rng = np.random.default_rng(0)
    snippets = [sample_snippet(SENTENCES, 12, rng) for _ in range(200)]
    assert all(0 < len(s) <= 12 and not s.startswith(" ") and not s.endswith(" ") for s in snippets)
    assert len(set(snippets)) > 20
