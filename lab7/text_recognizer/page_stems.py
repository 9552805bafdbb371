"""Pages as the line detector sees them, made one way for training pages and for users' photos alike.

A phone photo of a page differs from a scan by its light: a shadow across the sheet, a gradient from
the lamp, grey paper, sometimes white ink on a blackboard. The detector should not have to learn all
that, so every page goes through the same steps before it:

1. downscale so that the page's longer side is the detector's `side` (a page of 25 lines keeps lines
   about 18 pixels apart at 512, enough to tell them apart, and the network's cost falls with the area);
2. estimate the paper's brightness everywhere (a max filter wider than any stroke removes the ink, a
   blur smooths what is left) and divide by it: shadows and gradients flatten out;
3. invert so that ink is bright on black, whatever the input's polarity; take the paper's grain (its
   noise, measured by the median absolute deviation) away, and stretch the contrast so that the ink's
   dark strokes reach 255. A page with a single word is mostly paper: the stretch is set on the pixels
   darker than the grain, not on the whole page, or it would blow the grain up into ink.

`writing_height` measures how large the writing is (the median height of the ink's connected pieces:
letters, or words in cursive), so that a photo of a few big words can be brought to the scale of the
training pages before lines are found. `skew_angle` estimates how far the lines are rotated from
horizontal (the angle that makes the rows' ink most uneven), so that a tilted photo can be turned
upright before lines are found.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from text_recognizer.stems import ImageError

STROKE_FILTER = 0.02  # of the working side: the max filter's width, wider than a pen stroke at that scale
BACKGROUND_BLUR = 0.06  # of the working side: the blur that smooths the paper estimate
INK_PERCENTILE = 90  # of the darkness of the pixels that stand out of the grain: stretched to 255
GRAIN_DEVIATIONS = 4.0  # darkness more than this many (robust) standard deviations above the paper's is ink
MIN_INK_CONTRAST = 0.06  # below this darkness relative to the paper, nothing on the page counts as ink
MULTIPLE = 8  # the detector downsamples three times: its inputs' sides are multiples of 8
SIDEWAYS_RATIO = 1.2  # see `is_sideways`


@dataclass(frozen=True)
class DetectorInput:
    """A page at the detector's scale: `image` (ink bright on black, uint8, padded to multiples of 8)
    and `scale`, the factor from the original's pixels to these (divide to map back)."""

    image: np.ndarray
    scale: float
    size: tuple[int, int]  # (height, width) of the page inside the padded image


def resize_longer_side(grey: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """The image scaled so that its longer side is `side` pixels (area averaging when shrinking)."""
    scale = side / max(grey.shape)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(grey, size, interpolation=interpolation), scale


def is_light_on_dark(grey: np.ndarray) -> bool:
    """True for light writing on a dark background (a blackboard, an inverted scan): the border is dark."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return float(np.median(border)) < 110


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Ink bright on black (uint8), with the paper's uneven light divided out and the contrast stretched.

    Works at the image's own size: call it on a downscaled page (the filters are sized to the image).
    An image with no ink (a blank sheet, a flat colour) gives an all-black map.
    """
    paper = 255 - grey if is_light_on_dark(grey) else grey
    side = max(paper.shape)
    stroke = max(3, round(STROKE_FILTER * side) | 1)
    blur = max(3, round(BACKGROUND_BLUR * side) | 1)
    background = cv2.dilate(paper, np.ones((stroke, stroke), np.uint8))  # the ink is darker: the max drops it
    background = cv2.GaussianBlur(background, (blur, blur), 0).astype(np.float32)
    darkness = 1.0 - paper.astype(np.float32) / np.maximum(background, 1.0)
    np.clip(darkness, 0.0, 1.0, out=darkness)
    typical = float(np.median(darkness))
    grain = typical + GRAIN_DEVIATIONS * 1.4826 * float(np.median(np.abs(darkness - typical)))
    ink = darkness[darkness > max(grain, MIN_INK_CONTRAST)]
    if ink.size == 0:
        return np.zeros(paper.shape, dtype=np.uint8)
    peak = float(np.percentile(ink, INK_PERCENTILE))
    return np.clip((darkness - grain) * (255.0 / max(peak - grain, 1e-3)), 0, 255).astype(np.uint8)


def detector_input(grey: np.ndarray, side: int) -> DetectorInput:
    """A greyscale page of any size as the detector takes it (see the module's docstring)."""
    if min(grey.shape) < 8:
        raise ImageError(f"the image is {grey.shape[1]}x{grey.shape[0]} pixels: too small to hold a page")
    small, scale = resize_longer_side(grey, side)
    ink = ink_map(small)
    height, width = ink.shape
    padded = np.zeros((-(-height // MULTIPLE) * MULTIPLE, -(-width // MULTIPLE) * MULTIPLE), dtype=np.uint8)
    padded[:height, :width] = ink
    return DetectorInput(padded, scale, (height, width))


def black_and_white(grey: np.ndarray, block: float = 0.05) -> np.ndarray:
    """A photo of handwriting as black ink on white paper (uint8, 0 or 255), at its own size.

    The light is flattened and the grain removed first (`ink_map`), then Otsu's threshold, or, with
    `block` (a fraction of the longer side), an adaptive one over blocks of that size: what a reader
    wants from a phone photo of a page. The models take the grey levels, not this.
    """
    ink = ink_map(255 - grey if is_light_on_dark(grey) else grey)
    if not ink.any():
        return np.full(grey.shape, 255, dtype=np.uint8)
    if block:
        size = max(3, round(block * max(grey.shape)) | 1)
        binary = cv2.adaptiveThreshold(ink, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, size, -10)
    else:
        _, binary = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return 255 - binary


def writing_height(ink: np.ndarray) -> float:
    """The median height in pixels of the ink's connected pieces (0 when there is no ink).

    Otsu's threshold separates ink from paper; specks (under 4 pixels) and ruled lines (half the image
    wide or more) are not writing and are left out.
    """
    if not ink.any():
        return 0.0
    _, binary = cv2.threshold(ink, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights, widths, areas = (stats[1:, key] for key in (cv2.CC_STAT_HEIGHT, cv2.CC_STAT_WIDTH, cv2.CC_STAT_AREA))
    writing = (areas >= 4) & (heights >= 2) & (widths < 0.5 * ink.shape[1])
    return float(np.median(heights[writing])) if writing.any() else 0.0


def is_sideways(ink: np.ndarray) -> bool:
    """True for a page turned a quarter (its lines run up and down): its columns' ink sums vary more than
    its rows' (relative to their means). On the Copiste pages the columns vary at most 0.86 times as much
    as the rows upright, and at least 1.49 times as much on their side."""
    rows, columns = ink.sum(axis=1, dtype=np.float64), ink.sum(axis=0, dtype=np.float64)
    if not rows.any():
        return False
    return float(columns.std() / columns.mean()) > SIDEWAYS_RATIO * float(rows.std() / rows.mean())


def skew_angle(ink: np.ndarray, max_degrees: float = 10.0, step: float = 0.5) -> float:
    """The rotation (degrees, counter-clockwise positive as in OpenCV) that makes the lines horizontal.

    Horizontal lines of text make rows alternate between full and empty, so the variance of the rows'
    ink sums peaks at the right angle. Tried every `step` degrees within `max_degrees`.
    """
    if not ink.any():
        return 0.0
    height, width = ink.shape
    centre = (width / 2, height / 2)
    best_angle, best_score = 0.0, -1.0
    for angle in np.arange(-max_degrees, max_degrees + step / 2, step):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rows = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST).sum(axis=1, dtype=np.float64)
        score = float(np.var(rows))
        if score > best_score + 1e-9:
            best_angle, best_score = float(angle), score
    return best_angle
