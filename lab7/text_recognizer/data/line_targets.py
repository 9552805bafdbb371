"""What the line detector learns to draw: each line's body, a band along its baseline.

FSDL's detector labelled every pixel of a line's box as "odd line" or "even line", so that two touching
lines still came apart as two regions of different classes. But whether a line is the 7th or the 8th of
the page is not something a convolution sees: its receptive field covers a few lines, not the page, so
near the middle of a page it can only guess the parity, and a wrong guess merges or splits lines.

Here the target is the line's *body*: a band above the baseline, about the height of the small letters,
which two lines never share (ascenders and descenders, where lines touch, are left out of it). A band is
decided by what is around it, so the network can learn it, and separate lines give separate bands:
post-processing finds lines as connected components. The line's full extent (with its ascenders and
descenders) is then rebuilt from the band with the proportions measured on the training lines
(`line_extent`), and recorded with the model.

A line is drawn from its baseline where the source has one (eScriptorium and Transkribus exports do);
otherwise a baseline is assumed at `ASSUMED_BASELINE` of its box's height.
"""

from collections.abc import Sequence

import cv2
import numpy as np

from text_recognizer.data.line_records import LineRecord, Point

BACKGROUND, LINE_BODY = 0, 1
CLASSES = ("background", "line body")
BODY_CENTRE = 0.35  # of the line's ascent (baseline to top): how far above the baseline the band's middle is
BODY_THICKNESS = 0.4  # of the line's ascent: the band's height
ASSUMED_BASELINE = 0.7  # of a box's height, from its top, for lines given without a baseline
MIN_THICKNESS = 2  # pixels at the detector's scale


def baseline_and_ascent(line: LineRecord) -> tuple[tuple[Point, ...], float]:
    """The line's baseline (points in page pixels) and its ascent, the height from the baseline to its top."""
    left, top, right, bottom = line.box
    if line.baseline and len(line.baseline) >= 2:
        baseline = tuple(sorted(line.baseline))
        ascent = float(np.mean([y for _, y in baseline])) - top
        if ascent > 0:
            return baseline, ascent
    y = top + ASSUMED_BASELINE * (bottom - top)
    return ((left, y), (right, y)), ASSUMED_BASELINE * (bottom - top)


def body_band(line: LineRecord, scale: float = 1.0) -> tuple[np.ndarray, float]:
    """The band's middle as an (n, 2) polyline and its thickness, in pixels of the page scaled by `scale`."""
    baseline, ascent = baseline_and_ascent(line)
    middle = np.array([(x, y - BODY_CENTRE * ascent) for x, y in baseline], dtype=np.float64) * scale
    return middle, max(MIN_THICKNESS, BODY_THICKNESS * ascent * scale)


def render_targets(
    lines: Sequence[LineRecord], scale: float, shape: tuple[int, int], origin: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """A uint8 map of `shape` (height, width): LINE_BODY on each line's band, BACKGROUND elsewhere.

    Page coordinates are taken relative to `origin` (x, y), the corner of the region the map covers,
    then scaled by `scale`.
    """
    target = np.full(shape, BACKGROUND, dtype=np.uint8)
    for line in lines:
        middle, thickness = body_band(line, scale)
        middle = middle - np.array(origin) * scale
        # The band as a polygon (not a thick polyline, whose round caps would reach past the line's ends).
        offset = np.array([0.0, thickness / 2])
        outline = np.concatenate([middle - offset, (middle + offset)[::-1]])
        cv2.fillPoly(target, [np.round(outline).astype(np.int32)], LINE_BODY)
    return target


def band_thickness(lines: Sequence[LineRecord], scales: Sequence[float]) -> float:
    """The lines' median band thickness in pixels, each line's page scaled by its `scales` entry."""
    return float(np.median([body_band(line, scale)[1] for line, scale in zip(lines, scales, strict=True)]))


def line_extent(lines: Sequence[LineRecord]) -> dict[str, float]:
    """How far a line reaches above and below its band's middle, in band thicknesses (medians over `lines`)."""
    above, below = [], []
    for line in lines:
        baseline, ascent = baseline_and_ascent(line)
        thickness = BODY_THICKNESS * ascent
        middle_y = float(np.mean([y for _, y in baseline])) - BODY_CENTRE * ascent
        above.append((middle_y - line.box[1]) / thickness)
        below.append((line.box[3] - middle_y) / thickness)
    return {"above": float(np.median(above)), "below": float(np.median(below))}
