"""CER and exact-line accuracy of the committed line model on the EMNIST Lines test split.

    python -m evaluation.evaluate_line_predictor [--through-preprocessing] [--show 5]

The test lines are generated with the parameters the model was trained with (read from its config).
By default the model reads the test images as generated; `--through-preprocessing` first re-frames each
one as the predictor would a user's image (crop to the ink, margin, resize). Prints the worst, best and
some random predictions, as the FSDL labs' report did.
"""

import argparse
import time

import numpy as np

from evaluation.report import print_results
from text_recognizer.data.emnist_lines import EmnistLinesDataset
from text_recognizer.metrics import character_error_rate, edit_distance, line_accuracy
from text_recognizer.predictors.line_predictor import LinePredictor


def show(title: str, rows: list[tuple[float, str, str]]) -> None:
    print(f"\n{title}")
    for cer, truth, predicted in rows:
        print(f"  CER {cer:.2f}  true {truth!r}\n            read {predicted!r}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--through-preprocessing", action="store_true")
    parser.add_argument("--show", type=int, default=5, help="lines to show of each kind")
    args = parser.parse_args(argv)

    predictor = LinePredictor()
    data = EmnistLinesDataset(**predictor.model.config["experiment"]["dataset_args"])
    data.setup()
    images, texts = data.split("test")[0], data.texts("test")
    started = time.perf_counter()
    inputs = [predictor.preprocess(image) for image in images] if args.through_preprocessing else list(images)
    predicted = [text for text, _ in predictor.predict_preprocessed(inputs)]
    elapsed = time.perf_counter() - started

    results = {
        "test_cer": character_error_rate(predicted, texts),
        "test_line_accuracy": line_accuracy(predicted, texts),
        "lines": len(texts),
        "seconds": elapsed,
    }
    print(f"EmnistLinesDataset test split: {len(texts)} lines. {data.source_note}")
    print_results(results, 4)

    per_line = sorted(
        ((edit_distance(p, t) / max(1, len(t)), t, p) for p, t in zip(predicted, texts, strict=True)),
        key=lambda row: row[0],
    )
    show("Worst", per_line[::-1][: args.show])
    show("Best", per_line[: args.show])
    rng = np.random.default_rng(0)
    show("Random", [per_line[i] for i in rng.choice(len(per_line), size=min(args.show, len(per_line)), replace=False)])
    return results


if __name__ == "__main__":
    main()
