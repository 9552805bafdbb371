"""Read handwriting in image files from the command line.

    python -m text_recognizer.predict --task character a.png b.jpg --json
    python -m text_recognizer.predict --task paragraph page.jpg --json

Prints one result per image (a JSON object per line with --json). Images that cannot be read are
reported on stderr and the others are still predicted; the exit status is 1 if any image failed. A page
(task `paragraph`) is printed line by line, and its JSON adds each line's box, text and confidence.
"""

import argparse
import json
import sys

from text_recognizer.model_files import ModelFilesError
from text_recognizer.predictors import available_tasks
from text_recognizer.predictors.image_io import ImageError


def main(argv: list[str] | None = None) -> int:
    tasks = available_tasks()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+", help="image files to read")
    parser.add_argument("--task", choices=sorted(tasks), default="character", help="what the images show")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image")
    args = parser.parse_args(argv)

    try:
        predictor = tasks[args.task]()
    except (ModelFilesError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    readable, inputs, failures = [], [], {}
    for image in args.images:
        try:
            inputs.append(predictor.preprocess(image))
            readable.append(image)
        except ImageError as error:
            failures[image] = str(error)
            print(f"error: {error}", file=sys.stderr)
    if hasattr(predictor, "read_page"):  # pages: each line's box comes with the text
        pages = [predictor.read_page(page) for page in inputs]
        predictions = {image: (page.text, page.confidence) for image, page in zip(readable, pages, strict=True)}
        lines = {image: page.lines for image, page in zip(readable, pages, strict=True)}
    else:
        predictions = dict(zip(readable, predictor.predict_preprocessed(inputs) if inputs else [], strict=True))
        lines = {}

    for image in args.images:
        if image in failures:
            if args.json:
                print(json.dumps({"image": image, "error": failures[image]}))
            continue
        text, confidence = predictions[image]
        record = {"image": image, "text": text, "confidence": round(confidence, 4)}
        if image in lines:
            record["lines"] = [
                {"box": list(line.box), "text": line.text, "confidence": round(line.confidence, 4)}
                for line in lines[image]
            ]
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        elif image in lines:
            print(f"{image}: {len(lines[image])} lines (confidence {confidence:.3f})")
            for number, line in enumerate(lines[image], start=1):
                print(f"  {number:>3} {line.box}: {line.text!r}")
        else:
            print(f"{image}: {text!r} (confidence {confidence:.3f})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
