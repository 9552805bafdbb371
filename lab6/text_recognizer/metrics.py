"""Character error rate: the one implementation that training, evaluation and tests all use."""

from collections.abc import Sequence


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions that turn `a` into `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


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
