"""English text for synthetic lines: the Brown corpus through NLTK, cleaned to what EMNIST can draw.

EMNIST has digits and letters only, so punctuation is dropped (a line model cannot learn a character it
never sees) and runs of spaces are collapsed. NLTK finds the corpus in `data/raw/nltk/`, then in
`$TEXT_RECOGNIZER_MIRROR/nltk_data/`; otherwise `nltk.download("brown")` fetches it into `data/raw/nltk/`.
The cleaned sentences are cached as one text file so that later runs skip NLTK's slow corpus reader.
"""

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from text_recognizer import atomic_files, paths
from text_recognizer.data.errors import MissingDataError
from text_recognizer.metadata import emnist as emnist_metadata

logger = logging.getLogger(__name__)

ALLOWED_CHARACTERS = frozenset(emnist_metadata.MAPPING) | {" "}
CACHE_VERSION = 1


def nltk_data_dirs() -> list[Path]:
    """Where NLTK looks for the Brown corpus, in order."""
    dirs = [paths.RAW_DATA_DIR / "nltk"]
    mirror = paths.mirror_dir()
    if mirror is not None:
        dirs.append(mirror / "nltk_data")
    return dirs


def clean(text: str, allowed: frozenset[str] = ALLOWED_CHARACTERS) -> str:
    """Keep only drawable characters; collapse whitespace."""
    kept = "".join(c if c in allowed else " " for c in text)
    return re.sub(r"\s+", " ", kept).strip()


def brown_sentences() -> list[str]:
    """Cleaned Brown corpus sentences (non-empty), cached under data/processed/brown/."""
    cache = paths.PROCESSED_DATA_DIR / "brown" / f"sentences-v{CACHE_VERSION}.txt"
    if cache.exists():
        return cache.read_text(encoding="utf-8").splitlines()
    sentences = [s for s in (clean(" ".join(words)) for words in _read_brown()) if s]
    _write_lines_atomic(cache, sentences)
    return sentences


def _read_brown() -> Iterable[list[str]]:
    import nltk

    for directory in reversed(nltk_data_dirs()):
        if str(directory) not in nltk.data.path:
            nltk.data.path.insert(0, str(directory))
    try:
        nltk.data.find("corpora/brown.zip")
    except LookupError:
        target = paths.RAW_DATA_DIR / "nltk"
        logger.info("Downloading the Brown corpus into %s", target)
        if not nltk.download("brown", download_dir=str(target), quiet=True):
            raise MissingDataError(
                f"The Brown corpus was not found in {', '.join(map(str, nltk_data_dirs()))} and could not be "
                f"downloaded. Put NLTK's corpora/brown.zip into {target}."
            ) from None
    from nltk.corpus import brown

    return brown.sents()


def _write_lines_atomic(path: Path, lines: list[str]) -> None:
    atomic_files.write_text(path, "\n".join(lines) + "\n")


def sample_snippet(sentences: list[str], max_length: int, rng: np.random.Generator) -> str:
    """A run of whole words of at most `max_length` characters from a random sentence.

    Long sentences give a random window that starts and ends at word boundaries; a single word longer
    than `max_length` is cut.
    """
    words = sentences[rng.integers(len(sentences))].split(" ")
    start = int(rng.integers(len(words)))
    snippet = words[start][:max_length]
    for word in words[start + 1 :]:
        if len(snippet) + 1 + len(word) > max_length:
            break
        snippet += " " + word
    return snippet
