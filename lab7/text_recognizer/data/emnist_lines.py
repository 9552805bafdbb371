"""EMNIST Lines: synthetic handwritten lines made of EMNIST characters spelling Brown corpus text.

Each character occurrence draws its own EMNIST image of that class, from the EMNIST split matching the
line's split, so train, validation and test lines share no character image. Sentences are split too,
so no sentence is in two splits. Characters are placed left to right with a random overlap in
`[min_overlap, max_overlap]` of a character's width; overlapping ink is summed and clipped to 255.
Lines are drawn on a canvas `max_length` characters wide and cached as HDF5 named by the parameters.
"""

import hashlib
import logging

import numpy as np
from tqdm.auto import tqdm

from text_recognizer import paths
from text_recognizer.data.base_data_module import SPLITS, BaseDataModule, main
from text_recognizer.data.emnist import EmnistDataset
from text_recognizer.data.sentences import brown_sentences, sample_snippet
from text_recognizer.data.splits import stratified_split
from text_recognizer.metadata import emnist as emnist_metadata
from text_recognizer.metadata import emnist_lines as metadata

logger = logging.getLogger(__name__)

GENERATION_VERSION = 2
SENTENCE_FRACTIONS = (0.8, 0.1, 0.1)


class EmnistLinesDataset(BaseDataModule):
    """Lines of up to `max_length` characters, (28, 28 * max_length) uint8, labels padded with <P>."""

    name = "emnist_lines"
    task = "line"
    mapping = metadata.MAPPING
    preprocessing = "line"

    def __init__(
        self,
        max_length: int = metadata.MAX_LENGTH,
        min_overlap: float = 0.0,
        max_overlap: float = 0.33,
        num_train: int = 10_000,
        num_validation: int = 1_000,
        num_test: int = 1_000,
        data_seed: int = 0,
        subsample_fraction: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(subsample_fraction=subsample_fraction, seed=seed)
        if subsample_fraction is not None and subsample_fraction < 1:
            raise ValueError(
                f"subsample_fraction={subsample_fraction}: EMNIST lines are generated, so ask for fewer with "
                "num_train / num_validation instead"
            )
        if not 0 <= min_overlap <= max_overlap < 1:
            raise ValueError(f"need 0 <= min_overlap <= max_overlap < 1, got {min_overlap}, {max_overlap}")
        self.max_length = max_length
        self.min_overlap = min_overlap
        self.max_overlap = max_overlap
        self.sizes = {"train": num_train, "validation": num_validation, "test": num_test}
        self.data_seed = data_seed
        self.input_shape = (metadata.CHAR_HEIGHT, metadata.CHAR_WIDTH * max_length)

    @classmethod
    def held_out(cls, dataset_args: dict, num_test: int) -> "EmnistLinesDataset":
        """The first `num_test` test lines (one token line per other split) made with `dataset_args`, such as
        a trained model's: the very lines it was measured on, without generating its training set."""
        return cls(**{**dataset_args, "num_train": 1, "num_validation": 1, "num_test": num_test})

    @property
    def cache_path(self):
        name = (
            f"ml{self.max_length}_o{self.min_overlap:.2f}-{self.max_overlap:.2f}_"
            f"n{self.sizes['train']}-{self.sizes['validation']}-{self.sizes['test']}_s{self.data_seed}.h5"
        )
        return paths.PROCESSED_DATA_DIR / self.name / name

    def _fingerprint(self) -> dict:
        emnist = EmnistDataset(raw=True)
        sentences = brown_sentences()
        return {
            "version": GENERATION_VERSION,
            "emnist": emnist._fingerprint(),
            "sentences_sha256": hashlib.sha256("\n".join(sentences).encode()).hexdigest(),
            "parameters": [self.max_length, self.min_overlap, self.max_overlap, self.sizes, self.data_seed],
            "note": f"synthetic lines from EMNIST ({emnist._fingerprint()['note']}) and the Brown corpus",
        }

    def _build_arrays(self) -> dict[str, np.ndarray]:
        emnist = EmnistDataset(raw=True)
        emnist.setup()
        sentences = brown_sentences()
        sentence_parts = stratified_split(np.zeros(len(sentences), dtype=int), SENTENCE_FRACTIONS, self.data_seed)
        arrays = {}
        for index, (split, sentence_indices) in enumerate(zip(SPLITS, sentence_parts, strict=True)):
            # Each split draws its texts and its ink from generators of its own: the first n lines of a split are
            # the same whatever its size and the other splits' sizes (so `held_out` rebuilds measured lines).
            text_rng, ink_rng = (np.random.default_rng([self.data_seed, index, stream]) for stream in (0, 1))
            split_sentences = [sentences[i] for i in sentence_indices]
            texts = [sample_snippet(split_sentences, self.max_length, text_rng) for _ in range(self.sizes[split])]
            images = draw_lines(
                texts,
                *emnist.split(split),
                self.max_length,
                self.min_overlap,
                self.max_overlap,
                ink_rng,
                desc=f"EMNIST lines ({split})",
            )
            arrays[f"x_{split}"] = images
            arrays[f"y_{split}"] = encode_texts(texts, self.max_length)
        return arrays

    def class_counts(self, split: str) -> np.ndarray:
        return np.bincount(self.split(split)[1].ravel(), minlength=self.num_classes)

    def texts(self, split: str) -> list[str]:
        return decode_labels(self.split(split)[1])

    def summary(self) -> str:
        lines = [
            f"{type(self).__name__}: lines of up to {self.max_length} characters, input {self.input_shape}, uint8; "
            f"overlap in [{self.min_overlap}, {self.max_overlap}]",
            f"Source: {self.source_note}",
        ]
        for split in ("train", "validation", "test"):
            lengths = [len(t) for t in self.texts(split)]
            lines.append(
                f"  {split:<10} {len(lengths):>6} lines; length min {min(lengths)}, "
                f"mean {np.mean(lengths):.1f}, max {max(lengths)}"
            )
        return "\n".join(lines)


def draw_lines(
    texts: list[str],
    char_images: np.ndarray,
    char_labels: np.ndarray,
    max_length: int,
    min_overlap: float,
    max_overlap: float,
    rng: np.random.Generator,
    desc: str = "lines",
) -> np.ndarray:
    """Draw each text with a fresh EMNIST image per character; (N, 28, 28 * max_length) uint8."""
    height, width = emnist_metadata.INPUT_SHAPE
    by_class = {label: np.flatnonzero(char_labels == label) for label in range(emnist_metadata.NUM_CLASSES)}
    index_of = {char: i for i, char in enumerate(emnist_metadata.MAPPING)}
    lines = np.zeros((len(texts), height, width * max_length), dtype=np.uint8)
    canvas = np.zeros((height, width * max_length), dtype=np.uint16)
    for line, text in zip(tqdm(lines, desc=desc, leave=False, mininterval=1.0), texts, strict=True):
        canvas[:] = 0
        x = 0
        for char in text:
            if char != " ":
                image = char_images[rng.choice(by_class[index_of[char]])]
                canvas[:, x : x + width] += image
            x += round(width * (1 - rng.uniform(min_overlap, max_overlap)))
        np.minimum(canvas, 255, out=canvas)
        line[:] = canvas
    return lines


def encode_texts(texts: list[str], max_length: int) -> np.ndarray:
    """Label indices padded with <P> to `max_length`: (N, max_length) uint8."""
    index_of = {char: i for i, char in enumerate(metadata.MAPPING)}
    labels = np.full((len(texts), max_length), metadata.PADDING_INDEX, dtype=np.uint8)
    for row, text in zip(labels, texts, strict=True):
        if len(text) > max_length:
            raise ValueError(f"{text!r} is longer than max_length={max_length}")
        row[: len(text)] = [index_of[char] for char in text]
    return labels


def decode_labels(labels: np.ndarray) -> list[str]:
    """Texts from padded label rows (blank and padding dropped)."""
    skip = {metadata.BLANK_INDEX, metadata.PADDING_INDEX}
    return ["".join(metadata.MAPPING[i] for i in row if i not in skip) for row in labels]


if __name__ == "__main__":
    main(EmnistLinesDataset)
