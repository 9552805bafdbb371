"""One record type for a transcribed line on a page, whatever corpus or format it comes from."""

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class LineRecord:
    """A transcribed line of handwriting, located on its page image.

    Coordinates are in pixels of the page image as it is on disk (parsers rescale what the XML declares).
    `box` is (left, top, right, bottom), clipped to the image; `polygon` and `baseline` are None where the
    source has none. `writer` identifies the hand (IAM's writer id, a Copiste document), so that splits can
    keep every writer in one of them.
    """

    page_image: Path
    page_id: str
    line_id: str
    text: str
    box: tuple[int, int, int, int]
    polygon: tuple[Point, ...] | None = None
    baseline: tuple[Point, ...] | None = None
    writer: str = ""
    reading_order: int = 0

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass
class ParsedPage:
    """The lines of one page, and the lines left out with why (counted, never silently dropped)."""

    lines: list[LineRecord] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class PageRecord:
    """A page image with every line on it (in reading order), for finding lines rather than reading them.

    `lines` holds all the ink a line detector should find, including lines not to be read (a page's
    reference number, a crossed-out passage); `read_lines` holds the ids of the lines whose text is the
    page's handwriting to read. `region` (left, top, right, bottom), where set, is the part of the image
    that holds the lines (IAM forms: the handwritten part, without the printed text above it).
    """

    page_image: Path
    page_id: str
    writer: str
    lines: tuple[LineRecord, ...]
    read_lines: frozenset[str]
    region: tuple[int, int, int, int] | None = None  # the part of the image to use (None: all of it)

    @property
    def text(self) -> str:
        """The page's handwriting to read, one line per row, in reading order."""
        return "\n".join(line.text for line in self.lines if line.line_id in self.read_lines)


def bounding_box(points: tuple[Point, ...], image_size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The integer box around `points`, clipped to an image of `image_size` (width, height).

    None when nothing of it lies on the image (a polygon outside the page).
    """
    width, height = image_size
    xs, ys = [x for x, _ in points], [y for _, y in points]
    left, top = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    right, bottom = min(width, math.ceil(max(xs))), min(height, math.ceil(max(ys)))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def deal_writers(lines: list[LineRecord], fractions: dict[str, float], seed: int) -> dict[str, list[LineRecord]]:
    """Shuffle the writers with `seed` and deal them into splits of about `fractions` of the writers."""
    if not np.isclose(sum(fractions.values()), 1.0) or min(fractions.values()) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    writers = sorted({line.writer for line in lines})
    order = np.random.default_rng(seed).permutation(len(writers))
    bounds = np.round(np.cumsum([0, *fractions.values()]) * len(writers)).astype(int)
    split_of = {
        writers[i]: name
        for name, start, end in zip(fractions, bounds[:-1], bounds[1:], strict=True)
        for i in order[start:end]
    }
    return {name: [line for line in lines if split_of[line.writer] == name] for name in fractions}
