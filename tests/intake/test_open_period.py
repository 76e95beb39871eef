"""When a consultation takes answers: only with the open status, from its opening moment
(included) to its closing moment (excluded), either bound optional."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.open_period import OPEN, is_open
from intake.storage.models import ConsultationStatus

OPENS = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def test_the_open_status_is_the_stored_value() -> None:
    assert OPEN == ConsultationStatus.OPEN == "open"


@pytest.mark.parametrize(("moment", "expected"), [
    (OPENS - TICK, False),
    (OPENS, True),                    # the opening moment is in
    (OPENS + timedelta(days=10), True),
    (CLOSES - TICK, True),
    (CLOSES, False),                  # the closing moment is out
    (CLOSES + timedelta(days=1), False),
])
def test_an_open_consultation_takes_answers_within_its_dates(moment: datetime, expected: bool) -> None:
    assert is_open(OPEN, OPENS, CLOSES, moment) is expected


@pytest.mark.parametrize("status", ["planned", "closed", "reported", "", "OPEN", "Open", " open"])
def test_any_other_status_takes_nothing_even_within_its_dates(status: str) -> None:
    assert is_open(status, OPENS, CLOSES, OPENS + timedelta(days=1)) is False
    assert is_open(status, None, None, OPENS) is False


def test_without_an_opening_date_it_is_open_until_it_closes() -> None:
    assert is_open(OPEN, None, CLOSES, datetime(2000, 1, 1, tzinfo=UTC)) is True
    assert is_open(OPEN, None, CLOSES, CLOSES) is False


def test_without_a_closing_date_it_stays_open_from_its_opening() -> None:
    assert is_open(OPEN, OPENS, None, OPENS - TICK) is False
    assert is_open(OPEN, OPENS, None, datetime(2099, 1, 1, tzinfo=UTC)) is True


def test_with_no_dates_the_status_alone_decides() -> None:
    assert is_open(ConsultationStatus.OPEN, None, None, OPENS) is True
    assert is_open(ConsultationStatus.CLOSED, None, None, OPENS) is False


def test_moments_in_other_zones_compare_as_the_same_instant() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert is_open(OPEN, OPENS, CLOSES, datetime(2026, 12, 1, 0, 30, tzinfo=paris)) is True   # 23:30 UTC
    assert is_open(OPEN, OPENS, CLOSES, datetime(2026, 12, 1, 1, 0, tzinfo=paris)) is False   # 00:00 UTC
