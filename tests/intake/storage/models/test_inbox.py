"""The raw inbox: one record per provider message, whatever the provider retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import InboundMessage, InboundState
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused


def inbound(pid: str = "SM0001", channel: str = "sms", payload: str = "gAAAA-first",
            **fields: object) -> InboundMessage:
    return InboundMessage(channel=channel, provider_message_id=pid, payload_encrypted=payload,
                          **fields)


def test_a_new_message_is_received_and_untried(sessions: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(inbound())
    with sessions() as session:
        stored = session.scalars(select(InboundMessage)).one()
    assert (stored.state, stored.attempts) == (InboundState.RECEIVED, 0)
    assert (stored.error, stored.processed_at, stored.payload_removed_at, stored.sender_hash) == (
        None, None, None, None)
    assert before - timedelta(seconds=1) <= stored.received_at <= datetime.now(UTC)


def test_a_providers_retry_is_refused_and_the_first_record_kept(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(inbound(state=InboundState.PROCESSED, attempts=1, processed_at=FIXED_NOW))
    with sessions() as session:
        session.add(inbound(payload="gAAAA-retry"))
        refused(session)
    with sessions() as session:
        first = session.scalars(select(InboundMessage).where(
            InboundMessage.channel == "sms", InboundMessage.provider_message_id == "SM0001")).one()
    assert (first.payload_encrypted, first.state, first.attempts, first.processed_at) == (
        "gAAAA-first", InboundState.PROCESSED, 1, FIXED_NOW)


def test_provider_ids_differing_only_in_case_are_different_messages(
        sessions: sessionmaker[Session]) -> None:
    """Twilio sids and Telegram ids are compared exactly, on both databases."""
    with sessions.begin() as session:
        session.add_all([inbound("SMabc"), inbound("SMABC")])
    with sessions() as session:
        assert sorted(session.scalars(select(InboundMessage.provider_message_id))) == [
            "SMABC", "SMabc"]


def test_every_state_round_trips(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([inbound(f"SM{n}", state=state) for n, state in enumerate(InboundState)])
    with sessions() as session:
        stored = session.scalars(select(InboundMessage.state).order_by(InboundMessage.id)).all()
    assert [InboundState(state) for state in stored] == list(InboundState)


def test_a_long_error_and_an_emptied_payload_are_kept(sessions: sessionmaker[Session]) -> None:
    error = "Traceback (most recent call last):\n" + "  frame\n" * 2_000
    with sessions.begin() as session:
        session.add(inbound(state=InboundState.FAILED, error=error, attempts=3))
    with sessions.begin() as session:
        stored = session.scalars(select(InboundMessage)).one()
        stored.payload_encrypted, stored.payload_removed_at = "", FIXED_NOW
    with sessions() as session:
        stored = session.scalars(select(InboundMessage)).one()
    assert (stored.error, stored.attempts) == (error, 3)
    assert (stored.payload_encrypted, stored.payload_removed_at) == ("", FIXED_NOW)
