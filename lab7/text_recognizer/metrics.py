"""Character error rate: the one implementation that training, evaluation and tests all use."""

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions that turn `a` into `b`.

    rapidfuzz's C++ implementation, orders of magnitude faster than the textbook dynamic programme it is
    tested against (`tests/test_metrics_and_ctc.py`), which matters for CER over a whole split every epoch.
    """
    return Levenshtein.distance(a, b)


def character_error_rate(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Total edit distance over total target length (padding and blanks must already be removed)."""
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
    total = sum(len(t) for t in targets)
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, targets, strict=True))
    return errors / total if total else float(errors > 0)


def line_accuracy(predictions: Sequence[str], targets: Sequence[str]) -> float:
    """Share of lines read exactly right."""
    return sum(p == t for p, t in zip(predictions, targets, strict=True)) / max(1, len(targets))
