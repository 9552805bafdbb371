"""Batches of preprocessed lines for inference: similar widths together, each batch padded to its widest.

Plain numpy, so that both the predictors (no TensorFlow) and the models' evaluation use it. The
training pipeline does the same in `tf.data` (`data.line_batches`).
"""

from collections.abc import Iterator, Sequence

import numpy as np


def width_sorted_batches(
    lines: Sequence[np.ndarray], batch_size: int, width_multiple: int = 1
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """(indices into `lines`, uint8 pixels (B, H, W), int32 widths (B,)) batches, narrowest lines first.

    Each batch is padded with 0 (black, no ink) to its widest line, rounded up to `width_multiple`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        width = max(lines[i].shape[1] for i in chunk)
        width += -width % width_multiple
        pixels = np.zeros((len(chunk), lines[chunk[0]].shape[0], width), dtype=np.uint8)
        for row, i in enumerate(chunk):
            pixels[row, :, : lines[i].shape[1]] = lines[i]
        yield chunk, pixels, np.array([lines[i].shape[1] for i in chunk], dtype=np.int32)
