"""Turn what a user hands us (a path, a PIL image, an array) into a greyscale uint8 array, or say why not."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from text_recognizer.stems import ImageError

MAX_PIXELS = 40_000_000  # a 6,000 x 6,000 photo fits; decompression bombs do not
MIN_SIDE = 2
# Formats a photo, scan or drawing comes in. Others (EPS runs Ghostscript, DDS, ICNS...) are refused.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")

ImageInput = str | Path | Image.Image | np.ndarray


def load_greyscale(source: ImageInput, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A 2-D uint8 array (0 black, 255 white) from a path, PIL image or numpy array.

    Transparent pixels are composited over white, so a drawing with a transparent background reads
    as ink on paper.
    """
    if isinstance(source, np.ndarray):
        return _check_size(_array_to_greyscale(source), max_pixels)
    if isinstance(source, Image.Image):
        return _decode(source, "the PIL image", max_pixels)
    if isinstance(source, (str, Path)):
        return _open_path(Path(source), max_pixels)
    raise ImageError(f"expected a path, a PIL image or a numpy array, got {type(source).__name__}")


def decode_bytes(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Like `load_greyscale` for the encoded bytes of an image file."""
    import io

    return _open(io.BytesIO(data), "the image data", max_pixels)


def _open_path(path: Path, max_pixels: int) -> np.ndarray:
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file")
    try:
        with path.open("rb") as f:
            return _open(f, str(path), max_pixels)
    except OSError as error:
        raise ImageError(f"{path}: cannot be read ({error.strerror or error})") from error


def _open(stream, label: str, max_pixels: int) -> np.ndarray:
    try:
        image = Image.open(stream, formats=FORMATS)
    except UnidentifiedImageError as error:
        raise ImageError(
            f"{label}: not an image in a format read here ({', '.join(FORMATS)}), or its header is corrupt"
        ) from error
    except Image.DecompressionBombError as error:
        raise ImageError(f"{label}: too many pixels ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError, NotImplementedError) as error:  # a broken header
        raise ImageError(f"{label}: the image header is corrupt or truncated ({error})") from error
    with image:
        return _decode(image, label, max_pixels)


def _decode(image: Image.Image, label: str, max_pixels: int) -> np.ndarray:
    """Check the declared size before decoding pixels, then decode, upright by EXIF, to greyscale."""
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(f"{label}: {width}x{height} is larger than the {max_pixels:,} pixels allowed; resize it first")
    try:
        image.load()
        grey = _pil_to_greyscale(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError as error:
        raise ImageError(f"{label}: too many pixels ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError, NotImplementedError) as error:
        raise ImageError(f"{label}: the image is corrupt or truncated ({error})") from error
    return _check_size(grey, max_pixels)


def _pil_to_greyscale(image: Image.Image) -> np.ndarray:
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    elif image.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        return _array_to_greyscale(np.asarray(image))
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _array_to_greyscale(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        if array.shape[-1] == 1:
            array = array[..., 0]
        else:
            return _pil_to_greyscale(Image.fromarray(_to_uint8(array), "RGBA" if array.shape[-1] == 4 else "RGB"))
    if array.ndim != 2:
        raise ImageError(f"expected an image array of shape (H, W), (H, W, 1|3|4), got {array.shape}")
    return _to_uint8(array)


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.size and not np.all(np.isfinite(array)):
        raise ImageError("the image array holds NaN or infinite values")
    if np.issubdtype(array.dtype, np.floating) and array.size and array.max() <= 1.0:
        array = array * 255.0
    elif np.issubdtype(array.dtype, np.integer) and array.size and array.max() > 255:
        array = array / (array.max() / 255.0)
    return np.clip(np.rint(array), 0, 255).astype(np.uint8)


def _check_size(image: np.ndarray, max_pixels: int) -> np.ndarray:
    if min(image.shape) < MIN_SIDE:
        raise ImageError(f"the image is {image.shape[1]}x{image.shape[0]} pixels: too small to read")
    if image.size > max_pixels:
        raise ImageError(f"the image has {image.size:,} pixels, more than the {max_pixels:,} allowed; resize it first")
    return image
