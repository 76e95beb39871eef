"""The service layer every entry point calls: receive, process, reprocess.

The order is the guarantee. ``receive`` commits the raw message in its own transaction before
anything else happens, so whatever fails afterwards, the message is kept and can be processed
again. The provider's message id is unique per channel, so a retried delivery finds the first
record instead of creating a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Executable, Row, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from intake import pipeline
from intake.campaigns.reply_links import reply_moment
from intake.config import Config
from intake.contributors import (
    answer_rows,
    contributor_for,
    mark_seen,
    normalise_address,
    record_answers,
    seen_due,
    sender_address,
)
from intake.inbound_statement import stored_params
from intake.item_statement import REFERENCE_ATTEMPTS, ItemRows, item_written, taken_reference
from intake.link_decisions import removed_targets
from intake.message import IncomingMessage, message_from_json, message_to_json
from intake.pipeline import Draft, PipelineContext, RejectedMessage, Taggers
from intake.pipeline.stages.needs import need_code
from intake.privacy.vault import ContactVault
from intake.references import new_reference
from intake.routing_targets import load_routing_targets
from intake.sender_history import sender_history
from intake.storage.base import Base, utcnow
from intake.storage.database import one_statement_connections, one_statement_sessions
from intake.storage.models import (
    AuditEvent,
    Consultation,
    ContactAddress,
    Contributor,
    Conversation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    InboundMessage,
    InboundState,
    Tag,
)
from intake.tag_history import apply_pipeline_tags, new_item_tag_rows

log = logging.getLogger(__name__)
PIPELINE_ACTOR = "pipeline"
# Ids per IN (...) look-up: well inside every database's limit on bound parameters.
LOOKUP_CHUNK = 500
# In a queued message's metadata: the reference its item will have, given to the person at once.
RESERVED_REFERENCE = "reserved_reference"
# Queued messages one `intake worker` claims at a time (then processes one by one).
QUEUE_BATCH = 10
T = TypeVar("T")
# Built once, as the statements of a conversation turn are (bot/chat.py): the ORM's unit of work
# for one new row, and a statement built per call, cost more than the statements themselves.
_STORE_INBOUND = insert(InboundMessage.__table__).returning(InboundMessage.__table__.c.id)
# A new item, left out by the database if its reference is taken (see ``_insert_feedback``).
_NEW_FEEDBACK = {
    name: dialect.insert(Feedback.__table__).on_conflict_do_nothing(
        index_elements=[Feedback.__table__.c.reference]).returning(
        Feedback.__table__.c.reference, Feedback.__table__.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_LINK_CONVERSATION = update(Conversation.__table__).where(
    Conversation.__table__.c.id == bindparam("conversation"),
    Conversation.__table__.c.feedback_id.is_(None)).values(feedback_id=bindparam("item"))


class Key(NamedTuple):
    """What identifies an inbound message: a provider's message id is unique per channel."""

    channel: str
    provider_message_id: str


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RetagSummary(NamedTuple):
    items: int
    added: int
    retracted: int
    skipped: int


@dataclass
class NewItem:
    """A message of a batch the pipeline accepted, and what its item is made of, until the
    batch's inserts give it an id."""

    record: InboundMessage
    message: IncomingMessage
    draft: Draft
    reference: str
    now: datetime
    contributor: Contributor | None
    consultation_id: int | None
    feedback_id: int = 0


@dataclass(frozen=True)
class IngestResult:
    """What happened to one inbound message, for the channel to tell the person."""

    inbound_id: int
    state: InboundState
    duplicate: bool = False
    feedback_id: int | None = None
    reference: str | None = None
    error: str | None = None


def known_slugs(context: PipelineContext) -> dict[str, int | None]:
    """The consultations' ids by slug, of those routing has read already."""
    return {target.slug: target.id for target in context.consultations}


class Intake:
    """Stores, tags and routes feedback. Built once (see :mod:`intake.bootstrap`) and shared."""

    def __init__(self, sessions: sessionmaker[Session], config: Config, vault: ContactVault,
                 clock: Callable[[], datetime] = utcnow, taggers: Taggers | None = None) -> None:
        self.sessions = sessions
        self._one_statement = one_statement_sessions(sessions)
        self._one_statement_connection = one_statement_connections(sessions)
        self.config = config
        self.vault = vault
        self.taggers = taggers or Taggers(config)
        self.clock = clock

    # -- the raw inbox ---------------------------------------------------------------------
    def receive(self, message: IncomingMessage,
                state: InboundState = InboundState.RECEIVED) -> tuple[int, bool]:
        """Store the raw message and commit. Returns (inbound id, whether it was a duplicate).
        One INSERT that commits itself on PostgreSQL (``one_statement_connections``): 3-4% of an
        SMS turn's time in process. ``state``: QUEUED leaves it for `intake worker` (``queue``)."""
        inbound_id, stored, _ = self._receive(message, state)
        return inbound_id, stored is None

    def _receive(self, message: IncomingMessage, state: InboundState = InboundState.RECEIVED
                 ) -> tuple[int, dict[str, Any] | None, str]:
        """``receive``: the inbound id, the new row's values as stored (None for a duplicate;
        ``_stored_row`` makes them a row to update), and the message as JSON (what the row
        keeps, encrypted)."""
        payload, values = self._inbound_values(message, self.clock())
        values["state"] = state
        with self._one_statement_connection() as connection:
            try:
                inbound_id = connection.execute(_STORE_INBOUND, values).scalar_one()
                connection.commit()
            except IntegrityError:
                connection.rollback()
            else:
                self.received(message.channel, duplicate=False)
                return inbound_id, values | {"id": inbound_id}, payload
            existing = connection.scalar(select(InboundMessage.id).where(
                InboundMessage.channel == message.channel,
                InboundMessage.provider_message_id == message.provider_message_id))
            if existing is None:  # pragma: no cover - the constraint that fired was another one
                raise RuntimeError("inbound message could not be stored")
            self.received(message.channel, duplicate=True)
            return existing, None, payload

    def receive_reading(self, message: IncomingMessage, read: Executable,
                        params: Mapping[str, Any]) -> Row[Any] | None:
        """``receive`` and a read in one statement that commits itself, on PostgreSQL: ``read``
        selects from ``intake.inbound_statement.STORED_INBOUND``, the message's row as it is
        inserted, so it reads only if the message is stored, and both commit or fail together.
        One round trip where ``receive`` and a read took two (a chat turn's commonest pair).
        Its one row (the new id first); None, having stored nothing, on SQLite (no
        data-modifying WITH, and no round trip to save) or when the row cannot be inserted (a
        repeat delivery, stored already): the caller then receives the message as usual."""
        if self._one_statement is self.sessions:
            return None
        _, values = self._inbound_values(message, self.clock())
        with self._one_statement() as session:  # a session: ``read`` may load ORM objects
            try:
                row = session.execute(read, {**params, **stored_params(values)}).one()
            except IntegrityError:
                session.rollback()
                return None
        self.received(message.channel, duplicate=False)
        return row

    @staticmethod
    def _stored_row(values: dict[str, Any]) -> InboundMessage:
        """The row ``_receive`` has just stored, to update without reading it back."""
        record = InboundMessage(error=None, processed_at=None, payload_removed_at=None, **values)
        make_transient_to_detached(record)
        return record

    def received(self, channel: str, duplicate: bool) -> None:
        """Called once for every message received, after its commit (a hook for metrics)."""

    def settled(self, channel: str, before: InboundState, after: InboundState) -> None:
        """Called after the commit of a message's change of state written as a plain UPDATE (a
        conversation turn's), which the ORM's flushes, watched for metrics, do not see."""

    def receive_many(self, messages: Sequence[IncomingMessage]) -> list[tuple[int, bool]]:
        """``receive`` for many messages, with one look-up, one insert and one commit: the same
        answers as receiving each in turn (a message already stored, or earlier in ``messages``,
        is a duplicate). If another process stores one of them meanwhile, they are received one
        by one instead."""
        return self._receive_batch(messages)[0]

    def _receive_batch(self, messages: Sequence[IncomingMessage]
                       ) -> tuple[list[tuple[int, bool]], dict[int, str]]:
        """``receive_many``, and the payload (JSON, before encryption) of each new message by
        inbound id, so processing the batch need not decrypt what it has just encrypted."""
        now = self.clock()
        with self.sessions() as session:
            stored = self._stored_inbound(session, [Key(m.channel, m.provider_message_id)
                                                    for m in messages])
            new: dict[Key, tuple[str, dict[str, Any]]] = {}
            answers: list[tuple[Key, bool]] = []
            for message in messages:
                key = Key(message.channel, message.provider_message_id)
                duplicate = key in stored or key in new
                if not duplicate:
                    new[key] = self._inbound_values(message, now)
                answers.append((key, duplicate))
            try:
                inserted = self._insert_inbound(session, [values for _, values in new.values()])
                session.commit()
            except IntegrityError:
                session.rollback()
                log.info("a message of the batch was stored meanwhile: receiving one by one")
                return [self.receive(message) for message in messages], {}
            for key, duplicate in answers:
                self.received(key.channel, duplicate)
            ids = {**stored, **inserted}
            payloads = {inserted[key]: payload for key, (payload, _) in new.items()}
            return [(ids[key], duplicate) for key, duplicate in answers], payloads

    @staticmethod
    def _insert_inbound(session: Session, rows: list[dict[str, Any]]) -> dict[Key, int]:
        """One INSERT ... RETURNING for the rows; their ids by key (RETURNING's order is not
        the rows' order on every database, the key is unique)."""
        if not rows:
            return {}
        table = InboundMessage.__table__
        returned = session.execute(insert(table).returning(
            table.c.channel, table.c.provider_message_id, table.c.id), rows)
        return {Key(channel, provider_id): inbound_id
                for channel, provider_id, inbound_id in returned}

    def _inbound_values(self, message: IncomingMessage, now: datetime
                        ) -> tuple[str, dict[str, Any]]:
        """The message as JSON, and the raw inbox row that keeps it encrypted."""
        if message.received_at is None:
            message = replace(message, received_at=now)
        payload = message_to_json(message)
        return payload, {
            "channel": message.channel, "provider_message_id": message.provider_message_id,
            "received_at": message.received_at, "payload_encrypted": self.vault.encrypt(payload),
            "sender_hash": (self.vault.lookup_hash(message.address_channel,
                                                   normalise_address(message.address_channel,
                                                                     message.sender))
                            if message.sender else None),
            "state": InboundState.RECEIVED, "attempts": 0}

    @staticmethod
    def _stored_inbound(session: Session, keys: Iterable[Key]) -> dict[Key, int]:
        """The ids of the messages already stored under these (channel, provider id) keys."""
        by_channel: dict[str, set[str]] = {}
        for channel, provider_id in keys:
            by_channel.setdefault(channel, set()).add(provider_id)
        found: dict[Key, int] = {}
        for channel, provider_ids in by_channel.items():
            for chunk in chunks(sorted(provider_ids), LOOKUP_CHUNK):
                found.update((Key(channel, provider_id), inbound_id)
                             for provider_id, inbound_id in session.execute(
                                 select(InboundMessage.provider_message_id, InboundMessage.id)
                                 .where(InboundMessage.channel == channel,
                                        InboundMessage.provider_message_id.in_(chunk))))
        return found

    def mark_ignored(self, inbound_id: int, reason: str) -> bool:
        """For messages that are deliberately not feedback (a menu command, for example).
        Only a message not yet processed is marked; returns whether this call marked it."""
        with self.sessions.begin() as session:
            record = session.get_one(InboundMessage, inbound_id)
            if record.state != InboundState.RECEIVED:
                return False
            record.state, record.error, record.processed_at = (
                InboundState.IGNORED, reason, self.clock())
            return True

    # -- processing ------------------------------------------------------------------------
    def context(self, session: Session) -> PipelineContext:
        tracker_items, consultations = load_routing_targets(session)
        return PipelineContext(config=self.config, taggers=self.taggers,
                               tracker_items=tracker_items, consultations=consultations,
                               now=self.clock())

    @property
    def _reply_days(self) -> int:
        """How long after an invitation a reply is still about its consultation."""
        return self.config.campaigns.invitation_reply_days

    def process(self, inbound_id: int) -> IngestResult:
        """Turn a stored inbound message into a tagged, routed feedback item.

        A rejection (input that can never become feedback) and a crash are both recorded on the
        inbound row; neither loses the message.

        Everything is read, and the pipeline run, before the first write: on SQLite that write
        takes the database's one write lock, which every web worker's turns wait for, so it is
        held for the writes alone (about half of this method's time) and not through the reads.
        """
        with self.sessions() as session:
            record = session.get_one(InboundMessage, inbound_id)
            done = self._existing_result(session, record)
            if done is not None:
                return done
            return self._process(session, record,
                                 message_from_json(self.vault.decrypt(record.payload_encrypted)))

    def _process(self, session: Session, record: InboundMessage,
                 message: IncomingMessage) -> IngestResult:
        """``process`` for a message not dealt with yet, its row in ``session``."""
        inbound_id = record.id
        try:
            context, sender = self._with_sender(session, message, self.context(session))
            draft = pipeline.run(message, context)
            now = self.clock()
            consultation_id = self._consultation_id(  # the last read, if one is needed
                session, message, known_slugs(context))
            # Stored as `intake import` stores a batch (one INSERT per table, no ORM object per
            # row), which was most of a finishing SMS turn's time; a reference taken meanwhile
            # gives way to a new one there, so it is not looked up first.
            item = NewItem(record, message, draft,
                           reserved_reference(message) or new_reference(), now,
                           self._contributor(session, record, message, now, sender),
                           consultation_id)
            self._insert_items(session, [item])
            # After the inserts, so the row is updated once, at commit (a failed attempt is
            # counted by ``_record_outcome``).
            record.attempts += 1
            record.state, record.error = InboundState.PROCESSED, None
            record.processed_at = now
            session.commit()
            return IngestResult(inbound_id, InboundState.PROCESSED,
                                feedback_id=item.feedback_id, reference=item.reference)
        except RejectedMessage as exc:
            return self._record_outcome(session, inbound_id, InboundState.REJECTED, str(exc))
        except Exception as exc:
            log.exception("processing inbound message %s failed", inbound_id)
            return self._record_outcome(session, inbound_id, InboundState.FAILED,
                                        f"{type(exc).__name__}: {exc}")

    def ingest(self, message: IncomingMessage) -> IngestResult:
        """Receive then process. A duplicate is not processed again: the first delivery's
        outcome is returned, so a retry is answered exactly as the original was. A new message
        is processed from the row and the JSON just stored, neither read back nor decrypted."""
        inbound_id, stored, payload = self._receive(message)
        if stored is None:
            with self.sessions() as session:
                record = session.get_one(InboundMessage, inbound_id)
                result = self._existing_result(session, record) or IngestResult(
                    inbound_id, InboundState(record.state), error=record.error)
            return replace(result, duplicate=True)
        message = message_from_json(payload)
        if self._one_statement is not self.sessions:
            done = self._process_in_one_statement(stored, message)
            if done is not None:
                return done
        with self.sessions() as session:
            record = self._stored_row(stored)
            session.add(record)
            return self._process(session, record, message)

    def _process_in_one_statement(self, stored: dict[str, Any],
                                  message: IncomingMessage) -> IngestResult | None:
        """PostgreSQL: ``_process`` without a transaction, for a message from a person already
        known (a conversation's answers: its sender's address was stored at its first turn) or
        from no one. The reads commit themselves; the item and everything written with it are
        one statement (``intake.item_statement``): six or seven round trips (the reads, then
        the statement) where the transaction took fourteen to seventeen.

        None where this way does not apply, having written nothing: a new person (their
        contributor and address are added in the transaction's way), a message the pipeline
        turns down or fails on (the transaction's way runs it again and records why), a message
        another worker made an item meanwhile. The caller then processes it the transaction's way.
        """
        record = self._stored_row(stored)
        with self._one_statement() as session:
            try:
                # A new person first: the transaction's way reads everything again.
                sender = sender_address(session, self.vault, message)
                if message.sender and sender is None:
                    return None
                context = self._known_of(session, message, self.context(session), sender)
                draft = pipeline.run(message, context)
                now = self.clock()
                item = NewItem(record, message, draft, reserved_reference(message) or new_reference(),
                               now, sender.contributor if sender else None,
                               self._consultation_id(session, message, known_slugs(context)))
                rows = self._item_rows(item, sender)
            except Exception:   # the transaction's way runs it again and records why
                return None
            for _ in range(REFERENCE_ATTEMPTS):
                try:
                    item.feedback_id = session.execute(*item_written(rows)).scalar_one()
                except IntegrityError as exc:
                    session.rollback()
                    if not taken_reference(exc):
                        return None
                    item.reference = rows.feedback["reference"] = new_reference()
                    rows.event = self._created_event(item.reference, message, record.id, now)
                else:
                    break
            else:  # pragma: no cover - a reference drawn taken three times running
                return None
        self.settled(message.channel, InboundState.RECEIVED, InboundState.PROCESSED)
        return IngestResult(record.id, InboundState.PROCESSED, feedback_id=item.feedback_id,
                            reference=item.reference)

    def _item_rows(self, item: NewItem, sender: ContactAddress | None) -> ItemRows:
        """What ``_contributor`` and ``_insert_items`` write for ``item``, as rows for one
        statement. The item's id is the statement's (a placeholder 0 here)."""
        rows = ItemRows(
            feedback=self._feedback_values(item.record, item.message, item.draft, item.reference,
                                           item.now, item.consultation_id),
            inbound_id=item.record.id, now=item.now,
            tags=new_item_tag_rows(0, item.draft.tags, item.now),
            event=self._created_event(item.reference, item.message, item.record.id, item.now),
            links=[(model.__table__, values)
                   for model, values in self._link_values(0, item.draft, item.now)])
        conversation_id = item.message.metadata.get("conversation_id")
        rows.conversation_id = conversation_id if isinstance(conversation_id, int) else None
        if sender is not None:
            answers = answer_rows(sender.contributor, item.message, item.record.id,
                                  self._need_codes(item.message), item.now)
            rows.contributor_id = sender.contributor_id
            rows.consents, rows.needs = answers.consents, answers.needs
            rows.preferred_language = answers.preferred_language
            rows.seen_address_id = sender.id if seen_due(sender, item.now) else None
        return rows

    # -- in batches (`intake import`) ------------------------------------------------------
    def ingest_many(self, messages: Sequence[IncomingMessage]) -> list[IngestResult]:
        """``ingest`` for many messages, with the same results as ingesting each in turn: first
        every raw message is committed (one commit), then the new ones are processed together
        (``process_many``)."""
        received, payloads = self._receive_batch(messages)
        fresh = list(dict.fromkeys(i for i, duplicate in received if not duplicate))
        results = dict(zip(fresh, self._process_batch(fresh, payloads), strict=True))
        earlier = list(dict.fromkeys(i for i, duplicate in received if duplicate))
        with self.sessions() as session:   # read after processing: a repeat within the batch too
            records = self._inbound_records(session, earlier)
            known = self._existing_results(session, records.values())
        repeats = {i: replace(known.get(i) or IngestResult(i, InboundState(records[i].state),
                                                           error=records[i].error),
                              duplicate=True) for i in earlier}
        return [repeats[i] if duplicate else results[i] for i, duplicate in received]

    def process_many(self, inbound_ids: Sequence[int]) -> list[IngestResult]:
        """``process`` for many stored messages, with the same results as processing each in
        turn, but in one transaction, with the routing targets read once and the items, tags,
        audit events and links written by one INSERT each (see ``_insert_items``).

        What the pipeline rejects or fails on is left out of the batch and then processed on its
        own by ``process``, which records why. If storing the batch fails (the database refused
        a row, or another worker finished one meanwhile), it is rolled back and every message is
        processed on its own: the raw messages were committed before, so nothing is lost.
        """
        return self._process_batch(inbound_ids, {})

    def _process_batch(self, inbound_ids: Sequence[int],
                       payloads: Mapping[int, str]) -> list[IngestResult]:
        """``process_many``; ``payloads`` are messages' JSON by inbound id, known already."""
        ids = list(dict.fromkeys(inbound_ids))
        alone: list[int] = []
        with self.sessions() as session:
            records = self._inbound_records(session, ids)
            if len(records) < len(ids):     # an unknown id: `process` says which
                return [self.process(inbound_id) for inbound_id in inbound_ids]
            results = self._existing_results(session, records.values())
            pending = [records[i] for i in ids if i not in results]
            try:
                done = self._run_batch(session, pending, payloads, alone)
                session.commit()
            except Exception:
                session.rollback()
                log.warning("storing a batch of %d messages failed: processing them one by one",
                            len(ids), exc_info=True)
                return [self.process(inbound_id) for inbound_id in inbound_ids]
            results.update((item.record.id, IngestResult(item.record.id, InboundState.PROCESSED,
                                                         feedback_id=item.feedback_id,
                                                         reference=item.reference))
                           for item in done)
        results.update((inbound_id, self.process(inbound_id)) for inbound_id in alone)
        return [results[inbound_id] for inbound_id in inbound_ids]

    def _run_batch(self, session: Session, pending: Sequence[InboundMessage],
                   payloads: Mapping[int, str], alone: list[int]) -> list[NewItem]:
        """Run the pipeline on each message and store what it accepts; the ids of those it
        rejects or fails on are added to ``alone``.

        A message with a sender reads what is known of that person (their languages), which
        earlier messages of the batch may add to: so before it, the items waiting are inserted,
        as one by one would have committed them."""
        base = self.context(session)
        references = self._new_references(len(pending), set())
        consultations = known_slugs(base)
        done: list[NewItem] = []
        waiting: list[NewItem] = []
        for record in pending:
            message = (message_from_json(payloads[record.id]) if record.id in payloads
                       else message_from_json(self.vault.decrypt(record.payload_encrypted)))
            if message.sender and any(item.contributor is not None for item in waiting):
                self._insert_items(session, waiting)
                waiting = []
            try:
                context, sender = self._with_sender(session, message, base)
                draft = pipeline.run(message, context)
            except SQLAlchemyError:
                raise
            except Exception:  # recorded by `process`, with its reason, after the batch
                alone.append(record.id)
                continue
            now = self.clock()
            item = NewItem(record, message, draft, reserved_reference(message) or references.pop(),
                           now,
                           self._contributor(session, record, message, now, sender),
                           self._consultation_id(session, message, consultations))
            done.append(item)
            waiting.append(item)
            record.attempts += 1
            record.state, record.error = InboundState.PROCESSED, None
            record.processed_at = now
        self._insert_items(session, waiting)
        return done

    def _insert_items(self, session: Session, items: Sequence[NewItem]) -> None:
        """The items with one INSERT ... RETURNING, then their tags, audit events and links with
        one INSERT each, without the ORM's work for each object (most of the time a row took
        outside the pipeline). A batch of one is how a single message is stored too."""
        if not items:
            return
        if any(item.contributor is not None for item in items):
            session.flush()     # new contributors get their ids
        self._insert_feedback(session, items)
        tags: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        links: dict[type[Base], list[dict[str, Any]]] = {}
        for item in items:
            tags.extend(new_item_tag_rows(item.feedback_id, item.draft.tags, item.now))
            events.append(self._created_event(item.reference, item.message, item.record.id,
                                              item.now))
            for model, values in self._link_values(item.feedback_id, item.draft, item.now):
                links.setdefault(model, []).append(values)
        for model, rows in [(Tag, tags), (AuditEvent, events), *links.items()]:
            session.execute(insert(model.__table__), rows)
        for item in items:
            self._link_conversation(session, item.feedback_id, item.message)

    def _insert_feedback(self, session: Session, items: Sequence[NewItem]) -> None:
        """Insert the items (their references all different) and set their ids. An item whose
        reference another item has already (one draw in ~600 million per stored item) is left
        out by the database and tried again with a new one: so the batch's references need no
        look-up first (which PostgreSQL's planner answers through the reference's trigram index,
        ~0.4 s a batch)."""
        statement = _NEW_FEEDBACK[session.get_bind().dialect.name]
        taken = {item.reference for item in items}
        waiting = list(items)
        while waiting:
            # RETURNING's order is not the rows' order on every database: matched by reference.
            ids = {reference: feedback_id for reference, feedback_id in session.execute(
                statement, [self._feedback_row(item) for item in waiting])}
            for item in waiting:
                item.feedback_id = ids.get(item.reference, 0)
            waiting = [item for item in waiting if not item.feedback_id]
            if any(reserved_reference(item.message) == item.reference for item in waiting):
                log.warning("a queued message's reserved reference was taken: it gets a new one")
            for item, reference in zip(waiting, self._new_references(len(waiting), taken),
                                       strict=True):
                item.reference = reference

    def _feedback_row(self, item: NewItem) -> dict[str, Any]:
        return self._feedback_values(item.record, item.message, item.draft, item.reference,
                                     item.now, item.consultation_id) | {
            "contributor_id": item.contributor.id if item.contributor is not None else None}

    @staticmethod
    def _inbound_records(session: Session, ids: Sequence[int]) -> dict[int, InboundMessage]:
        return {record.id: record for chunk in chunks(ids, LOOKUP_CHUNK)
                for record in session.scalars(select(InboundMessage)
                                              .where(InboundMessage.id.in_(chunk)))}

    def _existing_result(self, session: Session, record: InboundMessage) -> IngestResult | None:
        return self._existing_results(session, [record]).get(record.id)

    @staticmethod
    def _existing_results(session: Session,
                          records: Iterable[InboundMessage]) -> dict[int, IngestResult]:
        """The outcome of each message already dealt with (processed, rejected or ignored)."""
        results: dict[int, IngestResult] = {}
        processed = []
        for record in records:
            if record.state == InboundState.PROCESSED:
                processed.append(record.id)
            elif record.state in (InboundState.REJECTED, InboundState.IGNORED):
                results[record.id] = IngestResult(record.id, InboundState(record.state),
                                                  error=record.error)
        items = {inbound_id: (feedback_id, reference) for chunk in chunks(processed, LOOKUP_CHUNK)
                 for inbound_id, feedback_id, reference in session.execute(
                     select(Feedback.inbound_message_id, Feedback.id, Feedback.reference)
                     .where(Feedback.inbound_message_id.in_(chunk)))}
        for inbound_id in processed:
            feedback_id, reference = items.get(inbound_id, (None, None))
            results[inbound_id] = IngestResult(inbound_id, InboundState.PROCESSED,
                                               feedback_id=feedback_id, reference=reference)
        return results

    def _record_outcome(self, session: Session, inbound_id: int, state: InboundState,
                        error: str) -> IngestResult:
        session.rollback()
        record = session.get_one(InboundMessage, inbound_id, populate_existing=True)
        # Another worker may have finished this message meanwhile (its feedback row is why ours
        # failed): its success stands, and the inbound row is made to say so.
        feedback = session.scalar(select(Feedback).where(Feedback.inbound_message_id == inbound_id))
        if feedback is not None:
            if record.state != InboundState.PROCESSED:
                record.state, record.error = InboundState.PROCESSED, None
                record.processed_at = record.processed_at or self.clock()
                session.commit()
            return IngestResult(inbound_id, InboundState.PROCESSED, feedback_id=feedback.id,
                                reference=feedback.reference)
        record.state, record.error = state, error
        record.attempts = (record.attempts or 0) + 1
        session.commit()
        return IngestResult(inbound_id, state, error=error)

    def _with_sender(self, session: Session, message: IncomingMessage,
                     base: PipelineContext) -> tuple[PipelineContext, ContactAddress | None]:
        """``base`` with what is known of the message's sender (their languages, the invitations
        they were sent), and their stored address (None for a stranger): one read for all of it
        and for the item's contributor (``_contributor``)."""
        sender = sender_address(session, self.vault, message)
        return self._known_of(session, message, base, sender), sender

    def _known_of(self, session: Session, message: IncomingMessage, base: PipelineContext,
                  sender: ContactAddress | None) -> PipelineContext:
        """``_with_sender``'s context, for a sender whose address is read already."""
        now = self.clock()
        languages, invitations = sender_history(session, sender.contributor if sender else None,
                                                reply_moment(message, now), self._reply_days)
        return replace(base, now=now, language_prior=languages, invitations=invitations)

    def _contributor(self, session: Session, record: InboundMessage, message: IncomingMessage,
                     now: datetime, sender: ContactAddress | None) -> Contributor | None:
        """The sender, found (``sender``: read already, by ``_with_sender``) or added, with what
        they told us about themselves."""
        if not message.sender:
            return None
        if sender is not None:
            mark_seen(sender, now)
            contributor = sender.contributor
        else:
            contributor, _ = contributor_for(session, self.vault, message.address_channel,
                                             message.sender, now)
        record_answers(session, contributor, message, record.id, self._need_codes(message), now)
        return contributor

    def _need_codes(self, message: IncomingMessage) -> dict[str, str | None]:
        """The SNOMED CT code of each communication need the message states."""
        return {need: need_code(self.config, need) for need in message.answers.needs}

    @staticmethod
    def _consultation_id(session: Session, message: IncomingMessage,
                         known: dict[str, int | None]) -> int | None:
        """The consultation the message was given for, by slug (``known``: slugs read before, and
        those of the consultations routing read, so only a reported one's is read here)."""
        slug = message.answers.consultation
        if not slug:
            return None
        if slug not in known:
            known[slug] = session.scalar(select(Consultation.id).where(Consultation.slug == slug))
        return known[slug]

    @staticmethod
    def _feedback_values(record: InboundMessage, message: IncomingMessage, draft: Draft,
                         reference: str, now: datetime, consultation_id: int | None
                         ) -> dict[str, Any]:
        answers = message.answers
        return {"reference": reference, "inbound_message_id": record.id,
                "channel": message.channel, "text": draft.text,
                "redacted_text": draft.redacted_text, "on_behalf_of": answers.on_behalf_of,
                "fft_rating": answers.fft_rating.value if answers.fft_rating else None,
                "consultation_id": consultation_id, "received_at": record.received_at,
                "created_at": now, "updated_at": now,
                "pipeline_version": pipeline.PIPELINE_VERSION}

    @staticmethod
    def _created_event(reference: str, message: IncomingMessage, inbound_id: int,
                       now: datetime) -> dict[str, Any]:
        return {"occurred_at": now, "actor": PIPELINE_ACTOR, "action": "feedback.created",
                "entity_type": "feedback", "entity_id": reference,
                "details": {"channel": message.channel, "inbound_id": inbound_id}}

    @staticmethod
    def _link_conversation(session: Session, feedback_id: int, message: IncomingMessage) -> None:
        conversation_id = message.metadata.get("conversation_id")
        if isinstance(conversation_id, int):
            # A chat's answers became this item: linked here, so an item finished later by
            # `intake reprocess --failed` shows its conversation too.
            session.execute(_LINK_CONVERSATION, {"conversation": conversation_id,
                                                 "item": feedback_id})

    def _unused_reference(self, session: Session) -> str:
        return self._unused_references(session, 1)[0]

    @staticmethod
    def _new_references(count: int, taken: set[str]) -> list[str]:
        """``count`` different references, none in ``taken`` (to which they are added)."""
        found: list[str] = []
        while len(found) < count:
            reference = new_reference()
            if reference not in taken:
                taken.add(reference)
                found.append(reference)
        return found

    @staticmethod
    def _unused_references(session: Session, count: int) -> list[str]:
        """``count`` different references that no item has yet."""
        found: set[str] = set()
        while len(found) < count:
            candidates = {new_reference() for _ in range(count - len(found))} - found
            found |= candidates - Intake._taken_references(session, candidates)
        return list(found)

    @staticmethod
    def _taken_references(session: Session, candidates: Set[str]) -> set[str]:
        """Those of ``candidates`` that an item has already."""
        return {reference for chunk in chunks(sorted(candidates), LOOKUP_CHUNK)
                for reference in session.scalars(select(Feedback.reference)
                                                 .where(Feedback.reference.in_(chunk)))}

    @staticmethod
    def _add_links(session: Session, feedback: Feedback, draft: Draft, now: datetime) -> int:
        """Add the links routing proposes that the item does not have yet, and that staff did
        not remove."""
        tracker = set(session.scalars(select(FeedbackTrackerLink.tracker_item_id).where(
            FeedbackTrackerLink.feedback_id == feedback.id)))
        consultations = set(session.scalars(select(FeedbackConsultationLink.consultation_id)
                                            .where(FeedbackConsultationLink.feedback_id
                                                   == feedback.id)))
        removed = removed_targets(session, feedback.id)
        links = Intake._link_values(feedback.id, draft, now, tracker, consultations, removed)
        session.add_all(model(**values) for model, values in links)
        return len(links)

    @staticmethod
    def _link_values(feedback_id: int, draft: Draft, now: datetime, tracker: Set[int] = frozenset(),
                     consultations: Set[int] = frozenset(),
                     removed: Set[tuple[str, int]] = frozenset()) -> list[tuple[type[Base], dict[str, Any]]]:
        """The link rows routing proposes, less those the item has (``tracker``,
        ``consultations``) and those staff removed."""
        links: list[tuple[type[Base], dict[str, Any]]] = []
        for link in draft.links:
            if (link.target, link.target_id) in removed:
                continue  # a member of staff took this link away
            if link.target == "tracker" and link.target_id not in tracker:
                links.append((FeedbackTrackerLink, {
                    "feedback_id": feedback_id, "tracker_item_id": link.target_id,
                    "rule_id": link.rule_id, "created_at": now}))
            elif link.target == "consultation" and link.target_id not in consultations:
                links.append((FeedbackConsultationLink, {
                    "feedback_id": feedback_id, "consultation_id": link.target_id,
                    "rule_id": link.rule_id, "created_at": now}))
        return links

    # -- tagging in `intake worker` (INTAKE_TAGGING=worker) ----------------------------------
    def queue(self, message: IncomingMessage) -> IngestResult:
        """Store the message for `intake worker` to tag and route (``process_queued``), with the
        reference its item will have, so the person is given it at once. What Twilio asks of a
        webhook: answer fast, tag later. A repeated delivery gets the first one's reference, or
        its outcome once processed."""
        with self._one_statement() as session:
            reference = self._unused_reference(session)
        message = replace(message, metadata={**message.metadata, RESERVED_REFERENCE: reference})
        inbound_id, duplicate = self.receive(message, InboundState.QUEUED)
        if not duplicate:
            return IngestResult(inbound_id, InboundState.QUEUED, reference=reference)
        with self._one_statement() as session:
            record = session.get_one(InboundMessage, inbound_id)
            result = self._existing_result(session, record) or IngestResult(
                inbound_id, InboundState(record.state), error=record.error,
                reference=reserved_reference(message_from_json(
                    self.vault.decrypt(record.payload_encrypted))))
        return replace(result, duplicate=True)

    def process_queued(self, limit: int = QUEUE_BATCH) -> list[IngestResult]:
        """Claim up to ``limit`` queued messages, oldest first, and process them one by one.

        They are claimed (set back to received) in a transaction of their own, skipping rows
        another worker has locked, so several workers never take the same message; a worker
        that dies after claiming leaves them received, for `intake reprocess --failed`.
        One by one, not as a batch (``process_many``): a batch's transaction would hold
        SQLite's one write lock through every message's pipeline, and the web workers' turns
        wait for that lock (p99 at 100 SMS a second: 687 ms with batches of 50, measured).
        """
        with self.sessions.begin() as session:
            oldest = list(session.scalars(
                select(InboundMessage.id).where(InboundMessage.state == InboundState.QUEUED)
                .order_by(InboundMessage.id).limit(limit).with_for_update(skip_locked=True)))
            # Only what is still queued: SQLite has no row locks, so another worker may have
            # claimed some of them between the read and this write.
            ids = sorted(session.scalars(
                update(InboundMessage).where(InboundMessage.id.in_(oldest),
                                             InboundMessage.state == InboundState.QUEUED)
                .values(state=InboundState.RECEIVED).returning(InboundMessage.id))) if oldest else []
        return [self.process(inbound_id) for inbound_id in ids]

    # -- reprocessing ----------------------------------------------------------------------
    def pending_inbound(self, include_rejected: bool = False) -> list[int]:
        """Inbound messages that never became feedback: failed, or received and left behind."""
        states = [InboundState.FAILED, InboundState.RECEIVED]
        if include_rejected:
            states.append(InboundState.REJECTED)
        with self.sessions() as session:
            return list(session.scalars(select(InboundMessage.id)
                                        .where(InboundMessage.state.in_(states))
                                        .order_by(InboundMessage.id)))

    def retry(self, inbound_id: int) -> IngestResult:
        """Process a failed (or rejected, after a configuration change) message again."""
        with self.sessions.begin() as session:
            record = session.get_one(InboundMessage, inbound_id)
            if record.state in (InboundState.FAILED, InboundState.REJECTED):
                record.state = InboundState.RECEIVED
        return self.process(inbound_id)

    def retag(self, feedback_ids: Iterable[int] | None = None) -> RetagSummary:
        """Re-run the taggers and routing on stored feedback with the current configuration.

        Tags set by a contributor or staff are kept, and links are only ever added. An item whose
        stored answers the current configuration no longer accepts is left as it was (skipped).
        """
        with self.sessions() as session:
            # Erased items have nothing left to tag; their tags stay as the counts' record.
            query = select(Feedback.id).where(Feedback.erased_at.is_(None)).order_by(Feedback.id)
            if feedback_ids is not None:
                query = query.where(Feedback.id.in_(list(feedback_ids)))
            ids = list(session.scalars(query))
        items = added = retracted = skipped = 0
        for feedback_id in ids:
            with self.sessions.begin() as session:
                feedback = session.get_one(Feedback, feedback_id)
                message = self._original_message(session, feedback)
                languages, invitations = sender_history(
                    session, feedback.contributor, feedback.received_at, self._reply_days,
                    exclude_feedback_id=feedback.id)
                context = replace(self.context(session), language_prior=languages,
                                  invitations=invitations)
                try:
                    draft = pipeline.run(message, context)
                except RejectedMessage as exc:
                    log.warning("re-tagging %s skipped: %s", feedback.reference, exc)
                    skipped += 1
                    continue
                now = self.clock()
                plus, minus = apply_pipeline_tags(
                    feedback, draft.tags, now, reason=f"reprocess:{pipeline.PIPELINE_VERSION}")
                self._add_links(session, feedback, draft, now)
                feedback.redacted_text = draft.redacted_text
                feedback.pipeline_version = pipeline.PIPELINE_VERSION
                items, added, retracted = items + 1, added + plus, retracted + minus
        return RetagSummary(items, added, retracted, skipped)

    def _original_message(self, session: Session, feedback: Feedback) -> IncomingMessage:
        """The message as it arrived, or, once retention removed that, the item's own text."""
        if feedback.inbound_message_id is not None:
            record = session.get_one(InboundMessage, feedback.inbound_message_id)
            if record.payload_encrypted:
                return message_from_json(self.vault.decrypt(record.payload_encrypted))
        return IncomingMessage(channel=feedback.channel, provider_message_id=feedback.reference,
                               text=feedback.text, received_at=feedback.received_at)


def reserved_reference(message: IncomingMessage) -> str | None:
    """The reference a queued message's item was promised (``Intake.queue``), if any."""
    reserved = message.metadata.get(RESERVED_REFERENCE)
    return reserved if isinstance(reserved, str) else None
