"""Language identification: script, langdetect's profiles, word lists and priors."""

from intake.taggers.language.detector import (
    UNDETERMINED,
    DetectorSettings,
    LanguageDetector,
    LanguageGuess,
)
from intake.taggers.language.scripts import census

__all__ = ["UNDETERMINED", "DetectorSettings", "LanguageDetector", "LanguageGuess", "census"]
