"""Language identification measured on real short texts, beside plain langdetect in the same run.

The cases are ``langid/dev_cases.tsv`` from the shared data (18 languages x sentence / word pair /
word). The detector's weights were chosen on the odd-numbered cases, so the even-numbered half is
reported separately as the honest figure; plain langdetect (seed 0, all its profiles, as a
project would use it out of the box) is the baseline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import langdetect
from langdetect.lang_detect_exception import LangDetectException

from intake.evaluation.metrics import Tally
from intake.taggers.language import LanguageDetector

KINDS = ("sentence", "word_pair", "word")


@dataclass(frozen=True)
class LanguageCase:
    number: int
    language: str
    kind: str
    text: str


def read_cases(path: Path) -> list[LanguageCase]:
    cases = []
    with path.open(encoding="utf-8") as handle:
        next(handle)  # header: iso639_1, kind, text
        for number, line in enumerate(handle):
            language, kind, text = line.rstrip("\n").split("\t", 2)
            cases.append(LanguageCase(number, language, kind, text))
    return cases


@dataclass
class LanguageResult:
    """Accuracy by kind, by language and kind, and on each half of the cases; and speed."""

    name: str
    by_kind: dict[str, Tally] = field(default_factory=dict)
    by_language: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_half: dict[tuple[str, str], Tally] = field(default_factory=dict)
    confusions: dict[tuple[str, str, str], int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def texts_per_second(self) -> float:
        total = sum(t.total for t in self.by_kind.values())
        return total / self.seconds if self.seconds else 0.0


def measure(name: str, detect: Callable[[str], str], cases: Iterable[LanguageCase]) -> LanguageResult:
    result = LanguageResult(name)
    answers = []
    started = time.perf_counter()
    for case in cases:
        answers.append((case, detect(case.text)))
    result.seconds = time.perf_counter() - started
    for case, answer in answers:
        right = answer == case.language
        result.by_kind.setdefault(case.kind, Tally()).add(right)
        result.by_language.setdefault((case.language, case.kind), Tally()).add(right)
        half = "tuning (odd)" if case.number % 2 else "held out (even)"
        result.by_half.setdefault((half, case.kind), Tally()).add(right)
        if not right:
            key = (case.kind, case.language, answer)
            result.confusions[key] = result.confusions.get(key, 0) + 1
    return result


def plain_langdetect(text: str) -> str:
    """langdetect as it comes: every profile, seeded so the run is repeatable."""
    langdetect.DetectorFactory.seed = 0
    try:
        return langdetect.detect(text).split("-")[0]
    except LangDetectException:
        return "und"


def ours(detector: LanguageDetector) -> Callable[[str], str]:
    return lambda text: detector.detect(text).code


MEMORY_PROBE = """
import json, sys
from intake.config import load_config
from intake.pipeline import Taggers
from intake.evaluation.language import read_cases
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
before = rss("VmRSS:")
detector = Taggers(load_config()).language
for case in read_cases(__import__("pathlib").Path(sys.argv[1])):
    detector.detect(case.text)
print(json.dumps({"before_mb": before, "resident_mb": rss("VmRSS:"), "peak_mb": rss("VmHWM:")}))
"""


def resident_memory(cases_path: Path) -> dict[str, float] | None:
    """Resident memory of a fresh process that loaded the detector and ran every case (Linux)."""
    if not Path("/proc/self/status").exists():
        return None
    # Warm the on-disk model cache first, so the figure is a worker's, not a first build's.
    subprocess.run([sys.executable, "-c", "from intake.config import load_config;"
                    "from intake.pipeline import Taggers;"
                    "Taggers(load_config()).language.detect('warm the cache')"], check=True)
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(cases_path)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
