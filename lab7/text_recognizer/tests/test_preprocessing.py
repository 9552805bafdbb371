"""The character stems: any size, aspect ratio and polarity in; EMNIST- or MNIST-like 28x28 out."""

import io
import os

import numpy as np
import pytest
from PIL import Image

from text_recognizer import stems
from text_recognizer.predictors.image_io import ImageError, decode_bytes, load_greyscale


def glyph(height=200, width=120, ink=0, paper=255):
    """A dark 'L' on light paper, off-centre, in a rectangular image."""
    image = np.full((height, width), paper, dtype=np.uint8)
    image[30:160, 20:40] = ink
    image[140:160, 20:90] = ink
    return image


def test_dark_on_light_and_light_on_dark_give_the_same_input():
    normal = stems.emnist_style(glyph())
    inverted = stems.emnist_style(255 - glyph())
    np.testing.assert_array_equal(normal, inverted)


def test_output_is_28x28_bright_ink_filling_the_frame():
    out = stems.emnist_style(glyph())
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out.max() == 255 and out[0].max() < 64 and out[:, 0].max() < 64, "black border like EMNIST"
    rows = np.flatnonzero(out.max(axis=1) > 64)
    assert rows[-1] - rows[0] >= 22, "the character spans the frame inside a 2-pixel border"


def test_position_and_scale_do_not_matter():
    small = np.full((60, 60), 255, dtype=np.uint8)
    small[10:36, 5:11] = 0
    small[30:36, 5:26] = 0
    large = np.asarray(Image.fromarray(small).resize((600, 600), Image.Resampling.NEAREST))
    difference = np.abs(stems.emnist_style(small).astype(int) - stems.emnist_style(large).astype(int))
    assert difference.mean() < 8


def test_strokes_get_soft_edges_like_emnist():
    # EMNIST was resized with an antialiasing filter: its strokes fade out over grey pixels. A stem that
    # resized with nearest neighbour would give the model hard-edged strokes it never saw in training.
    out = stems.emnist_style(glyph())
    grey = ((out > 32) & (out < 224)).sum()
    assert grey >= 0.3 * (out >= 224).sum(), f"only {grey} grey edge pixels: strokes are not antialiased"


def test_mnist_style_centres_the_mass_in_a_20_pixel_box():
    out = stems.mnist_style(glyph())
    rows, cols = np.nonzero(out > 32)
    assert rows.max() - rows.min() <= 21 and cols.max() - cols.min() <= 21
    mass_row = (np.indices(out.shape)[0] * out).sum() / out.sum()
    mass_col = (np.indices(out.shape)[1] * out).sum() / out.sum()
    assert abs(mass_row - 14) < 1.5 and abs(mass_col - 14) < 1.5


def test_tiny_image_is_upscaled():
    tiny = np.zeros((5, 3), dtype=np.uint8)
    tiny[1:4, 1] = 255
    assert stems.emnist_style(tiny).shape == (28, 28)


def test_blank_image_is_a_clear_error():
    with pytest.raises(ImageError, match="blank"):
        stems.emnist_style(np.full((40, 40), 250, dtype=np.uint8))


def encode(image: Image.Image, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_transparent_background_reads_as_paper():
    rgba = np.zeros((50, 50, 4), dtype=np.uint8)
    rgba[10:40, 20:26] = (0, 0, 0, 255)
    grey = decode_bytes(encode(Image.fromarray(rgba, "RGBA")))
    assert grey[0, 0] == 255 and grey[20, 22] == 0


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.zeros((10, 12), dtype=bool), (10, 12)),
        (np.zeros((10, 12), dtype=np.float32), (10, 12)),
        (np.zeros((10, 12, 1), dtype=np.uint8), (10, 12)),
        (np.zeros((10, 12, 3), dtype=np.uint8), (10, 12)),
        (np.zeros((10, 12), dtype=np.uint16), (10, 12)),
    ],
)
def test_array_inputs(array, expected):
    assert load_greyscale(array).shape == expected


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((10,), dtype=np.uint8), "shape"),
        (np.zeros((1, 50), dtype=np.uint8), "too small"),
        (np.full((5, 5), np.nan), "NaN"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(ImageError, match=message):
        load_greyscale(array)


def test_corrupt_truncated_and_non_image_files(tmp_path):
    png = encode(Image.fromarray(glyph()))
    (tmp_path / "truncated.png").write_bytes(png[: len(png) // 2])
    (tmp_path / "notes.txt").write_text("not an image")
    for name, message in (
        ("truncated.png", "corrupt or truncated"),
        ("notes.txt", "not an image in a format read here"),
        ("absent.png", "no such file"),
    ):
        with pytest.raises(ImageError, match=message):
            load_greyscale(tmp_path / name)
    with pytest.raises(ImageError, match="folder"):
        load_greyscale(tmp_path)


def test_huge_image_is_refused_before_decoding():
    with pytest.raises(ImageError, match="larger than"):
        decode_bytes(encode(Image.new("L", (300, 300))), max_pixels=50_000)


def test_unsupported_type():
    with pytest.raises(ImageError, match="expected a path"):
        load_greyscale(42)


def test_exif_orientation_is_applied():
    tall = Image.fromarray(glyph(height=60, width=20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: viewers turn it 90 degrees clockwise
    buffer = io.BytesIO()
    tall.save(buffer, "JPEG", exif=exif)
    assert decode_bytes(buffer.getvalue()).shape == (20, 60)


def test_lazily_opened_truncated_pil_image():
    png = encode(Image.fromarray(glyph()))
    lazy = Image.open(io.BytesIO(png[: len(png) // 2]))
    with pytest.raises(ImageError, match="corrupt or truncated"):
        load_greyscale(lazy)


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(encode(Image.fromarray(glyph())))
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as a user who can read any file")
    with pytest.raises(ImageError, match="cannot be read"):
        load_greyscale(path)


@pytest.mark.parametrize("shape", [(3, 200_000), (200_000, 3)])
def test_long_thin_ink_is_shrunk_before_padding(shape):
    """Padding a 3 x 200,000 crop to a square would need 40 GB: the crop is shrunk first."""
    image = np.full(shape, 255, dtype=np.uint8)
    image[1:-1, 1:-1] = 0
    for style in (stems.emnist_style, stems.mnist_style):
        assert style(image).shape == (28, 28)


def test_formats_outside_photos_and_scans_are_refused():
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(ImageError, match="format read here"):
        decode_bytes(eps)
