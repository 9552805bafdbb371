"""Seeded, stratified splits: each class is split in the same proportions (rounded down per class)."""

from collections.abc import Sequence

import numpy as np


def stratified_split(labels: np.ndarray, fractions: Sequence[float], seed: int) -> list[np.ndarray]:
    """Split indices of `labels` into parts of the given fractions, class by class.

    Fractions must sum to 1. Each class contributes floor(fraction * count) to every later part and its
    leftovers to the first part, so a class rarer than 1/fraction may be absent from a small part. The seed
    fixes the result; each part's indices come sorted.
    """
    if not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        counts = [int(np.floor(fraction * len(indices))) for fraction in fractions]
        counts[0] += len(indices) - sum(counts)
        start = 0
        for part, count in zip(parts, counts, strict=True):
            part.append(indices[start : start + count])
            start += count
    return [np.sort(np.concatenate(part)) for part in parts]


def stratified_subsample(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a class-balanced subsample keeping `fraction` of each class (at least one)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"subsample fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        indices = np.flatnonzero(labels == label)
        count = max(1, round(fraction * len(indices)))
        chosen.append(rng.choice(indices, size=count, replace=False))
    return np.sort(np.concatenate(chosen))
