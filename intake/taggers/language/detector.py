"""Language identification for short feedback, with langdetect at the core.

The evidence, strongest first:

1. **Script.** Gurmukhi is Punjabi, Gujarati script Gujarati, Han characters Chinese: when one
   configured language owns the script, that is the answer, even for a single character.
2. **Candidates.** Only configured languages written in the text's script compete.
3. **Three scores, added** (weights chosen on one half of the development cases, checked on the
   other; ``intake benchmark tagging`` prints the figures): langdetect's n-gram profiles scored
   exhaustively, the wordfreq lexicon (how common each word is in each language) and a character
   n-gram model learned from the same word lists. A plain-ASCII word no list has is looked up as
   the words that lose their accents to that spelling ("edicion", or "edicin" from a broken
   encoding, for "edición"). A language without a word list (Somali) has no n-gram model either:
   its langdetect profile stands in for it, so spelling counts as much for it as for the others.
4. **Priors.** What we already know about the person (the language they chose, their earlier
   messages, a messaging app's interface language) tips a close call; it cannot outvote the text.

Text with no signal ("ok", "👍", "12") is ``und`` with confidence 0 rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from intake.config.schema import Language
from intake.taggers.language.profiles import profile_model, profile_script
from intake.taggers.language.scripts import census
from intake.taggers.language.words import WordModelSettings, lexicon_form, word_model, words_of

UNDETERMINED = "und"
WORD_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    confidence: float


@dataclass(frozen=True)
class DetectorSettings:
    """The weights of the evidence. Tuned by ``benchmarks``; see docs/tagging.md."""

    profile_weight: float = 0.125
    ngram_weight: float = 0.125
    lexicon_weight: float = 2.0
    # A word a language's list lacks costs this many nats below the rarest word listed.
    unknown_word_penalty: float = 0.8
    # For a language with no word list: the cost of each word, relative to the floor above.
    unlisted_language_bonus: float = 2.0
    # Scores are sums of log-likelihoods of words that are not independent, so over-confident:
    # dividing by this (fitted on the development cases: lowest log-loss) makes a confidence of
    # 0.8 right about 80% of the time.
    temperature: float = 2.5
    # Enough words to decide; more only costs time (sentences are already near-perfect).
    max_words: int = 20
    # A word no list has, written in plain ASCII, is looked up as the words that lose their
    # accents to that spelling ("edicion" or "edicin" for "edición"; see words.stripped_forms).
    accentless_lookup: bool = True
    prior_weight: float = 1.0
    # Share of the prior spread over every candidate, so no prior makes a language impossible.
    prior_smoothing: float = 0.2
    words: WordModelSettings = field(default_factory=WordModelSettings)


class LanguageDetector:
    """Detects which configured language a text is in, or says it cannot tell."""

    def __init__(self, languages: Sequence[Language], min_letters: int = 3,
                 settings: DetectorSettings = DetectorSettings(),
                 no_signal: frozenset[str] = frozenset()) -> None:
        """``no_signal``: words that carry no language (an SMS "ok" is English and Polish alike)."""
        detectable = [lang for lang in languages if lang.langdetect_profile]
        self.codes = tuple(lang.code for lang in detectable)
        self._settings = settings
        self._min_letters = min_letters
        self._no_signal = frozenset(word.lower() for word in no_signal)
        self._by_script: dict[str, list[int]] = {}
        for position, lang in enumerate(detectable):
            script = lang.script or profile_script(lang.langdetect_profile or "")
            self._by_script.setdefault(script or "", []).append(position)
        self._profiles = tuple(lang.langdetect_profile or "" for lang in detectable)
        listed = [(position, lang.wordlist) for position, lang in enumerate(detectable)
                  if lang.wordlist]
        self._listed_positions = np.array([position for position, _ in listed], dtype=np.int64)
        self._lists = tuple(name for _, name in listed)
        self._has_list = np.zeros(len(detectable), dtype=bool)
        self._has_list[self._listed_positions] = True
        # Each language without a list, and the listed languages written in the same script (its
        # only competitors): see _score_word.
        scripts = [lang.script or profile_script(lang.langdetect_profile or "") for lang in detectable]
        self._unlisted_peers = tuple(
            (position, np.array([p for p in self._listed_positions if scripts[p] == scripts[position]],
                                dtype=np.int64))
            for position in range(len(detectable)) if not self._has_list[position])
        self._floor = float(np.log(settings.words.lexicon_min_frequency)) - settings.unknown_word_penalty
        self._word_scores = lru_cache(maxsize=WORD_CACHE_SIZE)(self._score_word)

    def detect(self, text: str, prior: Mapping[str, float] | None = None) -> LanguageGuess:
        """The most likely configured language of ``text``.

        ``prior`` weighs languages we already expect (code -> weight, any scale), e.g. the
        person's chosen language or the languages of their earlier messages.
        """
        words = [word for word in words_of(text, lower=False)
                 if word.lower() not in self._no_signal]
        found = census("".join(words))
        script = found.dominant
        candidates = self._by_script.get(script or "", [])
        if not candidates:
            return LanguageGuess(UNDETERMINED, 0.0)
        if len(candidates) == 1:
            return LanguageGuess(self.codes[candidates[0]], 0.99)
        if found.letters < self._min_letters:
            return LanguageGuess(UNDETERMINED, 0.0)
        scores = self._scores(words[:self._settings.max_words], candidates)
        if prior:
            scores = scores + self._prior_scores(prior, candidates)
        scores = scores / self._settings.temperature
        posterior = np.exp(scores - scores.max())
        posterior /= posterior.sum()
        best = int(np.argmax(posterior))
        return LanguageGuess(self.codes[candidates[best]], round(min(float(posterior[best]), 0.99), 4))

    def _scores(self, words: list[str], candidates: list[int]) -> np.ndarray:
        total = np.zeros((2, len(self.codes)), dtype=np.float32)
        for word in words:
            total += self._word_scores(word)
        base, ngrams = total
        # A language without a word list has no n-gram model: it gets the average n-gram score of
        # the competitors that have one, moved by how much better (or worse) its langdetect
        # profile explains the text than theirs do (kept in its n-gram cell by _score_word).
        listed = [c for c in candidates if self._has_list[c]]
        ngrams[~self._has_list] += float(ngrams[listed].mean()) if listed else 0.0
        return (base + self._settings.ngram_weight * ngrams)[candidates]

    def _score_word(self, word: str) -> np.ndarray:
        """One word's evidence (cached: feedback repeats its words): a row of profile + lexicon
        scores and a row of n-gram scores (one array, not two: the cache holds 50,000 of them)."""
        settings = self._settings
        profiles = profile_model(self._profiles).word_scores(word)
        base = settings.profile_weight * profiles
        ngrams = np.zeros(len(self.codes), dtype=np.float32)
        for position, peers in self._unlisted_peers:
            # Sums over words like the rest, so _scores can add the peers' n-gram average.
            if len(peers):
                ngrams[position] = profiles[position] - profiles[peers].mean()
        if self._lists:
            model = word_model(self._lists, settings.words)
            lower = lexicon_form(word)
            lexicon = np.full(len(self.codes), self._floor + settings.unlisted_language_bonus,
                              dtype=np.float32)
            listed = model.lexicon_scores(lower, self._floor)
            if settings.accentless_lookup and lower.isascii() and np.all(listed <= self._floor):
                # No list has the word as written: perhaps it lost its accents ("edicin").
                folded = model.folded_scores(lower, self._floor)
                if folded is not None:
                    listed = folded
            lexicon[self._listed_positions] = listed
            ngrams[self._listed_positions] = model.ngram_scores(lower)
            base = base + settings.lexicon_weight * lexicon
        return np.stack([base, ngrams]).astype(np.float32)

    def _prior_scores(self, prior: Mapping[str, float], candidates: list[int]) -> np.ndarray:
        weights = np.array([max(prior.get(self.codes[c], 0.0), 0.0) for c in candidates])
        if weights.sum() <= 0:
            return np.zeros(len(candidates))
        smoothing = self._settings.prior_smoothing
        probabilities = (1 - smoothing) * weights / weights.sum() + smoothing / len(candidates)
        return self._settings.prior_weight * np.log(probabilities)
