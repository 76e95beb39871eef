"""The figures read from the database at scrape time: the outbox by channel and status, how long
due messages have waited, messages a dead worker left sending, inbox failures; and a database
that does not answer shown as ``intake_database_up 0`` rather than an error."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from intake.bootstrap import Runtime
from intake.contributors import contributor_for
from intake.message import IncomingMessage
from intake.observability.database import DatabaseCollector
from intake.outbox import enqueue
from intake.storage.models import InboundMessage, InboundState, OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW


def scrape(collector: DatabaseCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(collector)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in registry.collect() for sample in family.samples}


def queue(runtime: Runtime, key: str, channel: str, address: str, status: OutboundStatus,
          due: timedelta = timedelta(0), updated: timedelta = timedelta(0)) -> None:
    with runtime.sessions.begin() as session:
        _, contact = contributor_for(session, runtime.intake.vault, channel, address, FIXED_NOW)
        message = enqueue(session, intent_key=key, address=contact, purpose="follow-up", body="Hello",
                          language="en", now=FIXED_NOW)
        message.status = status
        message.next_attempt_at = FIXED_NOW - due
        message.updated_at = FIXED_NOW - updated


def collector(runtime: Runtime) -> DatabaseCollector:
    return DatabaseCollector(runtime.sessions, lambda: FIXED_NOW, channels=("sms", "telegram"),
                             pipeline_version="normalise@1")


def test_an_empty_outbox_reports_zero_for_every_channel(runtime: Runtime) -> None:
    figures = scrape(collector(runtime))
    assert figures[("intake_database_up", ())] == 1
    assert figures[("intake_build_info", (("pipeline", "normalise@1"), ("version", "0.1.0")))] == 1
    for channel in ("sms", "telegram"):
        for status in ("queued", "sending", "failed"):
            assert figures[("intake_outbox_messages", (("channel", channel), ("status", status)))] == 0
        assert figures[("intake_outbox_oldest_due_seconds", (("channel", channel),))] == 0
        assert figures[("intake_outbox_stuck_messages", (("channel", channel),))] == 0


def test_the_backlog_failures_and_stuck_messages_by_channel(runtime: Runtime) -> None:
    queue(runtime, "a", "sms", "+447700900001", OutboundStatus.QUEUED, due=timedelta(minutes=5))
    queue(runtime, "b", "sms", "+447700900002", OutboundStatus.QUEUED, due=timedelta(minutes=1))
    queue(runtime, "c", "sms", "+447700900003", OutboundStatus.QUEUED, due=-timedelta(hours=1))  # later
    queue(runtime, "d", "sms", "+447700900004", OutboundStatus.SENDING, updated=timedelta(minutes=30))
    queue(runtime, "e", "sms", "+447700900005", OutboundStatus.SENDING, updated=timedelta(minutes=1))
    queue(runtime, "f", "telegram", "4242", OutboundStatus.FAILED)
    queue(runtime, "g", "telegram", "4243", OutboundStatus.SENT)
    figures = scrape(collector(runtime))

    def outbox(channel: str, status: str) -> float:
        return figures[("intake_outbox_messages", (("channel", channel), ("status", status)))]

    assert (outbox("sms", "queued"), outbox("sms", "sending"), outbox("sms", "failed")) == (3, 2, 0)
    assert (outbox("telegram", "queued"), outbox("telegram", "failed")) == (0, 1)
    assert figures[("intake_outbox_oldest_due_seconds", (("channel", "sms"),))] == 300
    assert figures[("intake_outbox_oldest_due_seconds", (("channel", "telegram"),))] == 0
    assert figures[("intake_outbox_stuck_messages", (("channel", "sms"),))] == 1
    assert not any(name.startswith("intake_outbox") and ("status", "sent") in labels
                   for name, labels in figures)


def test_inbox_messages_that_failed_are_counted_by_channel(runtime: Runtime) -> None:
    for pid in ("x-1", "x-2"):
        inbound_id, _ = runtime.intake.receive(IncomingMessage("web", pid, "text"))
        with runtime.sessions.begin() as session:
            session.get_one(InboundMessage, inbound_id).state = InboundState.FAILED
    runtime.intake.receive(IncomingMessage("web", "x-3", "text"))
    figures = scrape(collector(runtime))
    assert figures[("intake_inbound_failed_messages", (("channel", "web"),))] == 2


def test_inbox_messages_waiting_for_the_worker_to_tag_them_are_counted_by_channel(
        runtime: Runtime) -> None:
    for pid in ("q-1", "q-2"):
        runtime.intake.queue(IncomingMessage("sms", pid, "My GP never answers"))
    runtime.intake.queue(IncomingMessage("web", "q-3", "My GP never answers"))
    figures = scrape(collector(runtime))
    assert figures[("intake_inbound_queued_messages", (("channel", "sms"),))] == 2
    assert figures[("intake_inbound_queued_messages", (("channel", "web"),))] == 1
    runtime.intake.process_queued()
    assert not any(name == "intake_inbound_queued_messages" for name, _ in scrape(collector(runtime)))


def test_a_database_that_does_not_answer_is_reported_not_raised(tmp_path: object) -> None:
    engine = create_engine("postgresql+psycopg://nobody:wrong@127.0.0.1:1/none",
                           connect_args={"connect_timeout": 2})
    figures = scrape(DatabaseCollector(sessionmaker(engine), lambda: FIXED_NOW, channels=("sms",)))
    assert figures[("intake_database_up", ())] == 0
    assert not any(name.startswith("intake_outbox") for name, _ in figures)


def test_only_waiting_and_failed_rows_are_read(runtime: Runtime) -> None:
    """A message sent long ago is not part of any figure (the queries stay on indexed states)."""
    queue(runtime, "old", "sms", "+447700900009", OutboundStatus.DELIVERED, due=timedelta(days=400))
    with runtime.sessions() as session:
        assert session.query(OutboundMessage).count() == 1
    figures = scrape(collector(runtime))
    assert sum(v for (name, _), v in figures.items() if name == "intake_outbox_messages") == 0
