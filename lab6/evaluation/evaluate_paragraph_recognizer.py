"""Lab 5's goals, measured: line detection and whole-page reading on Copiste test pages, and IAM paragraphs.

    python -m evaluation.evaluate_paragraph_recognizer [--pages 44] [--worst worst_page.png]
    python -m evaluation.evaluate_paragraph_recognizer --split validation --extent-scale 0.9

- Line detection: precision and recall of one-to-one matches of line *boxes* at IoU >= 0.5 against every
  transcribed line of the page (its reference line included: it is ink a detector should find), for the
  learned detector and, beside it, the classical projection-profile baseline.
- Page CER: the recognizer's whole text of a page against the page's handwriting to read, whitespace runs
  and line breaks compared as one space. Lines with no agreed reading (the page's reference number, a
  crossed-out or unreadable passage: see `copiste`) are out of the reference, and the found lines that
  overlap them most are out of the prediction. CER = all edits / all reference characters.
- Time per page: the recognizer end to end (deskew, detector, every line read), model loading excluded;
  the median over the test pages.
- The real IAM paragraphs of the mirror: detection against the boxes of `iam_sample_lines.json`, and CER.

The page with the highest CER is saved as an image with the found (red) and true (green) boxes; it is cut
from the corpus, so it is written outside the repository's tracked files.

`--split validation` measures the same on the validation writers' pages, where post-processing settings
are chosen (`--extent-scale`: how tall the found lines' outlines are, `DetectorSettings.extent_scale`).
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from evaluation.report import print_results
from text_recognizer import paths
from text_recognizer.data import copiste, download
from text_recognizer.line_matching import detection_scores, one_space, scored_text
from text_recognizer.metrics import character_error_rate
from text_recognizer.predictors.paragraph_predictor import ParagraphRecognizer
from text_recognizer.projection_line_detection import projection_lines

IAM_SAMPLE_BOXES = Path(__file__).with_name("iam_sample_lines.json")
DEFAULT_WORST = paths.PROCESSED_DATA_DIR / "evaluation" / "paragraph_worst_page.png"


def draw_page(grey: np.ndarray, found: list, true: list, path: Path) -> None:
    image = Image.fromarray(grey).convert("RGB")
    draw = ImageDraw.Draw(image)
    for box in true:
        draw.rectangle(box, outline=(0, 170, 0), width=3)
    for box in found:
        draw.rectangle(box, outline=(220, 0, 0), width=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def evaluate_copiste(recognizer: ParagraphRecognizer, pages: list, worst_path: Path) -> dict[str, float]:
    found, classical, truth, seconds, predictions, references, page_cer = [], [], [], [], [], [], []
    worst, worst_grey = 0, np.zeros((1, 1), np.uint8)  # the page with the highest CER so far, and its image
    for index, page in enumerate(pages):
        with Image.open(page.page_image) as image:
            grey = np.asarray(image.convert("L"))
        started = time.perf_counter()
        reading = recognizer.read_page(grey)
        seconds.append(time.perf_counter() - started)
        true_boxes = [line.box for line in page.lines]
        found.append([line.box for line in reading.lines])
        classical.append([line.box for line in projection_lines(grey)])
        truth.append(true_boxes)
        excluded = {i for i, line in enumerate(page.lines) if line.line_id not in page.read_lines}
        found_texts = [line.text for line in reading.lines]
        predictions.append(scored_text(found[-1], found_texts, true_boxes, excluded))
        references.append(one_space(page.text))
        page_cer.append(character_error_rate(predictions[-1:], references[-1:]))
        if index == 0 or page_cer[-1] > page_cer[worst]:
            worst, worst_grey = index, grey
    learned, baseline = detection_scores(found, truth), detection_scores(classical, truth)
    draw_page(worst_grey, found[worst], truth[worst], worst_path)
    print(f"Worst page: {pages[worst].page_id} (CER {page_cer[worst]:.3f}), drawn in {worst_path}")
    return {
        "pages": len(pages),
        "detector_precision": learned.precision,
        "detector_recall": learned.recall,
        "projection_baseline_precision": baseline.precision,
        "projection_baseline_recall": baseline.recall,
        "page_cer": character_error_rate(predictions, references),
        "page_cer_median": float(np.median(page_cer)),
        "seconds_per_page_median": float(np.median(seconds)),
        "seconds_per_page_max": float(np.max(seconds)),
    }


def evaluate_iam(recognizer: ParagraphRecognizer) -> dict[str, float] | None:
    """Detection and CER on the IAM paragraphs of the mirror; None where they are absent."""
    samples = json.loads(IAM_SAMPLE_BOXES.read_text())
    found, truth, predictions, references = [], [], [], []
    results = {}
    for page_id, lines in samples.items():
        path = download.find_local("iam_samples", f"{page_id}.png")
        if path is None:
            return None
        reading = recognizer.read(path)
        found.append([line.box for line in reading.lines])
        truth.append([tuple(line["box"]) for line in lines])
        predictions.append(one_space(reading.text))
        references.append(one_space(" ".join(line["text"] for line in lines)))
        results[f"iam_cer_{page_id}"] = character_error_rate(predictions[-1:], references[-1:])
    scores = detection_scores(found, truth)
    return {
        "iam_detector_precision": scores.precision,
        "iam_detector_recall": scores.recall,
        "iam_cer": character_error_rate(predictions, references),
        **results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=None, help="only the first N pages (a quick look)")
    parser.add_argument("--split", choices=("test", "validation"), default="test", help="whose Copiste pages")
    parser.add_argument("--extent-scale", type=float, default=None, help="outlines' height (default: the module's)")
    parser.add_argument("--worst", type=Path, default=DEFAULT_WORST, help="where to draw the worst page")
    args = parser.parse_args(argv)
    if args.pages is not None and args.pages < 1:
        parser.error(f"--pages must be at least 1, got {args.pages}")
    if args.extent_scale is not None and not 0 < args.extent_scale <= 2:
        parser.error(f"--extent-scale must be in (0, 2], got {args.extent_scale}")
    recognizer = ParagraphRecognizer()
    if args.extent_scale is not None:
        settings = recognizer.detector.settings
        recognizer.detector.settings = dataclasses.replace(settings, extent_scale=args.extent_scale)
    print(f"outlines at {recognizer.detector.settings.extent_scale} x the training lines' extent")
    pages = copiste.split_pages(copiste.corpus_dir())[args.split][: args.pages]
    results = evaluate_copiste(recognizer, pages, args.worst)
    iam = evaluate_iam(recognizer)
    if iam is None:
        print("The IAM samples are not in the mirror: IAM not measured.")
    print_results({**results, **(iam or {})}, decimals=4, split=f"copiste {args.split}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
