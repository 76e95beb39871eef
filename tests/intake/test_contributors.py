"""Finding or creating the person behind a message, and keeping what they tell us about themselves."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.contributors import contributor_for, find_address, record_answers
from intake.message import Answers, Consent, IncomingMessage
from intake.references import ALPHABET
from intake.storage.models import (
    ConsentRecord,
    ContactAddress,
    Contributor,
    InboundMessage,
    RecordedNeed,
)
from tests.conftest import FIXED_NOW

SENDER = "+447700900123"
OTHER_SENDER = "+447700900456"
LATER = FIXED_NOW + timedelta(days=3)
CODES = {"large-print": "1234567", "easy-read": None}


def inbound(session: Session, pid: str = "m-1") -> int:
    record = InboundMessage(channel="sms", provider_message_id=pid, received_at=FIXED_NOW,
                            payload_encrypted="x")
    session.add(record)
    session.flush()
    return record.id


def message(pid: str = "m-1", **answers: object) -> IncomingMessage:
    return IncomingMessage(channel="sms", provider_message_id=pid, text="The pharmacy was helpful",
                           sender=SENDER, answers=Answers(**answers))  # type: ignore[arg-type]


def answer(runtime: Runtime, msg: IncomingMessage, now: datetime = FIXED_NOW) -> int:
    """Record the message's answers for its sender, as ingest does; returns the contributor id."""
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        contributor, _ = contributor_for(session, vault, msg.channel, msg.sender or "", now)
        record_answers(session, contributor, msg, inbound(session, msg.provider_message_id),
                       CODES, now)
        return contributor.id


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# -- contributor_for ---------------------------------------------------------------------------

def test_first_contact_creates_a_pseudonymous_contributor(runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        contributor, address = contributor_for(session, vault, "sms", SENDER, FIXED_NOW)
    assert re.fullmatch(f"P-[{ALPHABET}]{{6}}", contributor.pseudonym)
    assert address.contributor_id == contributor.id
    assert address.channel == "sms"
    assert address.address_hash == vault.lookup_hash("sms", SENDER)
    assert address.address_encrypted != SENDER
    assert vault.decrypt(address.address_encrypted) == SENDER
    assert address.created_at == address.last_seen_at == FIXED_NOW
    assert count(runtime, Contributor) == 1 and count(runtime, ContactAddress) == 1


def test_second_contact_finds_the_same_contributor_and_updates_last_seen(runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        first, _ = contributor_for(session, vault, "sms", SENDER, FIXED_NOW)
    with runtime.sessions.begin() as session:
        again, address = contributor_for(session, vault, "sms", SENDER, LATER)
    assert again.id == first.id and again.pseudonym == first.pseudonym
    assert count(runtime, Contributor) == 1 and count(runtime, ContactAddress) == 1
    with runtime.sessions() as session:
        stored = session.get_one(ContactAddress, address.id)
    assert stored.last_seen_at == LATER
    assert stored.created_at == FIXED_NOW


def test_the_same_number_twice_in_one_session_is_one_contributor(runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        first, _ = contributor_for(session, vault, "sms", SENDER, FIXED_NOW)
        again, _ = contributor_for(session, vault, "sms", f" {SENDER} ", LATER)
        assert again is first
    assert count(runtime, Contributor) == 1


def test_other_numbers_and_other_channels_are_other_contributors(runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        one, _ = contributor_for(session, vault, "sms", SENDER, FIXED_NOW)
        two, _ = contributor_for(session, vault, "sms", OTHER_SENDER, FIXED_NOW)
        three, _ = contributor_for(session, vault, "whatsapp", SENDER, FIXED_NOW)
        ids = {one.id, two.id, three.id}
        pseudonyms = {one.pseudonym, two.pseudonym, three.pseudonym}
    assert len(ids) == 3 and len(pseudonyms) == 3
    with runtime.sessions() as session:
        found = find_address(session, vault, "sms", OTHER_SENDER)
        assert found is not None and found.contributor_id == two.id
        assert find_address(session, vault, "telegram", SENDER) is None


def test_the_clear_address_is_in_no_column_of_any_table(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        contributor_for(session, runtime.intake.vault, "sms", SENDER, FIXED_NOW)
    seen = []
    with runtime.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                seen.extend(str(value) for value in row)
    assert seen, "the contributor and address rows should have been read"
    # The subscriber digits, so neither the +44 form nor the national 07700 form can be there.
    assert not [value for value in seen if "7700900123" in value]


# -- record_answers ----------------------------------------------------------------------------

def test_the_stated_language_becomes_the_preferred_language(runtime: Runtime) -> None:
    contributor_id = answer(runtime, message(language="pl"))
    with runtime.sessions() as session:
        assert session.get_one(Contributor, contributor_id).preferred_language == "pl"


def test_no_stated_language_keeps_the_one_already_known(runtime: Runtime) -> None:
    answer(runtime, message(language="ur"))
    contributor_id = answer(runtime, message("m-2"), now=LATER)
    with runtime.sessions() as session:
        assert session.get_one(Contributor, contributor_id).preferred_language == "ur"


def test_consents_are_recorded_with_their_wording_channel_and_message(runtime: Runtime) -> None:
    consents = (Consent("follow-up", True, "v3"), Consent("research", False, "v1"))
    contributor_id = answer(runtime, message(consents=consents))
    with runtime.sessions() as session:
        records = session.scalars(select(ConsentRecord).order_by(ConsentRecord.purpose)).all()
        inbound_id = session.scalar(select(InboundMessage.id))
    assert [(r.purpose, r.granted, r.wording_version) for r in records] == [
        ("follow-up", True, "v3"), ("research", False, "v1")]
    assert {(r.contributor_id, r.channel, r.inbound_message_id, r.recorded_at) for r in records} == {
        (contributor_id, "sms", inbound_id, FIXED_NOW)}


def test_a_later_refusal_adds_a_record_and_leaves_the_earlier_consent_as_it_was(
        runtime: Runtime) -> None:
    answer(runtime, message(consents=(Consent("follow-up", True, "v3"),)))
    contributor_id = answer(runtime, message("m-2", consents=(Consent("follow-up", False, "v4"),)),
                            now=LATER)
    with runtime.sessions() as session:
        history = session.get_one(Contributor, contributor_id).consents
        assert [(c.granted, c.wording_version, c.recorded_at) for c in history] == [
            (True, "v3", FIXED_NOW), (False, "v4", LATER)]
    assert count(runtime, ConsentRecord) == 2


def test_needs_are_recorded_with_their_codes(runtime: Runtime) -> None:
    contributor_id = answer(runtime, message(needs=("large-print", "easy-read")))
    with runtime.sessions() as session:
        needs = session.scalars(select(RecordedNeed).order_by(RecordedNeed.need)).all()
    assert [(n.need, n.code, n.source) for n in needs] == [
        ("easy-read", None, "contributor"), ("large-print", "1234567", "contributor")]
    assert {(n.contributor_id, n.recorded_at, n.withdrawn_at) for n in needs} == {
        (contributor_id, FIXED_NOW, None)}


def test_a_need_given_again_in_a_later_message_is_not_recorded_twice(runtime: Runtime) -> None:
    answer(runtime, message(needs=("large-print",)))
    answer(runtime, message("m-2", needs=("large-print", "easy-read")), now=LATER)
    with runtime.sessions() as session:
        needs = session.execute(select(RecordedNeed.need, RecordedNeed.recorded_at)
                                .order_by(RecordedNeed.need)).all()
    assert [tuple(row) for row in needs] == [("easy-read", LATER), ("large-print", FIXED_NOW)]


def test_a_need_given_twice_in_one_message_is_recorded_once(runtime: Runtime) -> None:
    answer(runtime, message(needs=("large-print", "large-print")))
    assert count(runtime, RecordedNeed) == 1


def test_a_withdrawn_need_given_again_is_recorded_afresh(runtime: Runtime) -> None:
    answer(runtime, message(needs=("large-print",)))
    with runtime.sessions.begin() as session:
        session.scalars(select(RecordedNeed)).one().withdrawn_at = LATER
    answer(runtime, message("m-2", needs=("large-print",)), now=LATER)
    with runtime.sessions() as session:
        needs = session.scalars(select(RecordedNeed).order_by(RecordedNeed.id)).all()
    assert [(n.withdrawn_at, n.recorded_at) for n in needs] == [(LATER, FIXED_NOW), (None, LATER)]


def test_needs_given_on_behalf_of_someone_else_are_not_recorded(runtime: Runtime) -> None:
    contributor_id = answer(runtime, message(
        needs=("large-print",), on_behalf_of=True, language="ur",
        consents=(Consent("follow-up", True, "v3"),)))
    assert count(runtime, RecordedNeed) == 0
    # What the carer told us about themselves is still kept.
    assert count(runtime, ConsentRecord) == 1
    with runtime.sessions() as session:
        assert session.get_one(Contributor, contributor_id).preferred_language == "ur"


def test_needs_given_for_oneself_are_recorded_when_on_behalf_of_is_false(runtime: Runtime) -> None:
    answer(runtime, message(needs=("easy-read",), on_behalf_of=False))
    assert count(runtime, RecordedNeed) == 1
