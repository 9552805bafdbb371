"""From the detector's per-pixel line bodies to lines on the page: polygons and boxes, in reading order.

    lines = find_lines(probabilities, scale, page_size, settings)

1. Pixels whose line-body probability passes `threshold` form the body mask; an opening with a short
   horizontal kernel cuts the thin vertical strokes that can bridge two bands (a descender reaching the
   next line's body) and drops specks.
2. Connected components of the mask are lines; components much smaller than the page's typical line are
   dropped (a dot, a stray mark), a component two or more bands thick (two lines fused where they run
   close) is split, column by column, into as many bands as it is thick, pieces of one line that a wide
   gap between words left apart (one ends where the next begins, at the same height) are joined, and
   bands not at least twice as long as they are thick (blots, not lines) are dropped.
3. Each band's middle is followed along its columns; the line's polygon reaches `above` and `below`
   band thicknesses from that middle (proportions measured on the training lines' boxes and recorded
   with the model), scaled by `extent_scale` (0.8: a tighter outline reads better), and half a band's
   thickness beyond its ends.
4. Polygons are mapped back to the original image's pixels (divided by the detector's `scale`).
5. Lines are put in reading order: into columns of lines that overlap horizontally, columns left to
   right, lines top to bottom within each.
"""

from dataclasses import asdict, dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]
Point = tuple[float, float]


@dataclass(frozen=True)
class DetectorSettings:
    """What turns the detector's output into lines: its page scale and the lines' proportions."""

    side: int  # the page's longer side at the detector's scale
    above: float  # how far a line reaches above its band's middle, in band thicknesses
    below: float  # ... and below it
    thickness: float  # the median band thickness of the training lines, in pixels at the detector's scale
    ink_height: float  # the training pages' median `page_stems.writing_height` at the detector's scale
    threshold: float = 0.5  # line-body probability from which a pixel counts as line body
    min_area: float = 0.1  # of the page's median component area: smaller components are specks
    split_ratio: float = 1.7  # a component this many times thicker than the median band holds several lines
    join_gap: float = 8.0  # pieces of a line this many band thicknesses apart or closer are one line...
    join_offset: float = 0.75  # ... when their middles at the gap are within this many band thicknesses
    min_length: float = 2.0  # in band thicknesses: shorter bands are blots, not lines
    step: int = 4  # pixels between the points of a band's middle, at the detector's scale
    # Outlines reach this fraction of `above` and `below`: tighter than the training lines' boxes, a line's
    # crop holds less of its neighbours' ascenders and descenders, and the line model reads it better
    # (validation pages' CER with the committed line model: 0.106 at 1.0, 0.102 at 0.95, 0.101 at 0.9,
    # 0.0985 at 0.85, 0.0983 at 0.8, 0.102 at 0.75: see
    # `evaluation.evaluate_paragraph_recognizer --split validation --extent-scale`).
    extent_scale: float = 0.8

    def to_config(self) -> dict:
        """What the model's config records: its scale and the proportions measured on its training lines.

        The post-processing's own parameters stay this module's defaults, so that improving them does not
        need the detector retrained.
        """
        return {key: value for key, value in asdict(self).items() if key in RECORDED}

    @classmethod
    def from_config(cls, config: dict) -> "DetectorSettings":
        return cls(**{key: config[key] for key in RECORDED})


RECORDED = ("side", "above", "below", "thickness", "ink_height")


@dataclass(frozen=True)
class FoundLine:
    """A line found on a page, in the original image's pixels."""

    box: Box  # (left, top, right, bottom)
    polygon: tuple[Point, ...]
    confidence: float  # the mean line-body probability over the line's band
    thickness: float  # the band's thickness, in the original image's pixels


def find_lines(
    probabilities: np.ndarray, scale: float, page_size: tuple[int, int], settings: DetectorSettings
) -> list[FoundLine]:
    """Lines from (height, width, classes) probabilities of a page of `page_size` (height, width) originally."""
    height, width = (
        min(round(side * scale), limit) for side, limit in zip(page_size, probabilities.shape[:2], strict=True)
    )
    body_probability = probabilities[:height, :width, 1]
    above = (body_probability >= settings.threshold).astype(np.uint8)
    mask = cv2.morphologyEx(above, cv2.MORPH_OPEN, np.ones((1, 3), np.uint8))
    bands = split_merged(components(mask, settings.min_area), settings.split_ratio)
    if not bands:
        return []
    typical = float(np.median([band_thickness(band) for band in bands]))
    bands = join_collinear(bands, typical, settings.join_gap, settings.join_offset)
    bands = [band for band in bands if np.ptp(band[1]) + 1 >= settings.min_length * band_thickness(band)]
    lines = []
    for band in bands:
        polygon = band_polygon(band, typical, settings)
        original = [(x / scale, y / scale) for x, y in polygon]
        box = _clipped_box(original, page_size)
        if box is None:
            continue
        ys, xs = band
        confidence = float(body_probability[ys, xs].mean())
        lines.append(FoundLine(box, tuple(original), confidence, band_thickness(band) / scale))
    return reading_order(lines)


Band = tuple[np.ndarray, np.ndarray]  # the (rows, columns) of a band's pixels


def components(mask: np.ndarray, min_area: float) -> list[Band]:
    """The connected components of a binary mask, less those under `min_area` of the median component."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return []
    areas = stats[1:, cv2.CC_STAT_AREA]
    smallest = max(4.0, min_area * float(np.median(areas)))
    order = np.argsort(labels, axis=None, kind="stable")
    sorted_labels = labels.ravel()[order]
    starts = np.searchsorted(sorted_labels, np.arange(1, count))
    ends = np.searchsorted(sorted_labels, np.arange(1, count), side="right")
    bands = []
    for label_index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if areas[label_index] < smallest:
            continue
        ys, xs = np.unravel_index(order[start:end], mask.shape)
        bands.append((ys, xs))
    return bands


def band_thickness(band: Band) -> float:
    """The band's median height over its columns."""
    _, xs = band
    return float(np.median(np.bincount(xs - xs.min())[np.bincount(xs - xs.min()) > 0]))


def split_merged(bands: list[Band], ratio: float) -> list[Band]:
    """Bands at least `ratio` times thicker than the median band, cut into that many bands column by column."""
    if not bands:
        return bands
    thicknesses = [band_thickness(band) for band in bands]
    typical = float(np.median(thicknesses))
    result = []
    for band, thickness in zip(bands, thicknesses, strict=True):
        parts = round(thickness / typical) if thickness >= ratio * typical else 1
        if parts < 2:
            result.append(band)
            continue
        ys, xs = band
        top = np.full(xs.max() + 1, np.iinfo(np.int64).max)
        bottom = np.full(xs.max() + 1, -1)
        np.minimum.at(top, xs, ys)
        np.maximum.at(bottom, xs, ys)
        share = (ys - top[xs]) / np.maximum(1, bottom[xs] - top[xs] + 1)  # 0 at a column's top, ~1 at its bottom
        part = np.minimum((share * parts).astype(int), parts - 1)
        result += [(ys[part == k], xs[part == k]) for k in range(parts) if (part == k).any()]
    return result


def join_collinear(bands: list[Band], typical: float, max_gap: float, max_offset: float) -> list[Band]:
    """Bands joined where one ends and another begins within `max_gap` typical thicknesses to its right,
    their middles there within `max_offset` thicknesses of each other (a line broken at a word gap)."""
    ends = [_ends(band) for band in bands]
    parent = list(range(len(bands)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, (_, right, _, right_middle) in enumerate(ends):
        for j, (left, _, left_middle, _) in enumerate(ends):
            gap = left - right
            if (
                i != j
                and -typical <= gap <= max_gap * typical
                and abs(left_middle - right_middle) <= max_offset * typical
            ):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for index in range(len(bands)):
        groups.setdefault(root(index), []).append(index)
    return [
        (np.concatenate([bands[i][0] for i in members]), np.concatenate([bands[i][1] for i in members]))
        for members in groups.values()
    ]


def _ends(band: Band, columns: int = 3) -> tuple[int, int, float, float]:
    """A band's left and right columns and its middle height over the few columns at each end."""
    ys, xs = band
    left, right = int(xs.min()), int(xs.max())
    return left, right, float(ys[xs < left + columns].mean()), float(ys[xs > right - columns].mean())


def band_polygon(band: Band, typical_thickness: float, settings: DetectorSettings) -> list[Point]:
    """The line's outline at the detector's scale: its band's middle, widened by the line's proportions."""
    ys, xs = band
    left, right = int(xs.min()), int(xs.max())
    counts = np.bincount(xs - left, minlength=right - left + 1)
    sums = np.bincount(xs - left, weights=ys, minlength=right - left + 1)
    filled = counts > 0
    columns = np.arange(left, right + 1)
    middles = np.interp(columns, columns[filled], sums[filled] / counts[filled])
    thickness = max(1.0, min(band_thickness(band), 1.5 * typical_thickness))
    reach = thickness / 2  # beyond the band's ends: the first and last strokes' width
    samples = np.unique(np.concatenate([np.arange(0, len(columns), settings.step), [len(columns) - 1]]))
    kernel = max(1, settings.step)
    smooth = np.convolve(np.pad(middles, kernel, mode="edge"), np.ones(2 * kernel + 1) / (2 * kernel + 1), "valid")
    xs_out = columns[samples].astype(float)
    xs_out[0] -= reach
    xs_out[-1] += reach
    above, below = (settings.extent_scale * extent * thickness for extent in (settings.above, settings.below))
    top = [(x, y - above) for x, y in zip(xs_out, smooth[samples], strict=True)]
    bottom = [(x, y + below) for x, y in zip(xs_out, smooth[samples], strict=True)]
    return top + bottom[::-1]


def _clipped_box(polygon: list[Point], page_size: tuple[int, int]) -> Box | None:
    height, width = page_size
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    left, top = max(0, int(np.floor(min(xs)))), max(0, int(np.floor(min(ys))))
    right, bottom = min(width, int(np.ceil(max(xs)))), min(height, int(np.ceil(max(ys))))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def reading_order(lines: list[FoundLine]) -> list[FoundLine]:
    """Columns of horizontally overlapping lines, left to right; each column's lines top to bottom."""
    if not lines:
        return []
    by_left = sorted(range(len(lines)), key=lambda i: lines[i].box[0])
    columns: list[list[int]] = []
    column_right = -1
    for index in by_left:
        left, _, right, _ = lines[index].box
        if columns and left < column_right:
            columns[-1].append(index)
            column_right = max(column_right, right)
        else:
            columns.append([index])
            column_right = right
    ordered = []
    for column in columns:
        ordered += sorted((lines[i] for i in column), key=_middle_y)
    return ordered


def _middle_y(line: FoundLine) -> float:
    """The height of the line's outline at its horizontal middle (slanted lines sort by where they are)."""
    points = np.array(line.polygon)
    centre_x = (line.box[0] + line.box[2]) / 2
    near = np.argsort(np.abs(points[:, 0] - centre_x))[:2]
    return float(points[near, 1].mean())
