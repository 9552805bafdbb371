"""A character n-gram language model: how likely each next character is after the few before it.

    lm = CharacterLanguageModel.train(training_texts, order=6)
    lm.save(path); lm = CharacterLanguageModel.load(path)
    lm.log_probabilities("bonjou")      # log P(c | "...onjou") for every character c of the alphabet

Built from training text only (never validation or test text), it helps beam search choose between
readings the network finds about as likely ("rn" or "m"). Probabilities are interpolated from the longest
context down to single characters with Witten-Bell smoothing: a context followed by many different
characters leaves more weight to the shorter one. Counts seen once are dropped from contexts longer than
two characters (pruning), which keeps the file small. Plain Python and numpy: the predictor uses it.
"""

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from text_recognizer import atomic_files

LINE_START = "\x02"  # context padding before a line's first character
MIN_COUNT_LONG_CONTEXT = 2


# Distributions kept for the contexts met most recently: beam search asks for the same contexts again and
# again. Each holds a float per character (about 1 KB): 20,000 bound a server process's cache to ~25 MB.
CACHED_CONTEXTS = 20_000


class CharacterLanguageModel:
    def __init__(self, order: int, alphabet: str, counts: dict[str, dict[str, int]]) -> None:
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        self.order = order
        self.alphabet = alphabet
        self.index = {char: i for i, char in enumerate(alphabet)}
        self.counts = counts
        self._distribution = lru_cache(maxsize=CACHED_CONTEXTS)(self._compute_distribution)

    @classmethod
    def train(cls, texts: Iterable[str], order: int = 6) -> "CharacterLanguageModel":
        """Count every (context, next character) pair in the texts, contexts of 0 to order - 1 characters."""
        texts = list(texts)
        alphabet = "".join(sorted(set("".join(texts))))
        raw: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            padded = LINE_START * (order - 1) + text
            for position in range(order - 1, len(padded)):
                char = padded[position]
                for length in range(order):
                    raw[padded[position - length : position]][char] += 1
        counts = {
            context: {char: n for char, n in following.items() if len(context) <= 2 or n >= MIN_COUNT_LONG_CONTEXT}
            for context, following in raw.items()
        }
        return cls(order, alphabet, {context: following for context, following in counts.items() if following})

    def log_probabilities(self, history: str) -> np.ndarray:
        """log P(next character | history) for each character of `alphabet`, in its order."""
        context = (LINE_START * (self.order - 1) + history)[len(history) :] if self.order > 1 else ""
        return self._distribution(context)

    def _compute_distribution(self, context: str) -> np.ndarray:
        return np.log(self._probabilities(context))

    def _probabilities(self, context: str) -> np.ndarray:
        if not context:
            lower = np.full(len(self.alphabet), 1.0 / len(self.alphabet))
        else:
            lower = self._probabilities(context[1:])
        following = self.counts.get(context)
        if not following:
            return lower
        total, distinct = sum(following.values()), len(following)
        probabilities = distinct * lower
        for char, count in following.items():
            probabilities[self.index[char]] += count
        return probabilities / (total + distinct)

    def text_log_probability(self, text: str) -> float:
        """log P(text) as a line, character by character."""
        return sum(float(self.log_probabilities(text[:i])[self.index[c]]) for i, c in enumerate(text))

    def perplexity(self, texts: Iterable[str]) -> float:
        """Per-character perplexity on texts whose characters are all in the alphabet."""
        texts = [t for t in texts if set(t) <= set(self.alphabet)]
        characters = sum(map(len, texts))
        return math.exp(-sum(self.text_log_probability(t) for t in texts) / max(1, characters))

    def to_json(self) -> dict:
        return {"order": self.order, "alphabet": self.alphabet, "counts": self.counts}

    def save(self, path: Path) -> Path:
        """Write the model as JSON through a temporary file renamed into place."""
        path = Path(path)
        atomic_files.write_text(path, json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")))
        return path

    @classmethod
    def load(cls, path: Path) -> "CharacterLanguageModel":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(data["order"], data["alphabet"], data["counts"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path} is not a character language model ({error}): restore it or rebuild it") from error
