"""Make a scanned page look like other scans and phone photos, in the `tf.data` pipeline (training only).

One projective transform per sample cuts a square crop out of the page and, at the same time, scales it,
rotates it a little and tilts it in perspective, as a phone held over a sheet does; the target map goes
through the same transform (nearest neighbour, so classes stay classes). Then what the light and the
camera add, on the page as the detector sees it (ink bright on black, see `page_stems`): weaker or
stronger contrast, a shadow across the sheet, a grey cast, ruled lines, blur and sensor noise.
"""

import math

import tensorflow as tf

SCALE = (0.7, 1.5)  # a page photographed from nearer or further
ROTATION_DEGREES = 4.0
SHEAR = 0.05
PERSPECTIVE = 4e-4  # per pixel of the crop: the far edge of a 256-pixel crop up to ~10% smaller
CONTRAST = (0.5, 1.1)
SHADOW = 0.6  # at most this much of the ink's contrast lost under a shadow
CAST = 35.0  # grey levels of background left by an uneven light
RULING = (0.3, (12.0, 26.0), (15.0, 70.0))  # probability, spacing and brightness of ruled lines
BLUR = (0.3, (0.5, 1.5))  # probability, sigma
NOISE = 10.0  # at most this standard deviation, in grey levels


def _uniform(low: float, high: float) -> tf.Tensor:
    return tf.random.uniform((), low, high)


def _crop_transform(page_shape: tf.Tensor, crop: int) -> tf.Tensor:
    """The 8 coefficients mapping a crop pixel (x, y) to the page pixel it samples."""
    height, width = tf.cast(page_shape[0], tf.float32), tf.cast(page_shape[1], tf.float32)
    scale = tf.exp(_uniform(math.log(SCALE[0]), math.log(SCALE[1])))
    angle = _uniform(-ROTATION_DEGREES, ROTATION_DEGREES) * math.pi / 180
    shear = _uniform(-SHEAR, SHEAR)
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1 = cos, -sin + shear
    b0, b1 = sin, cos
    c0, c1 = _uniform(-PERSPECTIVE, PERSPECTIVE), _uniform(-PERSPECTIVE, PERSPECTIVE)
    centre_x, centre_y = _uniform(0.0, width), _uniform(0.0, height)  # any part of the page, edges included
    half = crop / 2
    # page = A (crop - half) + centre, divided by the perspective term 1 + c.(crop - half)
    a2 = centre_x - a0 * half - a1 * half
    b2 = centre_y - b0 * half - b1 * half
    # With a perspective term, the numerators gain centre * (c0 x + c1 y) as well.
    a0, a1 = a0 + centre_x * c0, a1 + centre_x * c1
    b0, b1 = b0 + centre_y * c0, b1 + centre_y * c1
    w0 = 1.0 - c0 * half - c1 * half
    coefficients = tf.stack([a0, a1, a2, b0, b1, b2, c0, c1]) / w0
    return tf.reshape(coefficients, (1, 8))


def _warp(image: tf.Tensor, transform: tf.Tensor, crop: int, interpolation: str) -> tf.Tensor:
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(image, tf.float32)[None, :, :, None],
        transforms=transform,
        output_shape=tf.constant([crop, crop]),
        fill_value=0.0,
        interpolation=interpolation,
        fill_mode="CONSTANT",
    )[0, :, :, 0]


def _light(image: tf.Tensor, crop: int) -> tf.Tensor:
    """Contrast, a shadow and a grey cast, as smooth gradients across the crop."""
    ramp = tf.linspace(0.0, 1.0, crop)
    angle = _uniform(0.0, 2 * math.pi)
    gradient = tf.cos(angle) * ramp[None, :] + tf.sin(angle) * ramp[:, None]
    gradient = (gradient - tf.reduce_min(gradient)) / (tf.reduce_max(gradient) - tf.reduce_min(gradient) + 1e-6)
    image = image * _uniform(*CONTRAST) * (1.0 - _uniform(0.0, SHADOW) * gradient)
    return image + _uniform(0.0, CAST) * (1.0 - gradient)


def _ruling(image: tf.Tensor, crop: int) -> tf.Tensor:
    probability, spacing_range, brightness_range = RULING
    spacing, phase = _uniform(*spacing_range), _uniform(0.0, spacing_range[1])
    rows = tf.cast(tf.math.floormod(tf.range(crop, dtype=tf.float32) + phase, spacing) < 1.0, tf.float32)
    lines = rows[:, None] * _uniform(*brightness_range)
    return tf.cond(_uniform(0.0, 1.0) < probability, lambda: tf.maximum(image, lines), lambda: image)


def _blur(image: tf.Tensor) -> tf.Tensor:
    probability, sigma_range = BLUR
    sigma = _uniform(*sigma_range)
    taps = tf.range(-3.0, 4.0)
    kernel = tf.exp(-(taps**2) / (2 * sigma**2))
    kernel /= tf.reduce_sum(kernel)
    blurred = tf.nn.conv2d(image[None, :, :, None], kernel[:, None, None, None], 1, "SAME")
    blurred = tf.nn.conv2d(blurred, kernel[None, :, None, None], 1, "SAME")[0, :, :, 0]
    return tf.cond(_uniform(0.0, 1.0) < probability, lambda: blurred, lambda: image)


def augment_page(image: tf.Tensor, target: tf.Tensor, crop: int) -> tuple[tf.Tensor, tf.Tensor]:
    """A `crop` x `crop` sample of a page (uint8) and its target map (uint8), transformed alike."""
    transform = _crop_transform(tf.shape(image), crop)
    pixels = _warp(image, transform, crop, "BILINEAR")
    classes = _warp(target, transform, crop, "NEAREST")
    pixels = _blur(_ruling(_light(pixels, crop), crop))
    pixels += tf.random.normal((crop, crop), stddev=_uniform(0.0, NOISE))
    return tf.cast(tf.clip_by_value(tf.round(pixels), 0, 255), tf.uint8), tf.cast(classes, tf.uint8)


def page_crops(images: list, targets: list, crop: int, batch_size: int, seed: int) -> tf.data.Dataset:
    """An endless, shuffled dataset of augmented crops of the pages, batched."""
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(zip(images, targets, strict=True)),
        output_signature=(
            tf.TensorSpec((None, None), tf.uint8),
            tf.TensorSpec((None, None), tf.uint8),
        ),
    ).cache()
    return (
        dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .map(lambda x, y: augment_page(x, y, crop), num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
