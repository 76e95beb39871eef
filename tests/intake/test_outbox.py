"""The outbox: queued once per intent, sent at most once, retried with back-off, opt-outs honoured
at the moment of sending, and delivery reports that never move a message backwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.contributors import contributor_for
from intake.outbox import (
    FIRST_RETRY,
    MAX_ATTEMPTS,
    OutboxWorker,
    PermanentFailure,
    TemporaryFailure,
    enqueue,
    record_status,
    resolve_stuck,
    stuck_messages,
)
from intake.storage.models import AuditEvent, ContactAddress, OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW

PATIENT = "+447700900123"
OTHER = "+447700900456"


class Died(BaseException):
    """The worker process ending mid-send (a kill, a power cut): nothing after it runs."""


class RecordingSender:
    """Records every call; answers with the scripted outcomes in turn, then with new sids."""

    channel = "sms"

    def __init__(self, *outcomes: BaseException | str) -> None:
        self.calls: list[tuple[str, str]] = []
        self.outcomes: Iterator[BaseException | str] = iter(outcomes)

    def send(self, address: str, body: str) -> str:
        self.calls.append((address, body))
        outcome = next(self.outcomes, f"SM{len(self.calls):032d}")
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


def address_id(runtime: Runtime, number: str = PATIENT, channel: str = "sms") -> int:
    with runtime.sessions.begin() as session:
        _, address = contributor_for(session, runtime.intake.vault, channel, number, FIXED_NOW)
        session.flush()
        return address.id


def queue(runtime: Runtime, key: str, body: str = "Your feedback changed something.",
          number: str = PATIENT, channel: str = "sms") -> int:
    found = address_id(runtime, number, channel)
    with runtime.sessions.begin() as session:
        message = enqueue(session, intent_key=key, address=session.get_one(ContactAddress, found),
                          purpose="follow-up", body=body, language="en", now=FIXED_NOW)
        session.flush()
        return message.id


def worker(runtime: Runtime, sender: RecordingSender, clock: Clock) -> OutboxWorker:
    return OutboxWorker(runtime.sessions, runtime.intake.vault, {"sms": sender}, clock)


def load(runtime: Runtime, message_id: int) -> OutboundMessage:
    with runtime.sessions() as session:
        return session.get_one(OutboundMessage, message_id)


def opted_out_at(runtime: Runtime, number: str = PATIENT) -> datetime | None:
    with runtime.sessions() as session:
        return session.get_one(ContactAddress, address_id(runtime, number)).opted_out_at


# -- queuing ------------------------------------------------------------------------------------

def test_enqueue_twice_with_one_intent_key_makes_one_row(runtime: Runtime) -> None:
    first = queue(runtime, "follow-up:FB-ABC123", body="first wording")
    second = queue(runtime, "follow-up:FB-ABC123", body="second wording")

    assert second == first
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
    message = load(runtime, first)
    assert (message.body, message.status, message.attempts) == ("first wording", OutboundStatus.QUEUED, 0)
    assert message.next_attempt_at == FIXED_NOW
    assert queue(runtime, "follow-up:FB-XYZ789") != first


# -- sending ------------------------------------------------------------------------------------

def test_run_once_sends_and_records_the_provider_id(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1", body="The surgery has more phone lines now.")
    sender = RecordingSender("SM" + "f" * 32)

    report = worker(runtime, sender, clock).run_once()

    assert (report.sent, report.retried, report.failed, report.cancelled) == (1, 0, 0, 0)
    assert sender.calls == [(PATIENT, "The surgery has more phone lines now.")]
    message = load(runtime, message_id)
    assert message.status == OutboundStatus.SENT
    assert message.provider_message_id == "SM" + "f" * 32
    assert (message.attempts, message.sent_at, message.last_error) == (1, FIXED_NOW, None)
    # Nothing is sent twice.
    clock.advance(timedelta(days=1))
    assert worker(runtime, sender, clock).run_once().sent == 0
    assert len(sender.calls) == 1


def test_a_message_not_yet_due_waits(runtime: Runtime, clock: Clock) -> None:
    queue(runtime, "follow-up:1")
    clock.now = FIXED_NOW - timedelta(seconds=1)
    sender = RecordingSender()
    assert worker(runtime, sender, clock).run_once().sent == 0
    assert sender.calls == []


def test_an_address_opted_out_after_queuing_is_cancelled_not_sent(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    with runtime.sessions.begin() as session:
        session.get_one(ContactAddress, address_id(runtime)).opted_out_at = FIXED_NOW
    sender = RecordingSender()

    report = worker(runtime, sender, clock).run_once()

    assert (report.sent, report.cancelled) == (0, 1)
    assert sender.calls == []
    message = load(runtime, message_id)
    assert (message.status, message.last_error) == (OutboundStatus.CANCELLED, "opted out")
    assert message.provider_message_id is None


def test_temporary_failures_back_off_doubling_then_fail(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    sender = RecordingSender(*[TemporaryFailure("Twilio 503: busy")] * MAX_ATTEMPTS)
    outbox = worker(runtime, sender, clock)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        report = outbox.run_once()
        assert report.retried == 1, attempt
        message = load(runtime, message_id)
        assert (message.status, message.attempts) == (OutboundStatus.QUEUED, attempt)
        assert message.last_error == "Twilio 503: busy"
        wait = message.next_attempt_at - clock.now
        waits.append(wait)
        clock.advance(wait - timedelta(seconds=1))
        assert outbox.run_once().retried == 0  # not due yet
        clock.advance(timedelta(seconds=1))
    assert waits == [FIRST_RETRY * 2 ** n for n in range(MAX_ATTEMPTS - 1)]
    assert waits[0] == timedelta(seconds=30)

    report = outbox.run_once()

    assert (report.failed, report.retried) == (1, 0)
    message = load(runtime, message_id)
    assert (message.status, message.attempts) == (OutboundStatus.FAILED, MAX_ATTEMPTS)
    assert len(sender.calls) == MAX_ATTEMPTS
    clock.advance(timedelta(days=1))
    assert outbox.run_once().retried == 0
    assert len(sender.calls) == MAX_ATTEMPTS


def test_the_providers_retry_after_is_honoured_when_longer(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    sender = RecordingSender(TemporaryFailure("Twilio 429", retry_after=600),
                             TemporaryFailure("Twilio 429", retry_after=1))
    outbox = worker(runtime, sender, clock)

    outbox.run_once()
    assert load(runtime, message_id).next_attempt_at == FIXED_NOW + timedelta(seconds=600)
    clock.advance(timedelta(seconds=600))
    outbox.run_once()
    # A shorter hint than the back-off does not shorten it.
    assert load(runtime, message_id).next_attempt_at == clock.now + 2 * FIRST_RETRY
    clock.advance(2 * FIRST_RETRY)
    assert outbox.run_once().sent == 1
    assert len(sender.calls) == 3


def test_a_permanent_opt_out_refusal_fails_and_opts_the_address_out(runtime: Runtime,
                                                                    clock: Clock) -> None:
    refused = queue(runtime, "follow-up:1")
    sender = RecordingSender(PermanentFailure("Twilio error 21610: unsubscribed", opted_out=True))
    outbox = worker(runtime, sender, clock)

    report = outbox.run_once()

    assert report.failed == 1
    message = load(runtime, refused)
    assert message.status == OutboundStatus.FAILED
    assert message.last_error == "Twilio error 21610: unsubscribed"
    assert opted_out_at(runtime) == FIXED_NOW
    with runtime.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "contact.opt-out"))
    assert (event.actor, event.entity_id) == ("outbox", str(address_id(runtime)))
    # The next message to that person is cancelled without asking the provider.
    later = queue(runtime, "follow-up:2")
    clock.advance(timedelta(minutes=1))
    assert outbox.run_once().cancelled == 1
    assert load(runtime, later).status == OutboundStatus.CANCELLED
    assert len(sender.calls) == 1


def test_a_permanent_refusal_that_is_not_an_opt_out_leaves_the_address_alone(
        runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    sender = RecordingSender(PermanentFailure("Twilio error 21211: invalid number"))
    assert worker(runtime, sender, clock).run_once().failed == 1
    assert load(runtime, message_id).status == OutboundStatus.FAILED
    assert opted_out_at(runtime) is None


def test_a_message_whose_worker_died_mid_send_is_never_sent_again(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    other_id = queue(runtime, "follow-up:2", number=OTHER)
    dying = RecordingSender(Died())
    with pytest.raises(Died):
        worker(runtime, dying, clock).run_once(limit=1)
    assert dying.calls == [(PATIENT, "Your feedback changed something.")]
    message = load(runtime, message_id)
    assert (message.status, message.attempts) == (OutboundStatus.SENDING, 1)

    clock.advance(timedelta(days=7))
    survivor = RecordingSender()
    report = worker(runtime, survivor, clock).run_once()

    assert report.sent == 1
    assert survivor.calls == [(OTHER, "Your feedback changed something.")]  # only the other one
    assert load(runtime, message_id).status == OutboundStatus.SENDING
    assert load(runtime, other_id).status == OutboundStatus.SENT


def stuck_after_a_dying_worker(runtime: Runtime, clock: Clock) -> int:
    message_id = queue(runtime, "follow-up:stuck")
    with pytest.raises(Died):
        worker(runtime, RecordingSender(Died()), clock).run_once()
    return message_id


def test_a_message_left_sending_is_listed_once_it_has_waited(runtime: Runtime, clock: Clock) -> None:
    message_id = stuck_after_a_dying_worker(runtime, clock)
    with runtime.sessions() as session:
        assert stuck_messages(session, clock.now) == []          # it may still be in flight
        later = [m.id for m in stuck_messages(session, clock.now + timedelta(minutes=11))]
    assert later == [message_id]


@pytest.mark.parametrize(("resolution", "status", "sent_again"), [
    ("sent", OutboundStatus.SENT, 0), ("failed", OutboundStatus.FAILED, 0),
    ("retry", OutboundStatus.QUEUED, 1)])
def test_a_person_resolves_a_stuck_message_from_the_providers_log(
        runtime: Runtime, clock: Clock, resolution: str, status: OutboundStatus,
        sent_again: int) -> None:
    message_id = stuck_after_a_dying_worker(runtime, clock)
    clock.advance(timedelta(hours=1))
    with runtime.sessions.begin() as session:
        resolve_stuck(session, message_id, resolution, "staff:admin@example.org", clock.now)
    assert load(runtime, message_id).status == status
    sender = RecordingSender()
    worker(runtime, sender, clock).run_once()
    assert len(sender.calls) == sent_again
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "outbox.stuck-resolved")).one()
    assert (event.entity_id, event.details["resolution"]) == (str(message_id), resolution)
    with runtime.sessions.begin() as session, pytest.raises(ValueError, match="not waiting"):
        resolve_stuck(session, message_id, "sent", "staff:admin@example.org", clock.now)


def test_messages_for_a_channel_without_a_sender_stay_queued(runtime: Runtime, clock: Clock) -> None:
    telegram = queue(runtime, "follow-up:telegram", number="123456789", channel="telegram")
    sms = queue(runtime, "follow-up:sms")
    sender = RecordingSender()

    report = worker(runtime, sender, clock).run_once()

    assert (report.sent, report.retried, report.failed, report.cancelled) == (1, 0, 0, 0)
    assert sender.calls == [(PATIENT, "Your feedback changed something.")]
    message = load(runtime, telegram)
    assert (message.status, message.attempts) == (OutboundStatus.QUEUED, 0)
    assert load(runtime, sms).status == OutboundStatus.SENT


def test_run_once_takes_at_most_limit_messages_oldest_first(runtime: Runtime, clock: Clock) -> None:
    first, second = queue(runtime, "follow-up:1", body="one"), queue(runtime, "follow-up:2", body="two")
    sender = RecordingSender()
    outbox = worker(runtime, sender, clock)
    assert outbox.run_once(limit=1).sent == 1
    assert (load(runtime, first).status, load(runtime, second).status) == (
        OutboundStatus.SENT, OutboundStatus.QUEUED)
    assert outbox.run_once(limit=1).sent == 1
    assert [body for _, body in sender.calls] == ["one", "two"]


# -- delivery reports ---------------------------------------------------------------------------

def test_record_status_never_moves_backwards(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    worker(runtime, RecordingSender("SM" + "d" * 32), clock).run_once()
    sid = "SM" + "d" * 32
    later = FIXED_NOW + timedelta(minutes=5)

    def report(status: OutboundStatus, error: str | None = None) -> bool:
        with runtime.sessions.begin() as session:
            return record_status(session, sid, status, error, later)

    assert report(OutboundStatus.SENT) is False  # already sent
    assert report(OutboundStatus.DELIVERED) is True
    for status in (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.SENT,
                   OutboundStatus.DELIVERED, OutboundStatus.FAILED, OutboundStatus.CANCELLED):
        assert report(status, "30003") is False, status
    message = load(runtime, message_id)
    assert (message.status, message.last_error, message.updated_at) == (
        OutboundStatus.DELIVERED, None, later)
    with runtime.sessions.begin() as session:
        assert record_status(session, "SM" + "0" * 32, OutboundStatus.FAILED, "30003", later) is False


def test_record_status_keeps_the_error_of_a_failure(runtime: Runtime, clock: Clock) -> None:
    message_id = queue(runtime, "follow-up:1")
    worker(runtime, RecordingSender("SM" + "e" * 32), clock).run_once()
    with runtime.sessions.begin() as session:
        assert record_status(session, "SM" + "e" * 32, OutboundStatus.FAILED, "30005", FIXED_NOW)
    message = load(runtime, message_id)
    assert (message.status, message.last_error) == (OutboundStatus.FAILED, "30005")
