"""Needs, safety and privacy measured on the made-up cases in ``cases/`` (there is no public
labelled corpus of these; the cases are the issue's examples and their everyday variants)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from intake import pipeline
from intake.evaluation.metrics import Confusion, LabelReport
from intake.message import IncomingMessage
from intake.pipeline import Draft, PipelineContext

CASES_DIR = Path(__file__).parent / "cases"


def _rows(name: str) -> list[list[str]]:
    lines = (CASES_DIR / name).read_text("utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def _run(text: str, context: PipelineContext) -> Draft:
    return pipeline.run(IncomingMessage("benchmark", "case", text), context)


def warm_up(context: PipelineContext) -> None:
    """Load every lazily built model first, so the speed figures are per message, not start-up."""
    _run("warm up the models: my GP was kind", context)


@dataclass
class TaggerResult:
    name: str
    report: LabelReport = field(default_factory=LabelReport)
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def texts_per_second(self) -> float:
        return self.report.exact.total / self.seconds if self.seconds else 0.0


def measure_tags(name: str, kind: str, cases_file: str, context: PipelineContext) -> TaggerResult:
    """Multi-label precision/recall/F1 of one tag kind ("need" or "flag") over a cases file."""
    result = TaggerResult(name)
    for row in _rows(cases_file):
        text, expected = row[0], {v for v in (row[1] if len(row) > 1 else "").split(",") if v}
        started = time.perf_counter()
        draft = _run(text, context)
        result.seconds += time.perf_counter() - started
        found = {tag.value for tag in draft.tags_of(kind)}  # type: ignore[arg-type]
        result.report.add(found, expected)
        if found != expected:
            result.misses.append(f"{text!r}: expected {sorted(expected)}, got {sorted(found)}")
    return result


def measure_privacy(context: PipelineContext) -> TaggerResult:
    """Recall = sensitive strings removed; precision = innocent strings kept intact."""
    result = TaggerResult("privacy")
    for row in _rows("privacy.tsv"):
        text = row[0]
        secret = [s for s in (row[1] if len(row) > 1 else "").split("|") if s]
        innocent = [s for s in (row[2] if len(row) > 2 else "").split("|") if s]
        started = time.perf_counter()
        redacted = _run(text, context).redacted_text
        result.seconds += time.perf_counter() - started
        confusion = Confusion(
            true_positive=sum(s not in redacted for s in secret),
            false_negative=sum(s in redacted for s in secret),
            false_positive=sum(s not in redacted for s in innocent))
        overall = result.report.overall
        overall.true_positive += confusion.true_positive
        overall.false_negative += confusion.false_negative
        overall.false_positive += confusion.false_positive
        result.report.exact.add(confusion.false_negative == 0 and confusion.false_positive == 0)
        if confusion.false_negative or confusion.false_positive:
            result.misses.append(f"{text!r} -> {redacted!r}")
    return result
