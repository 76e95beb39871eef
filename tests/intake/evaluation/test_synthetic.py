"""The committed synthetic cases run through the real pipeline and are scored."""

from __future__ import annotations

from intake.config import Config
from intake.evaluation import synthetic
from intake.pipeline import PipelineContext


def test_every_case_file_parses_into_text_and_expectations() -> None:
    for name in ("needs.tsv", "safety.tsv", "privacy.tsv"):
        rows = synthetic._rows(name)
        assert len(rows) >= 10
        assert all(row[0].strip() for row in rows)


def test_needs_and_safety_are_scored_against_the_expected_labels(config: Config) -> None:
    context = PipelineContext.offline(config)
    needs = synthetic.measure_tags("needs", "need", "needs.tsv", context)
    assert needs.report.exact.total == len(synthetic._rows("needs.tsv"))
    assert needs.report.overall.true_positive > 0
    assert len(needs.misses) == needs.report.exact.total - needs.report.exact.right
    safety = synthetic.measure_tags("safety", "flag", "safety.tsv", context)
    assert safety.report.overall.recall > 0.5


def test_privacy_counts_a_leak_as_a_miss_and_a_mangled_innocent_word_as_a_false_alarm(
        config: Config, monkeypatch) -> None:
    context = PipelineContext.offline(config)
    monkeypatch.setattr(synthetic, "_rows", lambda name: [
        ["call 07700 900123 now", "07700 900123", "now"],          # caught
        ["my cat Fluffy bit the vet", "Fluffy", "bit the vet"],     # a secret no rule knows
        ["my name is Jan and 07700 900123", "", "Jan"],             # an innocent word removed
    ])
    result = synthetic.measure_privacy(context)
    overall = result.report.overall
    assert (overall.true_positive, overall.false_negative, overall.false_positive) == (1, 1, 1)
    assert result.report.exact.right == 1
    assert len(result.misses) == 2
