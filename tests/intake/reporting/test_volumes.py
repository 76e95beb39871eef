"""The reach figures and the over-time buckets, counted by the database, are what counting each
item in Python gives: at the edges of weeks and months in UK time too."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from intake.reporting.period import Granularity, ReportPeriod
from intake.reporting.volumes import reach
from intake.staff.dates import local_date, start_of_day
from intake.storage.database import make_sessions
from intake.storage.models import Feedback, Tag

# Across the clocks going back (25 October 2026), cut mid-week and mid-month.
PERIOD = ReportPeriod(date(2026, 9, 9), date(2026, 11, 11))


def edges(period: ReportPeriod, granularity: Granularity) -> list:  # type: ignore[type-arg]
    """A microsecond either side of each bucket's first moment, and of the period's ends."""
    starts = [start_of_day(b.first) for b in period.buckets(granularity)] + [period.until]
    return [moment + shift for moment in starts
            for shift in (-timedelta(microseconds=1), timedelta(0), timedelta(hours=13))]


@pytest.fixture
def session(engine: Engine):  # type: ignore[no-untyped-def]
    with make_sessions(engine)() as session:
        yield session


def add(session: Session, number: int, moment, tags: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    item = Feedback(reference=f"FB-{number:06d}", channel="sms", text="t", redacted_text="t",
                    received_at=moment, pipeline_version="test")
    item.tags = [Tag(kind=kind, value=value, confidence=1.0, source="auto") for kind, value in tags]
    session.add(item)


@pytest.mark.parametrize("granularity", ["week", "month"])
def test_buckets_are_the_uk_days_of_each_item(session: Session, granularity: Granularity) -> None:
    moments = edges(PERIOD, granularity)
    mixes = [[], [("need", "easy-read")], [("language", "pl")], [("language", "en")],
             [("need", "bsl-interpreter"), ("language", "ur")]]
    for number, moment in enumerate(moments):
        add(session, number, moment, mixes[number % len(mixes)])
    session.flush()

    buckets = PERIOD.buckets(granularity)
    expected: Counter[tuple[date, int]] = Counter()
    for number, moment in enumerate(moments):
        if not PERIOD.since <= moment < PERIOD.until:
            continue
        first = next(b.first for b in buckets if b.first <= local_date(moment) <= b.last)
        mix = mixes[number % len(mixes)]
        expected[first, 0] += 1
        expected[first, 1] += any(kind == "need" for kind, _ in mix)
        expected[first, 2] += any(kind == "language" and value not in ("en", "und")
                                  for kind, value in mix)
    found = reach(session, PERIOD, granularity)
    assert found.over_time == [tuple(expected[b.first, i] for i in range(3)) for b in buckets]
    assert found.items == sum(expected[b.first, 0] for b in buckets)
    assert found.people == 0
