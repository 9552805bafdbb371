"""Batches of variable-width lines for `tf.data`, grouped by width so that little of a batch is padding.

    dataset = bucketed_lines(images, labels, batch_size=16)
    for (pixels, widths), labels in dataset: ...   # uint8 (B, H, W), int32 (B,), int32 (B, L) padded with -1

A batch is padded only to its widest line, and lines of similar widths share a bucket (`BUCKET_STEP`
pixels wide): a 300-pixel line is not padded to 1,400. The widths travel with the pixels, so that the
model can mask the padding and read a line the same alone or in any batch.
"""

from collections.abc import Callable

import numpy as np

BUCKET_STEP = 128  # pixels of width per bucket
LABEL_PADDING = -1


def bucket_boundaries(widths: list[int], step: int = BUCKET_STEP) -> list[int]:
    """Upper bounds (exclusive) of the width buckets that the widths fall in, every `step` pixels."""
    return list(range(step, max(widths) + step, step))


def batch_count(widths: list[int], batch_size: int, step: int = BUCKET_STEP) -> int:
    """How many batches `bucketed_lines` makes of lines of these widths (augmentation can move a few)."""
    buckets = np.bincount(np.asarray(widths) // step)
    return int(np.sum(-(-buckets // batch_size)))


def bucketed_lines(
    images: list[np.ndarray],
    labels: list[list[int]],
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    step: int = BUCKET_STEP,
    augment: Callable | None = None,
):
    """A `tf.data.Dataset` of ((pixels, widths), labels) batches, lines grouped by width.

    `augment` maps one ((pixels, width), labels) element to a variant (after shuffling, before batching).
    """
    import tensorflow as tf

    if len(images) != len(labels) or not images:
        raise ValueError(f"need as many labels as images, and some: got {len(images)} and {len(labels)}")
    height = images[0].shape[0]
    if any(image.shape[0] != height or image.dtype != np.uint8 for image in images):
        raise ValueError(f"every line must be uint8 and {height} pixels high (the stem's output)")

    def generate():
        for image, label in zip(images, labels, strict=True):
            yield (image, np.int32(image.shape[1])), np.asarray(label, dtype=np.int32)

    signature = (
        (tf.TensorSpec((height, None), tf.uint8), tf.TensorSpec((), tf.int32)),
        tf.TensorSpec((None,), tf.int32),
    )
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if augment is not None:
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    boundaries = bucket_boundaries([image.shape[1] for image in images], step)
    dataset = dataset.bucket_by_sequence_length(
        element_length_func=lambda inputs, label: inputs[1],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=(([height, None], []), [None]),
        padding_values=((np.uint8(0), np.int32(0)), np.int32(LABEL_PADDING)),
    )
    return dataset.prefetch(tf.data.AUTOTUNE)
