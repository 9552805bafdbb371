"""Cut line images out of page images, as a photo of that one line would show it.

A line's polygon (where the source has one) is cut with a mask: the box around a handwritten line also
holds the descenders of the line above and the ascenders of the line below, which the transcription
does not include, so pixels outside the polygon are painted with the paper's tone. A margin of
`MARGIN` of the line's height is kept around the polygon, so that strokes the annotator's polygon
grazes keep their ends. Lines with a box only (IAM's line boxes) are cut with the same margin.
"""

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from text_recognizer.data.line_records import LineRecord

MARGIN = 0.1  # of the line's height, on every side
PAPER_PERCENTILE = 90  # the paper's tone: most pixels of a line's box are paper, and ink is darker


def cut_line(page: np.ndarray, line: LineRecord, margin: float = MARGIN) -> np.ndarray:
    """The line's pixels from a greyscale uint8 page (dark ink on light paper), masked by its polygon."""
    page_height, page_width = page.shape
    left, top, right, bottom = line.box
    pad = round(margin * (bottom - top))
    left, top = max(0, left - pad), max(0, top - pad)
    right, bottom = min(page_width, right + pad), min(page_height, bottom + pad)
    crop = page[top:bottom, left:right].copy()
    if line.polygon is None or len(line.polygon) < 3:
        return crop
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).polygon([(x - left, y - top) for x, y in line.polygon], fill=255, outline=255)
    if pad:
        mask = mask.filter(ImageFilter.MaxFilter(2 * pad + 1))  # the margin around the polygon
    crop[np.asarray(mask) == 0] = np.uint8(np.percentile(crop, PAPER_PERCENTILE))
    return crop
