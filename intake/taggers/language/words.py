"""What the words themselves say: wordfreq's word lists, and character n-grams learned from them.

A single word is where character models run out of evidence: "stronę" has few n-grams, but it is
simply a Polish word. wordfreq (Apache-2.0 code; CC BY-SA 4.0 data drawn from Wikipedia,
subtitles, news, books and the web) knows how often each word is written in each language, which
also tells Czech from Slovak and Spanish from Portuguese far better than n-grams alone. The same
lists, read as one example per word, train a character n-gram model for words no list has (names,
rare inflections). langdetect's profiles have their normalisation (Persian yeh folded into Arabic
yeh, for one); these raw lists keep the letters that tell Urdu, Persian and Arabic apart.
Text often loses its accents (a keyboard without them, or a broken encoding that deletes every
accented letter), so the model also keeps, for each Latin-script word, the ASCII spellings it
takes without them ("edicion", "edicin" for "edición").

Building the model reads every list (tens of seconds), so the result is cached on disk, keyed by
the lists, the wordfreq version and the settings that shape it, and read back memory-mapped
(see arrays.py): every process shares one copy of the tables, and holds only the pages it reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import regex

from intake.taggers.language.arrays import BadArrayFile, read_arrays, write_arrays
from intake.taggers.language.scripts import script_of

log = logging.getLogger(__name__)

MODEL_VERSION = 3
CACHE_DIR_VARIABLE = "INTAKE_CACHE_DIR"
WORD = regex.compile(r"[\p{L}\p{M}]+(?:'[\p{L}\p{M}]+)*")
# Curly apostrophes as wordfreq writes them; Arabic vowel marks and tatweel dropped, as wordfreq
# drops them from its lists (people rarely write them, but a pasted text may have them).
FOLD = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u0640": None,
                      **{chr(c): None for c in range(0x064B, 0x0653)}, "\u0670": None})
# Romanian s and t with a cedilla (older keyboards, most web text) are written with a comma below
# in wordfreq's lists (wordfreq folds them on lookup; we read the lists directly).
COMMAS_BELOW = str.maketrans({"\u015f": "\u0219", "\u0163": "\u021b"})


@dataclass(frozen=True)
class WordModelSettings:
    """What shapes the model; every field is part of the cache key."""

    lexicon_min_frequency: float = 3e-7     # words rarer than this are left out of the lexicon
    ngram_min_frequency: float = 1e-6       # the n-gram model learns from words at least this common
    max_ngram: int = 4
    ngram_min_count: int = 3                # n-grams rarer than this over all lists are dropped
    ngram_smoothing: float = 0.5


def words_of(text: str, lower: bool = True) -> list[str]:
    """Words (letters and combining marks, inner apostrophes kept), lower-cased as wordfreq has
    them unless ``lower`` is false."""
    text = unicodedata.normalize("NFC", text).translate(FOLD)
    return WORD.findall(text.lower() if lower else text)


def lexicon_form(word: str) -> str:
    """A lower-case word spelled as wordfreq's lists spell it (Romanian commas below)."""
    return word.lower().translate(COMMAS_BELOW)


def stripped_forms(word: str) -> set[str]:
    """The plain-ASCII spellings a Latin-script word takes when its accents are lost: stripped
    ("edición" -> "edicion", a keyboard without accents) or deleted ("edicin", text that went
    through a broken encoding). Empty for a word that is already ASCII or not in Latin script."""
    if word.isascii() or not all(script_of(char) in ("Latn", None) for char in word):
        return set()
    forms = set()
    stripped = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    deleted = "".join(c for c in word if c.isascii())
    for form in (stripped, deleted):
        if form.isascii() and len(form) >= 2:
            forms.add(form)
    return forms


def word_hash(word: str) -> int:
    """A stable 64-bit key (Python's own ``hash`` changes with every process)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _grams(word: str, max_n: int) -> Iterable[str]:
    padded = f" {word} "
    for n in range(1, max_n + 1):
        for start in range(len(padded) - n + 1):
            gram = padded[start:start + n]
            if gram != " ":
                yield gram


class WordModel:
    """Per-list scores for words: how common each is (lexicon) and how it is spelled (n-grams)."""

    def __init__(self, lists: Sequence[str], arrays: dict[str, np.ndarray],
                 settings: WordModelSettings) -> None:
        self.lists = tuple(lists)
        self.settings = settings
        self._word_keys = arrays["word_keys"]
        self._word_log_frequency = arrays["word_log_frequency"]
        # A dict (about 30 MB of objects), not a search of the sorted, mapped n-gram array: that
        # doubled the time of ngram_scores, a quarter of the detector's time (docs/performance.md).
        self._gram_index = {str(gram): row for row, gram in enumerate(arrays["gram_keys"])}
        # One row per n-gram, then one per n-gram length: the cost of an n-gram no list has seen.
        self._unseen_row = len(self._gram_index)
        self._gram_log_probability = arrays["gram_table"]
        self._unknown_word = math.log(settings.lexicon_min_frequency)
        # Accent-less spellings: one row per (spelling, list), sorted by the spelling's key.
        self._folded_keys = arrays["folded_keys"]
        self._folded_lists = arrays["folded_lists"]
        self._folded_log_frequency = arrays["folded_log_frequency"]

    def lexicon_scores(self, word: str, floor: float) -> np.ndarray:
        """Log frequency of a (lower-case) word in each list; ``floor`` where a list lacks it."""
        keys = self._word_keys
        if len(keys):
            key = np.uint64(word_hash(word))
            row = int(np.searchsorted(keys, key))
            if row < len(keys) and keys[row] == key:
                return np.maximum(self._word_log_frequency[row], floor)
        return np.full(len(self.lists), floor, dtype=np.float32)

    def folded_scores(self, word: str, floor: float) -> np.ndarray | None:
        """For an ASCII word: the log frequency, in each list, of its commonest word that loses
        its accents to this spelling ("edicin", "edicion": "edición"); ``floor`` where a list
        has none. None when no list has such a word."""
        keys = self._folded_keys
        key = np.uint64(word_hash(word))
        row = int(np.searchsorted(keys, key))
        if row >= len(keys) or keys[row] != key:
            return None
        scores = np.full(len(self.lists), floor, dtype=np.float32)
        while row < len(keys) and keys[row] == key:
            column = int(self._folded_lists[row])
            scores[column] = max(scores[column], float(self._folded_log_frequency[row]))
            row += 1
        return scores

    def ngram_scores(self, word: str) -> np.ndarray:
        """Log-likelihood of a word's spelling under each list's character n-gram model."""
        get, unseen = self._gram_index.get, self._unseen_row
        rows = [get(gram, unseen + len(gram)) for gram in _grams(word, self.settings.max_ngram)]
        return self._gram_log_probability[rows].sum(axis=0, dtype=np.float32)


def _build(lists: Sequence[str], settings: WordModelSettings) -> dict[str, np.ndarray]:
    import wordfreq

    word_columns: dict[int, np.ndarray] = {}
    folded: dict[tuple[int, int], float] = {}
    gram_counts: list[Counter[str]] = []
    for column, name in enumerate(lists):
        counts: Counter[str] = Counter()
        for word, frequency in wordfreq.get_frequency_dict(name).items():
            if frequency < settings.lexicon_min_frequency:
                break
            key = word_hash(word)
            row = word_columns.get(key)
            if row is None:
                row = word_columns[key] = np.full(len(lists), -np.inf, dtype=np.float32)
            row[column] = max(row[column], math.log(frequency))
            for form in stripped_forms(word):
                cell = (word_hash(form), column)
                folded[cell] = max(folded.get(cell, -math.inf), math.log(frequency))
            if frequency >= settings.ngram_min_frequency:
                counts.update(_grams(word, settings.max_ngram))
        gram_counts.append(counts)
    keys = np.array(sorted(word_columns), dtype=np.uint64)
    word_log_frequency = np.stack([word_columns[int(key)] for key in keys]) if len(keys) else \
        np.zeros((0, len(lists)), dtype=np.float32)

    cells = sorted(folded)
    folded_keys = np.array([key for key, _ in cells], dtype=np.uint64)
    folded_lists = np.array([column for _, column in cells], dtype=np.uint8)
    folded_log_frequency = np.array([folded[cell] for cell in cells], dtype=np.float16)

    overall: Counter[str] = Counter()
    for counts in gram_counts:
        overall.update(counts)
    # N-grams seen in only a word or two say little and cost most of the memory.
    grams = sorted(gram for gram, count in overall.items() if count >= settings.ngram_min_count)
    totals = np.zeros((settings.max_ngram + 1, len(lists)))
    matrix = np.zeros((len(grams), len(lists)))
    row_of = {gram: row for row, gram in enumerate(grams)}
    for column, counts in enumerate(gram_counts):
        for gram, count in counts.items():
            totals[len(gram), column] += count
            if (row := row_of.get(gram)) is not None:
                matrix[row, column] = count
    alpha = settings.ngram_smoothing
    # A small, fixed "vocabulary" term keeps an unseen n-gram's cost comparable across lists.
    denominators = totals + alpha * 50
    lengths = np.array([len(gram) for gram in grams], dtype=np.int64)
    gram_log_probability = np.log((matrix + alpha) / denominators[lengths]) if grams else \
        np.zeros((0, len(lists)))
    unseen_gram = np.log(alpha / denominators).astype(np.float32)
    return {
        "word_keys": keys,
        "word_log_frequency": word_log_frequency.astype(np.float16),
        "gram_keys": np.array(grams, dtype=f"<U{settings.max_ngram}"),
        "gram_table": np.concatenate([gram_log_probability.astype(np.float16),
                                      unseen_gram.astype(np.float16)]),
        "folded_keys": folded_keys,
        "folded_lists": folded_lists,
        "folded_log_frequency": folded_log_frequency,
    }


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "involve-intake"


def _cache_path(lists: Sequence[str], settings: WordModelSettings) -> Path:
    import wordfreq

    key = json.dumps({"model": MODEL_VERSION, "lists": list(lists), "settings": vars(settings),
                      "wordfreq": version("wordfreq"),
                      "data": sorted(p.name for p in Path(wordfreq.DATA_PATH).iterdir())},
                     sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / f"language-words-{digest}.arrays"


def _load_or_build(lists: Sequence[str], settings: WordModelSettings) -> dict[str, np.ndarray]:
    path = _cache_path(lists, settings)
    if path.is_file():
        try:
            return read_arrays(path)
        except (OSError, BadArrayFile) as exc:
            log.warning("language model cache %s is unreadable (%s); rebuilding", path, exc)
    log.info("building the word model for %s (once; cached in %s)", ", ".join(lists), path.parent)
    arrays = _build(lists, settings)
    try:
        write_arrays(path, arrays)
    except OSError as exc:
        log.warning("could not cache the language model in %s: %s", path.parent, exc)
        return arrays
    # Read back mapped, so this process shares the tables too and drops what the build held.
    del arrays
    return read_arrays(path)


@lru_cache(maxsize=4)
def word_model(lists: tuple[str, ...], settings: WordModelSettings = WordModelSettings()) -> WordModel:
    """The model for these wordfreq lists, shared by every detector in the process."""
    return WordModel(lists, _load_or_build(lists, settings), settings)


def available_lists() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages())
