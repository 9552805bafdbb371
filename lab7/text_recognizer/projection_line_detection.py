"""A classical line finder to compare the learned detector with: projection profiles, with OpenCV.

    lines = projection_lines(grey_page)

1. The page as the detector sees it (`page_stems.detector_input`: downscaled, light flattened, ink
   bright), binarized with Otsu's threshold.
2. Ruled lines removed: an opening with a kernel a quarter of the page wide keeps only long horizontal
   strokes, which are subtracted.
3. The rows' ink counts, smoothed, peak where lines of text are; the valleys between peaks bound them.
4. Each band's horizontal extent is where its ink is; bands with little ink are dropped.

It needs no training and is fast, and it is what a first attempt usually is. It assumes level lines
that span the text block: slanted lines, lines that touch, two columns or a printed header defeat it.
"""

import itertools

import cv2
import numpy as np

from text_recognizer import page_stems
from text_recognizer.line_detection import FoundLine, reading_order

SIDE = 512
RULING_KERNEL = 0.25  # of the page's width: horizontal strokes longer than this are ruling, not writing
SMOOTHING = 0.004  # of the page's height: the row profile's Gaussian sigma
MIN_PEAK = 0.15  # of the highest peak: weaker peaks are noise
MIN_INK_COLUMNS = 0.02  # of the page's width: bands with fewer inked columns are dropped


def projection_lines(grey: np.ndarray, side: int = SIDE) -> list[FoundLine]:
    """Lines of a greyscale page found by their rows' ink, as boxes in the page's pixels."""
    prepared = page_stems.detector_input(grey, side)
    height, width = prepared.size
    ink = prepared.image[:height, :width]
    if not ink.any():
        return []
    _, binary = cv2.threshold(ink, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ruling = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones((1, max(3, round(RULING_KERNEL * width))), np.uint8))
    binary = binary - ruling
    profile = binary.sum(axis=1).astype(np.float64)
    sigma = max(1.0, SMOOTHING * height)
    profile = cv2.GaussianBlur(profile[:, None], (1, 0), sigma)[:, 0]
    peaks = _peaks(profile, MIN_PEAK * profile.max())
    bounds = _valleys(profile, peaks, height)
    lines = []
    for top, bottom in bounds:
        columns = np.flatnonzero(binary[top:bottom].any(axis=0))
        if len(columns) < MIN_INK_COLUMNS * width:
            continue
        left, right = int(columns[0]), int(columns[-1]) + 1
        box = tuple(
            min(limit, round(value / prepared.scale))
            for value, limit in zip((left, top, right, bottom), (grey.shape[1], grey.shape[0]) * 2, strict=True)
        )
        polygon = ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))
        lines.append(FoundLine(box, polygon, 1.0, (bottom - top) / prepared.scale))
    return reading_order(lines)


def _peaks(profile: np.ndarray, floor: float) -> list[int]:
    """Local maxima above `floor`."""
    rising = np.diff(profile, prepend=profile[0] - 1) > 0
    falling = np.diff(profile, append=profile[-1] - 1) <= 0
    return [int(i) for i in np.flatnonzero(rising & falling & (profile >= floor))]


def _valleys(profile: np.ndarray, peaks: list[int], height: int) -> list[tuple[int, int]]:
    """Each peak's band: from the lowest row between it and the previous peak to the one before the next."""
    cuts = [0] + [a + int(np.argmin(profile[a:b])) for a, b in itertools.pairwise(peaks)] + [height]
    bands = []
    for index, peak in enumerate(peaks):
        top, bottom = cuts[index], cuts[index + 1]
        if index == 0:
            top = _edge(profile, peak, -1)
        if index == len(peaks) - 1:
            bottom = _edge(profile, peak, 1)
        bands.append((top, max(bottom, top + 1)))
    return bands


def _edge(profile: np.ndarray, peak: int, direction: int) -> int:
    """Where the profile falls below a tenth of the peak, walking from it in `direction`."""
    index = peak
    while 0 < index < len(profile) - 1 and profile[index] > 0.1 * profile[peak]:
        index += direction
    return index
