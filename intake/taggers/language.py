"""Language identification on short text, with langdetect at the core.

langdetect is restricted to the district's configured languages (fewer candidates, fewer
confusions, faster) and seeded so the same text always gives the same answer. Text with too few
letters to judge ("ok", "👍", a number) is ``und`` rather than a guess.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import langdetect
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from intake.config.schema import Language

UNDETERMINED = "und"
PROFILE_DIR = Path(os.path.dirname(langdetect.__file__)) / "profiles"
SEED = 0


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    confidence: float


@lru_cache(maxsize=1)
def available_profiles() -> frozenset[str]:
    return frozenset(path.name for path in PROFILE_DIR.iterdir())


@lru_cache(maxsize=8)
def _factory(profiles: tuple[str, ...]) -> DetectorFactory:
    factory = DetectorFactory()
    factory.seed = SEED
    factory.load_json_profile([(PROFILE_DIR / name).read_text("utf-8") for name in profiles])
    return factory


def count_letters(text: str) -> int:
    return sum(1 for char in text if unicodedata.category(char).startswith("L"))


class LanguageDetector:
    """Detects which configured language a text is in, or says it cannot tell."""

    def __init__(self, languages: Sequence[Language], min_letters: int = 3) -> None:
        self._code_for_profile = {
            lang.langdetect_profile: lang.code for lang in languages if lang.langdetect_profile
        }
        self._profiles = tuple(sorted(self._code_for_profile))
        self._min_letters = min_letters

    def detect(self, text: str) -> LanguageGuess:
        if count_letters(text) < self._min_letters or not self._profiles:
            return LanguageGuess(UNDETERMINED, 0.0)
        if len(self._profiles) == 1:
            return LanguageGuess(self._code_for_profile[self._profiles[0]], 1.0)
        detector = _factory(self._profiles).create()
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return LanguageGuess(UNDETERMINED, 0.0)
        return LanguageGuess(self._code_for_profile[best.lang], round(float(best.prob), 4))
