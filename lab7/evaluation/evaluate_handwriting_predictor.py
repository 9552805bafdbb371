"""CER of the committed handwriting model on writers it never saw: Copiste test split and real IAM lines.

    python -m evaluation.evaluate_handwriting_predictor [--show 10] [--plot cer_per_writer.png]
    python -m evaluation.evaluate_handwriting_predictor --model-dir MODEL --metrics metrics.json   # another model

The network reads each line once (ONNX Runtime, as in serving); greedy decoding and beam search with the
model's language model are both scored, case-sensitive, on exact characters. Then: CER per test writer,
the worst lines, and the real IAM sample lines of the mirror (English, another corpus: a harder test)
cut with the boxes committed in `iam_sample_lines.json`.
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation.report import print_results
from text_recognizer import atomic_files
from text_recognizer.data import download
from text_recognizer.metrics import character_error_rate, edit_distance, line_accuracy
from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor

IAM_SAMPLE_BOXES = Path(__file__).with_name("iam_sample_lines.json")


def iam_sample_lines() -> tuple[list[np.ndarray], list[str]] | None:
    """The IAM sample lines (greyscale crops) and their texts, or None where the mirror lacks them."""
    boxes = json.loads(IAM_SAMPLE_BOXES.read_text())
    images, texts = [], []
    for page_id, lines in boxes.items():
        path = download.find_local("iam_samples", f"{page_id}.png")
        if path is None:
            return None
        with Image.open(path) as page:
            grey = np.asarray(page.convert("L"))
        for line in lines:
            left, top, right, bottom = line["box"]
            images.append(grey[top:bottom, left:right])
            texts.append(line["text"])
    return images, texts


def decoded(predictor: HandwritingPredictor, probabilities: list[np.ndarray]) -> dict[str, list[str]]:
    """Each decoder's readings: greedy always, beam search when the model has a language model."""
    decoders = ["greedy", "beam"] if "language_model" in predictor.model.config else ["greedy"]
    readings = {}
    for name in decoders:
        decoder = HandwritingPredictor(predictor.model.directory, decoder=name)
        readings[name] = [decoder.decode(p)[0] for p in probabilities]
    return readings


def per_writer(predicted: list[str], texts: list[str], writers: list[str]) -> dict[str, float]:
    grouped = defaultdict(lambda: ([], []))
    for p, t, w in zip(predicted, texts, writers, strict=True):
        grouped[w][0].append(p)
        grouped[w][1].append(t)
    return {w: character_error_rate(*grouped[w]) for w in sorted(grouped)}


def plot_per_writer(cers: dict[str, float], path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.5))
    axis = figure.subplots()
    ordered = sorted(cers.items(), key=lambda item: item[1])
    axis.bar(range(len(ordered)), [cer for _, cer in ordered])
    axis.set_xticks(range(len(ordered)), [w for w, _ in ordered], rotation=90, fontsize=6)
    axis.set_ylabel("CER")
    axis.set_title("Copiste test writers (never seen in training)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=10, help="worst lines to show")
    parser.add_argument("--plot", type=Path, help="save a bar chart of CER per test writer here")
    parser.add_argument("--model-dir", type=Path, help="a model folder other than the committed one")
    parser.add_argument("--metrics", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    from text_recognizer.data.handwriting_lines import HandwritingLines

    predictor = HandwritingPredictor(args.model_dir, decoder="greedy")
    data = HandwritingLines(height=predictor.height)
    data.setup()
    images, texts = data.split("test")
    writers = data.writers("test")
    readings = decoded(predictor, predictor.probabilities(images))
    results: dict[str, float] = {"lines": len(texts), "writers": len(set(writers))}
    for name, predicted in readings.items():
        results[f"test_cer_{name}"] = character_error_rate(predicted, texts)
        results[f"test_line_accuracy_{name}"] = line_accuracy(predicted, texts)
    chosen = HandwritingPredictor(args.model_dir).decoder
    print(f"Copiste test split, writers never seen in training; the predictor's decoder: {chosen}")

    cers = per_writer(readings[chosen], texts, writers)
    print(f"\nCER per writer ({chosen}), best to worst:")
    for writer, cer in sorted(cers.items(), key=lambda item: item[1]):
        print(f"  {writer:<28} {cer:.3f}")
    if args.plot:
        plot_per_writer(cers, args.plot)
        print(f"(plotted to {args.plot})")

    rows = sorted(
        ((edit_distance(p, t) / max(1, len(t)), t, p) for p, t in zip(readings[chosen], texts, strict=True)),
        reverse=True,
    )
    print(f"\nWorst {args.show} lines ({chosen}):")
    for cer, truth, predicted in rows[: args.show]:
        print(f"  CER {cer:.2f}  true {truth!r}\n            read {predicted!r}")

    iam = iam_sample_lines()
    if iam is None:
        print("\nIAM samples: not in the mirror (set TEXT_RECOGNIZER_MIRROR), skipped")
    else:
        iam_readings = decoded(predictor, predictor.probabilities([predictor.preprocess(i) for i in iam[0]]))
        for name, predicted in iam_readings.items():
            results[f"iam_samples_cer_{name}"] = character_error_rate(predicted, iam[1])
        print(f"\nIAM sample lines ({len(iam[1])}, English, another corpus), {chosen}:")
        for truth, predicted in zip(iam[1], iam_readings[chosen], strict=True):
            print(f"  true {truth!r}\n  read {predicted!r}")
    print()
    print_results(results, 4)
    if args.metrics:
        atomic_files.write_text(args.metrics, json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
