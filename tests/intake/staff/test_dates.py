"""Days as the team means them: days in England, stored as UTC instants, the same whatever the
server's own clock zone, and right on the days the clocks change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from intake.staff.dates import LONDON, end_of_day, last_day, local_date, show_date, show_moment, start_of_day

SPRING_FORWARD = date(2026, 3, 29)   # 01:00 GMT becomes 02:00 BST
FALL_BACK = date(2026, 10, 25)       # 02:00 BST becomes 01:00 GMT
HOUR = timedelta(hours=1)


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Kolkata"])
def server_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's local zone set to somewhere other than England."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_zone_is_england() -> None:
    assert str(LONDON) == "Europe/London"


@pytest.mark.parametrize(("moment", "day"), [
    (utc(2026, 11, 2, 23, 30), date(2026, 11, 2)),      # winter: England is on UTC
    (utc(2026, 6, 30, 23, 30), date(2026, 7, 1)),       # summer: already the next day in England
    (utc(2026, 6, 30, 22, 59), date(2026, 6, 30)),
    (utc(2026, 3, 29, 0, 59), date(2026, 3, 29)),
])
def test_local_date_is_the_day_in_england(moment: datetime, day: date) -> None:
    assert local_date(moment) == day


def test_a_day_starts_at_local_midnight() -> None:
    assert start_of_day(date(2026, 11, 3)) == utc(2026, 11, 3, 0, 0)
    assert start_of_day(date(2026, 7, 1)) == utc(2026, 6, 30, 23, 0)
    assert start_of_day(date(2026, 7, 1)).utcoffset() == timedelta(0)


def test_a_day_ends_where_the_next_one_starts() -> None:
    assert end_of_day(date(2026, 6, 30)) == start_of_day(date(2026, 7, 1)) == utc(2026, 6, 30, 23, 0)
    assert end_of_day(date(2026, 12, 31)) == utc(2027, 1, 1, 0, 0)


def test_the_days_the_clocks_change_are_23_and_25_hours_long() -> None:
    assert end_of_day(SPRING_FORWARD) - start_of_day(SPRING_FORWARD) == 23 * HOUR
    assert end_of_day(FALL_BACK) - start_of_day(FALL_BACK) == 25 * HOUR
    assert end_of_day(date(2026, 3, 28)) - start_of_day(date(2026, 3, 28)) == 24 * HOUR


def test_a_period_closing_at_the_end_of_30_march_closes_at_local_midnight() -> None:
    assert end_of_day(date(2026, 3, 30)) == utc(2026, 3, 30, 23, 0)
    assert last_day(utc(2026, 3, 30, 23, 0)) == date(2026, 3, 30)


def test_every_day_of_a_year_round_trips() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        start, end = start_of_day(day), end_of_day(day)
        assert local_date(start) == day and local_date(end) == day + timedelta(days=1)
        assert local_date(end - timedelta(microseconds=1)) == day
        assert last_day(end) == day
        assert end == start_of_day(day + timedelta(days=1))
        day += timedelta(days=1)


def test_last_day_excludes_the_end_itself() -> None:
    assert last_day(utc(2026, 11, 4, 0, 0)) == date(2026, 11, 3)
    assert last_day(utc(2026, 11, 4, 0, 0, 1)) == date(2026, 11, 4)


def test_the_calendars_last_day_ends_at_the_end_of_time() -> None:
    end = end_of_day(date.max)
    assert end == datetime.max.replace(tzinfo=UTC)
    assert end > start_of_day(date.max)
    assert last_day(end) == date.max
    assert end_of_day(date.max - timedelta(days=1)) == start_of_day(date.max)


def test_days_do_not_depend_on_the_servers_zone(server_zone: str) -> None:
    assert start_of_day(date(2026, 7, 1)) == utc(2026, 6, 30, 23, 0)
    assert end_of_day(FALL_BACK) - start_of_day(FALL_BACK) == 25 * HOUR
    assert local_date(utc(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    assert last_day(utc(2026, 7, 1, 23, 0)) == date(2026, 7, 1)
    assert show_moment(utc(2026, 7, 1, 13, 5)) == "1 July 2026, 14:05"


@pytest.mark.parametrize(("day", "shown"), [
    (date(2026, 11, 3), "3 November 2026"),          # no leading zero
    (date(2026, 12, 25), "25 December 2026"),
    (None, ""),
])
def test_show_date(day: date | None, shown: str) -> None:
    assert show_date(day) == shown


@pytest.mark.parametrize(("moment", "shown"), [
    (utc(2026, 11, 3, 14, 5), "3 November 2026, 14:05"),
    (utc(2026, 7, 1, 13, 5), "1 July 2026, 14:05"),        # British Summer Time
    (utc(2026, 6, 30, 23, 30), "1 July 2026, 00:30"),      # the day in England, not in UTC
    (datetime(2026, 11, 3, 9, 0, tzinfo=LONDON), "3 November 2026, 09:00"),
    (None, ""),
])
def test_show_moment_is_in_englands_time(moment: datetime | None, shown: str) -> None:
    assert show_moment(moment) == shown
