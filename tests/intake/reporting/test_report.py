"""Building the assurance report from a small synthetic district: volumes, weeks in UK time,
reach, tracker ratings as they stood, consultations, "you said, we did"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import Answers, IncomingMessage
from intake.reporting import Report, ReportPeriod, build_report
from intake.storage.models import (
    Consultation,
    Contributor,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    RagRatingChange,
    RecordedNeed,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW

PERIOD = ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ingest(runtime: Runtime, pid: str, when: str, channel: str = "sms", sender: str | None = None,
           language: str = "en", services: tuple[str, ...] = (), needs: tuple[str, ...] = (),
           text: str = "Thank you for listening to us") -> Feedback:
    result = runtime.intake.ingest(IncomingMessage(
        channel, pid, text, sender=sender, received_at=at(when),
        answers=Answers(language=language, services=services, needs=needs)))
    assert result.feedback_id is not None, result
    with runtime.sessions() as session:
        return session.get_one(Feedback, result.feedback_id)


@pytest.fixture
def district(runtime: Runtime) -> dict[str, Feedback]:
    """Five items in the period from three people (and one without contact details), two
    outside it, three tracker items that belong in the report and two that do not, and
    consultations that ran, did not, are planned, or had a late response."""
    items = {
        # 00:30 on 1 September in the UK (summer time): inside, in the first week.
        "a": ingest(runtime, "a", "2026-08-31T23:30:00", sender="+447700900001", services=("gp",)),
        "b": ingest(runtime, "b", "2026-09-15T10:00:00", sender="+447700900001", language="pl",
                    services=("pharmacy",)),
        "c": ingest(runtime, "c", "2026-10-20T12:00:00", channel="web", services=("gp", "dental"),
                    needs=("bsl-interpreter",)),
        # 23:30 on 31 October in the UK (winter time again): inside, in the last week.
        "d": ingest(runtime, "d", "2026-10-31T23:30:00", channel="telegram", sender="4242",
                    language="ur", services=("a-and-e",)),
        "f": ingest(runtime, "f", "2026-10-05T12:00:00", sender="+447700900003"),
        # 23:30 on 31 August in the UK, and 00:30 on 1 November: both outside.
        "e": ingest(runtime, "e", "2026-08-31T22:30:00", sender="+447700900004", services=("gp",)),
        "g": ingest(runtime, "g", "2026-11-01T00:30:00", sender="+447700900004", services=("gp",)),
    }
    with runtime.sessions.begin() as session:
        # Staff removed one of c's services: a retracted tag does not count.
        dental = session.scalar(select(Tag).where(Tag.feedback_id == items["c"].id,
                                                  Tag.value == "dental"))
        assert dental is not None
        dental.retracted_at, dental.retracted_by = FIXED_NOW, "staff:someone@example.org"
        # The person behind f told us before about a need, and prefers Polish.
        person = session.get_one(Contributor, items["f"].contributor_id)
        person.preferred_language = "pl"
        session.add(RecordedNeed(contributor_id=person.id, need="contact-by-letter", source="staff",
                                 recorded_at=at("2026-06-01T09:00:00")))

        phones = TrackerItem(title="Getting through by phone", services=["gp"], owner="Primary care",
                             rag_rating="red", next_steps="Test a call-back option.",
                             description="People could not get through at 8am.",
                             you_said_we_did="Practices now offer call-backs.",
                             created_at=at("2026-07-01T09:00:00"))
        phones.rating_history += [
            RagRatingChange(rating="amber", note="Opened", changed_by="x",
                            changed_at=at("2026-08-01T09:00:00")),
            RagRatingChange(rating="red", note="Waits got longer", changed_by="x",
                            changed_at=at("2026-10-10T09:00:00")),
            RagRatingChange(rating="green", note="After the period", changed_by="x",
                            changed_at=at("2026-11-01T09:00:00"))]
        session.add_all([
            phones,
            TrackerItem(title="Old work", rag_rating="green", status="completed",
                        completed_date=date(2026, 8, 15), created_at=at("2026-01-01T09:00:00")),
            TrackerItem(title="Future work", rag_rating="amber", created_at=at("2026-11-01T12:00:00")),
            TrackerItem(title="Quiet work", rag_rating="green", created_at=at("2026-07-01T09:00:00")),
            TrackerItem(title="Finished in the period", rag_rating="green", status="completed",
                        completed_date=date(2026, 10, 20), created_at=at("2026-07-01T09:00:00")),
        ])
        session.flush()
        session.add_all([FeedbackTrackerLink(feedback_id=items[k].id, tracker_item_id=phones.id)
                         for k in ("a", "e")])
        running = Consultation(slug="maternity", title="Maternity", status="open",
                               opens_at=at("2026-09-10T09:00:00"), closes_at=at("2026-12-01T00:00:00"),
                               created_at=at("2026-08-01T09:00:00"))
        spring = Consultation(slug="spring", title="Spring survey", status="closed",
                              opens_at=at("2026-03-01T09:00:00"), closes_at=at("2026-04-30T00:00:00"),
                              created_at=at("2026-02-01T09:00:00"))
        late = Consultation(slug="late", title="Late response", status="reported",
                            opens_at=at("2026-05-01T09:00:00"), closes_at=at("2026-06-30T00:00:00"),
                            created_at=at("2026-04-01T09:00:00"))
        planned = Consultation(slug="planned", title="Planned work", status="planned",
                               created_at=at("2026-08-01T09:00:00"))
        session.add_all([running, spring, late, planned])
        session.flush()
        session.add_all([FeedbackConsultationLink(feedback_id=items[k].id, consultation_id=c.id)
                         for k, c in (("c", running), ("d", running), ("e", running), ("f", late))])
    return items


def report(runtime: Runtime, granularity: str | None = None) -> Report:
    with runtime.sessions() as session:
        return build_report(session, runtime.config, PERIOD, FIXED_NOW,
                            granularity=granularity)  # type: ignore[arg-type]


def rows(built: Report, name: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in built.table(name).rows]


def test_volumes_by_channel_service_language_and_need(runtime: Runtime,
                                                      district: dict[str, Feedback]) -> None:
    built = report(runtime)
    assert rows(built, "channels") == [("SMS", 3, 60.0), ("Telegram", 1, 20.0), ("Web form", 1, 20.0)]
    assert rows(built, "services") == [
        ("GP surgery", 2, 40.0), ("A&E (emergency department)", 1, 20.0), ("Pharmacy", 1, 20.0),
        ("No service yet", 1, 20.0)]
    assert rows(built, "languages") == [("English", 3, 60.0), ("Polish", 1, 20.0), ("Urdu", 1, 20.0)]
    assert rows(built, "needs") == [("British Sign Language (BSL) interpreter", 1, 20.0),
                                    ("No need recorded", 4, 80.0)]


def test_weeks_are_counted_in_uk_time(runtime: Runtime, district: dict[str, Feedback]) -> None:
    weeks = {row[0]: row[2:] for row in rows(report(runtime), "over_time")}
    assert len(weeks) == 9
    assert weeks[date(2026, 9, 1)] == (1, 0, 0)          # a, at 00:30 on 1 September
    assert weeks[date(2026, 9, 14)] == (1, 0, 1)         # b, in Polish
    assert weeks[date(2026, 10, 5)] == (1, 0, 0)         # f
    assert weeks[date(2026, 10, 19)] == (1, 1, 0)        # c, with a BSL interpreter need
    assert weeks[date(2026, 10, 26)] == (1, 0, 1)        # d, at 23:30 on 31 October, in Urdu
    assert sum(counts[0] for counts in weeks.values()) == 5


def test_months_when_asked(runtime: Runtime, district: dict[str, Feedback]) -> None:
    built = report(runtime, "month")
    assert rows(built, "over_time") == [(date(2026, 9, 1), date(2026, 9, 30), 2, 0, 1),
                                        (date(2026, 10, 1), date(2026, 10, 31), 3, 1, 1)]
    assert built.table("over_time").point_labels == ("Sep 2026", "Oct 2026")


def test_reach_counts_items_and_people(runtime: Runtime, district: dict[str, Feedback]) -> None:
    built = report(runtime)
    # People: the three who left contact details (c came without). The person behind f has a
    # recorded need and prefers Polish; b was in Polish and d in Urdu.
    assert rows(built, "reach") == [
        ("All feedback", 5, 100.0, 3, 100.0),
        ("With a communication-support need", 1, 20.0, 1, 33.3),
        ("In a language other than English", 2, 40.0, 3, 100.0)]
    summary = dict((row[0], row[1]) for row in rows(built, "summary"))
    assert summary["Feedback items received"] == 5
    assert summary["People who gave feedback and left contact details"] == 3
    assert summary["Items with a safety flag"] == 0


def test_tracker_items_show_the_rating_they_had_then(runtime: Runtime,
                                                     district: dict[str, Feedback]) -> None:
    built = report(runtime)
    tracker = {row[0]: row for row in rows(built, "tracker")}
    assert list(tracker) == ["Getting through by phone", "Finished in the period", "Quiet work"]
    phones = tracker["Getting through by phone"]
    assert phones[1:4] == ("Red", "Amber", "Waits got longer")   # not today's green
    assert phones[7] == "Test a call-back option."
    assert phones[-1] == 1                                       # e was linked too, but before
    assert tracker["Finished in the period"][4] == "Completed"
    assert rows(built, "tracker_ratings") == [("Red", 1, 0), ("Amber", 0, 1), ("Green", 2, 2)]
    assert rows(built, "you_said_we_did") == [
        ("Getting through by phone", "GP surgery", "People could not get through at 8am.",
         "Practices now offer call-backs.")]


def test_consultations_that_ran_are_planned_or_had_responses(runtime: Runtime,
                                                             district: dict[str, Feedback]) -> None:
    consultations = {row[0]: row[1:] for row in rows(report(runtime), "consultations")}
    assert consultations == {
        "Late response": ("Reported", date(2026, 5, 1), date(2026, 6, 30), 1, 1),
        "Maternity": ("Open", date(2026, 9, 10), date(2026, 12, 1), 2, 3),
        "Planned work": ("Planned", None, None, 0, 0),
    }


def test_an_empty_period_reports_zeros_not_errors(runtime: Runtime) -> None:
    built = report(runtime)
    assert rows(built, "channels") == []
    assert rows(built, "reach")[0] == ("All feedback", 0, None, 0, None)
    assert rows(built, "tracker") == []
    assert [row[2] for row in rows(built, "over_time")] == [0] * 9
