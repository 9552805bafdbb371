"""Read a photo or scan of a handwritten page: find its lines, then read them all in one batch (Lab 5).

    reading = ParagraphRecognizer().read("page.jpg")
    reading.text                          # the lines' texts joined by newlines
    reading.lines[0].box, reading.lines[0].text, reading.lines[0].confidence

1. The page is turned upright if its lines are tilted (`page_stems.skew_angle`; EXIF orientation was
   applied when it was loaded), and made dark-on-light if it was light-on-dark.
2. The line detector (`LineDetector`: `page_stems.detector_input`, the FCN in ONNX Runtime, then
   `line_detection.find_lines`) gives each line's polygon in the page's pixels.
3. Each line is cut with its polygon (`line_crops.cut_line`) and normalized by `stems.line_style`, as the
   line model's training lines were, and the Lab 4 line model reads them all in width-sorted batches.
   Lines are decoded by beam search with the line model's language model where it has one: it reads
   about 6 points of CER better than greedy decoding, and a page's budget (1 s) affords its ~10 ms a line,
   where a single line's (10 ms) did not.
4. Boxes and polygons are mapped back to the image as it was uploaded.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from text_recognizer import page_stems
from text_recognizer.line_crops import cut_line
from text_recognizer.line_detection import DetectorSettings, FoundLine, find_lines
from text_recognizer.model_files import read_config
from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor
from text_recognizer.predictors.image_io import ImageInput, load_greyscale
from text_recognizer.predictors.inference import InferenceModel, artifact_dir
from text_recognizer.predictors.memory import return_freed_memory
from text_recognizer.stems import ImageError, line_style

DETECTOR_TASK = "line_detector"
MIN_SKEW_DEGREES = 1.0  # smaller tilts are left alone: the detector follows slightly slanted lines itself
# Writing this much smaller or larger than on the training pages (the median training page's writing
# height; 90% of them are within 0.6-1.6 of it) is brought to their scale, the page's longer side kept
# within [MIN_SIDE, MAX_SIDE_FACTOR x the training side].
RESCALE_BELOW, RESCALE_ABOVE = 0.6, 1.8
MIN_SIDE, MAX_SIDE_FACTOR = 128, 2
LINE_BATCH = 8  # a page's lines read 8 at a time: as fast as all at once, a third of the memory


class LineDetector:
    """`find(grey page) -> [FoundLine]`: the lines of a page, in reading order, in the page's pixels."""

    def __init__(self, model_dir: Path | None = None, backend: str | None = None) -> None:
        self.model = InferenceModel(model_dir or artifact_dir(DETECTOR_TASK), backend)
        self.settings = DetectorSettings.from_config(self.model.config["detector"])

    def probabilities(self, grey: np.ndarray, side: int | None = None) -> tuple[np.ndarray, page_stems.DetectorInput]:
        """The per-pixel class probabilities at the detector's scale, and the input they were computed on."""
        prepared = page_stems.detector_input(grey, side or self.settings.side)
        return self.model(prepared.image[None])[0], prepared

    def find(self, grey: np.ndarray) -> list[FoundLine]:
        """The page's lines, in reading order, in the page's pixels."""
        prepared = page_stems.detector_input(grey, self.settings.side)
        side = self.side_for(prepared.image)
        if side != self.settings.side:
            prepared = page_stems.detector_input(grey, side)
        if not prepared.image.any():  # nothing on the page stands out as ink
            return []
        probabilities = self.model(prepared.image[None])[0]
        return find_lines(probabilities, prepared.scale, grey.shape, self.settings)

    def side_for(self, ink: np.ndarray) -> int:
        """The longer side to bring a page to, from its detector input at the training side: that side,
        unless the writing is far larger or smaller than on the training pages (a photo of a few big
        words, a dense page), then the side at which it is as large as there."""
        height = page_stems.writing_height(ink)
        ratio = height / self.settings.ink_height if height else 1.0
        if RESCALE_BELOW < ratio < RESCALE_ABOVE:
            return self.settings.side
        side = round(self.settings.side / ratio / page_stems.MULTIPLE) * page_stems.MULTIPLE
        return int(np.clip(side, MIN_SIDE, MAX_SIDE_FACTOR * self.settings.side))


@dataclass(frozen=True)
class ReadLine:
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the input image's pixels
    polygon: tuple[tuple[float, float], ...]
    text: str
    confidence: float  # per character: the greedy path's probability to the power 1 / its characters


@dataclass(frozen=True)
class PageReading:
    text: str
    confidence: float  # the lines' confidences averaged, weighted by their lengths; 0 when nothing was read
    lines: tuple[ReadLine, ...]
    skew_degrees: float


class ParagraphRecognizer:
    """`predict(image) -> (text, confidence)` for a page; `read(image)` adds each line's box and text."""

    task = "paragraph"

    def __init__(
        self,
        model_dir: Path | None = None,
        backend: str | None = None,
        line_model_dir: Path | None = None,
        decoder: str | None = None,
    ) -> None:
        self.detector = LineDetector(model_dir, backend)
        line_model_dir = line_model_dir or artifact_dir(HandwritingPredictor.task)
        if decoder is None:  # beam search where the line model has a language model
            decoder = "beam" if "language_model" in read_config(line_model_dir) else "greedy"
        self.reader = HandwritingPredictor(line_model_dir, backend, decoder=decoder)
        self.reader.batch_size = LINE_BATCH
        self.model = self.detector.model
        self._one_page_at_a_time = threading.Lock()

    def preprocess(self, image: ImageInput) -> np.ndarray:
        """The page as a greyscale array (the detector and the line model each take it from there)."""
        return load_greyscale(image)

    def predict(self, image: ImageInput) -> tuple[str, float]:
        reading = self.read(image)
        return reading.text, reading.confidence

    def predict_preprocessed(self, pages: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return [(reading.text, reading.confidence) for reading in map(self.read_page, pages)]

    def read(self, image: ImageInput) -> PageReading:
        return self.read_page(self.preprocess(image))

    def read_page(self, grey: np.ndarray) -> PageReading:
        """Find the lines of a greyscale page and read them (see the module's docstring).

        One page at a time per recognizer: a page keeps a core busy for most of a second and needs tens of
        megabytes while it is read, so pages read side by side in one process (a server's threads) would
        multiply its memory and not be done sooner.
        """
        with self._one_page_at_a_time:
            reading = self._read_page(grey)
            return_freed_memory()
        return reading

    def _read_page(self, grey: np.ndarray) -> PageReading:
        if page_stems.is_light_on_dark(grey):
            grey = 255 - grey
        side = self.detector.settings.side
        if not page_stems.is_sideways(page_stems.detector_input(grey, side).image):
            return self._read_turned(grey, 0)
        # A page on its side: turned a quarter either way, the reading the line model is surer of is kept.
        return max((self._read_turned(grey, turn) for turn in (90, -90)), key=lambda reading: reading.confidence)

    def _read_turned(self, grey: np.ndarray, turn: int) -> PageReading:
        """The page read after turning it by `turn` degrees (counter-clockwise) and then deskewing it."""
        upright, angle, to_input = _upright(grey, self.detector.settings.side, turn)
        found = self.detector.find(upright)
        crops, kept = [], []
        for line in found:
            try:
                crops.append(line_style(cut_line(upright, line.box, line.polygon), self.reader.height))
            except ImageError:  # the polygon holds no ink after all
                continue
            kept.append(line)
        lines = []
        for line, (text, confidence) in zip(
            kept, self.reader.predict_preprocessed(crops) if crops else [], strict=True
        ):
            if text.strip():
                polygon = to_input(line.polygon)
                # A path's probability shrinks with its length: per character, long and short lines compare.
                per_character = confidence ** (1 / len(text))
                lines.append(ReadLine(_box(polygon, grey.shape), tuple(polygon), text, per_character))
        characters = sum(len(line.text) for line in lines)
        confidence = sum(line.confidence * len(line.text) for line in lines) / characters if characters else 0.0
        return PageReading("\n".join(line.text for line in lines), confidence, tuple(lines), angle)


def _upright(grey: np.ndarray, side: int, turn: int = 0):
    """The page turned by `turn` degrees (counter-clockwise) and rotated so that its lines run level,
    the whole angle, and a map from its points back to the input's."""
    turned = grey
    if turn:
        turned = cv2.rotate(grey, cv2.ROTATE_90_COUNTERCLOCKWISE if turn > 0 else cv2.ROTATE_90_CLOCKWISE)
    angle = turn + page_stems.skew_angle(page_stems.detector_input(turned, side).image)
    if abs(angle) < MIN_SKEW_DEGREES:
        return grey, 0.0, lambda points: [(float(x), float(y)) for x, y in points]
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    paper = int(np.percentile(grey, 90))
    rotated = cv2.warpAffine(grey, matrix, (new_width, new_height), flags=cv2.INTER_LINEAR, borderValue=paper)
    inverse = cv2.invertAffineTransform(matrix)

    def to_input(points):
        array = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        return [(float(x), float(y)) for x, y in cv2.transform(array, inverse).reshape(-1, 2)]

    return rotated, angle, to_input


def _box(polygon: list[tuple[float, float]], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    return (
        max(0, int(np.floor(min(xs)))),
        max(0, int(np.floor(min(ys)))),
        min(shape[1], int(np.ceil(max(xs)))),
        min(shape[0], int(np.ceil(max(ys)))),
    )
