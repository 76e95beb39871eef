"""Contributors and what hangs off them: addresses, consents (oldest first) and recorded needs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import ConsentRecord, ContactAddress, Contributor, RecordedNeed
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import delete_refused, refused, second_refused


def person(pseudonym: str = "P-7K3M9Q") -> Contributor:
    return Contributor(pseudonym=pseudonym)


def address(channel: str = "sms", digest: str = "a" * 64) -> ContactAddress:
    return ContactAddress(channel=channel, address_hash=digest,
                          address_encrypted="gAAAA-not-a-real-token")


def consent(granted: bool, at_minutes: int, purpose: str = "follow-up") -> ConsentRecord:
    return ConsentRecord(purpose=purpose, granted=granted, wording_version="2026-01",
                         channel="sms", recorded_at=FIXED_NOW + timedelta(minutes=at_minutes))


def test_a_pseudonym_belongs_to_one_contributor(sessions: sessionmaker[Session]) -> None:
    second_refused(sessions, person)


def test_defaults_of_a_new_contributor_and_address(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        someone = person()
        someone.addresses.append(address())
        session.add(someone)
    with sessions() as session:
        stored = session.scalars(select(Contributor)).one()
        [phone] = stored.addresses
        assert stored.preferred_language is None and stored.created_at.tzinfo is not None
        assert phone.opted_out_at is None
        assert phone.contributor_id == stored.id and phone.contributor is stored
        assert phone.created_at.tzinfo is not None and phone.last_seen_at.tzinfo is not None


def test_consents_are_listed_oldest_first_whatever_order_they_were_stored(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        someone = person()
        session.add(someone)
        session.flush()
        for record in (consent(True, 30), consent(False, 10), consent(True, 20)):
            record.contributor_id = someone.id
            session.add(record)
    with sessions() as session:
        stored = session.scalars(select(Contributor)).one()
        assert [(c.granted, c.recorded_at) for c in stored.consents] == [
            (False, FIXED_NOW + timedelta(minutes=10)), (True, FIXED_NOW + timedelta(minutes=20)),
            (True, FIXED_NOW + timedelta(minutes=30))]


def test_a_declined_consent_reads_back_as_false_not_missing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        someone = person()
        someone.consents.append(consent(False, 0))
        session.add(someone)
    with sessions() as session:
        assert session.scalars(select(ConsentRecord.granted)).all() == [False]


def test_a_consent_naming_a_message_that_does_not_exist_is_refused(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        record = consent(True, 0)
        record.inbound_message_id = 999_999
        someone = person()
        someone.consents.append(record)
        session.add(someone)
        refused(session)


def test_nothing_can_belong_to_no_one_or_to_someone_unknown(sessions: sessionmaker[Session]) -> None:
    makers = [address, lambda: consent(True, 0),
              lambda: RecordedNeed(need="large-print", source="contributor")]
    for make in makers:
        for contributor_id in (None, 999_999):
            with sessions() as session:
                row = make()
                row.contributor_id = contributor_id
                session.add(row)
                refused(session)


def test_a_contributor_with_addresses_cannot_be_deleted(sessions: sessionmaker[Session]) -> None:
    """No cascade: deleting the person would orphan the address, and the database refuses."""
    with sessions.begin() as session:
        someone = person()
        someone.addresses.append(address())
        session.add(someone)
    delete_refused(sessions, Contributor, someone.id)
    with sessions() as session:
        assert session.scalar(select(ContactAddress.contributor_id)) == someone.id


def test_needs_keep_their_code_and_withdrawal(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        someone = person()
        someone.needs.extend([
            RecordedNeed(need="interpreter:ur", code="ur", source="conversation"),
            RecordedNeed(need="large-print", source="staff", withdrawn_at=FIXED_NOW)])
        session.add(someone)
    with sessions() as session:
        stored = session.scalars(select(Contributor)).one()
        needs = {need.need: (need.code, need.withdrawn_at) for need in stored.needs}
    assert needs == {"interpreter:ur": ("ur", None), "large-print": (None, FIXED_NOW)}
