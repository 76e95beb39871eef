"""Demo content: a new installation is recognised as empty and seeded once, never twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.demo import DEMO_CONSULTATION_SLUG, DEMO_TRACKER_TITLE, is_empty, seed_demo
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    RagRating,
    RagRatingChange,
    TrackerItem,
    TrackerStatus,
)
from tests.conftest import FIXED_NOW


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_new_database_is_empty(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        assert is_empty(session) is True


def test_feedback_alone_makes_it_not_empty(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(Feedback(reference="FB-7K3M9Q", channel="web", text="The ward was clean",
                             redacted_text="The ward was clean", received_at=FIXED_NOW,
                             pipeline_version="test"))
    with runtime.sessions() as session:
        assert is_empty(session) is False


def test_a_tracker_item_alone_makes_it_not_empty(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(TrackerItem(title="Pharmacy opening hours", services=["pharmacy"],
                                created_at=FIXED_NOW, updated_at=FIXED_NOW))
    with runtime.sessions() as session:
        assert is_empty(session) is False


def test_a_consultation_alone_makes_it_not_empty(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(Consultation(slug="dental-access", title="Dental access", created_at=FIXED_NOW))
    with runtime.sessions() as session:
        assert is_empty(session) is False


def test_seed_demo_adds_one_tracker_item_with_its_rating_history(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        added = seed_demo(session, FIXED_NOW)
    assert added == [f"tracker item: {DEMO_TRACKER_TITLE}",
                     f"consultation: {DEMO_CONSULTATION_SLUG}"]
    assert count(runtime, TrackerItem) == 1 and count(runtime, RagRatingChange) == 1
    with runtime.sessions() as session:
        item = session.scalars(select(TrackerItem)).one()
        assert item.title == DEMO_TRACKER_TITLE
        assert item.services == ["gp"]
        assert item.rag_rating == RagRating.AMBER
        assert item.status == TrackerStatus.ACTIVE
        assert [(change.rating, change.changed_at) for change in item.rating_history] == [
            (RagRating.AMBER, FIXED_NOW)]
        assert item.start_date is not None and item.due_date is not None
        assert item.start_date <= FIXED_NOW.date() < item.due_date
        assert is_empty(session) is False


def test_seed_demo_adds_one_consultation_open_at_the_given_time(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    assert count(runtime, Consultation) == 1
    with runtime.sessions() as session:
        consultation = session.scalars(select(Consultation)).one()
    assert consultation.slug == DEMO_CONSULTATION_SLUG == "maternity-services-2026"
    assert set(consultation.questions) == {"en", "ur", "pl"}
    assert all(question.strip() for question in consultation.questions.values())
    assert consultation.sms_keyword == "BABY"
    assert consultation.status == ConsultationStatus.OPEN
    assert consultation.opens_at is not None and consultation.closes_at is not None
    assert consultation.opens_at <= FIXED_NOW < consultation.closes_at
    assert consultation.created_at == FIXED_NOW


def test_the_consultation_window_follows_the_given_time(runtime: Runtime) -> None:
    later = FIXED_NOW + timedelta(days=400)
    with runtime.sessions.begin() as session:
        seed_demo(session, later)
    with runtime.sessions() as session:
        consultation = session.scalars(select(Consultation)).one()
    assert consultation.opens_at is not None and consultation.closes_at is not None
    assert consultation.opens_at <= later < consultation.closes_at
    assert not consultation.opens_at <= FIXED_NOW


def test_seeding_twice_adds_nothing_the_second_time(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        assert seed_demo(session, FIXED_NOW)
    with runtime.sessions.begin() as session:
        assert seed_demo(session, FIXED_NOW + timedelta(days=1)) == []
    assert count(runtime, TrackerItem) == 1
    assert count(runtime, RagRatingChange) == 1
    assert count(runtime, Consultation) == 1


def test_seeding_keeps_the_teams_own_content_and_fills_in_only_what_is_missing(
        runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(Consultation(slug=DEMO_CONSULTATION_SLUG, title="Our own maternity consultation",
                                 created_at=FIXED_NOW))
    with runtime.sessions.begin() as session:
        assert seed_demo(session, FIXED_NOW) == [f"tracker item: {DEMO_TRACKER_TITLE}"]
    with runtime.sessions() as session:
        consultation = session.scalars(select(Consultation)).one()
    assert consultation.title == "Our own maternity consultation"
