import numpy as np
import pytest

from text_recognizer.data.splits import stratified_split, stratified_subsample

LABELS = np.repeat(np.arange(5), [100, 50, 20, 10, 3])


def test_split_is_disjoint_and_complete():
    parts = stratified_split(LABELS, (0.8, 0.1, 0.1), seed=1)
    together = np.concatenate(parts)
    assert len(together) == len(LABELS) == len(np.unique(together))


def test_split_is_stratified():
    train, validation, test = stratified_split(LABELS, (0.8, 0.1, 0.1), seed=1)
    assert np.bincount(LABELS[validation], minlength=5).tolist() == [10, 5, 2, 1, 0]
    assert np.bincount(LABELS[test], minlength=5).tolist() == [10, 5, 2, 1, 0]
    assert np.bincount(LABELS[train]).tolist() == [80, 40, 16, 8, 3]


def test_split_is_deterministic_and_seeded():
    first = stratified_split(LABELS, (0.5, 0.5), seed=3)
    second = stratified_split(LABELS, (0.5, 0.5), seed=3)
    other = stratified_split(LABELS, (0.5, 0.5), seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split(LABELS, (0.8, 0.3), seed=0)


def test_subsample_keeps_class_proportions_and_every_class():
    kept = stratified_subsample(LABELS, 0.1, seed=0)
    assert np.bincount(LABELS[kept]).tolist() == [10, 5, 2, 1, 1]
    assert np.array_equal(kept, stratified_subsample(LABELS, 0.1, seed=0))


def test_subsample_is_random_within_each_class():
    first_rows = np.concatenate(
        [np.flatnonzero(label == LABELS)[: round(0.5 * count)] for label, count in enumerate(np.bincount(LABELS))]
    )
    kept = stratified_subsample(LABELS, 0.5, seed=0)
    assert len(kept) == len(first_rows) and not np.array_equal(np.sort(first_rows), kept)
    assert not np.array_equal(kept, stratified_subsample(LABELS, 0.5, seed=1))
