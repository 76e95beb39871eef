"""Which writing system a text is in, the strongest and cheapest signal there is.

Gurmukhi can only be Punjabi here and Bengali script only Bengali: a script that a single
configured language uses settles the question before any model is asked. Scripts are named by
their ISO 15924 codes, as in ``languages.toml``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

# The first word of a character's Unicode name, for the scripts a district is likely to meet.
_SCRIPT_BY_NAME_PREFIX = {
    "LATIN": "Latn", "ARABIC": "Arab", "GURMUKHI": "Guru", "BENGALI": "Beng",
    "GUJARATI": "Gujr", "DEVANAGARI": "Deva", "CJK": "Hani", "CYRILLIC": "Cyrl",
    "GREEK": "Grek", "HEBREW": "Hebr", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda",
    "MALAYALAM": "Mlym", "SINHALA": "Sinh", "THAI": "Thai", "HANGUL": "Hang",
    "HIRAGANA": "Hira", "KATAKANA": "Kana", "ETHIOPIC": "Ethi", "ARMENIAN": "Armn",
    "GEORGIAN": "Geor", "KHMER": "Khmr", "MYANMAR": "Mymr", "TIBETAN": "Tibt", "ORIYA": "Orya",
}
KNOWN_SCRIPTS = frozenset(_SCRIPT_BY_NAME_PREFIX.values())


@lru_cache(maxsize=8192)
def script_of(char: str) -> str | None:
    """The ISO 15924 code of a letter's script, or None for anything that is not a letter."""
    if not unicodedata.category(char).startswith("L"):
        return None
    prefix = unicodedata.name(char, "").split(" ", 1)[0]
    return _SCRIPT_BY_NAME_PREFIX.get(prefix, "Zyyy")


@dataclass(frozen=True)
class ScriptCensus:
    """How many letters of each script a text has."""

    letters: int
    counts: tuple[tuple[str, int], ...]

    @property
    def dominant(self) -> str | None:
        return self.counts[0][0] if self.counts else None


def census(text: str) -> ScriptCensus:
    counts = Counter(script for script in map(script_of, text) if script is not None)
    ordered = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return ScriptCensus(sum(counts.values()), ordered)
