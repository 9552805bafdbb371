"""Stems: what a model sees, made one way for training data and for the predictors' inputs alike.

Characters: bright ink on black, cropped, square, 28x28. EMNIST was made from NIST scans by cropping to the
character, centring it in a square and resizing it with bicubic interpolation: the ink spans about 24 of
28 pixels inside a 2-pixel black border. MNIST fitted each digit into a 20x20 box and placed its centre of
mass at the centre of a 28x28 frame. Reproducing the right recipe is most of what makes a model trained on
those sets read other people's images.

Lines: bright ink on black, cropped to the ink with a margin, resized to the model's height.
"""

import numpy as np
from PIL import Image


class ImageError(ValueError):
    """The input cannot be read as an image, or holds nothing to read; the message says why and what to do."""


VERSION = 1  # raise when a stem's output changes: caches of framed training data are rebuilt
INK_THRESHOLD = 0.25  # share of the brightest ink level above which a pixel counts as ink
WORKING_SIDE = 256  # ink larger than this is shrunk before padding: padding a long thin crop to a square
# would otherwise cost memory in the square of its long side (a 2 x 100,000 image becomes 10 GB)
EMNIST_BORDER = 2  # pixels of black around the ink in EMNIST images (measured on the data)

LINE_MARGIN = 0.1  # of the ink's height, kept on each side, like the gaps around characters in training lines
MIN_LINE_WIDTH = 16  # the network needs at least two output frames
MAX_LINE_WIDTH = 8192  # about 290 characters at training scale: longer inputs are not single lines
WORKING_HEIGHT_FACTOR = 8  # ink taller than 8x the model's height is shrunk before padding (bounds memory)


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """Return the image with ink bright and background 0, whatever the input's polarity.

    The background is taken as the median of the image border: a light border means dark ink on light
    paper, which is inverted. The background level is then subtracted and the ink stretched to 255.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]).astype(np.float32)
    background = float(np.median(border))
    image = grey.astype(np.float32)  # one float copy, then in place: large photos stay affordable
    if background > 127:
        np.subtract(255.0, image, out=image)
        background = 255.0 - background
    image -= background
    np.maximum(image, 0, out=image)
    peak = float(image.max())
    if peak < 16:
        raise ImageError("the image is blank: no ink stands out from the background")
    image *= 255.0 / peak
    np.clip(image, 0, 255, out=image)
    return image.astype(np.uint8)


def crop_to_ink(image: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """The tightest box around pixels brighter than `threshold` of the maximum."""
    rows = np.flatnonzero((image > threshold * image.max()).any(axis=1))
    cols = np.flatnonzero((image > threshold * image.max()).any(axis=0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def shrink_to_fit(image: np.ndarray, max_side: int = WORKING_SIDE) -> np.ndarray:
    """The image scaled down, keeping its aspect ratio, so that neither side exceeds `max_side`."""
    height, width = image.shape
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    return resize(image, (max(1, round(height * scale)), max(1, round(width * scale))))


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """Centre the image in a black square whose side is its longer side."""
    height, width = image.shape
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    square = np.zeros((side, side), dtype=np.uint8)
    square[top : top + height, left : left + width] = image
    return square


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize with PIL's antialiased bicubic filter to (height, width)."""
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BICUBIC), dtype=np.uint8)


def emnist_style(grey: np.ndarray, size: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Crop to the ink, centre it in a square, resize it into `size` less EMNIST's 2-pixel border."""
    square = pad_to_square(shrink_to_fit(crop_to_ink(ink_on_black(grey))))
    inner = resize(square, (size[0] - 2 * EMNIST_BORDER, size[1] - 2 * EMNIST_BORDER))
    return stretch(np.pad(inner, EMNIST_BORDER))


def mnist_style(grey: np.ndarray, size: tuple[int, int] = (28, 28), box: int = 20) -> np.ndarray:
    """Fit the ink into a `box` x `box` square, then centre its centre of mass in `size`."""
    ink = pad_to_square(shrink_to_fit(crop_to_ink(ink_on_black(grey))))
    digit = resize(ink, (box, box)).astype(np.float32)
    total = digit.sum()
    rows, cols = np.indices(digit.shape)
    centre_row = (rows * digit).sum() / total if total else box / 2
    centre_col = (cols * digit).sum() / total if total else box / 2
    top = int(np.clip(round(size[0] / 2 - centre_row), 0, size[0] - box))
    left = int(np.clip(round(size[1] / 2 - centre_col), 0, size[1] - box))
    frame = np.zeros(size, dtype=np.uint8)
    frame[top : top + box, left : left + box] = digit.astype(np.uint8)
    return stretch(frame)


def stretch(image: np.ndarray) -> np.ndarray:
    """Scale intensities so that the brightest pixel is 255."""
    peak = int(image.max())
    if peak == 0:
        return image
    return np.clip(image.astype(np.float32) * (255.0 / peak), 0, 255).astype(np.uint8)


def line_style(grey: np.ndarray, height: int = 28) -> np.ndarray:
    """Bright ink on black, cropped to the ink with a margin, resized to `height` keeping the aspect ratio."""
    ink = crop_to_ink(ink_on_black(grey))
    ink_height, ink_width = ink.shape
    margin = LINE_MARGIN * ink_height
    width = max(MIN_LINE_WIDTH, round((ink_width + 2 * margin) * height / (ink_height + 2 * margin)))
    if width > MAX_LINE_WIDTH:
        raise ImageError(
            f"the ink is {ink_width}x{ink_height}: at a line height of {height} pixels it would be {width} "
            f"pixels wide, more than the {MAX_LINE_WIDTH} allowed. Is this one line? Crop it to one line first."
        )
    # Shrink tall ink before padding it (the margin grows with the height), then pad and resize.
    scale = min(1.0, WORKING_HEIGHT_FACTOR * height / ink_height)
    if scale < 1:
        ink = resize(ink, (max(1, round(ink_height * scale)), max(1, round(ink_width * scale))))
    ink = np.pad(ink, round(margin * scale))
    resized = Image.fromarray(ink).resize((width, height), Image.Resampling.BICUBIC)
    return stretch(np.asarray(resized, dtype=np.uint8))


PREPROCESSORS = {"emnist": emnist_style, "mnist": mnist_style}
