"""langdetect's character n-gram profiles, scored exhaustively instead of by random sampling.

langdetect's own detector samples n-grams at random over several trials, which is why it needs a
seed and why it wavers on two-word texts. Scoring every n-gram of the text against the same
profiles (naive Bayes over langdetect's frequencies, with langdetect's own text normalisation) is
deterministic and, on short text, more accurate.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import langdetect
import numpy as np
from langdetect.utils.ngram import NGram

from intake.taggers.language.scripts import script_of

PROFILE_DIR = Path(os.path.dirname(langdetect.__file__)) / "profiles"
# Probability given to an n-gram a profile has never seen (langdetect's own smoothing is similar).
SMOOTHING = 1e-5


@lru_cache(maxsize=1)
def available_profiles() -> frozenset[str]:
    return frozenset(path.name for path in PROFILE_DIR.iterdir())


class ProfileModel:
    """Log-likelihoods of a text under each of the named langdetect profiles."""

    def __init__(self, profiles: Sequence[str]) -> None:
        self.profiles = tuple(profiles)
        index: dict[str, int] = {}
        # Each profile's cells as arrays (rows, probabilities), not a tuple per cell: the
        # build's garbage would otherwise stay in the heap of a long-running process.
        columns: list[tuple[np.ndarray, np.ndarray]] = []
        for name in self.profiles:
            profile = json.loads((PROFILE_DIR / name).read_text("utf-8"))
            totals = profile["n_words"]
            grams = [(gram, count) for gram, count in profile["freq"].items()
                     if 1 <= len(gram) <= NGram.N_GRAM]
            rows = np.array([index.setdefault(gram, len(index)) for gram, _ in grams], dtype=np.int64)
            probabilities = np.array([count / totals[len(gram) - 1] for gram, count in grams],
                                     dtype=np.float64)
            columns.append((rows, probabilities))
            del profile, grams
        matrix = np.zeros((len(index), len(self.profiles)))
        for column, (rows, probabilities) in enumerate(columns):
            matrix[rows, column] = probabilities
        self._index = index
        self._log_probabilities = np.log(matrix + SMOOTHING).astype(np.float32)

    def grams(self, word: str) -> list[int]:
        """Rows of the n-grams of one word that some profile knows, after langdetect's cleaning.

        Words are scored one at a time (so a word's scores can be cached); langdetect's n-grams
        never cross a space, so the sum over words is the same as over the whole text, except
        that langdetect also skips the rest of an all-capitals word.
        """
        padded = " " + "".join(map(_normalise, word)) + " "
        index, rows = self._index, []
        for n in range(1, NGram.N_GRAM + 1):
            for start in range(len(padded) - n + 1):
                gram = padded[start:start + n]
                if gram != " " and (row := index.get(gram)) is not None:
                    rows.append(row)
        return rows

    def word_scores(self, word: str) -> np.ndarray:
        rows = self.grams(word)
        if not rows:
            return np.zeros(len(self.profiles), dtype=np.float32)
        return self._log_probabilities[rows].sum(axis=0)


@lru_cache(maxsize=65536)
def _normalise(char: str) -> str:
    return NGram.normalize(char)


@lru_cache(maxsize=64)
def profile_script(name: str) -> str | None:
    """The script most of a profile's letters are in (how a language is written by default)."""
    profile = json.loads((PROFILE_DIR / name).read_text("utf-8"))
    weights: dict[str, int] = {}
    for gram, count in profile["freq"].items():
        if len(gram) == 1 and (script := script_of(gram)) is not None:
            weights[script] = weights.get(script, 0) + count
    return max(weights, key=lambda script: weights[script]) if weights else None


@lru_cache(maxsize=4)
def profile_model(profiles: tuple[str, ...]) -> ProfileModel:
    """One model per set of profiles, shared: building it reads every profile file."""
    return ProfileModel(profiles)
