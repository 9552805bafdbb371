"""Check labeled pages before training on them, and report what looks wrong, line by line.

    python -m text_recognizer.data.label_quality                       # the course's sample export
    python -m text_recognizer.data.label_quality --dataset NAME --codec handwriting

Each check finds one kind of labeling mistake; none changes the data (fix it in the labeling tool and
export again). The thresholds are deliberately loose: a finding should be worth a look.
"""

import argparse
import statistics
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import cv2
import numpy as np
from PIL import Image

from text_recognizer.data.line_records import LineRecord, PageRecord, Point

DUPLICATE_IOU = 0.8  # two regions covering the same ink
OVERLAP_SHARE = 0.65  # of the smaller region: neighbours share ascenders and descenders (up to about half
# of a short line on slanted pages), so only more than two thirds means one region holds another line
MASK_SCALE = 0.25  # regions are compared as masks at this fraction of the page's resolution
MIN_DENSITY_CHARACTERS = 8  # shorter texts vary too much in width per character to judge
HEIGHT_RATIO = 2.5  # a line this many times thinner or taller than its page's median
DENSITY_RATIO = 3.0  # pixels per character this many times off the page's median: a transcription elsewhere
EDGE_TOLERANCE_PX = 1.0

KINDS = {
    "empty transcription": "a region with no text (forgotten, or unreadable and left blank)",
    "stray whitespace": "leading, trailing, doubled spaces, tabs or line breaks in the text",
    "characters outside the codec": "characters the model cannot write: fix a typo or extend the codec",
    "polygon outside the image": "a region reaching past the page's edge",
    "self-intersecting polygon": "an outline that crosses itself (points clicked out of order)",
    "duplicate region": "two regions on the same ink (drawn twice, or pasted)",
    "overlapping lines": "one line's region lying over much of another's",
    "line height outlier": "far thinner or taller than the page's other lines (a word, or several lines in one)",
    "text out of proportion": "far more or fewer characters than the region's width holds (a swapped transcription?)",
    "page without lines": "a page labeled with no region at all",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    page_id: str
    line_id: str
    detail: str


@dataclass
class QualityReport:
    findings: list[Finding]
    pages: int
    lines: int

    def counts(self) -> Counter:
        return Counter(finding.kind for finding in self.findings)

    def to_text(self, examples: int = 3) -> str:
        counts = self.counts()
        rows = [f"Label quality: {self.pages} pages, {self.lines} lines, {len(self.findings)} findings"]
        for kind, meaning in KINDS.items():
            rows.append(f"  {counts[kind]:>4}  {kind}: {meaning}")
            rows += [f"          {f.line_id or f.page_id}: {f.detail}" for f in self.findings if f.kind == kind][
                :examples
            ]
        return "\n".join(rows)


def check_pages(pages: list[PageRecord], characters: str | None = None) -> QualityReport:
    """Every finding on `pages`; `characters`, when given, is the codec the text must stay within."""
    findings = []
    for page in pages:
        with Image.open(page.page_image) as image:
            size = image.size
        findings += _page_findings(page, size, None if characters is None else set(characters))
    return QualityReport(findings, len(pages), sum(len(page.lines) for page in pages))


def _page_findings(page: PageRecord, size: tuple[int, int], codec: set[str] | None) -> list[Finding]:
    if not page.lines:
        return [Finding("page without lines", page.page_id, "", "no regions")]
    findings = []
    for line in page.lines:
        findings += [
            Finding(kind, page.page_id, line.line_id, detail) for kind, detail in _line_problems(line, size, codec)
        ]
    findings += _pair_findings(page)
    findings += _outliers(page)
    return findings


def _line_problems(line: LineRecord, size: tuple[int, int], codec: set[str] | None):
    text = line.text
    if not text.strip():
        yield "empty transcription", repr(text)
    elif text != " ".join(text.split()):
        yield "stray whitespace", repr(text)
    if codec is not None and set(text.strip()) - codec:
        yield "characters outside the codec", "".join(sorted(set(text.strip()) - codec)) + f" in {text!r}"
    polygon = line.polygon or ()
    outside = [p for p in polygon if not _on_image(p, size)]
    if outside:
        yield "polygon outside the image", f"{len(outside)} of {len(polygon)} points, e.g. {_rounded(outside[0])}"
    crossing = _self_intersection(polygon)
    if crossing:
        yield "self-intersecting polygon", f"edges {crossing[0]} and {crossing[1]} cross"


def _on_image(point: Point, size: tuple[int, int]) -> bool:
    x, y = point
    return (
        -EDGE_TOLERANCE_PX <= x <= size[0] + EDGE_TOLERANCE_PX
        and -EDGE_TOLERANCE_PX <= y <= size[1] + EDGE_TOLERANCE_PX
    )


def _rounded(point: Point) -> tuple[int, int]:
    return round(point[0]), round(point[1])


def _self_intersection(polygon: tuple[Point, ...]) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that properly cross, or None."""
    n = len(polygon)
    edges = [(polygon[i], polygon[(i + 1) % n]) for i in range(n)]
    for i, j in combinations(range(n), 2):
        if j == i + 1 or (i == 0 and j == n - 1):
            continue
        if _segments_cross(*edges[i], *edges[j]):
            return i, j
    return None


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def _pair_findings(page: PageRecord) -> list[Finding]:
    """Pairs of regions that cover the same ink (duplicates) or much of each other (overlaps), by area."""
    findings = []
    masks = {line.line_id: _mask(line) for line in page.lines}
    for first, second in combinations(page.lines, 2):
        if _intersection(first.box, second.box) is None:
            continue
        shared, first_area, second_area = _shared_area(masks[first.line_id], masks[second.line_id])
        if not shared:
            continue
        if shared / (first_area + second_area - shared) >= DUPLICATE_IOU:
            detail = f"covers the same ink as {first.line_id}"
            findings.append(Finding("duplicate region", page.page_id, second.line_id, detail))
        elif shared >= OVERLAP_SHARE * min(first_area, second_area):
            larger, smaller = (first, second) if first_area >= second_area else (second, first)
            detail = f"covers {shared / min(first_area, second_area):.0%} of {smaller.line_id}"
            findings.append(Finding("overlapping lines", page.page_id, larger.line_id, detail))
    return findings


def _mask(line: LineRecord) -> tuple[int, int, np.ndarray]:
    """The region's outline filled, at `MASK_SCALE`, with the offset of its box."""
    left, top = int(line.box[0] * MASK_SCALE), int(line.box[1] * MASK_SCALE)
    width, height = int(line.box[2] * MASK_SCALE) - left + 2, int(line.box[3] * MASK_SCALE) - top + 2
    mask = np.zeros((height, width), dtype=np.uint8)
    x0, y0, x1, y1 = line.box
    outline = line.polygon or ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    points = np.array([(x * MASK_SCALE - left, y * MASK_SCALE - top) for x, y in outline], dtype=np.int32)
    cv2.fillPoly(mask, [points], 1)
    return left, top, mask


def _shared_area(a: tuple[int, int, np.ndarray], b: tuple[int, int, np.ndarray]) -> tuple[int, int, int]:
    """Pixels the two masks share, and each one's pixels."""
    (ax, ay, am), (bx, by, bm) = a, b
    left, top = max(ax, bx), max(ay, by)
    right, bottom = min(ax + am.shape[1], bx + bm.shape[1]), min(ay + am.shape[0], by + bm.shape[0])
    area_a, area_b = int(am.sum()), int(bm.sum())
    if right <= left or bottom <= top:
        return 0, area_a, area_b
    window_a = am[top - ay : bottom - ay, left - ax : right - ax]
    window_b = bm[top - by : bottom - by, left - bx : right - bx]
    return int(np.count_nonzero(window_a & window_b)), area_a, area_b


def _intersection(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    left, top, right, bottom = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (left, top, right, bottom) if right > left and bottom > top else None


def _outliers(page: PageRecord) -> list[Finding]:
    """Lines whose height, or width per character, is far from the page's median."""
    if len(page.lines) < 3:
        return []
    findings = []
    median_height = statistics.median(line.height for line in page.lines)
    texts = [line for line in page.lines if len(line.text.strip()) >= MIN_DENSITY_CHARACTERS]
    median_density = statistics.median(line.width / len(line.text.strip()) for line in texts) if texts else None
    for line in page.lines:
        ratio = line.height / median_height
        if not 1 / HEIGHT_RATIO <= ratio <= HEIGHT_RATIO:
            detail = f"{line.height} px high, the page's lines {median_height:.0f} px"
            findings.append(Finding("line height outlier", page.page_id, line.line_id, detail))
        if median_density and len(line.text.strip()) >= MIN_DENSITY_CHARACTERS:
            density = line.width / len(line.text.strip()) / median_density
            if not 1 / DENSITY_RATIO <= density <= DENSITY_RATIO:
                detail = f"{len(line.text.strip())} characters in {line.width} px ({density:.1f} x the page's density)"
                findings.append(Finding("text out of proportion", page.page_id, line.line_id, detail))
    return findings


def main(argv: list[str] | None = None) -> int:
    from text_recognizer import paths
    from text_recognizer.data import labeled_pages
    from text_recognizer.model_files import read_config

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=labeled_pages.SAMPLE, help="a labeled dataset of data/raw/")
    parser.add_argument("--codec", default="handwriting", help="the committed model whose characters the text must use")
    parser.add_argument("--examples", type=int, default=5, help="findings shown per kind")
    args = parser.parse_args(argv)
    ingested = labeled_pages.load(args.dataset)
    print(ingested.summary())
    report = check_pages(ingested.pages, "".join(read_config(paths.ARTIFACTS_DIR / args.codec)["mapping"]))
    print(report.to_text(args.examples))
    return 1 if report.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
