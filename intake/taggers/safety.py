"""Reading a risk phrase in its sentence: is it negated, in the past, or inside quotation marks?

The phrase matcher finds the words; this decides what they mean for a flag. Misses are worse than
false alarms, so only a narrow reading takes a flag away:

- Negation counts only when the negation governs the phrase itself: right before it, or with at
  most one bridging word between ("not suicidal", "never been abused", "no chest pain"). "I'm not
  okay and I want to die" and "No I can't breathe" are not negated.
- The past never takes a flag away. "I was suicidal last year" is still flagged, with the words that
  place it in the past kept as evidence, so the stage can give it a lower confidence. A word of now
  in the same sentence ("still", "again") makes it current again.
- Quotation marks never take a flag away either: people quote their own words, or a relative's
  ('Mum keeps saying "I want to die"'). The finding notes the quotes for the person reading it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from intake.config.schema import SafetyFile
from intake.taggers.phrases import PhraseHit, built_once, phrase_pattern

# Double quotation marks in the scripts we take feedback in ("", “”, „” in Polish, «»).
QUOTE_MARKS = "\"\u201c\u201d\u201e\u00ab\u00bb"
# Where a negation stops reaching: the end of a clause, or a quotation mark.
NEGATION_BOUNDARY = re.compile(rf"[.,!?;:\n{QUOTE_MARKS}]")
SENTENCE_BOUNDARY = re.compile(r"[.!?;\n]")
# A year written in figures, e.g. "in 2019": in the past when before the current year.
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# How far back (in characters) to look for the negation before a phrase.
NEGATION_REACH = 80


@dataclass(frozen=True)
class RiskFinding:
    """One risk phrase that still stands once negation is ruled out."""

    flag: str
    phrase: str
    start: int
    end: int
    past: str | None = None      # the words that put it in the past ("last year"), if any
    quoted: bool = False

    @property
    def evidence(self) -> str:
        """The phrase as staff see it, with what qualifies it."""
        notes = []
        if self.past:
            notes.append(f"in the past: {self.past}")
        if self.quoted:
            notes.append("in quotes")
        return f"{self.phrase} ({'; '.join(notes)})" if notes else self.phrase


def _everything(per_language: dict[str, list[str]]) -> list[str]:
    return [word for words in per_language.values() for word in words if word.strip()]


def _compiled(words: Iterable[str]) -> re.Pattern[str] | None:
    words = list(words)
    return re.compile(phrase_pattern(words), re.IGNORECASE) if words else None


class RiskReader:
    """Built once per safety configuration (see :func:`reader_for`), then shared."""

    def __init__(self, safety: SafetyFile) -> None:
        cues, bridges = _everything(safety.negations), _everything(safety.negation_bridges)
        self._governs: re.Pattern[str] | None = None
        if cues:
            bridge = rf"(?:\s+{phrase_pattern(bridges)})?" if bridges else ""
            self._governs = re.compile(rf"{phrase_pattern(cues)}{bridge}\s*$", re.IGNORECASE)
        self._past = _compiled(_everything(safety.past))
        self._present = _compiled(_everything(safety.present))

    def read(self, text: str, hits: Iterable[PhraseHit], year: int | None = None) -> list[RiskFinding]:
        """The findings among ``hits`` (the safety matcher's, for ``text``) that are not negated.

        ``year`` is the current year, so that "in 2019" can be read as the past."""
        findings = []
        for hit in hits:
            if hit.negated and self._negated(text, hit.start):
                continue
            findings.append(RiskFinding(hit.key, hit.phrase, hit.start, hit.end,
                                        past=self._in_the_past(text, hit, year),
                                        quoted=_quoted(text, hit.start)))
        return findings

    def _negated(self, text: str, start: int) -> bool:
        """Whether a negation governs the phrase starting at ``start`` (the matcher has already
        seen one near it; this checks it is right before the phrase, in the same clause)."""
        if self._governs is None:
            return False
        before = NEGATION_BOUNDARY.split(text[max(0, start - NEGATION_REACH):start])[-1]
        return self._governs.search(before) is not None

    def _in_the_past(self, text: str, hit: PhraseHit, year: int | None) -> str | None:
        begin = max((m.end() for m in SENTENCE_BOUNDARY.finditer(text, 0, hit.start)), default=0)
        ending = SENTENCE_BOUNDARY.search(text, hit.end)
        sentence = text[begin:ending.start() if ending else len(text)]
        if self._present is not None and self._present.search(sentence):
            return None
        if self._past is not None and (marker := self._past.search(sentence)):
            return " ".join(marker.group(0).casefold().split())
        if year is not None:
            for written in YEAR.finditer(sentence):
                if int(written.group(0)) < year:
                    return written.group(0)
        return None


def _quoted(text: str, start: int) -> bool:
    """Inside double quotation marks: an odd number of them stand before the phrase."""
    return sum(text.count(mark, 0, start) for mark in QUOTE_MARKS) % 2 == 1


def reader_for(safety: SafetyFile) -> RiskReader:
    """The reader for this configuration, built on first use."""
    return built_once(safety, lambda: RiskReader(safety), RiskReader)
