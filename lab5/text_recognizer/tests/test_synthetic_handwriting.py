"""Synthetic handwritten lines from the bundled fonts: deterministic for a seed, varied across seeds."""

import numpy as np
import pytest

from text_recognizer.data import synthetic_handwriting
from text_recognizer.data.synthetic_handwriting import (
    Variation,
    fonts_for,
    handwriting_fonts,
    render_line,
    render_lines,
)

TEXT = "Émile, né le 27 octobre 1876 à Bastia."


@pytest.fixture(scope="module")
def fonts():
    return handwriting_fonts()


def test_the_bundled_fonts_draw_french_text(fonts):
    assert len(fonts_for(TEXT, fonts)) == len(fonts) >= 5


def test_a_seed_fixes_the_image_and_another_seed_changes_it(fonts):
    first = render_line(TEXT, fonts[0], np.random.default_rng(3))
    again = render_line(TEXT, fonts[0], np.random.default_rng(3))
    other = render_line(TEXT, fonts[0], np.random.default_rng(4))
    assert np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


def test_a_line_is_dark_ink_on_lighter_paper(fonts):
    for seed, font in enumerate(fonts):
        image = render_line(TEXT, font, np.random.default_rng(seed))
        assert image.dtype == np.uint8 and image.ndim == 2
        assert image.shape[1] > 4 * image.shape[0]  # a line, not a block
        assert np.percentile(image, 1) + 60 < np.median(image), font.name


def test_no_variation_gives_a_clean_line(fonts):
    still = Variation(slant=(0, 0), wobble=(0, 0), stroke=(0, 0), ruled=0, blur=(0, 0), noise=(0, 0))
    image = render_line("ab", fonts[0], np.random.default_rng(0), still)
    paper = np.median(image)
    assert np.abs(image[:3].astype(int) - paper).max() <= 8  # the top rows are plain paper (JPEG aside)


def test_a_character_the_font_lacks_is_refused(fonts):
    lacking = [font for font in fonts if font not in fonts_for("œ", fonts)]
    if not lacking:
        pytest.skip("every bundled font has œ")
    with pytest.raises(ValueError, match="no glyph"):
        render_line("cœur", lacking[0], np.random.default_rng(0))


def test_a_line_that_shows_no_ink_is_drawn_again(fonts, monkeypatch):
    """A lone ":" can vanish in blur and noise; such a line is replaced, not a crash of the whole dataset."""
    draw = synthetic_handwriting.render_line

    def faint_colon(text, font, rng, *args):
        line = draw(text, font, rng, *args)
        return np.full_like(line, np.median(line)) if text == ":" else line

    monkeypatch.setattr(synthetic_handwriting, "render_line", faint_colon)
    images, texts = render_lines([[":", ":", "Bastia"]], 8, 48, seed=0, fonts=fonts)
    assert len(images) == 8 and ":" not in texts
    assert all(image.shape[0] == 48 and image.max() > 0 for image in images)
