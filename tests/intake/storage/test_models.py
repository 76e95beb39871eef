"""The database itself refuses duplicates and dangling references, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.database import make_sessions
from intake.storage.models import (
    ContactAddress,
    Contributor,
    Feedback,
    FeedbackTrackerLink,
    InboundMessage,
    OutboundMessage,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessions(engine)


def inbound(channel: str = "sms", pid: str = "SM-0001") -> InboundMessage:
    return InboundMessage(channel=channel, provider_message_id=pid, received_at=FIXED_NOW,
                          payload_encrypted="gAAAA-not-a-real-token")


def address(contributor: Contributor, channel: str = "sms", digest: str = "a" * 64) -> ContactAddress:
    return ContactAddress(contributor=contributor, channel=channel, address_hash=digest,
                          address_encrypted="gAAAA-not-a-real-token", created_at=FIXED_NOW,
                          last_seen_at=FIXED_NOW)


def feedback(reference: str = "FB-7K3M9Q") -> Feedback:
    return Feedback(reference=reference, channel="web", text="The midwife was kind",
                    redacted_text="The midwife was kind", received_at=FIXED_NOW,
                    pipeline_version="test")


def outbound(intent_key: str = "ack:FB-7K3M9Q") -> OutboundMessage:
    return OutboundMessage(intent_key=intent_key, channel="sms", purpose="acknowledgement",
                           body="Thank you, your reference is FB-7K3M9Q")


def tag(feedback_id: int) -> Tag:
    return Tag(feedback_id=feedback_id, kind="service", value="maternity", confidence=1.0,
               source="contributor")


def refused(sessions: sessionmaker[Session], *rows: object) -> None:
    """Each row is added and flushed in turn, in one transaction; the last one must be refused."""
    with sessions() as session:
        for row in rows[:-1]:
            session.add(row)
            session.flush()
        session.add(rows[-1])
        with pytest.raises(IntegrityError):
            session.flush()


def total(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_inbound_message_id_is_unique_per_channel(sessions: sessionmaker[Session]) -> None:
    refused(sessions, inbound(), inbound())


def test_the_same_provider_id_on_another_channel_is_allowed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([inbound("sms"), inbound("telegram"), inbound("sms", "SM-0002")])
    assert total(sessions, InboundMessage) == 3


def test_a_contact_address_hash_is_unique_per_channel(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(address(Contributor(pseudonym="P-AAAAAA", created_at=FIXED_NOW)))
    with sessions() as session:
        other = Contributor(pseudonym="P-BBBBBB", created_at=FIXED_NOW)
        session.add(address(other))
        with pytest.raises(IntegrityError):
            session.flush()


def test_the_same_address_hash_on_another_channel_is_allowed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        person = Contributor(pseudonym="P-AAAAAA", created_at=FIXED_NOW)
        session.add_all([address(person, "sms"), address(person, "whatsapp"),
                         address(person, "sms", "b" * 64)])
    assert total(sessions, ContactAddress) == 3


def test_a_feedback_reference_is_unique(sessions: sessionmaker[Session]) -> None:
    refused(sessions, feedback(), feedback())


def test_feedback_is_linked_to_a_tracker_item_only_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item, other = feedback(), TrackerItem(title="Maternity continuity of carer")
        second = feedback("FB-2345AB")
        session.add_all([item, other, second])
        session.flush()
        session.add_all([FeedbackTrackerLink(feedback_id=item.id, tracker_item_id=other.id),
                         FeedbackTrackerLink(feedback_id=second.id, tracker_item_id=other.id)])
        ids = (item.id, other.id)
    with sessions() as session:
        session.add(FeedbackTrackerLink(feedback_id=ids[0], tracker_item_id=ids[1],
                                        linked_by="engagement officer"))
        with pytest.raises(IntegrityError):
            session.flush()
    assert total(sessions, FeedbackTrackerLink) == 2


def test_an_outbound_intent_is_queued_only_once(sessions: sessionmaker[Session]) -> None:
    refused(sessions, outbound(), outbound())
    with sessions.begin() as session:
        session.add_all([outbound(), outbound("ack:FB-2345AB")])
    assert total(sessions, OutboundMessage) == 2


def test_a_tag_on_feedback_that_does_not_exist_is_refused(sessions: sessionmaker[Session]) -> None:
    refused(sessions, tag(feedback_id=999_999))
    assert total(sessions, Tag) == 0


def test_a_tag_on_existing_feedback_is_accepted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback()
        session.add(item)
        session.flush()
        session.add(tag(item.id))
    assert total(sessions, Tag) == 1
