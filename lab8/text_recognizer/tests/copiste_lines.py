"""Real Copiste test lines for the tests of the committed handwriting model (read from the mirror)."""

import numpy as np
import pytest
from PIL import Image

from text_recognizer import line_crops
from text_recognizer.data import copiste
from text_recognizer.data.errors import DataError


def copiste_test_lines(count: int) -> tuple[list[np.ndarray], list[str]]:
    """Greyscale crops of the first `count` Copiste test lines (writers no model saw) and their texts, cut from
    the page images as the training cache cuts them; the calling test is skipped where the corpus is absent."""
    try:
        lines, _ = copiste.read_lines(copiste.corpus_dir())
    except DataError as error:
        pytest.skip(f"these tests need the Copiste corpus ({error})")
    records = copiste.split_by_writer(lines)["test"][:count]
    crops, pages = [], {}
    for record in records:
        if record.page_image not in pages:
            with Image.open(record.page_image) as page:
                pages[record.page_image] = np.asarray(page.convert("L"))
        crops.append(line_crops.cut_line(pages[record.page_image], record.box, record.polygon))
    return crops, [record.text for record in records]
