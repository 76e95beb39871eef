"""records_of: every row about one person (the definition subject access and erasure share),
and none about anyone else, with two people's data side by side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from intake.config import Config
from intake.privacy.people import Person, find_person, parse_key
from intake.privacy.records import PersonRecords, records_of
from intake.storage.models import InboundState
from tests.intake.privacy.people_fixtures import (
    BACKENDS,
    Held,
    World,
    people_world,
)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          config: Config) -> Iterator[World]:
    yield from people_world(request.param, tmp_path_factory.mktemp("records"), config)


@pytest.fixture
def session(world: World) -> Iterator[Session]:
    with world.runtime.sessions() as session:
        yield session


def of(world: World, session: Session, held: Held) -> PersonRecords:
    person = find_person(session, world.runtime.intake.vault, parse_key("phone", held.someone.phone))
    return records_of(session, person)


def ids(rows: list) -> set[int]:  # type: ignore[type-arg]
    return {row.id for row in rows}


def test_the_persons_own_record_addresses_consents_and_needs(world: World, session: Session) -> None:
    records = of(world, session, world.ada)
    assert records.contributor is not None and records.contributor.pseudonym == world.ada.pseudonym
    vault = world.runtime.intake.vault
    assert [(a.channel, vault.decrypt(a.address_encrypted)) for a in records.addresses] == [
        ("sms", world.ada.someone.phone)]
    assert [(c.purpose, c.granted) for c in records.consents] == [("follow-up", True)]
    assert {n.need for n in records.needs} == {"interpreter", "easy-read"}


def test_feedback_and_every_message_received_including_ones_tied_only_by_the_sender(
        world: World, session: Session) -> None:
    records = of(world, session, world.ada)
    assert [f.reference for f in records.feedback] == [world.ada.reference]
    # The six chat messages and the failed one are tied to Ada by her number's hash alone; the
    # seventh is the finished chat handed to the pipeline, which made the feedback item.
    assert len(records.inbound) == 8
    assert world.ada.failed_inbound_id in ids(records.inbound)
    states = sorted(m.state for m in records.inbound)
    assert states.count(InboundState.CONVERSATION) == 6
    assert InboundState.FAILED in states and InboundState.PROCESSED in states
    tied_by_feedback = {f.inbound_message_id for f in records.feedback}
    assert tied_by_feedback < ids(records.inbound)


def test_conversations_turns_outbound_and_audit_events(world: World, session: Session) -> None:
    records = of(world, session, world.ada)
    assert sorted(c.status for c in records.conversations) == ["completed", "open"]
    assert len(records.turns) == 6
    assert {t.conversation_id for t in records.turns} == ids(records.conversations)
    assert ids(records.outbound) == {world.ada.queued_reply_id, world.ada.sent_reply_id}
    actions = {e.action for e in records.audit}
    assert {"feedback.created", "feedback.status-changed", "feedback.note-added", "tag.corrected",
            "feedback.linked", "feedback.reply-queued"} <= actions
    assert {e.entity_id for e in records.audit if e.entity_type == "feedback"} == {
        world.ada.reference}


def test_nothing_of_another_person_is_included(world: World, session: Session) -> None:
    ada, bert = of(world, session, world.ada), of(world, session, world.bert)
    for name in ("addresses", "consents", "needs", "feedback", "inbound", "conversations",
                 "turns", "outbound", "audit"):
        mine, theirs = ids(getattr(ada, name)), ids(getattr(bert, name))
        assert mine and theirs, name
        assert not mine & theirs, name
    assert world.bert.failed_inbound_id not in ids(ada.inbound)


def test_an_anonymous_item_has_only_itself_and_its_message(world: World, session: Session) -> None:
    person = find_person(session, world.runtime.intake.vault,
                         parse_key("reference", world.anonymous))
    records = records_of(session, person)
    assert person == Person(None, None, person.feedback_ids) and len(person.feedback_ids) == 1
    assert records.contributor is None and not (records.addresses or records.consents
                                                or records.needs)
    assert [f.reference for f in records.feedback] == [world.anonymous]
    assert [m.id for m in records.inbound] == [records.feedback[0].inbound_message_id]
    assert not (records.conversations or records.turns or records.outbound)
    assert [(e.action, e.entity_id) for e in records.audit] == [("feedback.created", world.anonymous)]
