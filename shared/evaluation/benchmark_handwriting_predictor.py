"""Inference speed of the committed handwriting model on ONNX Runtime, decoding included.

    python -m evaluation.benchmark_handwriting_predictor [--width 1000] [--batch 500] [--repeats 200]
    python -m evaluation.benchmark_handwriting_predictor --model-dir training/runs/<run>/model   # a trained one

Single: median and 95th percentile latency of one preprocessed line (the model's height x `--width`
pixels, about a 60-character line) through `predict_preprocessed`, with the decoder the predictor uses.
Batched: lines per second for `--batch` lines of mixed widths (300 to `--width`).

Inputs are French sentences drawn with the bundled handwriting fonts (`synthetic_handwriting`), through
the predictor's stem, then stretched to the width asked for. The network's time does not depend on what
the pixels show, but a beam search's does: on meaningless strokes its beams stay uncertain and it took
five times as long as on real lines, so the lines are handwriting-like.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from evaluation.report import print_results
from text_recognizer.data import synthetic_handwriting
from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor
from text_recognizer.stems import line_style, resize

SENTENCES = (  # written for this benchmark: about 60 characters each, like a line of the corpus
    "Le marché du village ouvre ses portes dès sept heures du matin",
    "Elle a traversé la rivière à la nage pour rejoindre ses amis",
    "La bibliothèque municipale prête aussi des disques et des jeux",
    "Après la pluie, les enfants ont cherché des escargots au jardin",
)
DRAWN_LINES = 16  # drawn once each, then stretched to every width asked: drawing is slower than reading


def handwriting_lines(height: int, widths: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Lines of handwriting-font text as the predictor's stem makes them, stretched to these widths."""
    fonts = synthetic_handwriting.handwriting_fonts()
    drawn = []
    for index in range(min(len(widths), DRAWN_LINES)):
        text = SENTENCES[index % len(SENTENCES)]
        candidates = synthetic_handwriting.fonts_for(text, fonts)
        font = candidates[index % len(candidates)]
        drawn.append(line_style(synthetic_handwriting.render_line(text, font, rng), height))
    return [resize(drawn[index % len(drawn)], (height, width)) for index, width in enumerate(widths)]


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
    single = handwriting_lines(predictor.height, [args.width], rng)[0]
    mixed = handwriting_lines(predictor.height, [int(w) for w in rng.integers(300, args.width + 1, args.batch)], rng)
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
