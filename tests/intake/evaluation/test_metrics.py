"""The arithmetic every benchmark figure rests on."""

from __future__ import annotations

import pytest

from intake.evaluation.metrics import Confusion, LabelReport, Tally, percent


def test_tally_accuracy() -> None:
    tally = Tally()
    assert tally.accuracy == 0.0
    for correct in (True, True, False, True):
        tally.add(correct)
    assert (tally.right, tally.total, tally.accuracy) == (3, 4, 0.75)


def test_confusion_precision_recall_f1() -> None:
    confusion = Confusion()
    confusion.add({"a", "b"}, {"a", "c"})   # a right, b wrong, c missed
    confusion.add({"c"}, {"c"})
    assert (confusion.true_positive, confusion.false_positive, confusion.false_negative) == (2, 1, 1)
    assert confusion.precision == pytest.approx(2 / 3)
    assert confusion.recall == pytest.approx(2 / 3)
    assert confusion.f1 == pytest.approx(2 / 3)


def test_nothing_predicted_and_nothing_expected_is_perfect_not_a_division_by_zero() -> None:
    confusion = Confusion()
    confusion.add(set(), set())
    assert (confusion.precision, confusion.recall) == (1.0, 1.0)


def test_f1_is_zero_when_everything_is_wrong() -> None:
    confusion = Confusion()
    confusion.add({"a"}, {"b"})
    assert confusion.f1 == 0.0


def test_label_report_tracks_each_label_and_exact_matches() -> None:
    report = LabelReport()
    report.add({"gp"}, {"gp"})
    report.add({"gp", "dental"}, {"gp"})
    report.add(set(), {"maternity"})
    assert report.exact.right == 1 and report.exact.total == 3
    assert report.labels["gp"].precision == 1.0
    assert report.labels["dental"].precision == 0.0
    assert report.labels["maternity"].recall == 0.0
    assert report.macro_f1 == pytest.approx((1.0 + 0.0 + 0.0) / 3)


def test_percent_formats_one_decimal() -> None:
    assert percent(0.9667).strip() == "96.7%"
