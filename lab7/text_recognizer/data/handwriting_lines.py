"""Real handwritten lines as a line model sees them: cut from their pages, normalized by the line stem.

    data = HandwritingLines(height=48)
    data.setup()                    # cuts and normalizes every line once, then reads the cache
    images, texts = data.split("test")

Each line is cut from its page with its polygon (`line_crops.cut_line`) and goes through
`stems.line_style`, the same function the predictor applies to a user's photo, so that what the model
sees in training is what it sees in use. Lines are stored uint8 (ink bright on black) at the model's
height and their own widths, in an HDF5 cache named by the parameters and stamped with a fingerprint of
the corpus files: one flat pixel array per split, with the widths to cut it back into lines.
"""

import logging
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from text_recognizer import line_crops, paths, stems
from text_recognizer.data import cache, copiste
from text_recognizer.data.base_data_module import loaded_split
from text_recognizer.data.line_records import LineRecord

logger = logging.getLogger(__name__)

PROCESSING_VERSION = 1
SPLITS = ("train", "validation", "test")


class HandwritingLines:
    """The Copiste corpus's lines, split by writer, at one height."""

    name = "handwriting_lines"

    def __init__(self, height: int = 48, subsample_fraction: float | None = None, seed: int = 0) -> None:
        if height < 8:
            raise ValueError(f"height must be at least 8 pixels, got {height}")
        if subsample_fraction is not None and not 0 < subsample_fraction <= 1:
            raise ValueError(f"subsample_fraction must be in (0, 1], got {subsample_fraction}")
        self.height = height
        self.subsample_fraction = subsample_fraction
        self.seed = seed
        self.skipped: Counter = Counter()
        self._splits: dict[str, tuple[list[np.ndarray], list[str], list[str]]] = {}

    @property
    def cache_path(self) -> Path:
        return paths.PROCESSED_DATA_DIR / self.name / f"copiste_h{self.height}.h5"

    def setup(self) -> None:
        """Build the cache if it is missing or stale, then load the splits (train and validation subsampled)."""
        root = copiste.corpus_dir()
        self.fingerprint = fingerprint = _fingerprint(root, self.height)
        if not cache.is_fresh(self.cache_path, fingerprint):
            logger.info("Cutting the Copiste lines into %s", self.cache_path)
            cache.write(self.cache_path, build_arrays(root, self.height), fingerprint)
        arrays = cache.read(self.cache_path)
        reasons = decoded_texts(arrays["skip_reasons"])
        self.skipped = Counter(dict(zip(reasons, arrays["skip_counts"].tolist(), strict=True)))
        for split_index, split in enumerate(SPLITS):
            lines = unpacked_lines(arrays[f"x_{split}"], arrays[f"widths_{split}"], self.height)
            texts, writers = decoded_texts(arrays[f"texts_{split}"]), decoded_texts(arrays[f"writers_{split}"])
            if self.subsample_fraction is not None and split != "test":
                rng = np.random.default_rng([self.seed, split_index])  # a split's own generator
                keep = np.sort(rng.permutation(len(lines))[: max(1, round(self.subsample_fraction * len(lines)))])
                lines, texts, writers = ([items[i] for i in keep] for items in (lines, texts, writers))
            self._splits[split] = (lines, texts, writers)

    def split(self, name: str) -> tuple[list[np.ndarray], list[str]]:
        """The line images and their texts of one split (after `setup()`)."""
        images, texts, _ = self._split(name)
        return images, texts

    def writers(self, name: str) -> list[str]:
        return self._split(name)[2]

    def _split(self, name: str):
        return loaded_split(self._splits, name, self)

    def characters(self, split: str = "train") -> Counter:
        """How often each character occurs in a split's texts."""
        return Counter("".join(self.split(split)[1]))

    def summary(self) -> str:
        rows = [f"{type(self).__name__}: Copiste d'un jour lines at height {self.height}, uint8, ink bright on black"]
        for split in SPLITS:
            images, texts = self.split(split)
            widths = [image.shape[1] for image in images] or [0]
            rows.append(
                f"  {split:<10} {len(images):>5} lines, {len(set(self.writers(split))):>3} writers; "
                f"width min {min(widths)}, median {int(np.median(widths))}, max {max(widths)}; "
                f"{sum(map(len, texts))} characters"
            )
        if self.subsample_fraction is not None:
            rows.append(f"  (train and validation subsampled to {self.subsample_fraction:.0%} of their lines)")
        rows += [f"  left out: {count} x {reason}" for reason, count in sorted(self.skipped.items())]
        return "\n".join(rows)


def build_arrays(root: Path, height: int) -> dict[str, np.ndarray]:
    """Cut, normalize and pack every line of every split; each page image is decoded once."""
    lines, skipped = copiste.read_lines(root)
    arrays: dict[str, np.ndarray] = {}
    for split, records in copiste.split_by_writer(lines).items():
        images = normalized_lines(records, height, desc=f"Copiste lines ({split})")
        kept = [(record, image) for record, image in zip(records, images, strict=True) if image is not None]
        skipped["no ink in the line's polygon"] += len(records) - len(kept)
        arrays[f"x_{split}"], arrays[f"widths_{split}"] = packed_lines([image for _, image in kept])
        arrays[f"texts_{split}"] = encoded_texts([record.text for record, _ in kept])
        arrays[f"writers_{split}"] = encoded_texts([record.writer for record, _ in kept])
    skipped = +skipped  # drop zero counts
    arrays["skip_reasons"] = encoded_texts(list(skipped))
    arrays["skip_counts"] = np.array(list(skipped.values()), dtype=np.int32)
    return arrays


def normalized_lines(records: list[LineRecord], height: int, desc: str) -> list[np.ndarray | None]:
    """Each record's line through the stem, or None where its polygon holds no ink."""
    by_page: dict[Path, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_page[record.page_image].append(index)
    images: list[np.ndarray | None] = [None] * len(records)
    for page_path, indices in tqdm(by_page.items(), desc=desc, unit="page", leave=False):
        with Image.open(page_path) as page_image:
            page = np.asarray(page_image.convert("L"))
        for index in indices:
            try:
                images[index] = stems.line_style(
                    line_crops.cut_line(page, records[index].box, records[index].polygon), height
                )
            except stems.ImageError:
                logger.warning("%s, line %s: no ink, left out", page_path.name, records[index].line_id)
    return images


def packed_lines(images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Lines of one height as one flat pixel array and their widths (HDF5 holds no ragged arrays)."""
    flat = np.concatenate([np.empty(0, np.uint8)] + [image.ravel() for image in images])
    return flat, np.array([image.shape[1] for image in images], dtype=np.int32)


def unpacked_lines(flat: np.ndarray, widths: np.ndarray, height: int) -> list[np.ndarray]:
    """The lines `packed_lines` packed, as views of `flat`."""
    ends = np.cumsum(widths * height)
    return [flat[end - width * height : end].reshape(height, width) for end, width in zip(ends, widths, strict=True)]


def encoded_texts(texts: list[str]) -> np.ndarray:
    """UTF-8 bytes, which HDF5 stores as fixed-length strings."""
    return np.array([text.encode("utf-8") for text in texts], dtype=np.bytes_)


def decoded_texts(array: np.ndarray) -> list[str]:
    return [item.decode("utf-8") for item in array.tolist()]


def _fingerprint(root: Path, height: int) -> dict:
    """What the cache depends on: the corpus files (sha256), the height, the cutting, what is left out, the split."""
    return {
        "version": PROCESSING_VERSION,
        "left_out": [repr(copiste.PAGE_REFERENCE), repr(copiste.EDITORIAL_MARK)],
        "height": height,
        "stem": [stems.LINE_MARGIN, stems.MIN_LINE_WIDTH, line_crops.MARGIN],
        "split": [copiste.SPLIT_FRACTIONS, copiste.SPLIT_SEED],
        "inputs": cache.fingerprint_files(sorted((root / "alto").glob("*.xml")) + sorted((root / "jpg").glob("*"))),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    data = HandwritingLines()
    data.setup()
    print(data.summary())
