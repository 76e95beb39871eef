"""Quiet hours: read from the settings, kept in local time (start included, end not), across
midnight or within a day, and when the quiet ends, always in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from intake.campaigns.quiet_hours import QuietHours
from intake.config.schema import CampaignSettings

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours(time(21, 0), time(8, 0), LONDON)


def local(year: int, month: int, day: int, hour: int, minute: int = 0,
          zone: ZoneInfo = LONDON) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def quiet(hours: str, zone: str = "Europe/London") -> QuietHours:
    return QuietHours.from_settings(CampaignSettings(quiet_hours=hours, timezone=zone))


def test_from_settings_reads_the_range_and_the_zone() -> None:
    assert quiet("22:15-07:45", "Europe/Warsaw") == QuietHours(
        time(22, 15), time(7, 45), ZoneInfo("Europe/Warsaw"))
    assert QuietHours.from_settings(CampaignSettings()) == NIGHT


def test_it_reads_as_a_range_of_local_times() -> None:
    assert str(quiet("21:00-08:00")) == "21:00 to 08:00"
    assert str(quiet("07:05-09:30")) == "07:05 to 09:30"


@pytest.mark.parametrize(("moment", "inside"), [
    (local(2026, 11, 2, 20, 59), False),
    (local(2026, 11, 2, 21, 0), True),      # the start is quiet
    (local(2026, 11, 2, 23, 59), True),
    (local(2026, 11, 3, 0, 0), True),
    (local(2026, 11, 3, 7, 59), True),
    (local(2026, 11, 3, 8, 0), False),      # the end is not
    (local(2026, 11, 3, 12, 0), False),
])
def test_night_quiet_hours_across_midnight(moment: datetime, inside: bool) -> None:
    assert NIGHT.contains(moment) is inside


@pytest.mark.parametrize(("moment", "inside"), [
    (local(2026, 11, 2, 11, 59), False),
    (local(2026, 11, 2, 12, 0), True),
    (local(2026, 11, 2, 12, 59), True),
    (local(2026, 11, 2, 13, 0), False),
    (local(2026, 11, 2, 0, 30), False),     # not "across midnight" when start < end
])
def test_quiet_hours_within_a_day(moment: datetime, inside: bool) -> None:
    assert quiet("12:00-13:00").contains(moment) is inside


def test_the_zone_of_the_moment_given_does_not_matter() -> None:
    """21:30 in London is 02:30 the next day at UTC+5: the same moment, the same answer."""
    at_london = local(2026, 11, 2, 21, 30)
    elsewhere = at_london.astimezone(timezone(timedelta(hours=5)))
    assert elsewhere.hour == 2
    assert NIGHT.contains(elsewhere) and NIGHT.not_before(elsewhere) == NIGHT.not_before(at_london)


def test_the_configured_zone_is_the_one_used() -> None:
    """20:30 UTC in November is 21:30 in Warsaw (quiet there) but 20:30 in London (not)."""
    moment = datetime(2026, 11, 2, 20, 30, tzinfo=UTC)
    assert quiet("21:00-08:00", "Europe/Warsaw").contains(moment)
    assert not quiet("21:00-08:00").contains(moment)
    assert quiet("21:00-08:00", "Europe/Warsaw").not_before(moment) == datetime(
        2026, 11, 3, 7, 0, tzinfo=UTC)


def test_not_before_is_none_outside_quiet_hours() -> None:
    assert NIGHT.not_before(local(2026, 11, 2, 20, 59)) is None
    assert NIGHT.not_before(local(2026, 11, 3, 8, 0)) is None


@pytest.mark.parametrize("moment", [local(2026, 11, 2, 21, 0), local(2026, 11, 2, 23, 59)])
def test_in_the_evening_quiet_ends_the_next_morning(moment: datetime) -> None:
    assert NIGHT.not_before(moment) == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("moment", [local(2026, 11, 3, 0, 0), local(2026, 11, 3, 7, 59)])
def test_after_midnight_quiet_ends_the_same_morning(moment: datetime) -> None:
    assert NIGHT.not_before(moment) == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_not_before_is_given_in_utc() -> None:
    until = NIGHT.not_before(local(2026, 7, 1, 23, 0))
    assert until is not None and until.utcoffset() == timedelta(0)
    assert until == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)     # 08:00 BST


def test_the_night_the_clocks_go_forward_ends_at_eight_summer_time() -> None:
    """29 March 2026: 22:00 GMT on the 28th waits for 08:00 BST, which is 07:00 UTC."""
    assert NIGHT.not_before(datetime(2026, 3, 28, 22, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC)


def test_quiet_hours_ending_at_midnight() -> None:
    late = quiet("22:00-00:00")
    assert late.contains(local(2026, 11, 2, 23, 0))
    assert not late.contains(local(2026, 11, 3, 0, 0))
    assert late.not_before(local(2026, 11, 2, 22, 0)) == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)


def test_quiet_hours_starting_at_midnight() -> None:
    early = quiet("00:00-06:00")
    assert early.contains(local(2026, 11, 3, 0, 0))
    assert not early.contains(local(2026, 11, 2, 23, 59))
    assert early.not_before(local(2026, 11, 3, 5, 0)) == datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


def test_quiet_hours_ending_in_the_repeated_hour_end_after_the_moment() -> None:
    """25 October 2026: 01:00-02:00 happens twice. At 01:10 GMT (the second time) quiet hours
    ending at 01:30 end at 01:30 GMT, twenty minutes later, not at 01:30 BST, already past."""
    moment = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)         # 01:10 GMT
    ending = quiet("23:00-01:30")
    assert ending.contains(moment)
    assert ending.not_before(moment) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
