"""Synthetic handwritten lines: text drawn with handwriting fonts, varied the way real pages vary.

    rng = np.random.default_rng(0)
    image = render_line("Bonjour, le monde", handwriting_fonts()[0], rng)  # uint8, dark ink on paper

Each line draws its own variation from `rng` (so a seed fixes every image): font size, slant, a wavy
baseline, stroke width, ink and paper tones, ruled paper lines, blur, sensor noise and JPEG artefacts.
The result looks like a photo or scan of one line, and goes through the same preprocessing as one.

The fonts are bundled in `data/raw/fonts/` with their licenses (the mirror's `fonts/` is used where the
folder is missing); `FONT_FILES` names them.
"""

import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from tqdm.auto import tqdm

from text_recognizer.data import download
from text_recognizer.data.errors import MissingDataError

FONTS = "fonts"
# Handwriting fonts with the Latin letters, digits, punctuation and French accents of the corpora.
FONT_FILES = (
    "DancingScript-Regular.otf",
    "KaushanScript-Regular.otf",
    "LeckerliOne-Regular.ttf",
    "ComicNeue-Italic.otf",
    "SteveHand.ttf",
    "dkg.ttf",
    "Breip.ttf",
)


@dataclass(frozen=True)
class Variation:
    """The ranges each line's look is drawn from (uniformly, unless said otherwise)."""

    font_size: tuple[int, int] = (40, 64)  # pixels
    slant: tuple[float, float] = (-0.25, 0.35)  # horizontal shift per pixel of height (a shear)
    wobble: tuple[float, float] = (0.0, 0.08)  # baseline amplitude, in font sizes
    wobble_period: tuple[float, float] = (4.0, 16.0)  # in font sizes
    stroke: tuple[int, int] = (-1, 1)  # thinner (-1), as drawn (0), bolder (+1)
    ink: tuple[int, int] = (10, 110)  # grey level of the ink
    paper: tuple[int, int] = (170, 250)  # grey level of the paper
    ruled: float = 0.5  # probability of ruled paper
    blur: tuple[float, float] = (0.0, 1.3)  # Gaussian radius, pixels
    noise: tuple[float, float] = (0.0, 10.0)  # standard deviation, grey levels
    jpeg_quality: tuple[int, int] = (25, 95)


def handwriting_fonts() -> list[Path]:
    """Paths of the bundled fonts."""
    fonts = []
    for name in FONT_FILES:
        path = download.find_local(FONTS, name)
        if path is None:
            raise MissingDataError(
                f"The handwriting font {name} is missing from data/raw/{FONTS}/: check out data/raw/ again."
            )
        fonts.append(path)
    return fonts


@cache
def font_characters(font: Path) -> frozenset[str]:
    """The characters a font has glyphs for."""
    from fontTools.ttLib import TTFont

    return frozenset(chr(code) for code in TTFont(font, lazy=True).getBestCmap())


def fonts_for(text: str, fonts: list[Path]) -> list[Path]:
    """The fonts that can draw every character of `text` (spaces aside)."""
    needed = set(text) - {" "}
    return [font for font in fonts if needed <= font_characters(font)]


def render_line(text: str, font: Path, rng: np.random.Generator, variation: Variation = Variation()) -> np.ndarray:
    """One line of `text` in `font`, as a greyscale uint8 image of dark ink on light paper."""
    missing = set(text) - {" "} - font_characters(font)
    if missing:
        raise ValueError(f"{font.name} has no glyph for {''.join(sorted(missing))!r}: choose it with fonts_for()")
    size = int(rng.integers(variation.font_size[0], variation.font_size[1] + 1))
    ink = _draw_text(text, ImageFont.truetype(str(font), size))
    ink = _stroke(ink, int(rng.integers(variation.stroke[0], variation.stroke[1] + 1)))
    ink = _shear(ink, rng.uniform(*variation.slant))
    ink = _wobble(ink, rng.uniform(*variation.wobble) * size, rng.uniform(*variation.wobble_period) * size, rng)
    paper = _paper(ink.shape, size, rng, variation)
    coverage = ink.astype(np.float32) / 255
    image = paper * (1 - coverage) + rng.uniform(*variation.ink) * coverage
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(*variation.blur)))
    noisy = np.asarray(picture, dtype=np.float32) + rng.normal(0, rng.uniform(*variation.noise), ink.shape)
    return _jpeg(np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(*variation.jpeg_quality)))


def _draw_text(text: str, font: ImageFont.FreeTypeFont) -> np.ndarray:
    """White text on black, with room around it for slant and wobble."""
    # Whole pixels: Pillow types the box and the size as floats, but gives ints for a font loaded at an int size
    left, top, right, bottom = map(int, font.getbbox(text))
    pad = int(font.size) // 2
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, font=font, fill=255)
    return np.asarray(canvas)


def _stroke(ink: np.ndarray, change: int) -> np.ndarray:
    if change == 0:
        return ink
    size_filter = ImageFilter.MaxFilter(3) if change > 0 else ImageFilter.MinFilter(3)
    return np.asarray(Image.fromarray(ink).filter(size_filter))


def _shear(ink: np.ndarray, slant: float) -> np.ndarray:
    """Lean the text right (slant > 0) or left, widening the canvas to keep it whole."""
    height, width = ink.shape
    extra = math.ceil(abs(slant) * height)
    # Output pixel (x, y) takes input pixel (x + slant * y + shift, y); for slant > 0 the bottom stays and
    # the top moves right, for slant < 0 the top stays and the bottom moves right.
    matrix = (1, slant, -slant * height if slant > 0 else 0, 0, 1, 0)
    sheared = Image.fromarray(ink).transform(
        (width + extra, height), Image.Transform.AFFINE, matrix, Image.Resampling.BILINEAR
    )
    return np.asarray(sheared)


def _wobble(ink: np.ndarray, amplitude: float, period: float, rng: np.random.Generator) -> np.ndarray:
    """Shift each column up or down along a sine: a baseline that is not quite straight."""
    height, width = ink.shape
    phase = rng.uniform(0, 2 * math.pi)
    shifts = np.round(amplitude * np.sin(2 * math.pi * np.arange(width) / period + phase)).astype(int)
    rows = np.clip(np.arange(height)[:, None] - shifts[None, :], 0, height - 1)
    return np.take_along_axis(ink, rows, axis=0)


def _paper(shape: tuple[int, int], font_size: int, rng: np.random.Generator, variation: Variation) -> np.ndarray:
    """The paper's tone, with faint ruled lines under the text on some lines."""
    paper = np.full(shape, rng.uniform(*variation.paper), dtype=np.float32)
    if rng.random() < variation.ruled:
        darker = rng.uniform(25, 70)
        baseline = shape[0] - font_size // 2 + int(rng.integers(-font_size // 8, font_size // 8 + 1))
        spacing = int(font_size * rng.uniform(1.1, 1.6))
        for row in range(baseline % spacing, shape[0], spacing):
            paper[row : row + 2] -= darker
    return paper


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("L"))


def sample_text(corpora: list[list[str]], rng: np.random.Generator, max_length: int = 60) -> str:
    """Words from a random line of a random corpus, recombined: a new line, not one of the corpus's lines.

    A run of words from one line, followed by a run from another, up to `max_length` characters.
    """
    words: list[str] = []
    while not words or (len(" ".join(words)) < max_length * 0.6 and rng.random() < 0.7):
        corpus = corpora[int(rng.integers(len(corpora)))]
        line = corpus[int(rng.integers(len(corpus)))].split()
        start = int(rng.integers(len(line))) if line else 0
        words += line[start : start + int(rng.integers(2, 9))]
    text = ""
    for word in words:
        if text and len(text) + 1 + len(word) > max_length:
            break
        text = f"{text} {word}" if text else word[:max_length]
    return text


def render_lines(
    corpora: list[list[str]], count: int, height: int, seed: int, fonts: list[Path] | None = None
) -> tuple[list[np.ndarray], list[str]]:
    """`count` synthetic lines as the line model sees them (`stems.line_style` at `height`), and their texts.

    Texts are drawn from `corpora` (lists of lines; see `sample_text`), each in a random font that has
    all of its characters; a text no font can draw, or whose line shows no ink after blur and noise (a
    lone ":" in a small font), is drawn again.
    """
    fonts = fonts or handwriting_fonts()
    rng = np.random.default_rng(seed)
    images, texts = [], []
    for _ in tqdm(range(count), desc="Synthetic lines", unit="line", leave=False):
        image = None
        while image is None:
            text = sample_text(corpora, rng)
            choices = fonts_for(text, fonts)
            if choices:
                font = choices[int(rng.integers(len(choices)))]
                image = _styled_or_none(render_line(text, font, rng), height)
        images.append(image)
        texts.append(text)
    return images, texts


def _styled_or_none(line: np.ndarray, height: int) -> np.ndarray | None:
    """The line as the model sees it, or None where no ink stands out from its paper."""
    from text_recognizer import stems

    try:
        return stems.line_style(line, height)
    except stems.ImageError:
        return None
