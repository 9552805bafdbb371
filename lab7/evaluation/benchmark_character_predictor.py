"""Prediction speed of the committed character model on ONNX Runtime.

    python -m evaluation.benchmark_character_predictor [--task character] [--repeats 1000]

Batched: characters per second through `predict_preprocessed` (28x28 inputs) and through the whole
predictor (preprocessing each 28x28 array first). Single: the median and 95th percentile latency of
`predict()` on one character, preprocessing included. Inputs are synthetic strokes, so no dataset is
needed; speed does not depend on what the pixels show.
"""

import argparse
import statistics
import time

import numpy as np

from evaluation.report import print_results
from text_recognizer.predictors import available_tasks


def synthetic_characters(count: int, seed: int = 0) -> np.ndarray:
    """Random bright strokes on black, 28x28 uint8."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    for image in images:
        row, col = rng.integers(4, 20, size=2)
        image[row : row + 6, 4:24] = 255
        image[4:24, col : col + 4] = 200
    return images


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=["character", "digit"], default="character")
    parser.add_argument("--batch", type=int, default=10_000, help="characters in the batched runs")
    parser.add_argument("--repeats", type=int, default=1000, help="single-character calls timed")
    args = parser.parse_args(argv)

    predictor = available_tasks()[args.task]()
    images = synthetic_characters(args.batch)
    predictor.predict_preprocessed(images[:256])  # warm up

    started = time.perf_counter()
    predictor.predict_preprocessed(images)
    model_rate = len(images) / (time.perf_counter() - started)
    started = time.perf_counter()
    predictor.predict_batch(list(images))
    pipeline_rate = len(images) / (time.perf_counter() - started)

    latencies = []
    for image in images[: args.repeats]:
        started = time.perf_counter()
        predictor.predict(image)
        latencies.append((time.perf_counter() - started) * 1000)
    results = {
        "batched_chars_per_s_model": model_rate,
        "batched_chars_per_s_with_preprocessing": pipeline_rate,
        "single_median_ms": statistics.median(latencies),
        "single_p95_ms": float(np.percentile(latencies, 95)),
    }
    print(f"backend: {predictor.model.backend}; {args.batch} characters batched, {args.repeats} single calls")
    print_results(results, 2)
    return results


if __name__ == "__main__":
    main()
