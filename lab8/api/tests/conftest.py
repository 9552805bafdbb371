"""Fixtures for the service tests: images made here or read from the data mirror, a live gunicorn server."""

import io
import sys

import numpy as np
import pytest
from PIL import Image

from api.launch import LAB_DIR, start_server, stop_server
from text_recognizer.data.errors import DataError

REPO_DIR = LAB_DIR.parent


def png_bytes(image: np.ndarray | Image.Image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, format=image_format)
    return buffer.getvalue()


def as_scan(ink_on_black: np.ndarray, scale: int = 3) -> np.ndarray:
    """A training image as a person would photograph it: dark ink on light paper, larger."""
    image = Image.fromarray(255 - ink_on_black).resize(
        (ink_on_black.shape[1] * scale, ink_on_black.shape[0] * scale), Image.Resampling.BICUBIC
    )
    return np.asarray(image)


def drawn_stroke() -> bytes:
    """A drawn vertical stroke, dark on white, as PNG: any task reads something from it."""
    image = np.full((90, 60), 255, dtype=np.uint8)
    image[10:80, 26:34] = 0
    return png_bytes(image)


@pytest.fixture(scope="session")
def stroke_png() -> bytes:
    return drawn_stroke()


@pytest.fixture(scope="session")
def mnist_digits() -> list[tuple[bytes, str]]:
    """Real MNIST test digits from the data mirror, as dark-on-light PNG scans, with their labels."""
    from text_recognizer.data.mnist import MnistDataset

    data = MnistDataset()
    try:
        data.setup()
    except DataError as error:
        pytest.skip(f"needs the real MNIST files ({error})")
    images, labels = data.split("test")
    return [(png_bytes(as_scan(image)), str(label)) for image, label in zip(images[:20], labels[:20], strict=True)]


@pytest.fixture(scope="session")
def emnist_line() -> tuple[bytes, str]:
    """One held-out EMNIST line made from the data mirror, as a dark-on-light PNG, and its text."""
    from text_recognizer.data.emnist_lines import EmnistLinesDataset
    from text_recognizer.model_files import read_config
    from text_recognizer.predictors.inference import artifact_dir

    dataset_args = read_config(artifact_dir("line"))["experiment"]["dataset_args"]
    data = EmnistLinesDataset.held_out(dataset_args, 20)
    try:
        data.setup()
    except (DataError, LookupError) as error:
        pytest.skip(f"needs the real EMNIST and Brown files ({error})")
    images, texts = data.split("test")[0], data.texts("test")
    longest = max(range(len(texts)), key=lambda i: len(texts[i]))
    return png_bytes(as_scan(images[longest], scale=2)), texts[longest]


@pytest.fixture(scope="session")
def handwritten_line() -> tuple[bytes, str]:
    """A real handwritten line of a Copiste test writer (never seen in training) as a JPEG photo, and its text."""
    from text_recognizer import line_crops
    from text_recognizer.data import copiste

    try:
        lines, _ = copiste.read_lines(copiste.corpus_dir())
    except DataError as error:
        pytest.skip(f"needs the Copiste corpus ({error})")
    record = copiste.split_by_writer(lines)["test"][0]
    with Image.open(record.page_image) as page:
        crop = line_crops.cut_line(np.asarray(page.convert("L")), record.box, record.polygon)
    return png_bytes(crop, "JPEG"), record.text


@pytest.fixture(scope="session")
def handwritten_page() -> tuple[bytes, str, int]:
    """A whole Copiste test page (a writer no model saw) as its JPEG file, the text of all its lines (its
    reference number first), and their count."""
    from text_recognizer.data import copiste

    try:
        page = copiste.split_pages(copiste.corpus_dir())["test"][0]
    except DataError as error:
        pytest.skip(f"needs the Copiste corpus ({error})")
    return page.page_image.read_bytes(), "\n".join(line.text for line in page.lines), len(page.lines)


@pytest.fixture(scope="session")
def gunicorn_server(tmp_path_factory):
    """The production server (gunicorn, two workers) of this copy of the code on loopback: (process, URL)."""
    process, url = start_server(sys.executable, tmp_path_factory.mktemp("server") / "server.log")
    yield process, url
    stop_server(process)


@pytest.fixture(scope="session")
def live_server(gunicorn_server) -> str:
    return gunicorn_server[1]
