"""Score found lines against true ones: one-to-one matches of boxes at an intersection over union.

Boxes rather than polygons: every source has boxes (IAM gives only boxes), and a box match at IoU 0.5
already needs the right line, its extent and no neighbour merged into it. `scored_text` prepares a
page's reading for its CER against the page's text.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]
IOU_THRESHOLD = 0.5


def box_iou(a: Sequence[Box], b: Sequence[Box]) -> np.ndarray:
    """(len(a), len(b)) intersection over union of (left, top, right, bottom) boxes."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    boxes_a, boxes_b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    left = np.maximum(boxes_a[:, None, 0], boxes_b[None, :, 0])
    top = np.maximum(boxes_a[:, None, 1], boxes_b[None, :, 1])
    right = np.minimum(boxes_a[:, None, 2], boxes_b[None, :, 2])
    bottom = np.minimum(boxes_a[:, None, 3], boxes_b[None, :, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (boxes_a[:, 2] - boxes_a[:, 0]) * (boxes_a[:, 3] - boxes_a[:, 1])
    area_b = (boxes_b[:, 2] - boxes_b[:, 0]) * (boxes_b[:, 3] - boxes_b[:, 1])
    return intersection / np.maximum(area_a[:, None] + area_b[None, :] - intersection, 1e-9)


def match_boxes(found: Sequence[Box], truth: Sequence[Box], threshold: float = IOU_THRESHOLD) -> list[tuple[int, int]]:
    """Pairs (found index, true index), greedily by decreasing IoU, each box in one pair at most."""
    iou = box_iou(found, truth)
    pairs, used_found, used_truth = [], set(), set()
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] < threshold:
            break
        if i not in used_found and j not in used_truth:
            pairs.append((int(i), int(j)))
            used_found.add(i)
            used_truth.add(j)
    return pairs


@dataclass(frozen=True)
class DetectionScores:
    found: int
    true: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.true if self.true else 1.0


def detection_scores(
    found: Sequence[Sequence[Box]], truth: Sequence[Sequence[Box]], threshold: float = IOU_THRESHOLD
) -> DetectionScores:
    """Precision and recall of line matching over pages (lists of boxes per page)."""
    matched = sum(len(match_boxes(f, t, threshold)) for f, t in zip(found, truth, strict=True))
    return DetectionScores(sum(map(len, found)), sum(map(len, truth)), matched)


def one_space(text: str) -> str:
    """Whitespace runs and line breaks as one space: a page's text compared whatever its line breaks."""
    return " ".join(text.split())


def scored_text(found: Sequence[Box], texts: Sequence[str], truth: Sequence[Box], unread: set[int]) -> str:
    """The texts of the found lines, in their order, as one line, without those that overlap most with a
    true line that is not read (`unread`: indices into `truth`, such as a page's reference number)."""
    iou = box_iou(found, truth)
    kept = [
        text
        for index, text in enumerate(texts)
        if not (len(truth) and iou[index].max() > 0 and int(iou[index].argmax()) in unread)
    ]
    return one_space(" ".join(kept))
