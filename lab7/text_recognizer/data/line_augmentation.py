"""Random changes to a training line inside `tf.data`, so that each epoch shows the network new variants.

    dataset = dataset.map(augment_line)          # on (pixels (H, W) uint8, width), training data only

Each change imitates a way that writers or scans differ (the lines are ink bright on black):
- a slant (horizontal shear) and a vertical scale and shift, as one affine warp;
- wider or narrower handwriting (the line's width scaled), never below what CTC can still align;
- thicker or thinner strokes (a 2x2 grey dilation or erosion);
- fainter or stronger ink (contrast) and a gamma.
"""

import tensorflow as tf

MIN_PIXELS_PER_CHARACTER = 8  # a line is never narrowed below this: CTC needs frames for every character


def _warp(image, slant, scale_y, shift_y):
    """Shear and vertically scale/shift a (H, W) float image about its middle row (output -> input map)."""
    height = tf.cast(tf.shape(image)[0], tf.float32)
    middle = height / 2
    # x_in = x + slant * (y - middle);  y_in = (y - middle) / scale_y + middle - shift_y
    transform = tf.stack(
        [1.0, slant, -slant * middle, 0.0, 1.0 / scale_y, middle - middle / scale_y - shift_y, 0.0, 0.0]
    )
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None, :, :, None],
        transforms=transform[None],
        output_shape=tf.shape(image),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return warped[0, :, :, 0]


def _stroke(image, change):
    """Dilate (change 1), erode (-1) or keep (0) the ink."""
    x = image[None, :, :, None]
    dilated = tf.nn.max_pool2d(x, 2, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
    return tf.switch_case(change + 1, [lambda: eroded, lambda: x, lambda: dilated])[0, :, :, 0]


def augment_line(inputs, labels, seed: int | None = None):
    """A random variant of one training line; `labels` set how narrow it may become."""
    pixels, width = inputs
    height = tf.shape(pixels)[0]
    image = tf.cast(pixels, tf.float32)
    image = _warp(
        image,
        slant=tf.random.uniform((), -0.3, 0.3, seed=seed),
        scale_y=tf.random.uniform((), 0.8, 1.05, seed=seed),
        shift_y=tf.random.uniform((), -0.06, 0.06, seed=seed) * tf.cast(height, tf.float32),
    )
    narrowest = tf.minimum(width, MIN_PIXELS_PER_CHARACTER * tf.shape(labels)[0])
    new_width = tf.cast(tf.cast(width, tf.float32) * tf.random.uniform((), 0.8, 1.2, seed=seed), tf.int32)
    new_width = tf.maximum(new_width, narrowest)
    image = tf.image.resize(image[:, :, None], (height, new_width), method="bilinear")[:, :, 0]
    image = _stroke(image, tf.random.uniform((), -1, 2, dtype=tf.int32, seed=seed))
    peak = tf.maximum(tf.reduce_max(image), 1.0)
    gamma = tf.random.uniform((), 0.7, 1.4, seed=seed)
    contrast = tf.random.uniform((), 0.6, 1.0, seed=seed)
    image = 255.0 * contrast * tf.pow(image / peak, gamma)
    return (tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), new_width), labels
