"""Dates as the team means them: days in England, whatever the server's clock zone.

Timestamps are stored in UTC; a "day" on a form (a consultation opens on 3 November) is a day in
Europe/London, so a consultation closing "at the end of 30 March" closes at midnight local time
whether or not the clocks changed that weekend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in England, as an aware UTC timestamp."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """Midnight at the end of ``day`` in England (the first moment that is no longer ``day``).
    The calendar's last day has no next day: its end is the end of time."""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return start_of_day(day + timedelta(days=1))


def last_day(end: datetime) -> date:
    """The day a period ending (exclusively) at ``end`` last includes, in England."""
    return local_date(end - timedelta(microseconds=1))


def show_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def show_moment(moment: datetime | None) -> str:
    """"3 November 2026, 14:05" in England's time, for pages and reports."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y, %H:%M}"
