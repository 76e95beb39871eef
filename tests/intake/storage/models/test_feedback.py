"""Feedback items and their tags: one item per inbound message, history kept by retraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import Contributor, Feedback, FeedbackStatus, InboundMessage, Tag
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused


def feedback(reference: str = "FB-7K3M9Q", **fields: object) -> Feedback:
    values: dict[str, object] = {
        "reference": reference, "channel": "sms", "text": "The midwife was kind",
        "redacted_text": "The midwife was kind", "received_at": FIXED_NOW,
        "pipeline_version": "test", **fields}
    return Feedback(**values)


def tag(value: str, **fields: object) -> Tag:
    values: dict[str, object] = {"kind": "service", "value": value, "confidence": 0.9,
                                 "source": "keywords", **fields}
    return Tag(**values)


def test_a_new_item_is_new_and_unerased(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(feedback())
    with sessions() as session:
        item = session.scalars(select(Feedback)).one()
        assert item.tags == []
    assert item.status == FeedbackStatus.NEW
    assert (item.erased_at, item.original_removed_at, item.on_behalf_of, item.fft_rating,
            item.contributor_id, item.inbound_message_id) == (None,) * 6
    assert item.received_at == FIXED_NOW


def test_an_inbound_message_becomes_at_most_one_item(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        message = InboundMessage(channel="sms", provider_message_id="SM-0001",
                                 payload_encrypted="gAAAA-token")
        session.add(message)
        session.flush()
        session.add_all([feedback(inbound_message_id=message.id),
                         feedback("FB-WEB001", channel="web"), feedback("FB-WEB002", channel="web")])
    with sessions() as session:
        session.add(feedback("FB-2345AB", inbound_message_id=message.id))
        refused(session)
    with sessions() as session:
        session.add(feedback("FB-3456BC", inbound_message_id=999_999))
        refused(session)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 3


def test_every_status_and_a_false_on_behalf_of_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([feedback(f"FB-{n:06d}", status=status, on_behalf_of=False)
                         for n, status in enumerate(FeedbackStatus)])
    with sessions() as session:
        rows = session.execute(select(Feedback.status, Feedback.on_behalf_of).order_by(Feedback.id))
        assert [(FeedbackStatus(status), behalf) for status, behalf in rows] == [
            (status, False) for status in FeedbackStatus]


def test_changing_the_status_moves_updated_at(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback(created_at=FIXED_NOW, updated_at=FIXED_NOW)
        session.add(item)
    with sessions.begin() as session:
        stored = session.get(Feedback, item.id)
        assert stored is not None
        stored.status = FeedbackStatus.IN_REVIEW
    with sessions() as session:
        stored = session.get(Feedback, item.id)
        assert stored is not None and stored.created_at == FIXED_NOW
        assert abs(stored.updated_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_tags_load_in_the_order_they_were_added_and_retraction_keeps_history(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback()
        item.tags.extend([tag("maternity"), tag("gp"), tag("pharmacy")])
        session.add(item)
    with sessions.begin() as session:
        wrong = session.scalars(select(Tag).where(Tag.value == "gp")).one()
        wrong.retracted_at, wrong.retracted_by = FIXED_NOW, "staff:1"
        session.add(tag("gp-out-of-hours", feedback_id=item.id, source="staff", created_by="staff:1"))
    with sessions() as session:
        stored = session.scalars(select(Feedback)).one()
        assert [(t.value, t.active) for t in stored.tags] == [
            ("maternity", True), ("gp", False), ("pharmacy", True), ("gp-out-of-hours", True)]
        assert all(t.feedback is stored for t in stored.tags)
        assert stored.tags[1].retracted_at == FIXED_NOW


def test_the_same_tag_may_be_added_again_after_a_retraction(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback()
        item.tags.extend([tag("gp", retracted_at=FIXED_NOW), tag("gp")])
        session.add(item)
    with sessions() as session:
        active = session.scalars(select(Tag.value).where(Tag.retracted_at.is_(None))).all()
    assert active == ["gp"]


def test_the_contributor_is_loaded_and_cannot_be_deleted_under_the_feedback(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        someone = Contributor(pseudonym="P-7K3M9Q")
        session.add(feedback(contributor=someone))
    with sessions() as session:
        item = session.scalars(select(Feedback)).one()
        assert item.contributor is not None and item.contributor.pseudonym == "P-7K3M9Q"
        session.delete(item.contributor)
        refused(session)


def test_feedback_about_a_missing_consultation_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(feedback(consultation_id=999_999))
        refused(session)
