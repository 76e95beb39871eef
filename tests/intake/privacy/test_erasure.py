"""Erasure: afterwards nothing the person said and nothing that identifies them is anywhere in
the database, while the anonymous counts (tags, status, links) stay exactly as they were.

Most tests share one database per backend: each erases inside a transaction, looks, and rolls
back (``erase_person`` works in the caller's transaction, as the CLI and workspace use it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.config import Config
from intake.feedback_query import FeedbackFilters, count, facet_counts
from intake.message import IncomingMessage
from intake.privacy.erasure import ERASED, ErasureReport, erase_person
from intake.privacy.people import PersonKey, PersonNotFound, find_person, parse_key
from intake.privacy.records import records_of
from intake.privacy.subject_access import subject_access
from intake.reporting.period import ReportPeriod
from intake.reporting.volumes import reach
from intake.storage.models import (
    AuditEvent,
    Conversation,
    Feedback,
    FeedbackTrackerLink,
    InboundMessage,
    OutboundMessage,
)
from tests.conftest import FIXED_NOW
from tests.intake.privacy.people_fixtures import (
    ADA,
    BACKENDS,
    BERT,
    OTHER_ANONYMOUS_TEXT,
    Held,
    World,
    build_person,
    people_world,
    text_values,
    traces,
)
from tests.intake.staff.ingested import add_staff, add_tracker_item

ACTOR = "cli:admin"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          config: Config) -> Iterator[World]:
    yield from people_world(request.param, tmp_path_factory.mktemp("erasure"), config)


@pytest.fixture
def session(world: World) -> Iterator[Session]:
    """A transaction rolled back afterwards, so every test starts from the same world."""
    with world.runtime.sessions() as session:
        yield session
        session.rollback()


def erase(world: World, session: Session, kind: str = "phone",
          value: str = ADA.national) -> ErasureReport:
    key = parse_key(kind, value)
    person = find_person(session, world.runtime.intake.vault, key)
    report = erase_person(session, person, key, actor=ACTOR, now=FIXED_NOW,
                          reason="asked by phone on 2 November")
    session.flush()
    return report


def counts(session: Session) -> dict[str, Any]:
    everything = FeedbackFilters()
    return {"items": count(session, everything),
            **{facet: facet_counts(session, everything, facet)
               for facet in ("service", "need", "language", "channel", "status")}}


def item(session: Session, held: Held) -> Feedback:
    return session.get_one(Feedback, held.feedback_id)


# -- what goes ----------------------------------------------------------------------------------

def test_nothing_the_person_said_or_their_address_remains_anywhere(world: World,
                                                                   session: Session) -> None:
    vault = world.runtime.intake.vault
    before = traces(session, vault, ADA)
    # The scan finds Ada everywhere she is: her words, her number, the hash that tied to her.
    assert {table for table, _, _ in before} >= {
        "feedback", "feedback_note", "conversation", "inbound_message", "outbound_message",
        "contact_address"}
    bert_before = traces(session, vault, BERT)
    erase(world, session)
    assert traces(session, vault, ADA) == []
    assert traces(session, vault, BERT) == bert_before


def test_the_persons_record_addresses_consents_and_needs_are_deleted(world: World,
                                                                     session: Session) -> None:
    erase(world, session)
    for kind, value in [("phone", ADA.phone), ("pseudonym", world.ada.pseudonym)]:
        with pytest.raises(PersonNotFound):
            find_person(session, world.runtime.intake.vault, parse_key(kind, value))
    assert item(session, world.ada).contributor_id is None


def test_queued_messages_are_cancelled_and_sent_ones_lose_their_text(world: World,
                                                                     session: Session) -> None:
    erase(world, session)
    queued = session.get_one(OutboundMessage, world.ada.queued_reply_id)
    sent = session.get_one(OutboundMessage, world.ada.sent_reply_id)
    assert (queued.status, queued.body, queued.contact_address_id) == ("cancelled", ERASED, None)
    assert (sent.status, sent.body) == ("sent", ERASED)
    assert session.get_one(OutboundMessage, world.bert.queued_reply_id).status == "queued"


def test_the_open_conversation_is_closed_and_the_failed_message_will_not_be_retried(
        world: World, session: Session) -> None:
    erase(world, session)
    theirs = list(session.scalars(select(Conversation).where(
        Conversation.address_hash.like("erased-%"))))
    assert sorted(c.status for c in theirs) == ["completed", "stopped"]
    assert all(c.state == {} and c.contributor_id is None for c in theirs)
    assert [c.closed_at for c in theirs if c.status == "stopped"] == [FIXED_NOW]
    failed = session.get_one(InboundMessage, world.ada.failed_inbound_id)
    assert failed.state == "ignored" and failed.payload_encrypted == ""
    assert failed.payload_removed_at == FIXED_NOW
    assert session.get_one(InboundMessage, world.bert.failed_inbound_id).state == "failed"


# -- what stays ---------------------------------------------------------------------------------

def test_tags_status_links_and_report_counts_are_unchanged(world: World, session: Session) -> None:
    before = counts(session)
    erase(world, session)
    assert counts(session) == before
    erased = item(session, world.ada)
    assert (erased.text, erased.redacted_text) == (ERASED, ERASED)
    assert erased.erased_at == FIXED_NOW and erased.status == "in-review"
    assert {t.value for t in erased.tags if t.kind == "service" and t.active} == {"gp", "pharmacy"}
    assert all(t.evidence is None for t in erased.tags)
    assert session.scalar(select(FeedbackTrackerLink.id).where(
        FeedbackTrackerLink.feedback_id == erased.id)) is not None


def test_the_reach_table_still_counts_items_with_needs(world: World, session: Session) -> None:
    period = ReportPeriod(FIXED_NOW.date().replace(day=1), FIXED_NOW.date())
    before = reach(session, period, "month")
    erase(world, session)
    after = reach(session, period, "month")
    assert (after.items, after.items_with_need) == (before.items, before.items_with_need)


def test_the_reach_table_no_longer_counts_the_erased_person(world: World, session: Session) -> None:
    """The one figure erasure changes, as its docstring says: distinct people."""
    period = ReportPeriod(FIXED_NOW.date().replace(day=1), FIXED_NOW.date())
    before = reach(session, period, "month")
    erase(world, session)
    after = reach(session, period, "month")
    assert (after.people, after.people_with_need) == (
        before.people - 1, before.people_with_need - 1)


def test_another_person_is_untouched(world: World, session: Session) -> None:
    vault = world.runtime.intake.vault
    key = parse_key("phone", BERT.phone)

    def bert() -> dict[str, Any]:
        return subject_access(session, vault, find_person(session, vault, key), key, FIXED_NOW)

    before = bert()
    erase(world, session)
    assert bert() == before
    assert item(session, world.bert).text == BERT.complaint


# -- the record of it ---------------------------------------------------------------------------

def test_the_report_counts_what_was_erased_and_the_audit_log_records_it(
        world: World, session: Session) -> None:
    vault = world.runtime.intake.vault
    held = records_of(session, find_person(session, vault, parse_key("phone", ADA.phone)))
    report = erase(world, session)
    assert report == ErasureReport(
        feedback_items=1, staff_notes=1, messages_received=len(held.inbound),
        conversations=len(held.conversations), messages_sent=2, unsent_cancelled=1,
        contact_addresses=1, consents=1, needs=2, person_record=1)
    assert (len(held.inbound), len(held.conversations)) == (8, 2)
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "erasure.completed"))
    assert (event.actor, event.entity_type, event.entity_id, event.occurred_at) == (
        ACTOR, "contributor", world.ada.pseudonym, FIXED_NOW)
    assert event.details == {"found_by": "phone ending 123",
                             "reason": "asked by phone on 2 November", **asdict(report)}
    assert report.lines()[0] == "feedback items: 1"


def test_a_second_erasure_finds_nothing_left(world: World, session: Session) -> None:
    erase(world, session)
    again = erase(world, session, "reference", world.ada.reference)
    assert again == ErasureReport()
    assert item(session, world.ada).erased_at == FIXED_NOW


# -- anonymous items ----------------------------------------------------------------------------

def test_an_anonymous_item_is_erased_alone_by_its_reference(world: World, session: Session) -> None:
    before = counts(session)
    report = erase(world, session, "reference", world.anonymous)
    assert (report.feedback_items, report.messages_received, report.person_record,
            report.contact_addresses) == (1, 1, 0, 0)
    erased = session.scalar(select(Feedback).where(Feedback.reference == world.anonymous))
    assert erased is not None and erased.text == ERASED
    message = session.get_one(InboundMessage, erased.inbound_message_id)
    assert message.payload_encrypted == ""
    other = session.scalar(select(Feedback).where(Feedback.reference == world.other_anonymous))
    assert other is not None and other.text == OTHER_ANONYMOUS_TEXT
    assert item(session, world.ada).text == ADA.complaint
    assert counts(session) == before
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "erasure.completed"))
    assert (event.entity_type, event.entity_id) == ("feedback", world.anonymous)
    assert not [(table, column) for table, column, text in text_values(
        session, world.runtime.intake.vault) if "Baxendale" in text]


# -- after the erasure is committed -------------------------------------------------------------

def test_after_erasure_reprocessing_skips_the_message_and_the_number_starts_afresh(
        runtime: Runtime) -> None:
    held = build_person(runtime, ADA, add_staff(runtime, "admin"), add_tracker_item(runtime))
    assert held.failed_inbound_id in runtime.intake.pending_inbound()
    key = parse_key("phone", ADA.phone)
    with runtime.sessions.begin() as session:
        person = find_person(session, runtime.intake.vault, key)
        erase_person(session, person, key, actor=ACTOR, now=FIXED_NOW)
    assert held.failed_inbound_id not in runtime.intake.pending_inbound()

    later = runtime.intake.ingest(IncomingMessage(
        channel="sms", provider_message_id="SM-later", text="Just checking the dentist reopened",
        sender=ADA.phone))
    assert later.feedback_id is not None
    with runtime.sessions() as session:
        person = find_person(session, runtime.intake.vault, key)
        assert person.pseudonym != held.pseudonym
        assert person.feedback_ids == (later.feedback_id,)
        records = records_of(session, person)
        assert [m.provider_message_id for m in records.inbound] == ["SM-later"]
        assert records.conversations == [] and records.outbound == []
        assert session.get_one(Feedback, held.feedback_id).contributor_id is None
        # A second run, in a transaction of its own, has nothing left to erase.
        old = find_person(session, runtime.intake.vault, parse_key("reference", held.reference))
        assert old.feedback_ids == (held.feedback_id,) and old.contributor_id is None
        again = erase_person(session, old, PersonKey(key.kind, key.value), actor=ACTOR,
                             now=FIXED_NOW)
        assert (again.feedback_items, again.contact_addresses, again.messages_received,
                again.person_record) == (0, 0, 0, 0)


def test_feedback_waiting_for_the_worker_is_erased_and_never_tagged(runtime: Runtime) -> None:
    build_person(runtime, ADA, add_staff(runtime, "admin"), add_tracker_item(runtime))
    queued = runtime.intake.queue(IncomingMessage(
        channel="sms", provider_message_id="conversation-ada", text="The dentist never rang back",
        sender=ADA.phone))
    key = parse_key("phone", ADA.phone)
    with runtime.sessions.begin() as session:
        person = find_person(session, runtime.intake.vault, key)
        erase_person(session, person, key, actor=ACTOR, now=FIXED_NOW)

    assert runtime.intake.process_queued() == []
    with runtime.sessions() as session:
        message = session.get_one(InboundMessage, queued.inbound_id)
        assert (message.state, message.payload_encrypted) == ("ignored", "")
        assert session.scalar(select(Feedback).where(Feedback.reference == queued.reference)) is None
