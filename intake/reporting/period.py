"""The span a report covers: whole days in England, split into weeks or months for the charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from intake.staff.dates import end_of_day, show_date, start_of_day

Granularity = Literal["week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("week", "month")
# Up to this many days the charts go week by week; a longer period goes month by month.
WEEKLY_UP_TO_DAYS = 92
# A report longer than this is a different question (a trend study, not an assurance report), and
# a year of weeks is already as many points as a chart can show legibly.
LONGEST_DAYS = 3 * 366


class PeriodError(ValueError):
    """The dates cannot make a report; the message says what to change."""


@dataclass(frozen=True)
class Bucket:
    """One point of an over-time chart: the days ``first`` to ``last``, both included."""

    first: date
    last: date
    label: str          # short, for a chart's axis: "7 Sep" or "Sep 2026"


@dataclass(frozen=True)
class ReportPeriod:
    """From ``first`` to ``last``, both days included, in England's time."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError("The end date must be the same as or after the start date.")
        if self.days > LONGEST_DAYS:
            raise PeriodError("A report can cover at most three years. Choose a shorter period.")

    @classmethod
    def parse(cls, first: str, last: str) -> ReportPeriod:
        """From two dates written as 2026-09-01 (what a date field and the CLI send)."""
        return cls(_day(first, "start"), _day(last, "end"))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def since(self) -> datetime:
        return start_of_day(self.first)

    @property
    def until(self) -> datetime:
        """The first moment after the period (exclusive), as feedback filters take it."""
        return end_of_day(self.last)

    @property
    def title(self) -> str:
        return f"{show_date(self.first)} to {show_date(self.last)}"

    @property
    def slug(self) -> str:
        """For file names: 2026-09-01-to-2026-10-31."""
        return f"{self.first.isoformat()}-to-{self.last.isoformat()}"

    def natural_granularity(self) -> Granularity:
        return "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"

    def buckets(self, granularity: Granularity) -> list[Bucket]:
        """Weeks (Monday to Sunday) or calendar months; the first and last are cut to the period."""
        buckets: list[Bucket] = []
        start = self.first
        while start <= self.last:
            if granularity == "week":
                end = start + timedelta(days=6 - start.weekday())
                label = f"{start.day} {start:%b}"
            else:
                end = _next_month(start) - timedelta(days=1)
                label = f"{start:%b %Y}"
            end = min(end, self.last)
            buckets.append(Bucket(start, end, label))
            start = end + timedelta(days=1)
        return buckets


def default_period(today: date) -> ReportPeriod:
    """The two most recent whole calendar months before ``today`` (the governing body meets every
    two months and hears about the two months just ended)."""
    this_month = today.replace(day=1)
    first = _previous_month(_previous_month(this_month))
    return ReportPeriod(first, this_month - timedelta(days=1))


def _day(text: str, which: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"The {which} date must be a real date written like 2026-09-01.") from None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _previous_month(first_of_month: date) -> date:
    if first_of_month.month == 1:
        return date(first_of_month.year - 1, 12, 1)
    return date(first_of_month.year, first_of_month.month - 1, 1)
