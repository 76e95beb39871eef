"""Report periods: whole days in UK time, the default two months, weeks and months for charts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.reporting.period import PeriodError, ReportPeriod, default_period


def test_the_default_is_the_two_whole_months_just_ended() -> None:
    assert default_period(date(2026, 11, 2)) == ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))
    assert default_period(date(2027, 1, 31)) == ReportPeriod(date(2026, 11, 1), date(2026, 12, 31))
    assert default_period(date(2027, 2, 1)) == ReportPeriod(date(2026, 12, 1), date(2027, 1, 31))


def test_days_are_uk_days_whatever_the_clocks_did() -> None:
    summer = ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))
    assert summer.since == datetime(2026, 8, 31, 23, 0, tzinfo=UTC)     # BST: midnight is 23:00 UTC
    assert summer.until == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)      # GMT again by then
    assert summer.days == 61
    assert summer.title == "1 September 2026 to 31 October 2026"
    assert summer.slug == "2026-09-01-to-2026-10-31"


def test_weeks_run_monday_to_sunday_and_are_cut_to_the_period() -> None:
    period = ReportPeriod(date(2026, 9, 1), date(2026, 9, 16))     # a Tuesday to a Wednesday
    buckets = period.buckets("week")
    assert [(b.first, b.last) for b in buckets] == [
        (date(2026, 9, 1), date(2026, 9, 6)), (date(2026, 9, 7), date(2026, 9, 13)),
        (date(2026, 9, 14), date(2026, 9, 16))]
    assert [b.label for b in buckets] == ["1 Sep", "7 Sep", "14 Sep"]


def test_months_cross_the_year_end() -> None:
    buckets = ReportPeriod(date(2026, 11, 15), date(2027, 2, 10)).buckets("month")
    assert [(b.first, b.last, b.label) for b in buckets] == [
        (date(2026, 11, 15), date(2026, 11, 30), "Nov 2026"),
        (date(2026, 12, 1), date(2026, 12, 31), "Dec 2026"),
        (date(2027, 1, 1), date(2027, 1, 31), "Jan 2027"),
        (date(2027, 2, 1), date(2027, 2, 10), "Feb 2027")]


def test_short_periods_go_by_week_and_long_ones_by_month() -> None:
    assert ReportPeriod(date(2026, 9, 1), date(2026, 10, 31)).natural_granularity() == "week"
    assert ReportPeriod(date(2026, 1, 1), date(2026, 6, 30)).natural_granularity() == "month"


@pytest.mark.parametrize("first, last, message", [
    ("2026-10-01", "2026-09-01", "end date must be the same as or after"),
    ("2026-02-30", "2026-03-01", "start date must be a real date"),
    ("2026-09-01", "31/10/2026", "end date must be a real date"),
    ("2020-01-01", "2026-01-01", "at most three years"),
])
def test_a_period_that_cannot_be_is_refused_with_a_reason(first: str, last: str,
                                                          message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        ReportPeriod.parse(first, last)
