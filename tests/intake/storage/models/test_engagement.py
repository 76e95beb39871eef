"""Tracker items, consultations and feedback's links to them, as the database keeps them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    FeedbackConsultationLink,
    RagRating,
    RagRatingChange,
    RemovedLink,
    TrackerItem,
    TrackerStatus,
)
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused


def feedback(reference: str = "FB-7K3M9Q") -> Feedback:
    return Feedback(reference=reference, channel="web", text="The midwife was kind",
                    redacted_text="The midwife was kind", received_at=FIXED_NOW,
                    pipeline_version="test")


def consultation(slug: str = "maternity-2026", **fields: object) -> Consultation:
    return Consultation(slug=slug, title="Maternity care in 2026", **fields)


def test_a_new_tracker_item_is_active_amber_and_blank(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(TrackerItem(title="Evening GP appointments"))
    with sessions() as session:
        item = session.scalars(select(TrackerItem)).one()
    assert (item.status, item.rag_rating) == (TrackerStatus.ACTIVE, RagRating.AMBER)
    assert (item.description, item.owner, item.next_steps, item.expected_impact,
            item.you_said_we_did, item.services) == ("", "", "", "", "", [])
    assert (item.start_date, item.due_date, item.completed_date) == (None, None, None)


def test_tracker_dates_ratings_and_statuses_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([
            TrackerItem(title=f"Item {rating}", rag_rating=rating, status=status,
                        start_date=date(2026, 1, 31), due_date=date(2026, 12, 31))
            for rating, status in zip(RagRating, TrackerStatus, strict=True)])
    with sessions() as session:
        items = session.scalars(select(TrackerItem).order_by(TrackerItem.id)).all()
    assert [(RagRating(i.rag_rating), TrackerStatus(i.status)) for i in items] == list(
        zip(RagRating, TrackerStatus, strict=True))
    assert {(i.start_date, i.due_date) for i in items} == {(date(2026, 1, 31), date(2026, 12, 31))}


def test_editing_a_tracker_item_moves_updated_at_and_keeps_created_at(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = TrackerItem(title="Evening GP appointments", created_at=FIXED_NOW, updated_at=FIXED_NOW)
        session.add(item)
    with sessions.begin() as session:
        stored = session.get(TrackerItem, item.id)
        assert stored is not None
        stored.rag_rating = RagRating.GREEN
    with sessions() as session:
        stored = session.get(TrackerItem, item.id)
        assert stored is not None
        assert stored.created_at == FIXED_NOW
        assert stored.updated_at != FIXED_NOW
        assert abs(stored.updated_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_rating_history_reads_oldest_first(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = TrackerItem(title="Evening GP appointments")
        session.add(item)
        session.flush()
        session.add_all([
            RagRatingChange(tracker_item_id=item.id, rating=rating, changed_by="staff:1",
                            changed_at=FIXED_NOW + timedelta(days=days))
            for rating, days in ((RagRating.GREEN, 60), (RagRating.RED, 0), (RagRating.AMBER, 30))])
    with sessions() as session:
        stored = session.scalars(select(TrackerItem)).one()
        assert [change.rating for change in stored.rating_history] == ["red", "amber", "green"]
        assert all(change.note == "" and change.tracker_item is stored
                   for change in stored.rating_history)


def test_consultation_slugs_and_sms_keywords_are_unique(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([consultation(sms_keyword="MATERNITY"), consultation("no-keyword-1"),
                         consultation("no-keyword-2")])  # many without a keyword
    with sessions() as session:
        session.add(consultation())
        refused(session)
    with sessions() as session:
        session.add(consultation("maternity-2027", sms_keyword="MATERNITY"))
        refused(session)


def test_a_new_consultation_is_planned_and_its_open_period_works_on_stored_times(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([consultation(), consultation(
            "gp-access", status=ConsultationStatus.OPEN, opens_at=FIXED_NOW,
            closes_at=FIXED_NOW + timedelta(days=28), questions={"en": "How do you book?"})])
    with sessions() as session:
        planned, running = session.scalars(select(Consultation).order_by(Consultation.id)).all()
    assert planned.status == ConsultationStatus.PLANNED and not planned.is_open_at(FIXED_NOW)
    assert (planned.summary, planned.services, planned.keywords, planned.questions) == ("", [], [], {})
    assert running.questions == {"en": "How do you book?"}
    assert running.is_open_at(FIXED_NOW)  # opens_at is inclusive
    assert running.is_open_at(FIXED_NOW + timedelta(days=27, hours=23))
    assert not running.is_open_at(FIXED_NOW - timedelta(seconds=1))
    assert not running.is_open_at(FIXED_NOW + timedelta(days=28))  # closes_at is exclusive


def test_feedback_is_linked_to_a_consultation_only_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item, other, about = feedback(), feedback("FB-2345AB"), consultation()
        session.add_all([item, other, about])
        session.flush()
        session.add_all([FeedbackConsultationLink(feedback_id=item.id, consultation_id=about.id,
                                                  rule_id="maternity-keywords"),
                         FeedbackConsultationLink(feedback_id=other.id, consultation_id=about.id)])
    with sessions() as session:
        session.add(FeedbackConsultationLink(feedback_id=item.id, consultation_id=about.id,
                                             linked_by="staff:1"))
        refused(session)
    with sessions() as session:
        session.add(FeedbackConsultationLink(feedback_id=item.id, consultation_id=999_999))
        refused(session)


def test_a_removal_is_remembered_once_per_target(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback()
        session.add(item)
        session.flush()
        session.add_all([RemovedLink(feedback_id=item.id, target=target, target_id=7,
                                     removed_by="staff:1") for target in ("tracker", "consultation")])
    with sessions() as session:
        session.add(RemovedLink(feedback_id=item.id, target="tracker", target_id=7,
                                removed_by="staff:2"))
        refused(session)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(RemovedLink)) == 2
        assert all(moment.tzinfo is not None for moment in session.scalars(
            select(RemovedLink.removed_at)))
