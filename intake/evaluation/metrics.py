"""Counting right and wrong answers, the same way for every tagger."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Tally:
    """Accuracy over a set of cases: how many were right out of how many."""

    right: int = 0
    total: int = 0

    def add(self, correct: bool) -> None:
        self.right += int(correct)
        self.total += 1

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class Confusion:
    """True and false positives and false negatives for one label (or micro-averaged)."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, predicted: set[str], expected: set[str]) -> None:
        self.true_positive += len(predicted & expected)
        self.false_positive += len(predicted - expected)
        self.false_negative += len(expected - predicted)

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class LabelReport:
    """Micro-averaged and per-label confusion for a multi-label tagger."""

    overall: Confusion = field(default_factory=Confusion)
    labels: dict[str, Confusion] = field(default_factory=dict)
    exact: Tally = field(default_factory=Tally)

    def add(self, predicted: set[str], expected: set[str]) -> None:
        self.overall.add(predicted, expected)
        self.exact.add(predicted == expected)
        for label in predicted | expected:
            self.labels.setdefault(label, Confusion()).add(predicted & {label}, expected & {label})

    @property
    def macro_f1(self) -> float:
        scores = [c.f1 for c in self.labels.values()]
        return sum(scores) / len(scores) if scores else 0.0


def percent(value: float) -> str:
    return f"{100 * value:5.1f}%"
