"""A character n-gram language model: how likely each next character is after the few before it.

    lm = CharacterLanguageModel.train(training_texts, order=6)
    lm.save(path); lm = CharacterLanguageModel.load(path)
    lm.log_probability("bonjou", "r")   # log P("r" | "...onjou"): what beam search asks, fast
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
from pathlib import Path

import numpy as np

from text_recognizer import atomic_files

LINE_START = "\x02"  # context padding before a line's first character
MIN_COUNT_LONG_CONTEXT = 2


class CharacterLanguageModel:
    def __init__(self, order: int, alphabet: str, counts: dict[str, dict[str, int]]) -> None:
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        self.order = order
        self.alphabet = alphabet
        self.index = {char: i for i, char in enumerate(alphabet)}
        self.counts = counts
        # Witten-Bell, P(c | context) = (n(context, c) + d x P(c | shorter context)) / (n(context) + d) with
        # d the number of distinct characters seen after the context, stored in backoff form for one
        # character at a time: context -> (d / (n + d), the weight left to the shorter context; {character
        # seen after it: its P}). Shorter contexts come first: each entry is computed from complete ones.
        self._backoff: dict[str, tuple[float, dict[str, float]]] = {}
        for context in sorted((c for c, following in counts.items() if following), key=len):
            following = counts[context]
            total, distinct = sum(following.values()), len(following)
            interpolated = {
                char: (n + distinct * self._probability(context[1:], char)) / (total + distinct)
                for char, n in following.items()
            }
            self._backoff[context] = (distinct / (total + distinct), interpolated)

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
        context = self._context(history)
        return np.log([self._probability(context, char) for char in self.alphabet])

    def log_probability(self, history: str, char: str) -> float:
        """log P(char | history) for one character of `alphabet` (a KeyError for any other).

        `log_probabilities(history)[index[char]]` without the other characters' work: a beam search tries
        a few characters after a prefix, not the whole alphabet.
        """
        if char not in self.index:
            raise KeyError(f"{char!r} is not in the language model's alphabet")
        return math.log(self._probability(self._context(history), char))

    def _context(self, history: str) -> str:
        """The last order - 1 characters of the history, padded with LINE_START at a line's start."""
        return (LINE_START * (self.order - 1) + history)[len(history) :] if self.order > 1 else ""

    def _probability(self, context: str, char: str) -> float:
        """P(char | context) from the longest ending of the context that was followed by the character."""
        weight = 1.0
        for start in range(len(context) + 1):  # the whole context first, "" last
            entry = self._backoff.get(context[start:])
            if entry is None:  # never seen: its distribution is the shorter context's
                continue
            left_over, interpolated = entry
            probability = interpolated.get(char)
            if probability is not None:
                return weight * probability
            weight *= left_over
        return weight / len(self.alphabet)

    def text_log_probability(self, text: str) -> float:
        """log P(text) as a line, character by character."""
        return sum(self.log_probability(text[:i], c) for i, c in enumerate(text))

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
