"""Write `evaluation/iam_sample_lines.json`: a box per text line of the mirror's IAM paragraph samples.

    python -m tools.find_iam_sample_lines       # once; the boxes are committed, the images are not

A paragraph with N transcribed lines is cut into N bands at the N - 1 emptiest rows of its ink profile
(smoothed over a tenth of a line; the text block's rows only, a scan's border columns left out),
each band then trimmed to its ink (specks and dark scan edges apart from the line left out). Check the
result by eye: notebook 04 of Lab 4 draws the boxes.
"""

import itertools
import json

import numpy as np
from PIL import Image
from scipy.ndimage import uniform_filter1d

from evaluation.evaluate_handwriting_predictor import IAM_SAMPLE_BOXES
from text_recognizer import stems
from text_recognizer.data import download


def text_block(ink: np.ndarray) -> tuple[int, int]:
    """The rows from the first to the last with a tenth of the busiest row's ink (scanner specks aside)."""
    profile = ink.sum(axis=1)
    rows = np.flatnonzero(profile > 0.1 * profile.max())
    return int(rows[0]), int(rows[-1]) + 1


def line_bands(ink: np.ndarray, count: int) -> list[tuple[int, int]]:
    """(top, bottom) rows of `count` lines, cut at the emptiest rows between them."""
    start, end = text_block(ink)
    profile = uniform_filter1d(ink.sum(axis=1).astype(float), size=max(3, (end - start) // (count * 10)))
    pitch = (end - start) / count
    cuts = []
    for boundary in range(1, count):
        low, high = start + int((boundary - 0.4) * pitch), start + int((boundary + 0.4) * pitch)
        cuts.append(low + int(np.argmin(profile[low:high])))
    edges = [max(0, start - int(pitch / 3)), *cuts, min(ink.shape[0], end + int(pitch / 3))]
    return list(itertools.pairwise(edges))


def ink_extent(profile: np.ndarray, gap: int) -> tuple[int, int]:
    """First and past-the-last column of a line's ink, without specks or a scan's dark edge at either end.

    Inked columns are grouped into runs split by blank gaps wider than `gap` (a line's height: wider than
    any space between words); runs at either end narrower than half of `gap` are not the line's.
    """
    columns = np.flatnonzero(profile)
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > gap) + 1)
    wide = [i for i, run in enumerate(runs) if run[-1] - run[0] + 1 >= gap / 2] or [0, len(runs) - 1]
    return int(runs[wide[0]][0]), int(runs[wide[-1]][-1]) + 1


def main() -> None:
    transcriptions = json.loads(download.find_local("iam_samples", "lines.json").read_text())
    boxes = {}
    for page_id, texts in transcriptions.items():
        with Image.open(download.find_local("iam_samples", f"{page_id}.png")) as page:
            ink = stems.ink_on_black(np.asarray(page.convert("L"))) > 64
        ink[:, ink.mean(axis=0) > 0.5] = False  # a scan's dark border is not ink
        boxes[page_id] = []
        for (top, bottom), text in zip(line_bands(ink, len(texts)), texts, strict=True):
            left, right = ink_extent(ink[top:bottom].sum(axis=0), gap=bottom - top)
            rows = np.flatnonzero(ink[top:bottom, left:right].any(axis=1))
            box = [left, top + int(rows[0]), right, top + int(rows[-1]) + 1]
            boxes[page_id].append({"box": box, "text": text})
    IAM_SAMPLE_BOXES.write_text(json.dumps(boxes, indent=1) + "\n")
    print(f"{sum(map(len, boxes.values()))} line boxes written to {IAM_SAMPLE_BOXES}")


if __name__ == "__main__":
    main()
