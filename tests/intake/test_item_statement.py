"""A new item written in one statement on PostgreSQL (``intake.item_statement``, used by
``Intake.ingest`` for a message from a person already known, or from no one): the same rows as
the transaction's way, no transaction, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from intake import ingest as ingest_module
from intake.bootstrap import Runtime
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.ingest import Intake
from intake.item_statement import ItemRows, item_written
from intake.message import Answers, Consent, IncomingMessage
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    ContactAddress,
    Contributor,
    Conversation,
    ConversationStatus,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    InboundMessage,
    InboundState,
    RecordedNeed,
    Tag,
)
from tests.conftest import FIXED_NOW, POSTGRES_URL, postgres_available
from tests.scratch_schema import scratch_schema
from tests.statements_sent import statements_sent

FIRST, SECOND = "+447700900123", "+447700900456"
LATER = FIXED_NOW + timedelta(hours=3)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """PostgreSQL's only: SQLite has no data-modifying WITH clauses (and no round trips to
    save), and ``Intake.ingest`` keeps the transaction's way there."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def pg_runtime(runtime: Runtime) -> Runtime:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    return runtime


def message(sender: str | None, pid: str, text: str = "The midwife at my GP was lovely",
            **answers: Any) -> IncomingMessage:
    return IncomingMessage(channel="sms", provider_message_id=pid, text=text, sender=sender,
                           answers=Answers(**answers))


def known(runtime: Runtime, *senders: str) -> None:
    """Each sender's first message (a new person: the transaction's way), an hour back."""
    runtime.intake.clock = lambda: FIXED_NOW
    for sender in senders:
        runtime.intake.ingest(message(sender, f"first-{sender}", "Hello"))
    runtime.intake.clock = lambda: LATER


def full(sender: str, pid: str) -> IncomingMessage:
    """A message with everything an item is written with: consents, needs, a language, a
    consultation, tags and routing links."""
    return message(sender, pid, language="pl", needs=("large-print", "easy-read"),
                   consents=(Consent("follow-up", True, "v3"),),
                   consultation=DEMO_CONSULTATION_SLUG)


def written(runtime: Runtime, reference: str) -> dict[str, Any]:
    """Everything stored for the item, without ids, its reference or its sender's identity."""
    with runtime.sessions() as session:
        item = session.scalars(select(Feedback).where(Feedback.reference == reference)).one()
        inbound = session.get_one(InboundMessage, item.inbound_message_id)
        contributor = session.get_one(Contributor, item.contributor_id)
        address = session.scalars(select(ContactAddress).where(
            ContactAddress.contributor_id == contributor.id)).one()
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == reference)).one()
        return {
            "item": {column: getattr(item, column) for column in (
                "channel", "text", "redacted_text", "on_behalf_of", "fft_rating", "status",
                "consultation_id", "received_at", "created_at", "updated_at",
                "pipeline_version")},
            "tags": sorted((t.kind, t.value, t.code, t.confidence, t.source, t.tagger_version,
                            repr(t.evidence), t.created_at, t.retracted_at) for t in item.tags),
            "event": (event.occurred_at, event.actor, event.action, event.entity_type,
                      sorted(event.details)),
            "tracker": sorted((link.tracker_item_id, link.rule_id, link.created_at)
                              for link in session.scalars(select(FeedbackTrackerLink).where(
                                  FeedbackTrackerLink.feedback_id == item.id))),
            "consultations": sorted((link.consultation_id, link.rule_id, link.created_at)
                                    for link in session.scalars(
                                        select(FeedbackConsultationLink).where(
                                            FeedbackConsultationLink.feedback_id == item.id))),
            "consents": sorted((c.purpose, c.granted, c.wording_version, c.channel,
                                c.inbound_message_id == inbound.id, c.recorded_at)
                               for c in contributor.consents),
            "needs": sorted((n.need, n.code, n.source, n.recorded_at, n.withdrawn_at)
                            for n in contributor.needs),
            "language": contributor.preferred_language,
            "last_seen": address.last_seen_at,
            "inbound": (inbound.state, inbound.attempts, inbound.error, inbound.processed_at),
        }


def test_a_known_persons_message_writes_what_the_transactions_way_writes(
        pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    known(pg_runtime, FIRST, SECOND)
    with statements_sent(pg_runtime.engine) as sent:
        one = pg_runtime.intake.ingest(full(FIRST, "full-1"))
    assert [s for s, _ in sent if s.startswith("WITH item AS")]   # this way, not the other
    monkeypatch.setattr(Intake, "_process_in_one_statement", lambda *_args: None)
    other = pg_runtime.intake.ingest(full(SECOND, "full-2"))
    assert one.state == other.state == InboundState.PROCESSED
    assert one.reference and other.reference and one.reference != other.reference
    mine, theirs = written(pg_runtime, one.reference), written(pg_runtime, other.reference)
    assert mine == theirs
    # and the message had all there is to write: the comparison is not of empty lists
    assert mine["tracker"] and mine["consultations"] and mine["item"]["consultation_id"]
    assert len(mine["consents"]) == 1 and len(mine["needs"]) == 2 and mine["language"] == "pl"
    assert mine["last_seen"] == LATER and mine["inbound"] == (InboundState.PROCESSED, 1, None,
                                                              LATER)
    assert {tag[0] for tag in mine["tags"]} >= {"language", "service", "need"}


def test_it_takes_one_writing_statement_and_no_transaction(pg_runtime: Runtime) -> None:
    """The message stored, the reads, and one statement, each committing itself: no BEGIN or
    COMMIT round trips, where the transaction's way sent twelve statements and more."""
    known(pg_runtime, FIRST)
    with statements_sent(pg_runtime.engine) as sent:
        result = pg_runtime.intake.ingest(full(FIRST, "full-1"))
    assert result.state == InboundState.PROCESSED
    assert {level for _, level in sent} == {"AUTOCOMMIT"}
    writes = [statement for statement, _ in sent if not statement.startswith("SELECT")]
    assert len(writes) == 2 and writes[0].startswith("INSERT INTO inbound_message")
    assert writes[1].startswith("WITH item AS (INSERT INTO feedback")
    for write in ("INSERT INTO tag ", "INSERT INTO audit_event ", "INSERT INTO consent_record ",
                  "INSERT INTO recorded_need ", "INSERT INTO feedback_tracker_link ",
                  "INSERT INTO feedback_consultation_link ", "UPDATE contributor SET",
                  "UPDATE contact_address SET", "UPDATE inbound_message SET"):
        assert write in writes[1], write
    # the needs held are read (to add only new ones); the inbound row is not read back
    assert not [s for s, _ in sent if s.startswith("SELECT") and "FROM inbound_message" in s]


def test_a_message_from_no_one_is_written_in_one_statement_too(pg_runtime: Runtime) -> None:
    with statements_sent(pg_runtime.engine) as sent:
        result = pg_runtime.intake.ingest(message(None, "form-1"))
    assert result.state == InboundState.PROCESSED and result.reference
    assert {level for _, level in sent} == {"AUTOCOMMIT"}
    assert sum(statement.startswith("WITH item AS") for statement, _ in sent) == 1
    with pg_runtime.sessions() as session:
        item = session.scalars(select(Feedback)).one()
        assert item.contributor_id is None and item.tags


def test_a_new_persons_message_goes_the_transactions_way(pg_runtime: Runtime) -> None:
    """Their contributor and address are added with the item, in a transaction."""
    with statements_sent(pg_runtime.engine) as sent:
        result = pg_runtime.intake.ingest(message(FIRST, "new-1"))
    assert result.state == InboundState.PROCESSED
    assert not [s for s, _ in sent if s.startswith("WITH item AS")]
    assert any(level != "AUTOCOMMIT" and s.startswith("INSERT INTO contributor")
               for s, level in sent)
    # only their address is read before: the routing targets once, in the transaction
    assert [level for s, level in sent if "FROM tracker_item" in s] == [None]


def test_a_conversations_answers_link_the_conversation(pg_runtime: Runtime) -> None:
    known(pg_runtime, FIRST)
    with pg_runtime.sessions.begin() as session:
        address = session.scalars(select(ContactAddress)).one()
        conversation = Conversation(
            channel="sms", address_hash=address.address_hash,
            contributor_id=address.contributor_id, status=ConversationStatus.COMPLETED,
            state={}, started_at=FIXED_NOW, last_activity_at=FIXED_NOW, version=1)
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    answers = replace(message(FIRST, f"conversation-{conversation_id}"),
                      metadata={"conversation_id": conversation_id})
    result = pg_runtime.intake.ingest(answers)
    with pg_runtime.sessions() as session:
        assert session.get_one(Conversation, conversation_id).feedback_id == result.feedback_id


def test_a_taken_reference_is_drawn_again_and_nothing_is_written_twice(
        pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    known(pg_runtime, FIRST)
    with pg_runtime.sessions() as session:
        taken = session.scalars(select(Feedback.reference)).one()
    draws = iter([taken, "FB-AAAAAA"])
    monkeypatch.setattr(ingest_module, "new_reference", lambda: next(draws))
    result = pg_runtime.intake.ingest(full(FIRST, "full-1"))
    assert result.state == InboundState.PROCESSED and result.reference == "FB-AAAAAA"
    with pg_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 2
        assert session.scalars(select(AuditEvent.entity_id)
                               .where(AuditEvent.action == "feedback.created")).all() == [
            taken, "FB-AAAAAA"]
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 1
        assert session.get_one(InboundMessage, result.inbound_id).attempts == 1


def test_a_statement_refused_writes_nothing_and_the_transactions_way_stores_the_item(
        pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row the database refuses (here a routing link to a tracker item that is not there)
    fails the whole statement: no item, tag, consent or need of it is kept, the message is not
    marked processed, and the transaction's way (with the real links) stores it once."""
    known(pg_runtime, FIRST)
    real = Intake._item_rows

    def with_a_broken_link(intake: Intake, *args: Any) -> ItemRows:
        rows = real(intake, *args)
        rows.links = [*rows.links, (FeedbackTrackerLink.__table__, {
            "feedback_id": 0, "tracker_item_id": 999_999, "rule_id": "x", "created_at": LATER})]
        return rows

    monkeypatch.setattr(Intake, "_item_rows", with_a_broken_link)
    tried: list[int] = []
    real_statement = ingest_module.item_written
    monkeypatch.setattr(ingest_module, "item_written",
                        lambda rows: tried.append(1) or real_statement(rows))
    result = pg_runtime.intake.ingest(full(FIRST, "full-1"))
    assert tried == [1]
    assert result.state == InboundState.PROCESSED and result.reference
    with pg_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 2
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 1
        assert session.scalar(select(func.count()).select_from(RecordedNeed)) == 2
        assert session.get_one(InboundMessage, result.inbound_id).attempts == 1
        item = session.scalars(select(Feedback).where(Feedback.reference == result.reference)).one()
        assert all(link.tracker_item_id != 999_999 for link in session.scalars(
            select(FeedbackTrackerLink).where(FeedbackTrackerLink.feedback_id == item.id)))
        assert session.scalar(select(func.count()).select_from(Tag).where(
            Tag.feedback_id == item.id)) == len(item.tags) > 0


def test_a_message_the_pipeline_turns_down_is_recorded_once(pg_runtime: Runtime) -> None:
    known(pg_runtime, FIRST)
    result = pg_runtime.intake.ingest(message(FIRST, "empty", "   "))
    assert result.state == InboundState.REJECTED and result.error
    with pg_runtime.sessions() as session:
        inbound = session.get_one(InboundMessage, result.inbound_id)
        assert (inbound.state, inbound.attempts) == (InboundState.REJECTED, 1)
        assert session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_the_message_is_counted_as_processed_once(
        pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    known(pg_runtime, FIRST)
    settled: list[tuple[str, InboundState, InboundState]] = []
    monkeypatch.setattr(pg_runtime.intake, "settled",
                        lambda *args: settled.append(args))  # type: ignore[arg-type]
    pg_runtime.intake.ingest(full(FIRST, "full-1"))
    assert settled == [("sms", InboundState.RECEIVED, InboundState.PROCESSED)]


def test_the_hour_of_last_contact_is_left_alone_within_the_hour(pg_runtime: Runtime) -> None:
    known(pg_runtime, FIRST)
    pg_runtime.intake.clock = lambda: FIXED_NOW + timedelta(minutes=20)
    with statements_sent(pg_runtime.engine) as sent:
        pg_runtime.intake.ingest(message(FIRST, "soon"))
    assert not [s for s, _ in sent if "UPDATE contact_address" in s]
    with pg_runtime.sessions() as session:
        assert session.scalars(select(ContactAddress.last_seen_at)).one() == FIXED_NOW


def test_the_statement_on_its_own_writes_the_rows_it_is_given(pg_runtime: Runtime) -> None:
    """``item_written`` without ``Intake``: an item from no one, with one tag and no links."""
    with pg_runtime.sessions.begin() as session:
        inbound_id = session.execute(insert(InboundMessage.__table__).values(
            channel="web", provider_message_id="w-1", received_at=FIXED_NOW,
            payload_encrypted="x", state=InboundState.RECEIVED, attempts=0).returning(
            InboundMessage.__table__.c.id)).scalar_one()
    rows = ItemRows(
        feedback={"reference": "FB-BBBBBB", "inbound_message_id": inbound_id, "channel": "web",
                  "text": "t", "redacted_text": "t", "on_behalf_of": False, "fft_rating": None,
                  "consultation_id": None, "received_at": FIXED_NOW, "created_at": FIXED_NOW,
                  "updated_at": FIXED_NOW, "pipeline_version": "1"},
        inbound_id=inbound_id, now=FIXED_NOW,
        tags=[{"feedback_id": 0, "kind": "language", "value": "en", "code": None,
               "confidence": 0.9, "source": "auto", "tagger_version": "v", "evidence": None,
               "created_at": FIXED_NOW}])
    with pg_runtime.sessions.begin() as session:
        feedback_id = session.execute(*item_written(rows)).scalar_one()
    with pg_runtime.sessions() as session:
        assert session.get_one(Feedback, feedback_id).reference == "FB-BBBBBB"
        assert [(t.kind, t.value) for t in session.get_one(Feedback, feedback_id).tags] == [
            ("language", "en")]
        assert session.get_one(InboundMessage, inbound_id).state == InboundState.PROCESSED
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_items_of_one_shape_share_a_statement_that_sqlalchemy_caches_compiled(
        pg_runtime: Runtime) -> None:
    """Built once per shape with named parameters: a statement with its values in it, or one
    SQLAlchemy cannot cache (an INSERT's list of VALUES rows in a WITH clause), was compiled
    for every item, which cost more CPU than the round trips it saved."""
    def rows(reference: str, text: str) -> ItemRows:
        return ItemRows(
            feedback={"reference": reference, "text": text}, inbound_id=1, now=FIXED_NOW,
            tags=[{"kind": "language", "value": text}, {"kind": "service", "value": "gp"}],
            contributor_id=7, consents=[{"purpose": "follow-up", "granted": True}])

    one, one_parameters = item_written(rows("FB-AAAAAA", "en"))
    other, other_parameters = item_written(rows("FB-BBBBBB", "pl"))
    assert one is other and one._generate_cache_key() is not None
    assert (one_parameters["item__reference"], other_parameters["tags__0__value"]) == (
        "FB-AAAAAA", "pl")
    different, _ = item_written(replace(rows("FB-CCCCCC", "en"), tags=[]))
    assert different is not one
