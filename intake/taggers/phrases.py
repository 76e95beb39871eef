"""Whole-phrase matching with negation, shared by the service, needs and safety taggers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Phones type a typographic apostrophe (don’t) as often as a straight one (don't), and texts often
# leave it out (dont, cant). An apostrophe in a phrase therefore matches any of these, or nothing:
# so avoid phrases such as "i'll" or "we're", which would also match "ill" and "were".
APOSTROPHES = "['\u2019\u02bc]?"
# How far back (in words) a negation such as "don't need" may stand before a phrase.
NEGATION_WINDOW_WORDS = 4
# What ends a clause, and so the reach of a negation: punctuation, and the words that join two
# clauses (English, Polish, Urdu; not Polish "i", which English would read as "I").
CLAUSE_BOUNDARY = re.compile(
    r"[.,!?;:\n]|(?<!\w)(?:and|but|because|although|though|ale|bo|więc|اور|لیکن|مگر)(?!\w)",
    re.IGNORECASE)


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
        # Phrases that differ only by apostrophes ("doctor's surgery", "doctors surgery") are one
        # phrase: its keys, and the spelling first configured, which hits report.
        self._owner: dict[str, list[str]] = {}
        self._spelling: dict[str, str] = {}
        for key, key_phrases in phrases.items():
            for phrase in key_phrases:
                if not phrase.strip():
                    continue
                owners = self._owner.setdefault(_lookup(phrase), [])
                if key not in owners:
                    owners.append(key)
                self._spelling.setdefault(_lookup(phrase), _canonical(phrase))
        spellings = list(self._spelling.values())
        self._pattern = re.compile(_alternation(spellings), re.IGNORECASE) if spellings else None
        # Longest first: the fallback when the longest match at a place is not a whole word.
        self._each = [re.compile(_alternation([p]), re.IGNORECASE)
                      for p in sorted(spellings, key=len, reverse=True)]
        cues = [n for n in negations if n.strip()]
        self._negation = re.compile(_alternation(cues), re.IGNORECASE) if cues else None
        self._window = negation_window

    def _negated(self, text: str, start: int) -> bool:
        if self._negation is None:
            return False
        before = text[max(0, start - 80):start]
        # A clause boundary ends the reach of a negation ("No, she needs BSL", "She has no sight
        # and needs braille").
        before = CLAUSE_BOUNDARY.split(before)[-1]
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
            found = _lookup(match.group(0))
            negated = self._negated(text, match.start())
            for key in self._owner.get(found, ()):
                hits.append(PhraseHit(key, self._spelling[found], match.start(), match.end(),
                                      negated))
            position = match.end()
        return hits


class NegationAfter:
    """Negations that follow what they negate ("an interpreter is not needed"; Urdu puts them
    last: "ترجمان کی ضرورت نہیں"): one of ``cues`` within ``reach`` words after the phrase, in the
    same clause."""

    def __init__(self, cues: Iterable[str], reach: int = 2) -> None:
        words = [cue for cue in cues if cue.strip()]
        self._pattern = (re.compile(rf"^\s*(?:\S+\s+){{0,{reach}}}?{_alternation(words)}",
                                    re.IGNORECASE) if words else None)

    def negates(self, text: str, end: int) -> bool:
        """Whether a cue follows the phrase that ends at ``end``."""
        if self._pattern is None:
            return False
        after = CLAUSE_BOUNDARY.split(text[end:end + 80])[0]
        return self._pattern.search(after) is not None


# What has been built from a configuration object, kept with the object so its id is not reused.
_BUILT: dict[tuple[int, Callable[..., object]], tuple[object, object]] = {}


def built_once(source: object, build: Callable[[], T], kind: Callable[..., object]) -> T:
    """``build()`` the first time for this ``source`` (a configuration object) and ``kind`` (the
    class or function built), the same result after: for matchers a stage compiles from config."""
    key = (id(source), kind)
    kept = _BUILT.get(key)
    if kept is None or kept[0] is not source:
        kept = _BUILT[key] = (source, build())
    return kept[1]  # type: ignore[return-value]


def _canonical(phrase: str) -> str:
    return " ".join(phrase.split()).casefold().replace("\u2019", "'").replace("\u02bc", "'")


def _lookup(phrase: str) -> str:
    """The phrase as matched text is looked up: canonical, without apostrophes."""
    return _canonical(phrase).replace("'", "")


def phrase_pattern(phrases: Iterable[str]) -> str:
    """A regular expression for any of ``phrases`` as whole words, matched the way PhraseMatcher
    matches (any whitespace between words, any apostrophe or none); compile it IGNORECASE."""
    return _alternation(phrases)
