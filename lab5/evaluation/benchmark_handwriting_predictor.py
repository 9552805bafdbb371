"""Inference speed of the committed handwriting model on ONNX Runtime, decoding included.

    python -m evaluation.benchmark_handwriting_predictor [--width 1000] [--batch 500] [--repeats 200]
    python -m evaluation.benchmark_handwriting_predictor --model-dir training/runs/<run>/model   # a trained one

Single: median and 95th percentile latency of one preprocessed line (the model's height x `--width`
pixels, about a 60-character line) through `predict_preprocessed`, with the decoder the predictor uses.
Batched: lines per second for `--batch` lines of mixed widths (300 to `--width`). Inputs are synthetic
strokes: the network's time does not depend on what the pixels show, a beam search's a little.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from evaluation.report import print_results
from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor


def synthetic_line(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Pen-like vertical and slanted strokes every few pixels, bright on black like a preprocessed line."""
    line = np.zeros((height, width), dtype=np.uint8)
    for x in range(4, width - 8, int(rng.integers(5, 9))):
        top, bottom = int(rng.integers(height // 5, height // 2)), int(rng.integers(height // 2, 4 * height // 5))
        line[top:bottom, x : x + 2] = 255
    return line


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--decoder", choices=("greedy", "beam"), help="default: the one the model's config names")
    parser.add_argument("--model-dir", type=Path, help="a saved handwriting model (default: the committed one)")
    args = parser.parse_args(argv)
    predictor = HandwritingPredictor(args.model_dir, decoder=args.decoder)
    rng = np.random.default_rng(0)
    single = synthetic_line(predictor.height, args.width, rng)
    mixed = [synthetic_line(predictor.height, int(w), rng) for w in rng.integers(300, args.width + 1, args.batch)]
    predictor.predict_preprocessed(mixed[:64])  # warm up

    latencies = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        predictor.predict_preprocessed([single])
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    predictor.predict_preprocessed(mixed)
    rate = len(mixed) / (time.perf_counter() - started)

    results = {
        "single_median_ms": statistics.median(latencies),
        "single_p95_ms": float(np.percentile(latencies, 95)),
        "batched_lines_per_s": rate,
    }
    print(
        f"backend: {predictor.model.backend}; decoder: {predictor.decoder}; "
        f"single line {predictor.height}x{args.width}, "
        f"batch of {args.batch} lines {predictor.height}x300 to {args.width}"
    )
    print_results(results, 2)
    return results


if __name__ == "__main__":
    main()
