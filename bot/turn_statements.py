"""The statements a conversation turn runs (``bot.chat``), built once.

Building a statement per call (coercing its values, computing its cache key) was a tenth of a
turn's CPU. Those that write are built on the tables, not the mapped classes: the ORM's path for
a statement on a class cost ~70 µs more a run. On PostgreSQL the commonest turns take two
statements that each commit themselves: the one that stores the raw message and reads the
sender's address and open conversation (``STORED_WITH_ADDRESS_AND_OPEN_CONVERSATION``), and the
one that writes the turn (``turn_written_with``).
"""

from __future__ import annotations

from sqlalchemy import CTE, and_, bindparam, exists, insert, select, update
from sqlalchemy.sql.dml import ReturningInsert

from intake.contributors import NEW_ADDRESS, NEW_CONTRIBUTOR
from intake.inbound_statement import STORED_INBOUND
from intake.storage.models import (
    ContactAddress,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    InboundMessage,
)

_TURNS, _CONVERSATIONS, _INBOX = (ConversationTurn.__table__, Conversation.__table__,
                                  InboundMessage.__table__)
_ADDRESSES = ContactAddress.__table__
_OF_MESSAGE = _TURNS.c.inbound_message_id == bindparam("inbound_id")
TURN_OF_MESSAGE = select(ConversationTurn).where(_OF_MESSAGE)
TURN_ID_OF_MESSAGE = select(_TURNS.c.id).where(_OF_MESSAGE)
# The turn is claimed and answered by one INSERT: a racing copy's fails on the unique message id.
ANSWER_TURN = insert(_TURNS).values(
    inbound_message_id=bindparam("inbound_id"), conversation_id=bindparam("conversation_id"),
    replies=bindparam("replies"), created_at=bindparam("now"),
    answered_at=bindparam("answered_at"))
THANK_TURN = update(_TURNS).where(_OF_MESSAGE).values(replies=bindparam("replies"),
                                                      answered_at=bindparam("answered_at"))
# The turn's own writes to what it read, as the ORM's flush would write them but without its
# unit of work (half a millisecond of a turn's ~5): the conversation names the version the turn
# read, so a turn of the same conversation that wrote since (SQLite) makes this one try again.
WRITE_CONVERSATION = update(_CONVERSATIONS).where(
    _CONVERSATIONS.c.id == bindparam("conversation_id"),
    _CONVERSATIONS.c.version == bindparam("read_version")).values(
    state=bindparam("state"), last_activity_at=bindparam("last_activity_at"),
    status=bindparam("status"), closed_at=bindparam("closed_at"),
    version=bindparam("read_version") + 1)
SETTLE_INBOUND = update(_INBOX).where(_INBOX.c.id == bindparam("inbound_id")).values(
    state=bindparam("state"), error=bindparam("error"), processed_at=bindparam("now"))
INBOUND_STATE = select(_INBOX.c.state).where(_INBOX.c.id == bindparam("inbound_id"))
# A conversation's first turn inserts it at once, for the id its turn and any signposting name.
OPEN_CONVERSATION = insert(_CONVERSATIONS).values(
    channel=bindparam("channel"), address_hash=bindparam("address_hash"),
    contributor_id=bindparam("contributor_id"), status=bindparam("status"),
    state=bindparam("state"), started_at=bindparam("started_at"),
    last_activity_at=bindparam("last_activity_at"), version=bindparam("version"),
).returning(_CONVERSATIONS.c.id)
# A reply to a question (most turns) reads its open conversation and its sender's address in one
# query, one round trip fewer than two; only the conversation's row is locked (on PostgreSQL).
OPEN_CONVERSATION_WITH_ADDRESS = select(Conversation, ContactAddress).join(
    ContactAddress, and_(ContactAddress.channel == Conversation.channel,
                         ContactAddress.address_hash == Conversation.address_hash)).where(
    Conversation.channel == bindparam("channel"),
    Conversation.address_hash == bindparam("address_hash"),
    Conversation.status == ConversationStatus.OPEN).with_for_update(of=Conversation)
# A turn that takes no transaction (``ChatService._decide_in_one_statement``) reads the sender's
# address and open conversation in the statement that stores its raw message (PostgreSQL,
# ``intake.ingest.Intake.receive_reading``): the new row's id, with the address and the open
# conversation or None for each. One round trip where storing, then reading, took two.
STORED_WITH_ADDRESS_AND_OPEN_CONVERSATION = select(
    STORED_INBOUND.c.id, ContactAddress, Conversation).select_from(STORED_INBOUND).outerjoin(
    ContactAddress, and_(ContactAddress.channel == bindparam("channel"),
                         ContactAddress.address_hash == bindparam("address_hash"))).outerjoin(
    Conversation, and_(Conversation.channel == ContactAddress.channel,
                       Conversation.address_hash == ContactAddress.address_hash,
                       Conversation.status == ConversationStatus.OPEN))


def turn_written_with(written: CTE, seen: bool = False) -> ReturningInsert[tuple[int]]:
    """One statement that commits a turn on PostgreSQL: ``written`` (the conversation's row,
    updated or inserted, RETURNING its id), the message settled and the turn claimed, and with
    ``seen`` the hour of last contact recorded on the sender's address, each only if
    ``written`` wrote a row. One round trip where a transaction took five or more (BEGIN, each
    write, COMMIT). A racing copy's turn fails on the unique message id, and a racing first
    message's conversation on the one open conversation per address."""
    wrote = exists(select(written.c.id))
    settled = update(_INBOX).where(_INBOX.c.id == bindparam("inbound_id"), wrote).values(
        state=bindparam("inbound_state"), error=bindparam("error"),
        processed_at=bindparam("now")).cte("settled")
    turn = insert(_TURNS).from_select(
        ["inbound_message_id", "conversation_id", "replies", "created_at", "answered_at"],
        select(bindparam("inbound_id", type_=_TURNS.c.inbound_message_id.type), written.c.id,
               bindparam("replies", type_=_TURNS.c.replies.type),
               bindparam("now", type_=_TURNS.c.created_at.type),
               bindparam("answered_at", type_=_TURNS.c.answered_at.type))).add_cte(settled)
    if seen:  # as ``intake.contributors.mark_seen`` records it
        turn = turn.add_cte(update(_ADDRESSES).where(
            _ADDRESSES.c.id == bindparam("address_id"), wrote).values(
            last_seen_at=bindparam("now")).cte("seen"))
    return turn.returning(_TURNS.c.id)


# A reply writes only if its conversation is still at the version the turn read.
_REPLIED = WRITE_CONVERSATION.returning(_CONVERSATIONS.c.id).cte("written")
WRITE_REPLY, WRITE_REPLY_SEEN = turn_written_with(_REPLIED), turn_written_with(_REPLIED, seen=True)
# (The columns it copies from the address are bound by other names: an UPDATE in the statement
# sets any column of its own table that a parameter is named after, and the message has a
# channel, the address a channel, a hash and a contributor too.)
_first_conversation = OPEN_CONVERSATION.values(
    channel=bindparam("conversation_channel"), address_hash=bindparam("conversation_address_hash"),
    contributor_id=bindparam("conversation_contributor_id"))
_FIRST = _first_conversation.cte("written")
WRITE_FIRST_REPLY, WRITE_FIRST_REPLY_SEEN = (turn_written_with(_FIRST),
                                             turn_written_with(_FIRST, seen=True))


def _newcomers_conversation() -> CTE:
    """A new person's contributor, address and first conversation, inserted by the statements
    the transaction's turn runs (``intake.contributors.NEW_CONTRIBUTOR``, ``NEW_ADDRESS``,
    ``OPEN_CONVERSATION``), each taking the id the one before returned, as one statement's
    clauses. A racing first message from the same number fails on the unique address, and
    nothing of its statement is written."""
    person = NEW_CONTRIBUTOR.values(created_at=bindparam("now")).cte("person")
    address = NEW_ADDRESS.values(
        contributor_id=select(person.c.id).scalar_subquery(),
        channel=bindparam("conversation_channel"),
        address_hash=bindparam("conversation_address_hash"), created_at=bindparam("now"),
        last_seen_at=bindparam("now")).returning(_ADDRESSES.c.contributor_id).cte("address")
    return _first_conversation.values(
        contributor_id=select(address.c.contributor_id).scalar_subquery()).cte("written")


# A new person's first message: their contributor, address and conversation, with the turn.
WRITE_NEWCOMERS_FIRST_REPLY = turn_written_with(_newcomers_conversation())
