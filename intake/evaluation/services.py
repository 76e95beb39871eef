"""Service tagging measured on real Friends and Family Test comments from two NHS trusts.

``feedback_themes/v6_dev.csv`` records which service each comment was about (``Service type 1``).
Many comments never name it ("Nothing", "Very good"), so what matters is precision (when we tag,
are we right?) and coverage (how often we dare to): abstaining is the right answer for "Nothing".
The learned model is trained on a fixed four-fifths of the rows (by a hash of the comment id) and
measured on the rest; keywords need no training and are measured on the same held-out rows.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intake.evaluation.metrics import Tally

# The trusts' service types, in the district's taxonomy (intake/config/services.toml).
SERVICE_TYPES = {
    "PTS\xa0 - Patient Transport": "patient-transport",
    "PTS - Patient Transport": "patient-transport",
    "See and Convey": "ambulance",
    "111": "nhs-111",
    "Local partnerships- MH": "mental-health",
    "Forensic": "mental-health",
    "Community health services": "community-health",
}


@dataclass(frozen=True)
class ServiceCase:
    comment_id: str
    text: str
    service: str

    @property
    def held_out(self) -> bool:
        return int(hashlib.sha256(self.comment_id.encode()).hexdigest(), 16) % 5 == 0


def read_cases(path: Path) -> list[ServiceCase]:
    """Comments with text and a known service type."""
    cases = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("FFT answer") or "").strip()
            service = SERVICE_TYPES.get((row.get("Service type 1") or "").strip("\u00a0 ").strip()) \
                or SERVICE_TYPES.get(row.get("Service type 1") or "")
            if text and service:
                cases.append(ServiceCase(row["Comment ID"], text, service))
    return cases


@dataclass
class ServiceResult:
    """Precision of the tags given, coverage (share of cases tagged) and speed."""

    name: str
    tagged: Tally = field(default_factory=Tally)      # right / tagged
    cases: int = 0
    seconds: float = 0.0
    by_service: dict[str, Tally] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tagged.accuracy

    @property
    def coverage(self) -> float:
        return self.tagged.total / self.cases if self.cases else 0.0

    @property
    def recall(self) -> float:
        return self.tagged.right / self.cases if self.cases else 0.0

    @property
    def texts_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def measure(name: str, tag: Callable[[str], str | None], cases: Sequence[ServiceCase]) -> ServiceResult:
    result = ServiceResult(name, cases=len(cases))
    started = time.perf_counter()
    answers = [tag(case.text) for case in cases]
    result.seconds = time.perf_counter() - started
    for case, answer in zip(cases, answers, strict=True):
        if answer is not None:
            result.tagged.add(answer == case.service)
            result.by_service.setdefault(answer, Tally()).add(answer == case.service)
    return result
