"""Pages and their line-body targets at the detector's scale (Lab 5), split by writer as in Lab 4.

    data = LineDetectionPages(side=512)
    data.setup()                      # prepares every page once, then reads the cache
    images, targets = data.split("train")

Each Copiste page goes through `page_stems.detector_input`, the function the predictor applies to a
user's photo, and its lines' bands are drawn by `line_targets.render_targets` at the same scale. Pages
are split by the writer map of the Lab 4 line data (`copiste.split_pages`), so no test writer is seen in
training by the line detector or by the line model. The arrays are cached uint8 in HDF5, keyed by the
corpus files' fingerprint and the parameters.

`iam=True` adds the IAM forms, cut to their handwritten part (`iam.split_pages`), to each split, for
those who have IAM (it needs a registration, see `iam`).

`synthetic_pages` adds synthetic paragraphs (`synthetic_paragraphs`, Brown-corpus texts) for training:
other layouts, line counts and sizes than the corpus's one. They are made at `setup()` from the seed.
"""

import logging
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from text_recognizer import page_stems, paths
from text_recognizer.data import cache, copiste, line_targets
from text_recognizer.data.base_data_module import loaded_split
from text_recognizer.data.line_records import PageRecord

logger = logging.getLogger(__name__)

PROCESSING_VERSION = 2
SPLITS = ("train", "validation", "test")


class LineDetectionPages:
    """The Copiste pages as the detector sees them, with their target maps."""

    name = "line_detection_pages"

    def __init__(
        self,
        side: int = 512,
        subsample_fraction: float | None = None,
        seed: int = 0,
        synthetic_pages: int = 0,
        iam: bool = False,
    ) -> None:
        if side < 64 or side % page_stems.MULTIPLE:
            raise ValueError(f"side must be a multiple of {page_stems.MULTIPLE} of at least 64, got {side}")
        if subsample_fraction is not None and not 0 < subsample_fraction <= 1:
            raise ValueError(f"subsample_fraction must be in (0, 1], got {subsample_fraction}")
        self.side = side
        self.subsample_fraction = subsample_fraction
        self.seed = seed
        self.synthetic_pages = synthetic_pages
        self.iam = iam
        self.extent: dict[str, float] = {}
        self.synthetic: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self._splits: dict[str, tuple[list[np.ndarray], list[np.ndarray], list[PageRecord]]] = {}

    @property
    def cache_path(self) -> Path:
        sources = "copiste_iam" if self.iam else "copiste"
        return paths.PROCESSED_DATA_DIR / self.name / f"{sources}_side{self.side}.h5"

    def setup(self) -> None:
        """Build the cache if it is missing or stale, then load the splits (train and validation subsampled)."""
        root = copiste.corpus_dir()
        pages = copiste.split_pages(root)
        self.fingerprint = fingerprint = _fingerprint(root, self.side)
        if self.iam:
            from text_recognizer.data import iam

            iam_root = iam.corpus_dir()
            for split, iam_pages in iam.split_pages(iam_root).items():
                pages[split] += iam_pages
            fingerprint["iam"] = cache.fingerprint_files(sorted((iam_root / "xml").glob("*.xml")))
        if not cache.is_fresh(self.cache_path, fingerprint):
            logger.info("Preparing the Copiste pages into %s", self.cache_path)
            cache.write(self.cache_path, build_arrays(pages, self.side), fingerprint)
        arrays = cache.read(self.cache_path)
        train_lines = [line for page in pages["train"] for line in page.lines]
        self.extent = line_targets.line_extent(train_lines)
        self.extent["thickness"] = line_targets.band_thickness(
            train_lines, [self.side / max(_page_size(page)) for page in pages["train"] for _ in page.lines]
        )
        train_images = _unpacked(arrays, "train")[0]
        self.extent["ink_height"] = float(np.median([page_stems.writing_height(image) for image in train_images]))
        if self.synthetic_pages:
            self.synthetic = synthetic_arrays(self.synthetic_pages, self.side, self.seed)
        for split_index, split in enumerate(SPLITS):
            images, targets = _unpacked(arrays, split)
            records = pages[split]
            if self.subsample_fraction is not None and split != "test":
                rng = np.random.default_rng([self.seed, split_index])
                keep = np.sort(rng.permutation(len(images))[: max(1, round(self.subsample_fraction * len(images)))])
                images, targets, records = ([items[i] for i in keep] for items in (images, targets, records))
            self._splits[split] = (images, targets, records)

    def split(self, name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The page images and target maps of one split (after `setup()`)."""
        images, targets, _ = self._split(name)
        return images, targets

    def pages(self, name: str) -> list[PageRecord]:
        """The page records of one split, in the order of `split(name)`."""
        return self._split(name)[2]

    def _split(self, name: str):
        return loaded_split(self._splits, name, self)

    def summary(self) -> str:
        sources = "Copiste pages and IAM forms" if self.iam else "Copiste pages"
        rows = [f"{type(self).__name__}: {sources}, longer side {self.side}, ink bright on black"]
        for split in SPLITS:
            images, targets, records = self._split(split)
            lines = sum(len(page.lines) for page in records)
            body = np.mean([np.mean(target == line_targets.LINE_BODY) for target in targets]) if targets else 0
            rows.append(
                f"  {split:<10} {len(images):>4} pages, {len({p.writer for p in records}):>3} writers, "
                f"{lines:>5} lines; {body:.1%} of pixels are line bodies"
            )
        if self.synthetic_pages:
            rows.append(f"  + {self.synthetic_pages} synthetic paragraphs for training")
        rows.append(f"  the writing's median height: {self.extent['ink_height']:.1f} pixels (training pages)")
        rows.append(
            f"  a line reaches {self.extent['above']:.2f} band thicknesses above its band's middle, "
            f"{self.extent['below']:.2f} below (training medians)"
        )
        return "\n".join(rows)


def _unpacked(arrays: dict[str, np.ndarray], split: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The split's page images and target maps, cut back out of the cache's flat arrays."""
    shapes = arrays[f"shapes_{split}"]
    ends = np.cumsum(shapes.prod(axis=1))
    cuts = [(end - h * w, end, (h, w)) for end, (h, w) in zip(ends, shapes, strict=True)]
    return (
        [arrays[f"x_{split}"][start:end].reshape(shape) for start, end, shape in cuts],
        [arrays[f"y_{split}"][start:end].reshape(shape) for start, end, shape in cuts],
    )


def synthetic_arrays(count: int, side: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Synthetic paragraphs' detector inputs and target maps, texts from the Brown corpus."""
    from text_recognizer.data import sentences, synthetic_paragraphs

    images, targets = [], []
    for grey, lines in synthetic_paragraphs.render_pages([sentences.brown_sentences()], count, seed):
        prepared = page_stems.detector_input(grey, side)
        images.append(prepared.image)
        targets.append(line_targets.render_targets(lines, prepared.scale, prepared.image.shape))
    return images, targets


def _page_size(page: PageRecord) -> tuple[int, int]:
    """(height, width) of a page image, read from its header."""
    with Image.open(page.page_image) as image:
        return image.height, image.width


def prepare_page(page: PageRecord, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A page's detector input and its target map, the same shape."""
    with Image.open(page.page_image) as image:
        grey = np.asarray(image.convert("L"))
    left, top, right, bottom = page.region or (0, 0, grey.shape[1], grey.shape[0])
    prepared = page_stems.detector_input(grey[top:bottom, left:right], side)
    targets = line_targets.render_targets(page.lines, prepared.scale, prepared.image.shape, origin=(left, top))
    return prepared.image, targets


def build_arrays(pages: dict[str, list[PageRecord]], side: int) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        prepared = [prepare_page(page, side) for page in tqdm(pages[split], desc=f"pages ({split})", leave=False)]
        arrays[f"x_{split}"] = np.concatenate([np.empty(0, np.uint8)] + [image.ravel() for image, _ in prepared])
        arrays[f"y_{split}"] = np.concatenate([np.empty(0, np.uint8)] + [target.ravel() for _, target in prepared])
        arrays[f"shapes_{split}"] = np.array([image.shape for image, _ in prepared], dtype=np.int64).reshape(-1, 2)
    return arrays


def _fingerprint(root: Path, side: int) -> dict:
    """What the cache depends on: the corpus files, the side, the page stem, the targets and the split."""
    return {
        "version": PROCESSING_VERSION,
        "side": side,
        "stem": [
            page_stems.STROKE_FILTER,
            page_stems.BACKGROUND_BLUR,
            page_stems.INK_PERCENTILE,
            page_stems.GRAIN_DEVIATIONS,
        ],
        "targets": [line_targets.BODY_CENTRE, line_targets.BODY_THICKNESS, line_targets.ASSUMED_BASELINE],
        "split": [copiste.SPLIT_FRACTIONS, copiste.SPLIT_SEED],
        "inputs": cache.fingerprint_files(sorted((root / "alto").glob("*.xml")) + sorted((root / "jpg").glob("*"))),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    data = LineDetectionPages()
    data.setup()
    print(data.summary())
