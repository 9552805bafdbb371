"""Inference speed of the committed line model on ONNX Runtime, for 28x952 lines (34 characters wide).

    python -m evaluation.benchmark_line_predictor [--batch 2000] [--repeats 300]

Single: median and 95th percentile latency of the model on one preprocessed line (decoding included).
Batched: lines per second through `predict_preprocessed`. Inputs are synthetic strokes: speed does not
depend on what the pixels show.
"""

import argparse
import statistics
import time

import numpy as np

from evaluation.report import print_results
from text_recognizer.predictors.line_predictor import LinePredictor

WIDTH = 952


def synthetic_lines(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lines = np.zeros((count, 28, WIDTH), dtype=np.uint8)
    for line in lines:
        for x in range(4, WIDTH - 28, 28):
            line[rng.integers(4, 12) : rng.integers(16, 24), x : x + rng.integers(4, 20)] = 255
    return lines


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args(argv)
    predictor = LinePredictor()
    lines = synthetic_lines(args.batch)
    predictor.predict_preprocessed(list(lines[:64]))  # warm up

    latencies = []
    for line in lines[: args.repeats]:
        started = time.perf_counter()
        predictor.predict_preprocessed([line])
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    predictor.predict_preprocessed(list(lines))
    rate = len(lines) / (time.perf_counter() - started)

    results = {
        "single_median_ms": statistics.median(latencies),
        "single_p95_ms": float(np.percentile(latencies, 95)),
        "batched_lines_per_s": rate,
    }
    print(f"backend: {predictor.model.backend}; lines of 28x{WIDTH}")
    print_results(results, 2)
    return results


if __name__ == "__main__":
    main()
