"""Whole-phrase matching with negation, shared by the service, needs and safety taggers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Phones type a typographic apostrophe (don’t) as often as a straight one (don't).
APOSTROPHES = "['\u2019\u02bc]"
# How far back (in words) a negation such as "don't need" may stand before a phrase.
NEGATION_WINDOW_WORDS = 4


@dataclass(frozen=True)
class PhraseHit:
    key: str
    phrase: str
    start: int
    end: int
    negated: bool


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _whole_word(text: str, start: int, end: int) -> bool:
    """Vowel signs in Indic scripts are marks, not ``\\w``: a match ending just before one (or
    starting just after one) is part of a longer word."""
    return not ((end < len(text) and _is_mark(text[end]))
                or (start > 0 and _is_mark(text[start - 1])))


def _alternation(phrases: Iterable[str]) -> str:
    ordered = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+").replace("'", APOSTROPHES) for p in ordered)
    return rf"(?<!\w)(?:{body})(?!\w)"


class PhraseMatcher:
    """Finds configured phrases as whole words, case-insensitively, in any script.

    ``phrases`` maps a key (a service id, a need id...) to the phrases that mean it. A hit is
    ``negated`` when one of ``negations`` stands within ``negation_window`` words before it, in the
    same clause.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]], negations: Iterable[str] = (),
                 negation_window: int = NEGATION_WINDOW_WORDS) -> None:
        self._owner: dict[str, list[str]] = {}
        for key, key_phrases in phrases.items():
            for phrase in key_phrases:
                self._owner.setdefault(_canonical(phrase), []).append(key)
        self._pattern = (
            re.compile(_alternation(self._owner), re.IGNORECASE) if self._owner else None
        )
        # Longest first: the fallback when the longest match at a place is not a whole word.
        self._each = [re.compile(_alternation([p]), re.IGNORECASE)
                      for p in sorted(self._owner, key=len, reverse=True)]
        cues = [n for n in negations if n.strip()]
        self._negation = re.compile(_alternation(cues), re.IGNORECASE) if cues else None
        self._window = negation_window

    def _negated(self, text: str, start: int) -> bool:
        if self._negation is None:
            return False
        before = text[max(0, start - 80):start]
        # A clause boundary ends the reach of a negation ("No, she needs BSL").
        before = re.split(r"[.,!?;:\n]", before)[-1]
        window = " ".join(before.split()[-self._window:])
        return self._negation.search(window) is not None

    def _whole_word_at(self, text: str, start: int) -> re.Match[str] | None:
        """The longest phrase at ``start`` that is a whole word there, if any."""
        for pattern in self._each:
            match = pattern.match(text, start)
            if match and _whole_word(text, match.start(), match.end()):
                return match
        return None

    def find(self, text: str) -> list[PhraseHit]:
        if self._pattern is None:
            return []
        hits: list[PhraseHit] = []
        position = 0
        while (match := self._pattern.search(text, position)) is not None:
            if not _whole_word(text, match.start(), match.end()):
                fallback = self._whole_word_at(text, match.start())
                if fallback is None:
                    position = match.start() + 1
                    continue
                match = fallback
            phrase = _canonical(match.group(0))
            negated = self._negated(text, match.start())
            for key in self._owner.get(phrase, ()):
                hits.append(PhraseHit(key, phrase, match.start(), match.end(), negated))
            position = match.end()
        return hits


def _canonical(phrase: str) -> str:
    return " ".join(phrase.split()).casefold().replace("\u2019", "'").replace("\u02bc", "'")
