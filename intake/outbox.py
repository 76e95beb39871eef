"""The outbox: replies and follow-ups are queued here and sent by `intake worker`.

Why a queue: a provider outage must not lose a message, and sending must never happen twice for
one intent. ``intent_key`` is unique, so queuing the same intent again is a no-op. A worker claims
a message by moving it to ``sending`` and committing before it calls the provider; if the worker
dies mid-send the message stays ``sending`` for a person to check, rather than going out twice.
Opt-outs are checked at the moment of sending, not only when the message was queued; further
send-time checks (``SendCheck``: quiet hours, consent for campaigns) can hold a message or cancel it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.privacy.vault import ContactVault
from intake.storage.models import (
    AuditEvent,
    ContactAddress,
    EarlyDeliveryReport,
    OutboundMessage,
    OutboundStatus,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
# The order statuses move in. A provider's late or repeated callback never moves a message back.
STATUS_RANK = {
    OutboundStatus.QUEUED: 0, OutboundStatus.SENDING: 1, OutboundStatus.SENT: 2,
    OutboundStatus.DELIVERED: 3, OutboundStatus.FAILED: 3, OutboundStatus.CANCELLED: 3,
}


class TemporaryFailure(Exception):
    """The provider could not take the message now (rate limit, outage): try again later.
    ``retry_after`` is the provider's own advice, when it gives one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The provider refused the message for good (invalid number, ...). ``opted_out`` when the
    refusal means the person has opted out at the provider."""

    def __init__(self, message: str, opted_out: bool = False) -> None:
        super().__init__(message)
        self.opted_out = opted_out


class Sender(Protocol):
    """A channel's way of sending one text to one address; returns the provider's message id."""

    channel: str

    def send(self, address: str, body: str) -> str: ...


@dataclass(frozen=True)
class Hold:
    """A send-time check's answer when a message must not go now: wait until ``until``, or,
    without one, cancel it. ``reason`` is kept on the message for staff to read."""

    reason: str
    until: datetime | None = None


# Asked just before a message is sent (e.g. quiet hours, consent withdrawn since it was queued);
# None lets it go.
SendCheck = Callable[[Session, OutboundMessage, datetime], Hold | None]


def enqueue(session: Session, *, intent_key: str, address: ContactAddress, purpose: str,
            body: str, language: str | None, now: datetime,
            feedback_id: int | None = None, not_before: datetime | None = None,
            campaign_id: int | None = None) -> OutboundMessage:
    """Queue a message once per intent; a second call with the same key returns the first.
    ``not_before`` holds it back until then (quiet hours)."""
    existing = session.scalar(select(OutboundMessage).where(OutboundMessage.intent_key == intent_key))
    if existing is not None:
        return existing
    message = OutboundMessage(
        intent_key=intent_key, contributor_id=address.contributor_id,
        contact_address_id=address.id, feedback_id=feedback_id, campaign_id=campaign_id,
        channel=address.channel, purpose=purpose, language=language, body=body,
        status=OutboundStatus.QUEUED, next_attempt_at=max(now, not_before or now), created_at=now,
        updated_at=now)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        found = session.scalar(select(OutboundMessage).where(
            OutboundMessage.intent_key == intent_key))
        if found is None:
            raise
        return found
    return message


def record_status(session: Session, provider_message_id: str, status: OutboundStatus,
                  error: str | None, now: datetime) -> bool:
    """Apply a provider's delivery report. Returns False if it would move the status back.

    A report for an id we have not saved yet is kept and applied once the worker saves the id.
    """
    message = session.scalar(select(OutboundMessage).where(
        OutboundMessage.provider_message_id == provider_message_id))
    if message is None:
        session.add(EarlyDeliveryReport(provider_message_id=provider_message_id, status=status,
                                        error=error, received_at=now))
        return False
    return _advance(message, status, error, now)


def _advance(message: OutboundMessage, status: OutboundStatus, error: str | None,
             now: datetime) -> bool:
    if STATUS_RANK[status] <= STATUS_RANK[OutboundStatus(message.status)]:
        return False
    message.status, message.updated_at = status, now
    if error:
        message.last_error = error
    return True


def _apply_early_reports(session: Session, message: OutboundMessage, now: datetime) -> None:
    reports = session.scalars(select(EarlyDeliveryReport).where(
        EarlyDeliveryReport.provider_message_id == message.provider_message_id)
        .order_by(EarlyDeliveryReport.id))
    for report in reports:
        _advance(message, OutboundStatus(report.status), report.error, now)
        session.delete(report)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0


class OutboxWorker:
    def __init__(self, sessions: sessionmaker[Session], vault: ContactVault,
                 senders: Mapping[str, Sender], clock: Callable[[], datetime],
                 checks: Sequence[SendCheck] = ()) -> None:
        self.sessions = sessions
        self.vault = vault
        self.senders = senders
        self.clock = clock
        self.checks = tuple(checks)

    def _claim(self, limit: int) -> list[int]:
        """Take due messages for this worker. Row locks with SKIP LOCKED let several workers
        share the queue on PostgreSQL. SQLite ignores them and reads outside the write lock, so
        each claim is also a conditional update: a message another worker took in between is
        left to that worker."""
        now = self.clock()
        claimed: list[int] = []
        with self.sessions.begin() as session:
            due = list(session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.status == OutboundStatus.QUEUED,
                       OutboundMessage.next_attempt_at <= now,
                       OutboundMessage.channel.in_(list(self.senders)))
                .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
                .limit(limit).with_for_update(skip_locked=True)))
            for message_id in due:
                taken = session.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.id == message_id,
                           OutboundMessage.status == OutboundStatus.QUEUED)
                    .values(status=OutboundStatus.SENDING, attempts=OutboundMessage.attempts + 1,
                            updated_at=now))
                if taken.rowcount == 1:
                    claimed.append(message_id)
        return claimed

    def run_once(self, limit: int = 50) -> DeliveryReport:
        report = DeliveryReport()
        for message_id in self._claim(limit):
            self._deliver(message_id, report)
        return report

    def _deliver(self, message_id: int, report: DeliveryReport) -> None:
        with self.sessions.begin() as session:
            message = session.get_one(OutboundMessage, message_id)
            address = (session.get(ContactAddress, message.contact_address_id)
                       if message.contact_address_id else None)
            now = self.clock()
            if address is None or address.opted_out_at is not None:
                message.status, message.updated_at = OutboundStatus.CANCELLED, now
                message.last_error = "opted out" if address is not None else "no address"
                report.cancelled += 1
                return
            hold = next((h for check in self.checks if (h := check(session, message, now))), None)
            if hold is not None:
                self._hold(message, hold, now, report)
                return
            try:
                provider_id = self.senders[message.channel].send(
                    self.vault.decrypt(address.address_encrypted), message.body)
            except TemporaryFailure as exc:
                self._retry(message, exc, now, report)
                return
            except PermanentFailure as exc:
                message.status, message.last_error, message.updated_at = (
                    OutboundStatus.FAILED, str(exc), now)
                if exc.opted_out:
                    address.opted_out_at = now
                    session.add(AuditEvent(
                        occurred_at=now, actor="outbox", action="contact.opt-out",
                        entity_type="contact_address", entity_id=str(address.id),
                        details={"reason": str(exc), "channel": address.channel}))
                report.failed += 1
                return
            message.status, message.provider_message_id = OutboundStatus.SENT, provider_id
            message.sent_at = message.updated_at = now
            _apply_early_reports(session, message, now)
            report.sent += 1

    @staticmethod
    def _hold(message: OutboundMessage, hold: Hold, now: datetime, report: DeliveryReport) -> None:
        message.last_error, message.updated_at = hold.reason, now
        if hold.until is None:
            message.status = OutboundStatus.CANCELLED
            report.cancelled += 1
            return
        # Waiting is not a failed attempt: the count of tries is given back.
        message.status, message.next_attempt_at = OutboundStatus.QUEUED, max(hold.until, now)
        message.attempts -= 1
        report.deferred += 1

    @staticmethod
    def _retry(message: OutboundMessage, exc: TemporaryFailure, now: datetime,
               report: DeliveryReport) -> None:
        message.last_error, message.updated_at = str(exc), now
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundStatus.FAILED
            report.failed += 1
            return
        backoff = FIRST_RETRY * 2 ** (message.attempts - 1)
        if exc.retry_after is not None:
            backoff = max(backoff, timedelta(seconds=exc.retry_after))
        message.status, message.next_attempt_at = OutboundStatus.QUEUED, now + backoff
        report.retried += 1


# -- messages a dead worker left in ``sending`` ------------------------------------------------

STUCK_AFTER = timedelta(minutes=10)
RESOLUTIONS = {"sent": OutboundStatus.SENT, "failed": OutboundStatus.FAILED,
               "retry": OutboundStatus.QUEUED}


def stuck_messages(session: Session, now: datetime,
                   older_than: timedelta = STUCK_AFTER) -> list[OutboundMessage]:
    """Messages claimed for sending long ago and never finished: the worker died mid-send, so
    only the provider's own log can say whether they went. A person decides (``resolve_stuck``)."""
    return list(session.scalars(select(OutboundMessage).where(
        OutboundMessage.status == OutboundStatus.SENDING,
        OutboundMessage.updated_at <= now - older_than).order_by(OutboundMessage.updated_at)))


def resolve_stuck(session: Session, message_id: int, resolution: str, actor: str,
                  now: datetime) -> OutboundMessage:
    """Record what the provider's log showed: ``sent``, ``failed``, or ``retry`` (it never went,
    so queue it again). Only a message still ``sending`` can be resolved."""
    message = session.get(OutboundMessage, message_id)
    if message is None or message.status != OutboundStatus.SENDING:
        raise ValueError(f"Outbound message {message_id} is not waiting in 'sending'.")
    message.status, message.updated_at = RESOLUTIONS[resolution], now
    if resolution == "retry":
        message.next_attempt_at = now
    session.add(AuditEvent(occurred_at=now, actor=actor, action="outbox.stuck-resolved",
                           entity_type="outbound_message", entity_id=str(message.id),
                           details={"resolution": resolution, "channel": message.channel}))
    return message
