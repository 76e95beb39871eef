"""Finding or creating the person behind a message, without ever storing their address in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from intake.message import IncomingMessage
from intake.privacy.vault import ContactVault
from intake.references import new_pseudonym
from intake.storage.adopted import adopted
from intake.storage.models import (
    ConsentRecord,
    ContactAddress,
    Contributor,
    Feedback,
    RecordedNeed,
    Tag,
)

# How many of a person's earlier messages inform the guess about their next one.
LANGUAGE_HISTORY = 20
PREFERRED_LANGUAGE_WEIGHT = 2.0
# When a person was last seen is kept to the hour: it decides when their address is erased
# (months) and which of their addresses is current. Written on every message, it was a statement
# in each turn of a conversation (and, on SQLite, time under the one write lock).
LAST_SEEN_RESOLUTION = timedelta(hours=1)


def normalise_address(channel: str, address: str) -> str:
    """One spelling per address, so a look-up hash finds it however it was typed: email
    addresses are kept in lower case (nobody's mail depends on capitals in practice)."""
    address = address.strip()
    return address.lower() if channel == "email" else address


# Built once: every message looks its sender up (see ``bot.chat`` on the cost of building).
_ADDRESS = select(ContactAddress).where(ContactAddress.channel == bindparam("channel"),
                                       ContactAddress.address_hash == bindparam("address_hash"))
_ADDRESS_WITH_CONTRIBUTOR = _ADDRESS.options(joinedload(ContactAddress.contributor))
# A new person (in a conversation, a quarter of SMS turns in the benchmark's traffic) is written
# by two INSERTs built once, on the tables: the ORM's flush of the two new objects cost about
# three times as much. (``bot.turn_statements`` writes them within a turn's one statement.)
_CONTRIBUTORS, _ADDRESSES = Contributor.__table__, ContactAddress.__table__
NEW_CONTRIBUTOR = insert(_CONTRIBUTORS).values(
    pseudonym=bindparam("pseudonym"), created_at=bindparam("created_at")
).returning(_CONTRIBUTORS.c.id)
NEW_ADDRESS = insert(_ADDRESSES).values(
    contributor_id=bindparam("contributor_id"), channel=bindparam("channel"),
    address_hash=bindparam("address_hash"), address_encrypted=bindparam("address_encrypted"),
    created_at=bindparam("created_at"), last_seen_at=bindparam("last_seen_at"),
).returning(_ADDRESSES.c.id)


def find_address(session: Session, vault: ContactVault, channel: str, address: str,
                 with_contributor: bool = False) -> ContactAddress | None:
    """The stored address, if any; ``with_contributor`` reads its contributor in the same query
    (one round trip instead of two when the caller will use it)."""
    address = normalise_address(channel, address)
    return session.scalar(_ADDRESS_WITH_CONTRIBUTOR if with_contributor else _ADDRESS, {
        "channel": channel, "address_hash": vault.lookup_hash(channel, address)})


def contributor_for(session: Session, vault: ContactVault, channel: str, address: str,
                    now: datetime) -> tuple[Contributor, ContactAddress]:
    """The contributor who uses this address, created on first contact, with the address (both
    read in one query)."""
    existing = address_for(session, vault, channel, address, now, with_contributor=True)
    return existing.contributor, existing


def address_for(session: Session, vault: ContactVault, channel: str, address: str, now: datetime,
                with_contributor: bool = False, retried: bool = False) -> ContactAddress:
    """The stored address, created with a new contributor on first contact, seen ``now`` (to
    the hour: ``LAST_SEEN_RESOLUTION``). Its contributor is read with it only if asked
    (``with_contributor``): a conversation turn needs the address alone, and the joined read
    costs about twice as much.

    Two first messages from one new number can race; the unique (channel, hash) constraint lets
    one win. The other picks up the winner's record within its transaction (in a savepoint), or,
    for a caller that tries its whole transaction again on ``IntegrityError`` (``retried``: a
    conversation turn), fails, and finds the record on its next try: on PostgreSQL, two round
    trips fewer (SAVEPOINT, RELEASE) for each new person.
    """
    address = normalise_address(channel, address)
    record = find_address(session, vault, channel, address, with_contributor=with_contributor)
    if record is None and retried:
        # A racing winner's row makes this fail, and the caller tries again.
        record = inserted_address(session, vault, channel, address, now, with_contributor)
    elif record is None:
        try:
            with session.begin_nested():
                record = inserted_address(session, vault, channel, address, now,
                                          with_contributor)
        except IntegrityError:
            record = find_address(session, vault, channel, address,
                                  with_contributor=with_contributor)
            if record is None:
                raise
    mark_seen(record, now)
    return record


def inserted_address(session: Session, vault: ContactVault, channel: str, address: str,
                     now: datetime, with_contributor: bool = False) -> ContactAddress:
    """A new contributor and their (normalised) address, inserted now in the session's
    transaction, and the address ``adopted`` by the session; with ``with_contributor`` the
    contributor too, as the address's (otherwise it is read when first used)."""
    connection = session.connection()
    person = {"pseudonym": new_pseudonym(), "created_at": now}
    contributor_id = connection.execute(NEW_CONTRIBUTOR, person).scalar_one()
    values = {"contributor_id": contributor_id, "channel": channel,
              "address_hash": vault.lookup_hash(channel, address),
              "address_encrypted": vault.encrypt(address), "created_at": now, "last_seen_at": now}
    record = adopted(session, ContactAddress, {
        "id": connection.execute(NEW_ADDRESS, values).scalar_one(), "opted_out_at": None,
        **values})
    if with_contributor:
        set_committed_value(record, "contributor", adopted(session, Contributor, {
            "id": contributor_id, "preferred_language": None, **person}))
    return record


def seen_due(address: ContactAddress, now: datetime) -> bool:
    """Whether a message ``now`` is to be recorded on the address (``mark_seen`` writes it)."""
    return now - address.last_seen_at >= LAST_SEEN_RESOLUTION


def mark_seen(address: ContactAddress, now: datetime) -> None:
    """Record that the person wrote from this address ``now``, to the hour."""
    if seen_due(address, now):
        address.last_seen_at = now


@dataclass(frozen=True)
class AnswerRows:
    """What a message's answers add to what we keep about its sender, as column values: their
    preferred language (None: unchanged), consent records and communication needs not held yet
    (each without its contributor)."""

    preferred_language: str | None
    consents: list[dict[str, Any]]
    needs: list[dict[str, Any]]


def answer_rows(contributor: Contributor, message: IncomingMessage, inbound_id: int,
                need_codes: dict[str, str | None], now: datetime) -> AnswerRows:
    """``record_answers``' writes, for a caller that writes them itself (``intake.item_statement``
    in one statement). Reads the needs the contributor holds only if the message states some."""
    answers = message.answers
    consents = [{"purpose": consent.purpose, "granted": consent.granted,
                 "wording_version": consent.wording_version, "channel": message.channel,
                 "inbound_message_id": inbound_id, "recorded_at": now}
                for consent in answers.consents]
    needs: list[dict[str, Any]] = []
    # Needs stated for someone else (a carer writing on behalf of the patient) are the patient's,
    # not the carer's, so they are not recorded against the contributor. With no needs stated,
    # the needs held are not read either.
    if not answers.on_behalf_of and answers.needs:
        held = {need.need for need in contributor.needs if need.withdrawn_at is None}
        for need in answers.needs:
            if need not in held:
                held.add(need)
                needs.append({"need": need, "code": need_codes.get(need),
                              "source": "contributor", "recorded_at": now})
    return AnswerRows(answers.language or None, consents, needs)


def record_answers(session: Session, contributor: Contributor, message: IncomingMessage,
                   inbound_id: int, need_codes: dict[str, str | None], now: datetime) -> None:
    """Keep what the person told us about themselves: language, consents, communication needs."""
    rows = answer_rows(contributor, message, inbound_id, need_codes, now)
    if rows.preferred_language:
        contributor.preferred_language = rows.preferred_language
    session.add_all([ConsentRecord(contributor=contributor, **values) for values in rows.consents])
    session.add_all([RecordedNeed(contributor=contributor, **values) for values in rows.needs])


# Read for every item with a known sender (a conversation's last turn among them): built once,
# on the tables.
_FEEDBACK, _TAGS = Feedback.__table__, Tag.__table__
_RECENT_ITEMS = (select(_FEEDBACK.c.id).where(_FEEDBACK.c.contributor_id == bindparam("contributor_id"),
                                              _FEEDBACK.c.id != bindparam("exclude_id"))
                 .order_by(_FEEDBACK.c.id.desc()).limit(LANGUAGE_HISTORY))
RECENT_LANGUAGES = select(_TAGS.c.value).where(
    _TAGS.c.feedback_id.in_(_RECENT_ITEMS.scalar_subquery()), _TAGS.c.kind == "language",
    _TAGS.c.retracted_at.is_(None), _TAGS.c.value != "und")


def sender_address(session: Session, vault: ContactVault,
                   message: IncomingMessage) -> ContactAddress | None:
    """The stored address of a message's sender, with its contributor (None for a stranger):
    read once by ``Intake`` for all it needs to know of the person (their languages, their
    invitations, the item's contributor)."""
    if not message.sender:
        return None
    return find_address(session, vault, message.address_channel, message.sender,
                        with_contributor=True)

