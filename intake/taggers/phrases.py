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
    ``negated`` when one of ``negations`` ends within a few words before it.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]], negations: Iterable[str] = ()) -> None:
        self._owner: dict[str, list[str]] = {}
        for key, key_phrases in phrases.items():
            for phrase in key_phrases:
                self._owner.setdefault(phrase.strip().casefold(), []).append(key)
        self._pattern = (
            re.compile(_alternation(self._owner), re.IGNORECASE) if self._owner else None
        )
        cues = [n for n in negations if n.strip()]
        self._negation = re.compile(_alternation(cues), re.IGNORECASE) if cues else None

    def _negated(self, text: str, start: int) -> bool:
        if self._negation is None:
            return False
        before = text[max(0, start - 80):start]
        # A sentence boundary ends the reach of a negation ("No. She needs BSL").
        before = re.split(r"[.!?;\n]", before)[-1]
        window = " ".join(before.split()[-NEGATION_WINDOW_WORDS:])
        return self._negation.search(window) is not None

    def find(self, text: str) -> list[PhraseHit]:
        if self._pattern is None:
            return []
        hits: list[PhraseHit] = []
        for match in self._pattern.finditer(text):
            if not _whole_word(text, match.start(), match.end()):
                continue
            phrase = " ".join(match.group(0).split()).casefold().replace("\u2019", "'")
            phrase = phrase.replace("\u02bc", "'")
            negated = self._negated(text, match.start())
            for key in self._owner.get(phrase, ()):
                hits.append(PhraseHit(key, phrase, match.start(), match.end(), negated))
        return hits
