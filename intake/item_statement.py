"""A new feedback item written in one statement on PostgreSQL (``Intake.ingest``).

The transaction that stores an item took eight to ten round trips (BEGIN, the sender's consent
and needs, the item, its tags, its audit event, the conversation linked, the inbound row
settled, COMMIT), on the seventh of SMS turns that end a conversation. Here they are one
statement with data-modifying ``WITH`` clauses, each taking the item's id from the clause that
inserts it, that commits itself: all of it is written or, if any row is refused, none of it.

Its parameters are the rows the transaction's way would insert (``Intake._item_rows``), so both
ways write the same columns; the statement is built once for each shape of item (how many
tags, links, consents and needs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    ColumnDefault,
    Integer,
    Select,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    union_all,
    update,
)
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
    its id from the statement (a ``feedback_id`` in them is not used), and the consent and need
    rows take ``contributor_id``."""

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


class _Group(NamedTuple):
    """Rows of one table written with the item; ``names`` the id each takes from the
    statement: the item's (``feedback_id``), the sender's (``contributor_id``) or none."""

    name: str
    table: Table
    rows: list[dict[str, Any]]
    names: str | None


class _Shape(NamedTuple):
    """What a statement's SQL depends on; items of the same shape share one statement."""

    item: tuple[str, ...]
    groups: tuple[tuple[str, Table, tuple[str, ...], int, str | None], ...]
    language: bool
    seen: bool
    conversation: bool


def _groups(rows: ItemRows) -> list[_Group]:
    links: dict[Table, list[dict[str, Any]]] = {}
    for table, values in rows.links:
        links.setdefault(table, []).append(values)
    found = [_Group("tags", Tag.__table__, list(rows.tags), "feedback_id"),
             _Group("event", AuditEvent.__table__, [rows.event] if rows.event else [], None),
             *(_Group(table.name, table, values, "feedback_id") for table, values in links.items())]
    if rows.contributor_id is not None:
        found += [_Group("consents", ConsentRecord.__table__, list(rows.consents), "contributor_id"),
                  _Group("needs", RecordedNeed.__table__, list(rows.needs), "contributor_id")]
    return [group._replace(rows=[{column: value for column, value
                                  in _with_defaults(group.table, row).items()
                                  if column != group.names} for row in group.rows])
            for group in found if group.rows]


def _columns(group: _Group) -> tuple[str, ...]:
    columns = tuple(sorted(group.rows[0]))
    if any(tuple(sorted(row)) != columns for row in group.rows):
        raise ValueError(f"the {group.name} rows do not all have the same columns")
    return columns


def item_written(rows: ItemRows) -> tuple[Select[tuple[int]], dict[str, Any]]:
    """The statement and its parameters: the item inserted (RETURNING its id, what the
    statement returns), and in the same statement its tags, audit event and routing links, the
    sender's consents, needs, preferred language and hour of contact, the conversation linked
    and the inbound message settled as processed. A taken reference fails it on the unique
    reference (the caller draws another), a message already made an item on the unique inbound
    message id.

    The statement is built once per shape (how many rows of each kind, which updates), with
    named parameters, and is one SQLAlchemy caches compiled: one built per call, or not
    cacheable, was compiled per call (~7 ms of CPU, more than the round trips it saves)."""
    item = _with_defaults(_FEEDBACK, {**rows.feedback, "contributor_id": rows.contributor_id})
    groups = _groups(rows)
    parameters = {f"item__{column}": value for column, value in item.items()}
    for group in groups:
        parameters.update((f"{group.name}__{number}__{column}", value)
                          for number, row in enumerate(group.rows)
                          for column, value in row.items())
    parameters |= {"contributor__id": rows.contributor_id, "settled__inbound": rows.inbound_id,
                   "settled__at": rows.now, "language__value": rows.preferred_language,
                   "seen__address": rows.seen_address_id, "seen__at": rows.now,
                   "conversation__id": rows.conversation_id}
    shape = _Shape(
        tuple(sorted(item)),
        tuple((group.name, group.table, _columns(group), len(group.rows), group.names)
              for group in groups),
        language=rows.contributor_id is not None and bool(rows.preferred_language),
        seen=rows.seen_address_id is not None, conversation=rows.conversation_id is not None)
    return _statement(shape), parameters


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select[tuple[int]]:
    item = insert(_FEEDBACK).values({
        column: bindparam(f"item__{column}", type_=_FEEDBACK.c[column].type)
        for column in shape.item}).returning(_FEEDBACK.c.id).cte("item")
    ids = {"feedback_id": item.c.id,
           "contributor_id": bindparam("contributor__id", type_=Integer())}
    writes: list[CTE] = []
    for name, table, columns, count, names in shape.groups:
        # INSERT ... SELECT, one SELECT a row: an INSERT's list of VALUES rows in a WITH clause
        # is a statement SQLAlchemy does not cache (it would be compiled every time).
        selects = [select(*(bindparam(f"{name}__{number}__{column}", type_=table.c[column].type)
                            for column in columns), *([ids[names]] if names else []))
                   for number in range(count)]
        writes.append(insert(table).from_select(
            [*columns, *([names] if names else [])],
            selects[0] if count == 1 else union_all(*selects),
            include_defaults=False).cte(name))
    if shape.language:
        contributors = Contributor.__table__
        writes.append(update(contributors).where(contributors.c.id == ids["contributor_id"])
                      .values(preferred_language=bindparam("language__value", type_=String()))
                      .cte("language"))
    if shape.seen:   # as ``intake.contributors.mark_seen`` records it
        addresses = ContactAddress.__table__
        writes.append(update(addresses).where(
            addresses.c.id == bindparam("seen__address", type_=Integer())).values(
            last_seen_at=bindparam("seen__at", type_=addresses.c.last_seen_at.type)).cte("seen"))
    if shape.conversation:   # as ``Intake._link_conversation`` links it
        conversations = Conversation.__table__
        writes.append(update(conversations).where(
            conversations.c.id == bindparam("conversation__id", type_=Integer()),
            conversations.c.feedback_id.is_(None)).values(
            feedback_id=select(item.c.id).scalar_subquery()).cte("conversation"))
    writes.append(update(_INBOX).where(
        _INBOX.c.id == bindparam("settled__inbound", type_=Integer())).values(
        state=InboundState.PROCESSED, error=None,
        processed_at=bindparam("settled__at", type_=_INBOX.c.processed_at.type),
        attempts=_INBOX.c.attempts + 1).cte("settled"))
    return select(item.c.id).add_cte(*writes)
