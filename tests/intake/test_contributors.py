"""Finding or creating the person behind a message, keeping what they tell us about themselves, and
what their history says about the languages they write in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import count as counter

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.contributors import (
    LANGUAGE_HISTORY,
    LAST_SEEN_RESOLUTION,
    address_for,
    contributor_for,
    find_address,
    record_answers,
    sender_address,
)
from intake.ingest import RetagSummary
from intake.message import Answers, Consent, IncomingMessage
from intake.references import ALPHABET
from intake.sender_history import sender_history
from intake.storage.models import (
    ConsentRecord,
    ContactAddress,
    Contributor,
    Feedback,
    InboundMessage,
    RecordedNeed,
    Tag,
)
from tests.conftest import FIXED_NOW
from tests.statements_sent import statements_sent

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


def test_a_person_seen_again_within_the_hour_is_not_written_again(runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        created = address_for(session, vault, "sms", SENDER, FIXED_NOW)
    soon = FIXED_NOW + LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    with runtime.sessions.begin() as session:
        found = address_for(session, vault, "sms", SENDER, soon)
        assert found not in session.dirty  # nothing to write: seen to the hour
    with runtime.sessions.begin() as session:
        address_for(session, vault, "sms", SENDER, FIXED_NOW + LAST_SEEN_RESOLUTION)
    with runtime.sessions() as session:
        assert session.get_one(ContactAddress, created.id).last_seen_at == (
            FIXED_NOW + LAST_SEEN_RESOLUTION)


def test_address_for_is_the_contributors_address_without_reading_the_contributor(
        runtime: Runtime) -> None:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        created = address_for(session, vault, "sms", SENDER, FIXED_NOW)
        assert created.contributor_id is not None  # a contributor made on first contact
    with runtime.sessions.begin() as session:
        found = address_for(session, vault, "sms", f" {SENDER} ", LATER)
        assert "contributor" in inspect(found).unloaded
        assert found.id == created.id and found.contributor_id == created.contributor_id
    with runtime.sessions() as session:
        assert session.get_one(ContactAddress, created.id).last_seen_at == LATER
    assert count(runtime, Contributor) == 1 and count(runtime, ContactAddress) == 1


def racing_winner(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next look-up miss, as if another worker created the address just after it."""
    import intake.contributors as contributors

    look_up = contributors.find_address

    def missed_then_created(*args: object, **kwargs: object) -> ContactAddress | None:
        monkeypatch.setattr(contributors, "find_address", look_up)
        with runtime.sessions.begin() as other:
            address_for(other, runtime.intake.vault, "sms", SENDER, FIXED_NOW)
        return None

    monkeypatch.setattr(contributors, "find_address", missed_then_created)


def test_a_first_contact_that_loses_a_race_picks_up_the_winners_address(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    racing_winner(runtime, monkeypatch)
    with runtime.sessions.begin() as session:
        found = address_for(session, runtime.intake.vault, "sms", SENDER, LATER)
        inbound(session)  # the transaction goes on (the failed insert was in a savepoint)
    assert found.last_seen_at == LATER
    assert count(runtime, Contributor) == count(runtime, ContactAddress) == 1


def test_a_caller_that_tries_again_gets_the_race_as_an_integrity_error_and_then_the_winner(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    racing_winner(runtime, monkeypatch)
    with pytest.raises(IntegrityError), runtime.sessions.begin() as session:
        address_for(session, runtime.intake.vault, "sms", SENDER, LATER, retried=True)
    with runtime.sessions.begin() as session:
        found = address_for(session, runtime.intake.vault, "sms", SENDER, LATER, retried=True)
    assert count(runtime, Contributor) == count(runtime, ContactAddress) == 1
    assert found.id is not None


def test_a_new_address_for_a_caller_that_tries_again_is_inserted_and_kept_in_the_session(
        runtime: Runtime) -> None:
    """A conversation's new person is inserted at once (prebuilt statements, not the ORM's
    flush): the address is the session's own object, its contributor readable, and a change
    made to it later in the transaction is written at the commit."""
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        created = address_for(session, vault, "sms", f" {SENDER} ", FIXED_NOW, retried=True)
        assert created in session and not session.new and not session.dirty
        assert created.id is not None and created.contributor.created_at == FIXED_NOW
        assert created.contributor.pseudonym.startswith("P")
        created.opted_out_at = LATER
    with runtime.sessions() as session:
        stored = session.get_one(ContactAddress, created.id)
        assert (stored.channel, stored.created_at, stored.last_seen_at, stored.opted_out_at) == (
            "sms", FIXED_NOW, FIXED_NOW, LATER)
        assert vault.decrypt(stored.address_encrypted) == SENDER  # normalised
        assert stored.contributor_id == created.contributor_id
    assert count(runtime, Contributor) == count(runtime, ContactAddress) == 1


def test_a_first_contact_is_inserted_with_its_contributor_and_nothing_read_back(
        runtime: Runtime) -> None:
    """A new person is written by two INSERTs in a savepoint (not the ORM's flush), and the
    contributor comes with the address as the joined read would give it: no query for it."""
    with runtime.sessions.begin() as session, statements_sent(runtime.engine) as sent:
        contributor, address = contributor_for(session, runtime.intake.vault, "sms", SENDER,
                                               FIXED_NOW)
        assert address.contributor is contributor and address.contributor_id == contributor.id
        assert not session.new and not session.dirty
    verbs = [statement.split(" (")[0].split(" sa_")[0] for statement, _ in sent]
    assert [v for v in verbs if not v.startswith("SELECT")] == [
        "SAVEPOINT", "INSERT INTO contributor", "INSERT INTO contact_address", "RELEASE SAVEPOINT"]
    assert sum(v.startswith("SELECT") for v in verbs) == 1  # the look-up that found nobody
    with runtime.sessions() as session:
        stored = session.get_one(Contributor, contributor.id)
        assert (stored.pseudonym, stored.created_at, stored.preferred_language) == (
            contributor.pseudonym, FIXED_NOW, None)


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


# -- a sender's languages (intake.sender_history) and sender_address ---------------------------

REFERENCES = counter(1)
# Czech and Slovak both write it; on its own the text leans Czech, not far.
AMBIGUOUS = "sestra"
SLOVAK = ("Ďakujem, sestra bola veľmi milá a lekár mi všetko vysvetlil.",
          "Čakal som v nemocnici tri hodiny a nikto mi nepovedal prečo.")


def person(runtime: Runtime, sender: str = SENDER, channel: str = "sms",
           preferred: str | None = None) -> int:
    with runtime.sessions.begin() as session:
        contributor, _ = contributor_for(session, runtime.intake.vault, channel, sender, FIXED_NOW)
        contributor.preferred_language = preferred
        return contributor.id


def feedback(runtime: Runtime, contributor_id: int | None, *languages: str,
             retracted: tuple[str, ...] = (), services: tuple[str, ...] = ()) -> int:
    """One feedback item with these active (and retracted) language tags; returns its id."""
    with runtime.sessions.begin() as session:
        item = Feedback(reference=f"FB-T{next(REFERENCES):05d}", contributor_id=contributor_id,
                        channel="sms", text="…", redacted_text="…", received_at=FIXED_NOW,
                        pipeline_version="test")
        session.add(item)
        session.flush()
        tags = [("language", value, None) for value in languages]
        tags += [("language", value, LATER) for value in retracted]
        tags += [("service", value, None) for value in services]
        for kind, value, retracted_at in tags:
            session.add(Tag(feedback_id=item.id, kind=kind, value=value, confidence=0.9,
                            source="auto", retracted_at=retracted_at,
                            retracted_by="reprocess" if retracted_at else None))
        return item.id


def known(runtime: Runtime, contributor_id: int | None, exclude: int | None = None) -> dict[str, float]:
    with runtime.sessions() as session:
        contributor = session.get(Contributor, contributor_id) if contributor_id else None
        return sender_history(session, contributor, FIXED_NOW, 14, exclude_feedback_id=exclude)[0]


def sms(text: str, pid: str, sender: str = SENDER) -> IncomingMessage:
    return IncomingMessage(channel="sms", provider_message_id=pid, text=text, sender=sender)


def language_of(runtime: Runtime, reference: str | None) -> set[str]:
    with runtime.sessions() as session:
        item = session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert item is not None
        return {t.value for t in item.tags if t.kind == "language" and t.retracted_at is None}


def test_nobody_and_a_stranger_have_no_known_languages(runtime: Runtime) -> None:
    assert known(runtime, None) == {}
    assert known(runtime, person(runtime)) == {}


def test_the_preferred_language_weighs_two(runtime: Runtime) -> None:
    contributor_id = answer(runtime, message(language="pl"))
    assert known(runtime, contributor_id) == {"pl": 2.0}


def test_each_earlier_message_adds_one_for_its_language(runtime: Runtime) -> None:
    someone = person(runtime, preferred="sk")
    feedback(runtime, someone, "sk")
    feedback(runtime, someone, "sk")
    feedback(runtime, someone, "cs")
    assert known(runtime, someone) == {"sk": 4.0, "cs": 1.0}


def test_undetermined_retracted_and_other_kinds_of_tag_do_not_count(runtime: Runtime) -> None:
    someone = person(runtime)
    feedback(runtime, someone, "und", services=("gp",))
    feedback(runtime, someone, "sk", retracted=("cs",))   # a re-run or a correction replaced cs
    feedback(runtime, someone, retracted=("pl",))
    assert known(runtime, someone) == {"sk": 1.0}


def test_other_peoples_messages_do_not_count(runtime: Runtime) -> None:
    someone = person(runtime)
    other = person(runtime, OTHER_SENDER, preferred="ur")
    feedback(runtime, other, "ur")
    feedback(runtime, None, "pl")                           # feedback from nobody we know
    feedback(runtime, someone, "sk")
    assert known(runtime, someone) == {"sk": 1.0}
    assert known(runtime, other) == {"ur": 3.0}


def test_an_excluded_item_does_not_count(runtime: Runtime) -> None:
    someone = person(runtime)
    feedback(runtime, someone, "sk")
    being_retagged = feedback(runtime, someone, "cs")
    assert known(runtime, someone, exclude=being_retagged) == {"sk": 1.0}
    assert known(runtime, someone) == {"sk": 1.0, "cs": 1.0}


def test_only_the_most_recent_messages_count(runtime: Runtime) -> None:
    someone = person(runtime)
    feedback(runtime, someone, "pl")                        # the oldest, one too many
    recent = [feedback(runtime, someone, "sk") for _ in range(LANGUAGE_HISTORY)]
    assert LANGUAGE_HISTORY == 20
    assert known(runtime, someone) == {"sk": 20.0}
    # Leaving one of the recent ones out lets the oldest back in.
    assert known(runtime, someone, exclude=recent[-1]) == {"sk": 19.0, "pl": 1.0}


def test_sender_address_finds_the_person_by_address(runtime: Runtime) -> None:
    someone = person(runtime, preferred="sk")
    feedback(runtime, someone, "sk")
    vault = runtime.intake.vault
    with runtime.sessions() as session:

        def sender_languages(message: IncomingMessage) -> dict[str, float]:
            sender = sender_address(session, vault, message)
            return sender_history(session, sender.contributor if sender else None, FIXED_NOW, 14)[0]

        assert sender_languages(sms("text", "m-9")) == {"sk": 3.0}
        assert sender_languages(sms("text", "m-9", OTHER_SENDER)) == {}
        assert sender_languages(IncomingMessage("sms", "m-9", "text")) == {}
        # The same number on another channel is another address.
        assert sender_languages(IncomingMessage(
            "telegram", "m-9", "text", sender=SENDER)) == {}
        # A web form that gave the number for replies by text message is the same person.
        assert sender_languages(IncomingMessage(
            "web", "m-9", "text", sender=SENDER, sender_channel="sms")) == {"sk": 3.0}


def test_someone_who_wrote_slovak_before_gets_an_ambiguous_word_read_as_slovak(runtime: Runtime) -> None:
    for number, slovak in enumerate(SLOVAK):
        earlier = runtime.intake.ingest(sms(slovak, f"m-{number}"))
        assert language_of(runtime, earlier.reference) == {"sk"}
    assert language_of(runtime, runtime.intake.ingest(sms(AMBIGUOUS, "m-later")).reference) == {"sk"}
    # The same word from someone we know nothing about is read as the text alone says.
    stranger = runtime.intake.ingest(sms(AMBIGUOUS, "m-stranger", OTHER_SENDER))
    assert language_of(runtime, stranger.reference) == {"cs"}


def test_retagging_uses_the_persons_other_messages_but_not_the_item_itself(
        runtime: Runtime) -> None:
    first = runtime.intake.ingest(sms(AMBIGUOUS, "m-1"))
    assert language_of(runtime, first.reference) == {"cs"}      # nothing known of them yet
    later = runtime.intake.ingest(sms(SLOVAK[0], "m-2"))
    assert language_of(runtime, later.reference) == {"sk"}
    # Counting the item's own "cs" would split the history evenly and leave it Czech.
    assert runtime.intake.retag() == RetagSummary(items=2, added=1, retracted=1, skipped=0)
    assert language_of(runtime, first.reference) == {"sk"}
    assert language_of(runtime, later.reference) == {"sk"}
