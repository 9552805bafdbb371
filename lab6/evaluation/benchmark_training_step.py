"""Time of one training step of the handwriting network: the unit a training budget is spent in.

    python -m evaluation.benchmark_training_step [--batch-size 32] [--width 600] [--steps 10]

A batch of `--batch-size` random lines, the model's height x `--width` pixels (600 is about a median
Copiste line), each with a 60-character label, through the network of the committed model's config,
compiled as training compiles it (AdamW, CTC loss). Prints the median of `--steps` timed steps after 3
warm-up steps. To see what a change buys, run it before and after the change on the same machine,
interleaved: a shared machine's speed varies from hour to hour.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from evaluation.report import print_results
from text_recognizer import paths
from text_recognizer.model_files import read_config
from text_recognizer.models.handwriting_model import HandwritingModel, ctc_targets

WARM_UP_STEPS = 3
LABEL_LENGTH = 60


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=600, help="pixels; a multiple of the model's frame width")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--model-dir", type=Path, default=paths.ARTIFACTS_DIR / "handwriting", help="whose network")
    args = parser.parse_args(argv)
    config = read_config(args.model_dir)
    height = config["input_shape"][0]
    model = HandwritingModel(config["network"], (height, None), config["mapping"], config["network_args"])
    if args.width % model.frame_width or args.width // model.frame_width < LABEL_LENGTH:
        parser.error(f"--width must be a multiple of {model.frame_width} with >= {LABEL_LENGTH} frames")
    model.compile(1e-3)

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (args.batch_size, height, args.width), dtype=np.uint8)
    widths = np.full(args.batch_size, args.width, dtype=np.int32)
    labels = rng.integers(1, len(config["mapping"]), (args.batch_size, LABEL_LENGTH), dtype=np.int32)
    targets = ctc_targets(widths // model.frame_width, labels)
    seconds = []
    for step in range(WARM_UP_STEPS + args.steps):
        started = time.perf_counter()
        model.network.train_on_batch([pixels, widths], targets)
        if step >= WARM_UP_STEPS:
            seconds.append(time.perf_counter() - started)

    step_ms = 1000 * statistics.median(seconds)
    results = {"step_median_ms": step_ms, "ms_per_line": step_ms / args.batch_size}
    network = f"{config['network']} {config['network_args']}"
    print(f"network: {network}; batch of {args.batch_size} lines {height}x{args.width}")
    print_results(results, 1)
    return results


if __name__ == "__main__":
    main()
