"""The paragraph recognizer with the committed line detector and line model: known text, real pages, bad input."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from text_recognizer.data import download
from text_recognizer.data.errors import DataError
from text_recognizer.line_matching import detection_scores, one_space
from text_recognizer.metrics import character_error_rate
from text_recognizer.predictors.paragraph_predictor import ParagraphRecognizer
from text_recognizer.stems import ImageError
from text_recognizer.tests.test_predict_cli import run_cli

TEST_PAGES = 3
IAM_SAMPLE_BOXES = Path(__file__).resolve().parents[2] / "evaluation" / "iam_sample_lines.json"


@pytest.fixture(scope="module")
def recognizer() -> ParagraphRecognizer:
    return ParagraphRecognizer(backend="onnxruntime")


@pytest.fixture(scope="module")
def synthetic_page():
    """A synthetic paragraph of five known lines in a bundled font, and the lines' records."""
    from text_recognizer.data.synthetic_handwriting import handwriting_fonts
    from text_recognizer.data.synthetic_paragraphs import render_paragraph

    texts = [
        "The quick brown fox jumps over",
        "the lazy dog while the farmer",
        "reads a letter from his sister",
        "who lives in a small town near",
        "the river and writes every week",
    ]
    font = next(path for path in handwriting_fonts() if path.name == "ComicNeue-Italic.otf")
    return render_paragraph(texts, np.random.default_rng(3), font=font)


@pytest.fixture(scope="module")
def test_pages():
    """The first Copiste test pages (writers neither model saw) as greyscale arrays, with their records."""
    from text_recognizer.data import copiste

    try:
        pages = copiste.split_pages(copiste.corpus_dir())["test"][:TEST_PAGES]
    except DataError as error:
        pytest.skip(f"golden tests need the Copiste corpus ({error})")
    greys = []
    for page in pages:
        with Image.open(page.page_image) as image:
            greys.append(np.asarray(image.convert("L")))
    return greys, pages


def test_a_synthetic_paragraph_is_found_line_by_line_and_read(recognizer, synthetic_page):
    page, lines = synthetic_page
    reading = recognizer.read(page)
    # The true boxes are the font's tight text boxes (a line without descenders is shorter than its
    # outline rebuilt from handwriting's proportions): matched here at IoU 0.4.
    scores = detection_scores([[line.box for line in reading.lines]], [[line.box for line in lines]], 0.4)
    assert scores.recall == 1.0 and scores.precision == 1.0, [line.box for line in reading.lines]
    assert len(reading.text.splitlines()) == len(lines)
    truth = " ".join(line.text for line in lines)
    assert character_error_rate([one_space(reading.text)], [truth]) < 0.35, reading.text
    assert 0 < reading.confidence <= 1 and all(0 < line.confidence <= 1 for line in reading.lines)


def test_golden_real_pages_of_unseen_writers(recognizer, test_pages):
    greys, pages = test_pages
    readings = [recognizer.read_page(grey) for grey in greys]
    found = [[line.box for line in reading.lines] for reading in readings]
    scores = detection_scores(found, [[line.box for line in page.lines] for page in pages])
    # The committed detector: precision and recall 0.97+ over the 44 test pages (evaluation script).
    assert scores.precision >= 0.9 and scores.recall >= 0.9, scores
    predicted = [one_space(reading.text) for reading in readings]
    references = [one_space(page.text) for page in pages]
    assert character_error_rate(predicted, references) <= 0.45


def test_iam_paragraphs_light_ink_on_dark_included(recognizer):
    samples = json.loads(IAM_SAMPLE_BOXES.read_text())
    for page_id, lines in samples.items():
        path = download.find_local("iam_samples", f"{page_id}.png")
        if path is None:
            pytest.skip("needs the IAM samples of the data mirror")
        reading = recognizer.read(path)
        assert abs(len(reading.lines) - len(lines)) <= 1, page_id


def test_a_tilted_photo_is_turned_upright_and_boxes_refer_to_the_input(recognizer, synthetic_page):
    page, lines = synthetic_page
    height, width = page.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 5.0, 1.0)
    tilted = cv2.warpAffine(page, matrix, (width, height), borderValue=int(np.percentile(page, 90)))
    reading = recognizer.read_page(tilted)
    assert reading.skew_degrees == pytest.approx(-5.0, abs=1.0)
    assert len(reading.lines) == len(lines)
    for found, line in zip(reading.lines, lines, strict=True):
        centre = np.array([(line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2, 1.0])
        x, y = matrix @ centre  # where the line's centre went in the tilted photo
        assert found.box[0] < x < found.box[2] and found.box[1] < y < found.box[3]


def test_blank_tiny_and_non_page_images_get_a_sensible_answer(recognizer):
    assert recognizer.predict(np.full((800, 600), 235, np.uint8)) == ("", 0.0)
    assert recognizer.predict(np.full((12, 12), 235, np.uint8)) == ("", 0.0)
    noise = np.random.default_rng(0).integers(0, 256, (400, 400)).astype(np.uint8)
    reading = recognizer.read(noise)
    assert isinstance(reading.text, str) and len(reading.lines) <= 40
    with pytest.raises(ImageError, match="too small"):
        recognizer.predict(np.full((4, 400), 235, np.uint8))


def test_a_page_on_its_side_is_turned_back(recognizer, synthetic_page):
    page, lines = synthetic_page
    upright = recognizer.read(page)
    for quarter, undo in ((1, -90), (3, 90)):  # np.rot90 turns counter-clockwise
        reading = recognizer.read(np.rot90(page, quarter).copy())
        assert reading.skew_degrees == pytest.approx(undo, abs=1.0)
        assert len(reading.lines) == len(lines)
        assert character_error_rate([reading.text], [upright.text]) < 0.1


def test_a_single_word_is_one_line(recognizer):
    from text_recognizer.data.synthetic_handwriting import handwriting_fonts
    from text_recognizer.data.synthetic_paragraphs import render_paragraph

    font = next(path for path in handwriting_fonts() if path.name == "ComicNeue-Italic.otf")
    page, _ = render_paragraph(["Bonjour"], np.random.default_rng(5), font=font)
    reading = recognizer.read(page)
    assert len(reading.lines) == 1
    # Compared without case: a lone word in a font, written large, fills an outline calibrated on real
    # handwriting's proportions the way capitals do (read "BONOUR" at the committed outline scale).
    assert character_error_rate([reading.text.lower()], ["bonjour"]) <= 0.3, reading.text


def test_a_large_photo_is_read_like_the_page_it_shows(recognizer, synthetic_page):
    page, lines = synthetic_page
    large = cv2.resize(page, (page.shape[1] * 4, page.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
    reading = recognizer.read(large)
    assert len(reading.lines) == len(lines)
    height, width = large.shape
    assert all(line.box[2] <= width and line.box[3] <= height for line in reading.lines)


def test_the_command_line_prints_a_page_line_by_line_with_boxes(tmp_path):
    from text_recognizer.data.synthetic_handwriting import handwriting_fonts
    from text_recognizer.data.synthetic_paragraphs import render_paragraph

    font = next(path for path in handwriting_fonts() if path.name == "ComicNeue-Italic.otf")
    page, lines = render_paragraph(["a first line of text", "and a second one"], np.random.default_rng(1), font=font)
    Image.fromarray(page).save(tmp_path / "page.jpg")
    result = run_cli("--task", "paragraph", "--json", str(tmp_path / "page.jpg"))
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(record["lines"]) == len(lines)
    assert record["text"] == "\n".join(line["text"] for line in record["lines"])
    for found, true in zip(record["lines"], lines, strict=True):
        assert found["box"][1] < (true.box[1] + true.box[3]) / 2 < found["box"][3]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--extent-scale", "0"], "--extent-scale must be in (0, 2]"), (["--pages", "0"], "--pages must be at least 1")],
)
def test_the_page_evaluation_refuses_settings_out_of_range(capsys, arguments, message):
    from evaluation import evaluate_paragraph_recognizer

    with pytest.raises(SystemExit):
        evaluate_paragraph_recognizer.main(arguments)
    assert message in capsys.readouterr().err
