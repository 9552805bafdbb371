"""Accuracy of a committed character or digit model on its dataset's held-out test split.

    python -m evaluation.evaluate_character_predictor --task character
    python -m evaluation.evaluate_character_predictor --task digit

Reports two numbers that must agree: the model on the test split as the data module serves it (framed
by the predictor's stem, as in training) and the whole predictor on the published test images, which
its preprocessing (polarity, crop, square, resize) re-frames as it would a user's photo. For digits,
also the published test set inverted (dark ink on light) through the predictor.
"""

import argparse
import time

import numpy as np

from evaluation.report import print_results
from text_recognizer.data.emnist import EmnistDataset
from text_recognizer.data.mnist import MnistDataset
from text_recognizer.predictors.character_predictor import CharacterPredictor, DigitPredictor

TASKS = {"character": (CharacterPredictor, EmnistDataset), "digit": (DigitPredictor, MnistDataset)}


def accuracy(predictor: CharacterPredictor, images: np.ndarray, labels: np.ndarray, preprocess: bool) -> float:
    if preprocess:
        images = np.stack([predictor.preprocess(image) for image in images])
    predicted = [text for text, _ in predictor.predict_preprocessed(images)]
    truth = [predictor.mapping[label] for label in labels]
    return float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)]))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS), default="character")
    args = parser.parse_args(argv)
    predictor_class, dataset_class = TASKS[args.task]

    data, published = dataset_class(), dataset_class(raw=True)
    data.setup()
    published.setup()
    images, labels = data.split("test")
    published_images, published_labels = published.split("test")
    predictor = predictor_class()
    print(f"{dataset_class.__name__} test split: {len(labels)} images. {data.source_note}")
    trained_on = predictor.model.config.get("data_source")
    if trained_on != data.source_note:
        print(
            f"WARNING: the model was trained on other splits ({trained_on!r}): this test split may overlap its "
            "training data, so the accuracy below can be inflated. Retrain on these splits to compare."
        )

    results = {}
    started = time.perf_counter()
    results["test_accuracy"] = accuracy(predictor, images, labels, preprocess=False)
    results["model_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    results["published_test_accuracy_through_predictor"] = accuracy(predictor, published_images, published_labels, True)
    results["predictor_seconds"] = time.perf_counter() - started
    if args.task == "digit":
        inverted = 255 - published_images
        results["inverted_test_accuracy_through_predictor"] = accuracy(predictor, inverted, published_labels, True)
    print_results(results, 4, task=args.task)
    return results


if __name__ == "__main__":
    main()
