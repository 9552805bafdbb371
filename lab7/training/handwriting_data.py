"""The real-handwriting model's training data: real lines of each source, weighted, a codec, synthetic lines.

Steps 1-2 of `training.train_handwriting`'s recipe, apart so that a pipeline can run them as a stage of
their own (Lab 6: `--prepare-only` saves them, `--prepared` trains on them) and rerun them only when the
data or these parameters change.
"""

import argparse
from dataclasses import dataclass, field
from pathlib import Path  # [lab 6]

import numpy as np

BROWN_SHARE = 1 / 3  # of the synthetic texts; the rest recombine the training transcriptions (French)
COPISTE = "copiste"


def weighted(items: list, weight: float, rng: np.random.Generator) -> list:
    """`items` repeated `weight` times: whole copies, then a random share of them for the fraction left."""
    whole, fraction = divmod(weight, 1)
    extra = rng.permutation(len(items))[: round(fraction * len(items))]
    return items * int(whole) + [items[i] for i in sorted(extra)]


@dataclass
class PreparedLines:
    """Training lines (real, weighted, and synthetic), validation and test lines, and the codec."""

    splits: dict[str, tuple[list[np.ndarray], list[str]]]
    writers: dict[str, list[str]]
    mapping: list[str]
    fingerprint: dict
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def split(self, name: str) -> tuple[list[np.ndarray], list[str]]:
        return self.splits[name]


def prepare(args: argparse.Namespace) -> PreparedLines:
    """Steps 1-2 of the recipe: the real lines of each source, weighted, the codec, the synthetic lines."""
    from text_recognizer.data import sentences, synthetic_handwriting
    from text_recognizer.data.handwriting_lines import HandwritingLines
    from text_recognizer.models.handwriting_model import build_codec

    rng = np.random.default_rng(args.seed)
    data = HandwritingLines(height=args.height, subsample_fraction=args.subsample, seed=args.seed)
    data.setup()
    copiste_images, copiste_texts = data.split("train")
    pairs = weighted(list(zip(copiste_images, copiste_texts, strict=True)), args.sources.get(COPISTE, 0.0), rng)
    counts = {COPISTE: len(pairs)}
    summary = [data.summary()]
    # [lab 6]
    from text_recognizer.data import labeled_pages

    held_out = set(data.writers("validation")) | set(data.writers("test"))
    for name, weight in args.sources.items():
        if name != COPISTE:
            images, texts, report = labeled_pages.training_lines(name, args.height, held_out)
            pairs += weighted(list(zip(images, texts, strict=True)), weight, rng)
            counts[name] = len(pairs) - sum(counts.values())
            summary.append(report)
    # [end lab 6]
    train_texts = [text for _, text in pairs]
    mapping = build_codec(train_texts)
    corpora = [train_texts] * round(1 / BROWN_SHARE - 1) + [sentences.brown_sentences()]
    synthetic = synthetic_handwriting.render_lines(corpora, args.synthetic_lines, args.height, seed=args.seed)
    synthetic_pairs = [(image, text) for image, text in zip(*synthetic, strict=True) if set(text) <= set(mapping)]
    counts["synthetic"] = len(synthetic_pairs)
    splits = {"train": ([image for image, _ in pairs + synthetic_pairs], [text for _, text in pairs + synthetic_pairs])}
    splits |= {name: data.split(name) for name in ("validation", "test")}
    return PreparedLines(
        splits=splits,
        writers={name: data.writers(name) for name in ("validation", "test")},
        mapping=mapping,
        fingerprint={**data.fingerprint, "sources": args.sources, "synthetic_lines": args.synthetic_lines},
        summary="\n".join(summary),
        counts=counts,
    )


# [lab 6]
def save_prepared(prepared: PreparedLines, path: Path) -> None:
    """The prepared lines in one HDF5 file (the pipeline's first stage's output)."""
    from text_recognizer.data import cache
    from text_recognizer.data.handwriting_lines import encoded_texts, packed_lines

    arrays = {"mapping": encoded_texts(prepared.mapping), "summary": encoded_texts([prepared.summary])}
    for name, (images, texts) in prepared.splits.items():
        arrays[f"x_{name}"], arrays[f"widths_{name}"] = packed_lines(images)
        arrays[f"texts_{name}"] = encoded_texts(texts)
    for name, writers in prepared.writers.items():
        arrays[f"writers_{name}"] = encoded_texts(writers)
    arrays["count_names"] = encoded_texts(list(prepared.counts))
    arrays["count_values"] = np.array(list(prepared.counts.values()), dtype=np.int64)
    cache.write(path, arrays, prepared.fingerprint)


def load_prepared(path: Path, height: int) -> PreparedLines:
    from text_recognizer.data import cache
    from text_recognizer.data.handwriting_lines import decoded_texts, unpacked_lines

    if not path.is_file():
        raise SystemExit(f"{path} does not exist: prepare it first (--prepare-only {path}, or `dvc repro`)")
    arrays = cache.read(path)
    splits = {
        name: (
            unpacked_lines(arrays[f"x_{name}"], arrays[f"widths_{name}"], height),
            decoded_texts(arrays[f"texts_{name}"]),
        )
        for name in ("train", "validation", "test")
    }
    return PreparedLines(
        splits=splits,
        writers={name: decoded_texts(arrays[f"writers_{name}"]) for name in ("validation", "test")},
        mapping=decoded_texts(arrays["mapping"]),
        fingerprint=cache.read_fingerprint(path),
        summary=decoded_texts(arrays["summary"])[0],
        counts=dict(zip(decoded_texts(arrays["count_names"]), arrays["count_values"].tolist(), strict=True)),
    )


# [end lab 6]
