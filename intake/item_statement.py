"""A new feedback item written in one statement on PostgreSQL (``Intake.ingest``).

The transaction that stores an item took eight to ten round trips (BEGIN, the sender's consent
and needs, the item, its tags, its audit event, the conversation linked, the inbound row
settled, COMMIT), on the sixth of SMS turns that end a conversation. Here they are one
statement with data-modifying ``WITH`` clauses, each given the item's id as a scalar subquery,
that commits itself: all of it is written or, if any row is refused, none of it.

Built per item (its tags, links, consents and needs vary in number), from the rows the
transaction's way would insert, so both ways write the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, ColumnDefault, Select, Table, UniqueConstraint, insert, select, update
from sqlalchemy.exc import IntegrityError

from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    ContactAddress,
    Contributor,
    Conversation,
    Feedback,
    InboundMessage,
    InboundState,
    RecordedNeed,
    Tag,
)

_FEEDBACK, _INBOX = Feedback.__table__, InboundMessage.__table__
_FEEDBACK_REFERENCE = next(
    constraint.name for constraint in _FEEDBACK.constraints
    if isinstance(constraint, UniqueConstraint)
    and [column.name for column in constraint.columns] == ["reference"])
# Draws of a reference before giving up on this way (one draw in ~600 million per stored item
# is taken).
REFERENCE_ATTEMPTS = 3


def taken_reference(error: IntegrityError) -> bool:
    """Whether the statement failed because another item has the reference it drew."""
    diagnostic = getattr(error.orig, "diag", None)
    return getattr(diagnostic, "constraint_name", None) == _FEEDBACK_REFERENCE


@dataclass
class ItemRows:
    """A new item and what is written with it, as column values. Rows that name the item take
    its id from the statement (``feedback_id`` is left out of them); ``contributor_id`` is
    added to the consent and need rows."""

    feedback: dict[str, Any]
    inbound_id: int
    now: datetime
    tags: Sequence[dict[str, Any]] = ()
    event: dict[str, Any] | None = None
    links: Sequence[tuple[Table, dict[str, Any]]] = ()
    contributor_id: int | None = None
    consents: Sequence[dict[str, Any]] = ()
    needs: Sequence[dict[str, Any]] = ()
    preferred_language: str | None = None
    seen_address_id: int | None = None   # the sender's address, if its hour of contact is due
    conversation_id: int | None = None   # the conversation whose answers the item is


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the Python-side default of each column it leaves out: SQLAlchemy applies
    those to the statement it executes, not to an INSERT in a ``WITH`` clause."""
    defaults = {column.name: column.default.arg(None) if column.default.is_callable
                else column.default.arg
                for column in table.columns if column.name not in row
                and isinstance(column.default, ColumnDefault)}
    return {**defaults, **row}


def item_written(rows: ItemRows) -> Select[tuple[int]]:
    """The statement: the item inserted (RETURNING its id, what the statement returns), and in
    the same statement its tags, audit event and routing links, the sender's consents, needs,
    preferred language and hour of contact, the conversation linked and the inbound message
    settled as processed. A taken reference fails it on the unique reference (the caller draws
    another), a message already made an item on the unique inbound message id."""
    item = insert(_FEEDBACK).values(_with_defaults(_FEEDBACK, {
        **rows.feedback, "contributor_id": rows.contributor_id})).returning(
        _FEEDBACK.c.id).cte("item")
    item_id = select(item.c.id).scalar_subquery()
    writes: list[CTE] = []

    def add(name: str, table: Table, values: Sequence[dict[str, Any]], **common: Any) -> None:
        if values:
            writes.append(insert(table).values(
                [_with_defaults(table, {**row, **common}) for row in values]).cte(name))

    add("tags", Tag.__table__, rows.tags, feedback_id=item_id)
    add("event", AuditEvent.__table__, [rows.event] if rows.event else [])
    for number, (table, values) in enumerate(rows.links):
        add(f"link_{number}", table, [values], feedback_id=item_id)
    if rows.contributor_id is not None:
        add("consents", ConsentRecord.__table__, rows.consents, contributor_id=rows.contributor_id)
        add("needs", RecordedNeed.__table__, rows.needs, contributor_id=rows.contributor_id)
        if rows.preferred_language:
            contributors = Contributor.__table__
            writes.append(update(contributors).where(contributors.c.id == rows.contributor_id)
                          .values(preferred_language=rows.preferred_language).cte("language"))
    if rows.seen_address_id is not None:   # as ``intake.contributors.mark_seen`` records it
        addresses = ContactAddress.__table__
        writes.append(update(addresses).where(addresses.c.id == rows.seen_address_id)
                      .values(last_seen_at=rows.now).cte("seen"))
    if rows.conversation_id is not None:   # as ``Intake._link_conversation`` links it
        conversations = Conversation.__table__
        writes.append(update(conversations).where(
            conversations.c.id == rows.conversation_id, conversations.c.feedback_id.is_(None))
            .values(feedback_id=item_id).cte("conversation"))
    writes.append(update(_INBOX).where(_INBOX.c.id == rows.inbound_id).values(
        state=InboundState.PROCESSED, error=None, processed_at=rows.now,
        attempts=_INBOX.c.attempts + 1).cte("settled"))
    return select(item.c.id).add_cte(*writes)
