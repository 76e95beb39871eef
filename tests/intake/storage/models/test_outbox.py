"""The outbox: each intent queued once, due times compared in UTC, and early delivery reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import EarlyDeliveryReport, OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused


def outbound(intent_key: str = "ack:FB-7K3M9Q", **fields: object) -> OutboundMessage:
    values: dict[str, object] = {"intent_key": intent_key, "channel": "sms",
                                 "purpose": "acknowledgement",
                                 "body": "Thank you, your reference is FB-7K3M9Q", **fields}
    return OutboundMessage(**values)


def test_a_new_message_is_queued_and_due_now(sessions: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(outbound())
    with sessions() as session:
        stored = session.scalars(select(OutboundMessage)).one()
    assert (stored.status, stored.attempts) == (OutboundStatus.QUEUED, 0)
    assert (stored.sent_at, stored.provider_message_id, stored.last_error, stored.campaign_id) == (
        None, None, None, None)
    assert before - timedelta(seconds=1) <= stored.next_attempt_at <= datetime.now(UTC)
    assert stored.created_at.tzinfo is not None and stored.updated_at.tzinfo is not None


def test_the_same_intent_keeps_its_first_body(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(outbound(status=OutboundStatus.SENT))
    with sessions() as session:
        session.add(outbound(body="A second, different acknowledgement"))
        refused(session)
    with sessions() as session:
        stored = session.scalars(select(OutboundMessage)).one()
    assert (stored.body, stored.status) == ("Thank you, your reference is FB-7K3M9Q", "sent")


def test_due_messages_are_found_by_time_given_in_any_zone(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([outbound("due", next_attempt_at=FIXED_NOW - timedelta(seconds=1)),
                         outbound("exactly", next_attempt_at=FIXED_NOW),
                         outbound("later", next_attempt_at=FIXED_NOW + timedelta(seconds=1))])
    new_york_now = FIXED_NOW.astimezone(timezone(timedelta(hours=-5)))
    with sessions() as session:
        due = session.scalars(select(OutboundMessage.intent_key).where(
            OutboundMessage.next_attempt_at <= new_york_now).order_by(OutboundMessage.next_attempt_at))
        assert list(due) == ["due", "exactly"]


def test_every_status_round_trips(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([outbound(f"k{n}", status=status) for n, status in enumerate(OutboundStatus)])
    with sessions() as session:
        stored = session.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id)).all()
    assert [OutboundStatus(status) for status in stored] == list(OutboundStatus)


def test_a_message_pointing_at_a_missing_row_is_refused(sessions: sessionmaker[Session]) -> None:
    for field in ("contributor_id", "contact_address_id", "feedback_id", "campaign_id"):
        with sessions() as session:
            session.add(outbound(**{field: 999_999}))
            refused(session)


def test_early_reports_for_the_same_message_are_all_kept(sessions: sessionmaker[Session]) -> None:
    """Not unique: a provider may report "sent" then "delivered" before our id is saved."""
    with sessions.begin() as session:
        session.add_all([EarlyDeliveryReport(provider_message_id="SM0001", status="sent"),
                         EarlyDeliveryReport(provider_message_id="SM0001", status="undelivered",
                                             error="30003")])
    with sessions() as session:
        reports = session.scalars(select(EarlyDeliveryReport).order_by(EarlyDeliveryReport.id)).all()
    assert [(r.status, r.error) for r in reports] == [("sent", None), ("undelivered", "30003")]
    assert all(r.received_at.tzinfo is not None for r in reports)
