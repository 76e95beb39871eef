"""Tracker items and consultations for a report period, counted from the database: which items
and consultations belong, the rating each had at the start and the end, the order, and labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from intake.config import Config
from intake.feedback_query import FeedbackFilters
from intake.reporting.engagement import (
    NOT_RATED,
    Ratings,
    consultations_table,
    tracker_in_period,
    tracker_tables,
)
from intake.reporting.period import ReportPeriod
from intake.staff.labels import Labels
from intake.storage.database import make_sessions
from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    RagRatingChange,
    TrackerItem,
)
from tests.conftest import FIXED_NOW

PERIOD = ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))
FILTERS = FeedbackFilters(since=PERIOD.since, until=PERIOD.until)
TICK = timedelta(microseconds=1)
BEFORE = datetime(2026, 7, 1, 9, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessions(engine)() as session:
        yield session


def item(session: Session, title: str, rating: str = "amber", created_at: datetime = BEFORE,
         history: tuple[tuple[str, str, datetime], ...] = (), **fields: object) -> TrackerItem:
    tracker = TrackerItem(title=title, rag_rating=rating, created_at=created_at, **fields)
    tracker.rating_history += [RagRatingChange(rating=r, note=note, changed_by="staff:a@example.test",
                                               changed_at=when) for r, note, when in history]
    session.add(tracker)
    session.flush()
    return tracker


def consultation(session: Session, slug: str, status: str = "open", opens_at: datetime | None = None,
                 closes_at: datetime | None = None, created_at: datetime = BEFORE) -> Consultation:
    found = Consultation(slug=slug, title=slug.replace("-", " ").capitalize(), status=status,
                         opens_at=opens_at, closes_at=closes_at, created_at=created_at)
    session.add(found)
    session.flush()
    return found


def feedback(session: Session, number: int, received_at: datetime) -> Feedback:
    made = Feedback(reference=f"FB-{number:06d}", channel="web", text="t", redacted_text="t",
                    received_at=received_at, pipeline_version="test")
    session.add(made)
    session.flush()
    return made


def titles(items: list[TrackerItem]) -> set[str]:
    return {i.title for i in items}


# --- which tracker items belong, and the ratings they had -----------------------------------------


def test_items_made_before_the_end_and_not_completed_before_the_start_belong(session: Session) -> None:
    item(session, "Made during", created_at=at("2026-10-31T23:59:59"))
    item(session, "Made at the first moment after", created_at=PERIOD.until)
    item(session, "Made long before", created_at=at("2020-01-01T00:00:00"))
    item(session, "Done the day before", status="completed", completed_date=date(2026, 8, 31))
    item(session, "Done on the first day", status="completed", completed_date=date(2026, 9, 1))
    item(session, "Completed with no date", status="completed")
    item(session, "Paused", status="paused", completed_date=date(2026, 1, 1))
    assert titles(tracker_in_period(session, PERIOD)) == {
        "Made during", "Made long before", "Done on the first day", "Completed with no date", "Paused"}


def test_rating_at_a_moment_is_the_last_change_strictly_before_it(session: Session) -> None:
    changed, twice = at("2026-09-20T12:00:00"), at("2026-10-05T09:00:00")
    tracked = item(session, "Phones", rating="green", history=(
        ("amber", "Opened", at("2026-08-01T09:00:00")),
        ("red", "Waits got longer", changed),
        ("amber", "Reviewed", twice), ("red", "Reviewed again", twice),   # same moment: in the order made
        ("green", "After the period", at("2026-11-01T09:00:00"))))
    new = item(session, "New", rating="red", created_at=changed, history=(("red", "First rating", changed),))
    ratings = Ratings(session, [tracked, new], PERIOD.until)

    assert ratings.at(tracked, changed) == ("amber", "Opened")
    assert ratings.at(tracked, changed + TICK) == ("red", "Waits got longer")
    assert ratings.at(tracked, PERIOD.until) == ("red", "Reviewed again")
    # Changes from the end of the period on are not read, whatever moment is asked about.
    assert ratings.at(tracked, FIXED_NOW) == ("red", "Reviewed again")
    # Before its first rating an item has none; one item's history is not another's.
    assert ratings.at(new, changed) == (None, "")
    assert ratings.at(new, PERIOD.until) == ("red", "First rating")


def test_an_item_without_history_keeps_its_stored_rating_throughout(session: Session) -> None:
    legacy = item(session, "Legacy", rating="green")
    other = item(session, "Other", history=(("red", "r", at("2026-08-01T09:00:00")),))
    ratings = Ratings(session, [legacy, other], PERIOD.until)
    assert ratings.at(legacy, at("2000-01-01T00:00:00")) == ("green", "")
    assert ratings.at(legacy, PERIOD.until) == ("green", "")


def test_an_item_first_rated_after_the_period_was_not_rated_during_it(session: Session) -> None:
    tracked = item(session, "Rated later", rating="green",
                   history=(("green", "First rating", at("2026-11-01T09:00:00")),))
    rating, _ = Ratings(session, [tracked], PERIOD.until).at(tracked, PERIOD.until)
    assert rating is None


# --- the three tracker tables ---------------------------------------------------------------------


def test_an_empty_database_gives_empty_tables_with_their_messages(session: Session, config: Config) -> None:
    summary, detail, examples = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    consultations = consultations_table(session, PERIOD, FILTERS, FIXED_NOW)
    assert (summary.rows, detail.rows, examples.rows, consultations.rows) == ((), (), (), ())
    assert summary.empty == detail.empty == "No tracker items in this period."
    assert consultations.empty == "No consultations ran in this period."
    assert [t.name for t in (summary, detail, examples, consultations)] == [
        "tracker_ratings", "tracker", "you_said_we_did", "consultations"]


def test_items_are_ordered_red_amber_green_then_by_title(session: Session, config: Config) -> None:
    for title, rating in [("b green", "green"), ("Zed red", "red"), ("a green", "green"),
                          ("amber", "amber"), ("A red", "red")]:
        item(session, title, rating=rating)
    _, detail, _ = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    assert [row[0] for row in detail.rows] == ["A red", "Zed red", "amber", "a green", "b green"]


def test_not_rated_gets_a_row_only_when_an_item_was_not_rated(session: Session, config: Config) -> None:
    item(session, "Legacy", rating="red")
    summary, _, _ = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    assert summary.rows == (("Red", 1, 1), ("Amber", 0, 0), ("Green", 0, 0))

    made = at("2026-10-01T09:00:00")
    item(session, "New in the period", rating="green", created_at=made, history=(("green", "", made),))
    summary, detail, _ = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    assert summary.rows == (("Red", 1, 1), ("Amber", 0, 0), ("Green", 1, 0), (NOT_RATED, 0, 1))
    new = next(row for row in detail.rows if row[0] == "New in the period")
    assert new[1:3] == ("Green", NOT_RATED)


def test_detail_rows_spell_out_status_services_dates_and_links_in_the_period(session: Session,
                                                                           config: Config) -> None:
    tracked = item(session, "Phones", rating="amber", status="paused", owner="Primary care",
                   services=["gp", "not-a-service"], next_steps="Test call-backs",
                   expected_impact="Shorter waits", due_date=date(2026, 12, 1))
    item(session, "Quiet")
    linked = [feedback(session, 1, at("2026-09-15T10:00:00")), feedback(session, 2, PERIOD.until)]
    session.add_all([FeedbackTrackerLink(feedback_id=f.id, tracker_item_id=tracked.id) for f in linked])
    session.flush()
    _, detail, _ = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    assert [c.title for c in detail.columns][:5] == [
        "Tracker item", "Rating at the end", "Rating at the start", "Why this rating", "Status now"]
    assert detail.rows == (
        ("Phones", "Amber", "Amber", "", "Paused", "Primary care", "GP surgery; not-a-service",
         "Test call-backs", "Shorter waits", date(2026, 12, 1), None, 1),
        ("Quiet", "Amber", "Amber", "", "Active", "", "", "", "", None, None, 0))


def test_you_said_we_did_lists_only_items_with_a_summary(session: Session, config: Config) -> None:
    item(session, "Phones", services=["gp"], description="Could not get through",
         you_said_we_did="Call-backs offered")
    item(session, "Blank", you_said_we_did="  \n ")
    item(session, "None yet")
    _, _, examples = tracker_tables(session, Labels(config), PERIOD, FILTERS)
    assert examples.rows == (("Phones", "GP surgery", "Could not get through", "Call-backs offered"),)


# --- consultations --------------------------------------------------------------------------------


def test_consultations_that_overlap_the_period_or_are_current_are_in(session: Session) -> None:
    consultation(session, "closed-on-first-moment", "closed", at("2026-06-01T09:00:00"), PERIOD.since)
    consultation(session, "closed-just-before", "closed", at("2026-06-01T09:00:00"), PERIOD.since - TICK)
    consultation(session, "opens-just-after", "closed", PERIOD.until, at("2026-12-01T00:00:00"))
    consultation(session, "opened-before-never-closes", "reported", at("2026-01-01T09:00:00"))
    consultation(session, "never-opened", "closed")
    # Planned or open ones are in whatever their dates, unless made after the period.
    consultation(session, "planned-work", "planned")
    consultation(session, "open-no-dates", "open")
    consultation(session, "planned-later", "planned", created_at=PERIOD.until)
    table = consultations_table(session, PERIOD, FILTERS, FIXED_NOW)
    assert {row[0] for row in table.rows} == {"Closed on first moment", "Opened before never closes",
                                              "Planned work", "Open no dates"}


def test_a_consultation_with_responses_in_the_period_is_in_with_both_counts(session: Session) -> None:
    old = consultation(session, "spring", "reported", at("2026-03-01T09:00:00"), at("2026-04-01T09:00:00"))
    links = [feedback(session, n, when) for n, when in
             ((1, at("2026-09-02T10:00:00")), (2, at("2026-03-10T10:00:00")), (3, at("2026-10-09T10:00:00")))]
    session.add_all([FeedbackConsultationLink(feedback_id=f.id, consultation_id=old.id) for f in links])
    session.flush()
    table = consultations_table(session, PERIOD, FILTERS, FIXED_NOW)
    assert table.rows == (("Spring", "Reported", date(2026, 3, 1), date(2026, 4, 1), 2, 3),)


def test_status_now_dates_in_uk_time_and_order(session: Session) -> None:
    now = at("2026-10-15T12:00:00")
    consultation(session, "b-over", "open", at("2026-09-01T09:00:00"), at("2026-10-01T09:00:00"))
    consultation(session, "a-over", "open", at("2026-09-01T09:00:00"), at("2026-10-01T09:00:00"))
    consultation(session, "soon", "open", at("2026-10-20T09:00:00"), at("2026-12-01T09:00:00"))
    consultation(session, "running", "open", at("2026-08-31T23:30:00"), None)    # 00:30 on 1 September
    consultation(session, "planned", "planned")
    table = consultations_table(session, PERIOD, FILTERS, now)
    assert [row[:4] for row in table.rows] == [
        ("Running", "Open", date(2026, 9, 1), None),
        ("A over", "Closed", date(2026, 9, 1), date(2026, 10, 1)),
        ("B over", "Closed", date(2026, 9, 1), date(2026, 10, 1)),
        ("Soon", "Scheduled", date(2026, 10, 20), date(2026, 12, 1)),
        ("Planned", "Planned", None, None),
    ]
