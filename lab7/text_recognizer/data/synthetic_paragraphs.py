"""Synthetic handwritten paragraphs: pages of lines drawn with handwriting fonts, with every line's place known.

    rng = np.random.default_rng(0)
    page, lines = render_paragraph(["First line", "second line"], rng)   # uint8 page, LineRecords

The Copiste pages all share one layout (a printed header, ruled paper, about 25 lines to a page).
Synthetic paragraphs add what they lack: from 1 to 30 lines of any size on a sheet of any shape, so that
the detector also meets a photo of a few large lines or a single word; indents and ragged line ends; other paper and ink
tones, ruled or plain paper, a shadow, blur, noise and JPEG artefacts. A seed fixes every page.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from text_recognizer.data.line_records import LineRecord, bounding_box
from text_recognizer.data.synthetic_handwriting import fonts_for, handwriting_fonts, sample_text

LINES = (1, 30)  # lines on a page
PAGE_LONGER_SIDE = (900, 1700)  # pixels
LINE_SPACING = (1.25, 1.8)  # in font sizes
MARGIN = (0.04, 0.15)  # of the page's width, left and right


def render_paragraph(texts: list[str], rng: np.random.Generator, font: Path | None = None) -> tuple[np.ndarray, list]:
    """A page (greyscale uint8, dark ink on paper) with one line per text, and the lines' records.

    The font size is chosen so that the lines fill between half and all of the page's height.
    """
    font = font or _font_for(" ".join(texts), rng)
    longer = int(rng.integers(*PAGE_LONGER_SIDE))
    aspect = rng.uniform(0.65, 1.4)
    width, height = (round(longer * aspect), longer) if aspect < 1 else (longer, round(longer / aspect))
    spacing_factor = rng.uniform(*LINE_SPACING)
    left_margin = int(rng.uniform(*MARGIN) * width)
    fill = rng.uniform(0.5, 0.95)
    size = max(12, int(fill * height / (len(texts) + 1) / spacing_factor))
    typeface = ImageFont.truetype(str(font), size)
    # Shrink the font until the longest line fits the width.
    while size > 12 and max(typeface.getlength(text) for text in texts) > width - 2 * left_margin:
        size = int(size * 0.9)
        typeface = ImageFont.truetype(str(font), size)
    spacing = round(size * spacing_factor)
    ink_layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(ink_layer)
    top = int(rng.uniform(0.3, 1.0) * (height - spacing * len(texts))) if height > spacing * len(texts) else 0
    lines = []
    for index, text in enumerate(texts):
        baseline_y = top + (index + 1) * spacing
        x = left_margin + int(rng.integers(0, max(1, size)) if rng.random() < 0.2 else 0)  # an indent now and then
        if baseline_y >= height:
            break
        draw.text((x, baseline_y), text, font=typeface, fill=255, anchor="ls")
        left, box_top, right, bottom = draw.textbbox((x, baseline_y), text, font=typeface, anchor="ls")
        polygon = ((left, box_top), (right, box_top), (right, bottom), (left, bottom))
        box = bounding_box(polygon, (width, height))
        if box is None:
            continue
        lines.append(
            LineRecord(
                page_image=Path("synthetic"),
                page_id="synthetic",
                line_id=f"line{index}",
                text=text,
                box=box,
                polygon=polygon,
                baseline=((left, baseline_y), (right, baseline_y)),
                reading_order=index,
            )
        )
    return _photograph(np.asarray(ink_layer), spacing, rng), lines


def _font_for(text: str, rng: np.random.Generator) -> Path:
    choices = fonts_for(text, handwriting_fonts())
    if not choices:
        raise ValueError(f"no bundled font draws all of {text!r}")
    return choices[int(rng.integers(len(choices)))]


def _photograph(ink: np.ndarray, spacing: int, rng: np.random.Generator) -> np.ndarray:
    """Ink on paper as a scan or phone photo shows it: tones, ruling, a shadow, blur, noise, JPEG."""
    height, width = ink.shape
    paper = np.full(ink.shape, rng.uniform(150, 250), dtype=np.float32)
    if rng.random() < 0.5:  # ruled paper, the rules under the baselines
        offset = int(rng.integers(0, spacing))
        paper[offset::spacing] -= rng.uniform(20, 70)
    ramp = np.linspace(0, 1, width)[None, :] * rng.uniform(-1, 1) + np.linspace(0, 1, height)[:, None] * rng.uniform(
        -1, 1
    )
    ramp = (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    paper *= 1 - rng.uniform(0, 0.45) * ramp  # a shadow or the lamp's gradient
    coverage = ink.astype(np.float32) / 255
    image = paper * (1 - coverage) + rng.uniform(10, 110) * coverage
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0, 1.5))
    )
    noisy = np.asarray(picture, dtype=np.float32) + rng.normal(0, rng.uniform(0, 8), ink.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(rng.integers(40, 95))
    )
    return np.asarray(Image.open(buffer).convert("L"))


def render_pages(corpora: list[list[str]], count: int, seed: int) -> list[tuple[np.ndarray, list]]:
    """`count` synthetic paragraphs, their texts recombined from `corpora` (see `sample_text`)."""
    rng = np.random.default_rng(seed)
    pages = []
    for _ in range(count):
        lines = int(rng.integers(LINES[0], LINES[1] + 1))
        texts = [sample_text(corpora, rng) for _ in range(lines)]
        pages.append(render_paragraph(texts, rng))
    return pages
