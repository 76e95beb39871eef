"""Ingesting in batches (``Intake.ingest_many``, used by `intake import`): the same results as one
message at a time, on SQLite and PostgreSQL, and the same guarantees — the raw messages are
committed first, a message that fails does not take its neighbours with it, a repeat adds nothing,
and a crash part-way leaves every message for `intake reprocess --failed`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from intake import pipeline
from intake.bootstrap import Runtime
from intake.cli import main
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.ingest import IngestResult, Intake, NewItem
from intake.message import Answers, IncomingMessage
from intake.storage.models import (
    AuditEvent,
    Contributor,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    InboundMessage,
    InboundState,
    Tag,
)
from intake.tag_history import active_tags
from tests.conftest import FIXED_NOW, settings_env

TOO_LONG = "x" * 6000


def messages(prefix: str, sender_base: int) -> list[IncomingMessage]:
    """A mixed batch: senders (one twice), answers, a consultation entry, routing, an item the
    pipeline rejects, a phone number to redact, another language. Ofcom drama numbers only."""
    first = f"+4477009{sender_base:05d}"
    second = f"+4477009{sender_base + 1:05d}"

    def one(n: int, text: str, sender: str | None = None, **answers: Any) -> IncomingMessage:
        return IncomingMessage(channel="sms", provider_message_id=f"{prefix}-{n}", text=text,
                               sender=sender, answers=Answers(**answers))

    return [
        one(1, "My GP surgery never answers the phone", first),
        one(2, "Lekarz rodzinny nie odbiera telefonu, czekałam dwie godziny", second),
        one(3, "The midwife was lovely"),
        one(4, TOO_LONG, first),
        one(5, "Parking was hard", first, consultation=DEMO_CONSULTATION_SLUG),
        one(6, "Call me on 07700 900123, my dad needs a BSL interpreter", second,
            needs=("bsl-interpreter",)),
        one(7, "It was fine", None, services=("dental",), language="ur"),
        one(8, "Very good"),
    ]


def stored(runtime: Runtime, result: IngestResult) -> tuple[object, ...]:
    """What an item became, without the things that differ between two runs (ids, references)."""
    with runtime.sessions() as session:
        record = session.get_one(InboundMessage, result.inbound_id)
        item = session.scalar(select(Feedback).where(Feedback.inbound_message_id == record.id))
        if item is None:
            return (record.state, record.error, record.attempts)
        tags = sorted((t.kind, t.value, t.source, t.tagger_version, round(t.confidence, 4),
                       t.code, t.evidence) for t in active_tags(item))
        tracker = sorted(session.scalars(select(FeedbackTrackerLink.rule_id).where(
            FeedbackTrackerLink.feedback_id == item.id)))
        consultations = sorted(session.scalars(select(FeedbackConsultationLink.rule_id).where(
            FeedbackConsultationLink.feedback_id == item.id)))
        audit = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == item.reference, AuditEvent.action == "feedback.created"))
        return (record.state, record.error, record.attempts, item.redacted_text,
                item.contributor_id is not None, item.consultation_id is not None, tags,
                tracker, consultations, audit, item.pipeline_version)


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    return runtime


def test_a_batch_gives_the_same_results_as_one_message_at_a_time(
        seeded: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    one_by_one = [seeded.intake.ingest(m) for m in messages("single", 100)]
    batch = seeded.intake.ingest_many(messages("batch", 200))
    assert "one by one" not in caplog.text          # the batch was stored as a batch
    assert [r.state for r in batch] == [r.state for r in one_by_one]
    assert [r.error for r in batch] == [r.error for r in one_by_one]
    assert [stored(seeded, r) for r in batch] == [stored(seeded, r) for r in one_by_one]
    assert all(r.reference and r.feedback_id for r in batch if r.state == InboundState.PROCESSED)
    assert len({r.reference for r in [*batch, *one_by_one] if r.reference}) == 14
    assert count(seeded, Contributor) == 4               # two people in each run
    assert stored(seeded, batch[3])[:2] == (InboundState.REJECTED, batch[3].error)
    assert "6,000 characters" in (batch[3].error or "")


def test_a_reference_another_item_has_is_drawn_again(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    batch = messages("m", 100)
    taken = runtime.intake.ingest(batch[0]).reference
    draws = iter([taken, "FB-222222", "FB-333333"])
    monkeypatch.setattr("intake.ingest.new_reference", lambda: next(draws))
    results = runtime.intake.ingest_many([batch[2], batch[7]])
    assert {r.reference for r in results} == {"FB-222222", "FB-333333"}   # not the taken one
    assert "one by one" not in caplog.text and count(runtime, Feedback) == 3
    assert [stored(runtime, r)[0] for r in results] == [InboundState.PROCESSED] * 2


def test_a_repeated_batch_adds_nothing_and_is_answered_as_before(runtime: Runtime) -> None:
    first = runtime.intake.ingest_many(messages("m", 100))
    again = runtime.intake.ingest_many(messages("m", 100))
    assert all(r.duplicate for r in again) and not any(r.duplicate for r in first)
    assert [replace(r, duplicate=False) for r in again] == first
    assert count(runtime, InboundMessage) == 8 and count(runtime, Feedback) == 7


def test_a_message_twice_in_one_batch_is_stored_once(runtime: Runtime) -> None:
    batch = messages("m", 100)[:2]
    results = runtime.intake.ingest_many([*batch, batch[0]])
    assert [r.duplicate for r in results] == [False, False, True]
    assert results[2] == replace(results[0], duplicate=True)
    assert count(runtime, Feedback) == 2


def test_a_message_that_fails_in_the_pipeline_is_kept_and_its_neighbours_go_on(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    real = runtime.intake.taggers.language.detect

    def flaky(text: str, *args: Any, **kwargs: Any) -> Any:
        if "midwife" in text:
            raise RuntimeError("language model unavailable")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(runtime.intake.taggers.language, "detect", flaky)
    results = runtime.intake.ingest_many(messages("m", 100))
    assert [r.state for r in results] == [InboundState.PROCESSED] * 2 + [InboundState.FAILED] + [
        InboundState.REJECTED] + [InboundState.PROCESSED] * 4
    assert "language model unavailable" in (results[2].error or "")
    assert stored(runtime, results[2]) == (InboundState.FAILED, results[2].error, 1)
    assert runtime.intake.pending_inbound() == [results[2].inbound_id]

    monkeypatch.undo()
    assert runtime.intake.retry(results[2].inbound_id).state == InboundState.PROCESSED
    assert count(runtime, Feedback) == 7 and runtime.intake.pending_inbound() == []


def test_when_storing_the_batch_fails_each_message_is_processed_on_its_own(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    real_row = Intake._feedback_row

    def refuses(self: Intake, item: NewItem) -> dict[str, Any]:
        """The row is refused in the batch, and again when the message is stored on its own."""
        if item.message.provider_message_id == "m-5":
            raise ValueError("the database refused this row")
        return real_row(self, item)

    monkeypatch.setattr(Intake, "_feedback_row", refuses)
    results = runtime.intake.ingest_many(messages("m", 100))
    assert [r.state for r in results].count(InboundState.PROCESSED) == 6
    assert results[4].state == InboundState.FAILED
    assert results[4].error == "ValueError: the database refused this row"
    assert stored(runtime, results[4]) == (InboundState.FAILED, results[4].error, 1)
    assert count(runtime, Feedback) == 6


def test_a_message_stored_meanwhile_by_another_process_is_recognised(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = messages("m", 100)
    earlier = runtime.intake.ingest(batch[1])
    # As if another process stored it between the batch's look-up and its commit.
    monkeypatch.setattr(Intake, "_stored_inbound", staticmethod(lambda session, keys: {}))
    results = runtime.intake.ingest_many(batch)
    assert results[1] == replace(earlier, duplicate=True)
    assert [r.duplicate for r in results].count(True) == 1
    assert count(runtime, InboundMessage) == 8 and count(runtime, Feedback) == 7


def test_a_crash_part_way_leaves_every_message_for_reprocess(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, database_url: str,
        tmp_path: Any) -> None:
    real = pipeline.run
    calls = 0

    def dies(message: IncomingMessage, context: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt      # the process is stopped in the middle of the batch
        return real(message, context)

    monkeypatch.setattr(pipeline, "run", dies)
    with pytest.raises(KeyboardInterrupt):
        runtime.intake.ingest_many(messages("m", 100))
    monkeypatch.undo()
    assert count(runtime, InboundMessage) == 8 and count(runtime, Feedback) == 0
    assert len(runtime.intake.pending_inbound()) == 8       # every raw message was committed

    env = settings_env(database_url, tmp_path / "instance")
    env["INTAKE_ENCRYPTION_KEYS"] = ",".join(runtime.settings.encryption_keys)
    done = CliRunner().invoke(main, ["reprocess", "--failed"], env=env, catch_exceptions=False)
    assert "7 completed, 1 still failing." in done.stdout     # the one too long is rejected
    assert count(runtime, Feedback) == 7 and runtime.intake.pending_inbound() == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Tag)) > 7
