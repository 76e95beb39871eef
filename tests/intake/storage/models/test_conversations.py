"""Conversations in the database: at most one open per address, and one stored answer per
inbound message."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import Conversation, ConversationStatus, ConversationTurn, InboundMessage
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused, second_refused

ADDRESS = "a" * 64


def conversation(status: str = ConversationStatus.OPEN, channel: str = "sms",
                 digest: str = ADDRESS) -> Conversation:
    return Conversation(channel=channel, address_hash=digest, status=status)


def inbound(pid: str = "SM-0001") -> InboundMessage:
    return InboundMessage(channel="sms", provider_message_id=pid, payload_encrypted="gAAAA-token")


def count(sessions: sessionmaker[Session], *where: object) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Conversation).where(*where)) or 0


def test_a_new_conversation_is_open_with_empty_state(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Conversation(channel="telegram", address_hash=ADDRESS))
    with sessions() as session:
        stored = session.scalars(select(Conversation)).one()
    assert stored.status == ConversationStatus.OPEN and stored.state == {}
    assert stored.closed_at is None and stored.feedback_id is None
    assert stored.started_at.tzinfo is not None and stored.last_activity_at.tzinfo is not None


def test_a_second_open_conversation_for_the_same_address_is_refused(
        sessions: sessionmaker[Session]) -> None:
    second_refused(sessions, conversation)
    assert count(sessions) == 1


def test_closed_conversations_do_not_count_against_the_open_one(sessions: sessionmaker[Session]) -> None:
    closed = [s for s in ConversationStatus if s != ConversationStatus.OPEN]
    with sessions.begin() as session:
        session.add_all([conversation(status) for status in closed + closed])
        session.add(conversation())
    assert count(sessions) == 2 * len(closed) + 1


def test_the_same_address_may_have_one_open_conversation_per_channel(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([conversation(channel="sms"), conversation(channel="telegram"),
                         conversation(digest="b" * 64)])
    assert count(sessions, Conversation.status == ConversationStatus.OPEN) == 3


def test_closing_a_conversation_frees_the_address_for_a_new_one(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = conversation()
        session.add(first)
    with sessions.begin() as session:
        stored = session.get(Conversation, first.id)
        assert stored is not None
        stored.status, stored.closed_at = ConversationStatus.TIMED_OUT, FIXED_NOW
    with sessions.begin() as session:
        session.add(conversation())
    with sessions() as session:
        assert session.get(Conversation, first.id).closed_at == FIXED_NOW  # type: ignore[union-attr]
    assert count(sessions, Conversation.status == ConversationStatus.OPEN) == 1


def test_every_status_round_trips(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([conversation(status, digest=f"{n:064d}")
                         for n, status in enumerate(ConversationStatus)])
    with sessions() as session:
        stored = session.scalars(select(Conversation.status).order_by(Conversation.id)).all()
    assert [ConversationStatus(status) for status in stored] == list(ConversationStatus)


def test_state_round_trips_as_plain_data(sessions: sessionmaker[Session]) -> None:
    state = {"step": "rating", "language": "pl", "answers": {"feedback": "Zbyt długie czekanie"},
             "services": ["gp", "pharmacy"], "asked": 2, "behalf": None}
    with sessions.begin() as session:
        session.add(Conversation(channel="sms", address_hash=ADDRESS, state=state))
    with sessions() as session:
        assert session.scalar(select(Conversation.state)) == state


def test_an_inbound_message_is_answered_by_one_turn_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        message, silent = inbound(), inbound("SM-0002")
        session.add_all([message, silent])
        session.flush()
        session.add_all([ConversationTurn(inbound_message_id=message.id, replies=["Thank you", "Q1"]),
                         ConversationTurn(inbound_message_id=silent.id)])
    with sessions() as session:
        session.add(ConversationTurn(inbound_message_id=message.id, replies=["Different"]))
        refused(session)
    with sessions() as session:
        turns = {turn.inbound_message_id: turn for turn in session.scalars(select(ConversationTurn))}
    assert turns[message.id].replies == ["Thank you", "Q1"]  # the first answer stays, in order
    assert turns[silent.id].replies == []
    assert turns[message.id].answered_at is None and turns[message.id].conversation_id is None


def test_a_turn_needs_an_existing_inbound_message(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(ConversationTurn(inbound_message_id=999_999))
        refused(session)
