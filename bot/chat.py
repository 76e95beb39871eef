"""The conversation at the I/O edge: every chat channel hands its messages to ``ChatService``.

Order of work for each message: store it raw (``Intake.receive``, committed), run the pure engine
over the conversation state kept in the database, then write the conversation and claim the
message's turn in one transaction (so a retried delivery is answered with the replies already
given, never processed twice; a turn of the same conversation that wrote first makes this one try
again). When a conversation ends (the last answer, an opt-out, or silence) its answers go through
the shared pipeline as one feedback item, in a transaction of its own.

Safety comes first: a message that suggests a risk to life or safety is answered at once with
where to get urgent help (the ``signposting`` prompt, in the conversation's language), before the
next question, once per conversation; the conversation then carries on. The feedback item itself
is flagged by the pipeline when the conversation ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, and_, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.commands import Command, CommandKind, recognise
from bot.engine import Choice, ConsultationEntry, Engine, EngineContext, Outcome
from bot.script import Script
from bot.state import FEEDBACK_JOIN, ChatState
from bot.turn_statements import (
    ANSWER_TURN,
    INBOUND_STATE,
    OPEN_CONVERSATION,
    OPEN_CONVERSATION_WITH_ADDRESS,
    SETTLE_INBOUND,
    STORED_WITH_ADDRESS_AND_OPEN_CONVERSATION,
    THANK_TURN,
    TURN_ID_OF_MESSAGE,
    TURN_OF_MESSAGE,
    WRITE_CONVERSATION,
    WRITE_FIRST_REPLY,
    WRITE_FIRST_REPLY_SEEN,
    WRITE_NEWCOMERS_FIRST_REPLY,
    WRITE_REPLY,
    WRITE_REPLY_SEEN,
)
from intake.bootstrap import Runtime
from intake.contributors import (
    address_for,
    contributor_for,
    find_address,
    mark_seen,
    normalise_address,
    seen_due,
)
from intake.message import Answers, Consent, FftRating, IncomingMessage
from intake.pipeline.stages.safety import assess
from intake.pipeline.stages.service import infer
from intake.references import new_pseudonym
from intake.signposting import record_signposting
from intake.storage.adopted import adopted
from intake.storage.database import one_statement_connections, one_statement_sessions
from intake.storage.models import (
    AuditEvent,
    Consultation,
    ConsultationStatus,
    ContactAddress,
    Conversation,
    ConversationStatus,
    InboundState,
)

log = logging.getLogger(__name__)

# A repeat delivery that arrives while the first is still being answered waits this long for the
# first answer (SMS replies go back in the HTTP response, so the repeat must carry the same text).
REPLAY_WAIT_SECONDS = 10.0
REPLAY_POLL_SECONDS = 0.05
# Tries at a turn whose conversation another turn wrote between its reads and its writes.
DECIDE_ATTEMPTS = 4
_T = TypeVar("_T")
# A sender's address and open conversation, each None if there is none, as a turn read them.
_Read = tuple[ContactAddress | None, Conversation | None]


def _tried(attempt: Callable[[bool], _T], *overtaken: type[Exception]) -> _T:
    """``attempt(first)``, tried again (up to ``DECIDE_ATTEMPTS`` in all) when it fails with one
    of ``overtaken``: another worker wrote what it read, and a new try reads what that wrote."""
    for number in range(1, DECIDE_ATTEMPTS):
        try:
            return attempt(number == 1)
        except overtaken:
            continue
    return attempt(False)


@dataclass(frozen=True)
class ChatMessage:
    """One chat message as a channel adapter parsed it from its provider's request."""

    channel: str
    provider_message_id: str
    sender: str
    text: str
    media: tuple[str, ...] = ()           # content types of attachments we cannot read
    received_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    language_hint: str | None = None      # e.g. Telegram's language_code: a hint, not a choice
    multi_part_text: bool = False         # the channel lets people send a comment in parts
    restart: bool = False                 # start over (Telegram /start), keeping what was said
    max_text_length: int | None = None    # the channel's own limit, when lower than the pipeline's


    def to_incoming(self) -> IncomingMessage:
        """The raw inbox form of this message (what is stored before anything else)."""
        return IncomingMessage(
            channel=self.channel, provider_message_id=self.provider_message_id, text=self.text,
            sender=self.sender, received_at=self.received_at,
            metadata={**self.metadata, "media": list(self.media)})


@dataclass(frozen=True)
class ChatReply:
    replies: tuple[str, ...]
    duplicate: bool = False
    reference: str | None = None
    choices: tuple[Choice, ...] = ()      # ready-made answers, for channels that show buttons


@dataclass
class _Decision:
    """What one turn decided, to act on after its transaction has committed."""

    replies: list[str] = field(default_factory=list)
    # Each conversation this turn closed: its id and its answers as one message (None if it had
    # none), built in the turn's transaction from what it read, so finishing reads nothing again.
    endings: list[tuple[int, IncomingMessage | None]] = field(default_factory=list)
    thank: int | None = None             # conversation whose completion earns the thanks
    language: str = "en"
    standalone: bool = False             # an opted-out person's message: feedback, no reply
    choices: tuple[Choice, ...] = ()
    signposted: bool = False             # the first reply is the signposting to urgent help


@dataclass
class _InboundOutcome:
    """What a turn makes of its inbound message, written with the turn (``SETTLE_INBOUND``)."""

    before: InboundState                 # its state when the turn began
    state: InboundState = InboundState.CONVERSATION
    error: str | None = None


class ChatService:
    def __init__(self, runtime: Runtime, script: Script) -> None:
        self.runtime = runtime
        self.script = script
        self.intake = runtime.intake
        # For the reads that are one statement: on PostgreSQL, no BEGIN and no ROLLBACK, which
        # would make psycopg forget the connection's prepared statements.
        self._one_statement = one_statement_sessions(runtime.sessions)
        self._one_statement_connection = one_statement_connections(runtime.sessions)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.intake.clock

    # -- engine wiring -------------------------------------------------------------------
    def engine(self, session: Session, now: datetime, multi_part: bool = False,
               max_text_length: int | None = None) -> Engine:
        config = self.intake.config
        read: dict[str, dict[str, Consultation]] = {}

        def consultations(key: str) -> dict[str, Consultation]:
            """Read when the engine first asks (a first message, a consultation's question), in
            this turn's transaction: most turns are answers to a question and need none."""
            if not read:
                listed = list(session.scalars(select(Consultation).where(
                    Consultation.status != ConsultationStatus.REPORTED)))
                open_now = [c for c in listed if c.is_open_at(now)]
                # A deep link (Telegram /start <slug>) reaches an open consultation by its slug
                # too; an SMS keyword wins where the two are spelt alike.
                by_keyword = {c.slug.casefold(): c for c in open_now}
                by_keyword.update({c.sms_keyword.casefold(): c for c in open_now if c.sms_keyword})
                read.update(slug={c.slug: c for c in listed}, keyword=by_keyword)
            return read[key]

        def entry(consultation: Consultation | None) -> ConsultationEntry | None:
            return None if consultation is None else ConsultationEntry(
                consultation.slug, dict(consultation.questions))

        def for_keyword(text: str) -> ConsultationEntry | None:
            key = text.strip().strip(".!").casefold()
            # Keywords and short names are one word (staff's form checks them): a first message
            # of several words, most of them, cannot be one, and reads no consultation.
            if not key or any(c.isspace() for c in key):
                return None
            return entry(consultations("keyword").get(key))

        def label(language: str, service: str) -> str:
            menu = self.script.languages.get(language, self.script.languages["en"]).menus
            found = config.service(service)
            return menu.get("service", {}).get(service) or (found.name if found else service)

        def detect(text: str) -> tuple[str, float]:
            guess = self.intake.taggers.language.detect(text)
            return guess.code, guess.confidence

        return Engine(EngineContext(
            script=self.script,
            detect_language=detect,
            infer_services=lambda text: [(t.value, t.confidence)
                                         for t in infer(text, self.intake.taggers.services)],
            service_label=label,
            consultation_for_keyword=for_keyword,
            consultation_by_slug=lambda slug: entry(consultations("slug").get(slug)),
            max_text_length=min(config.limits.max_text_length,
                                max_text_length or config.limits.max_text_length),
            interpreter_languages=frozenset(e.language for e in config.needs.interpreter_languages),
        ), multi_part=multi_part)

    # -- one message ---------------------------------------------------------------------
    def handle(self, message: ChatMessage) -> ChatReply:
        # Stored as sent (encrypted); the conversation keeps the person's words in its state,
        # which PostgreSQL cannot hold with a NUL in them (the pipeline drops control
        # characters from the feedback anyway).
        said = (replace(message, text=message.text.replace("\x00", ""))
                if "\x00" in message.text else message)
        inbound_id, duplicate, read = self._receive(message, said)
        if duplicate and (replayed := self._replay(inbound_id)) is not None:
            return replayed
        message = said
        # A message stored just now has no turn yet (its claim is checked by the unique turn per
        # message instead of a look-up); a repeat delivery's may, and so may a second try's.
        # Another worker may answer this message, open this person's conversation, or answer
        # their previous message, between this turn's reads and its writes: another try sees
        # what it did.
        decision = _tried(lambda first: self._decide(inbound_id, message,
                                                     fresh=first and not duplicate,
                                                     read=read if first else None),
                          IntegrityError, StaleDataError)
        if decision is None:
            # Another worker is answering this very message (a provider's retry raced the first
            # delivery): give the same answer once it is ready.
            return self._replay(inbound_id, wait=REPLAY_WAIT_SECONDS) or ChatReply((), duplicate=True)
        return self._act(inbound_id, decision)

    def _receive(self, message: ChatMessage, said: ChatMessage
                 ) -> tuple[int, bool, _Read | None]:
        """Store the raw message as sent: its inbound id, whether it is a repeat delivery, and
        for a turn that can take ``_decide_in_one_statement``'s way (on PostgreSQL; ``said``,
        the words the turn uses, ask for nothing else) the sender's address and open
        conversation, read by the statement that stores it: one round trip where two were."""
        if self._one_statement is not self.runtime.sessions and self._may_say_only_its_turn(said):
            row = self.intake.receive_reading(
                message.to_incoming(), STORED_WITH_ADDRESS_AND_OPEN_CONVERSATION,
                {"channel": message.channel, "address_hash": self._address_hash(message)})
            if row is not None:
                inbound_id, address, conversation = row
                return inbound_id, False, (address, conversation)
        inbound_id, duplicate = self.intake.receive(message.to_incoming())
        return inbound_id, duplicate, None

    def _replay(self, inbound_id: int, wait: float = 0.0) -> ChatReply | None:
        """The answer already given to this message, waiting up to ``wait`` seconds for a
        worker that is still answering it; None if nobody has answered it yet."""
        deadline = time.monotonic() + wait
        while True:
            with self._one_statement() as session:
                turn = session.scalar(TURN_OF_MESSAGE, {"inbound_id": inbound_id})
            if turn is not None and (turn.answered_at is not None or (wait and time.monotonic() >= deadline)):
                return ChatReply(tuple(turn.replies), duplicate=True)
            if time.monotonic() >= deadline:
                return None
            time.sleep(REPLAY_POLL_SECONDS)

    def _decide(self, inbound_id: int, message: ChatMessage, fresh: bool = False,
                read: _Read | None = None) -> _Decision | None:
        """Run the engine on the message and write its turn, in one transaction. ``fresh``: the
        message was stored by this very request, so nobody can have answered it yet (a repeat
        delivery racing it makes the turn's insert fail, and ``handle`` tries again). ``read``:
        the address and open conversation read as the message was stored (``_receive``).

        Everything is read, and the engine run, before the first write, so that on SQLite,
        where the first write takes the database's one write lock, a turn holds it only while
        it writes; on PostgreSQL the conversation's row is locked as it is read, except in the
        commonest turns, which take no transaction (``_decide_in_one_statement``). A turn of the
        same conversation that wrote in between makes this one's update miss the version it
        read, and ``handle`` tries again. The explicit flushes below (a conversation opened or
        closed) write early: a conversation's first and last turns."""
        if read is not None and (  # read only as this request stored the message: fresh
                decided := self._decide_in_one_statement(inbound_id, message, read)) is not None:
            return decided
        now = self.clock()
        decision = _Decision(language=self.script.default_language)
        with self.runtime.sessions.begin() as session, session.no_autoflush:
            if not fresh and session.scalar(TURN_ID_OF_MESSAGE,
                                           {"inbound_id": inbound_id}) is not None:
                return None
            address, conversation = self._open_conversation(session, message, now, decision)
            if message.restart and address.opted_out_at is not None:
                # Starting again (Telegram /start) is asking to hear from us again.
                address.opted_out_at = None
                session.add(AuditEvent(occurred_at=now, actor=f"contact:{address.id}",
                                       action="contact.opt-in", entity_type="contact_address",
                                       entity_id=str(address.id), details={"by": "restart"}))
            if conversation is not None and message.restart:
                self._close(decision, conversation, address, ConversationStatus.RESTARTED, now)
                session.flush()
                conversation = None
            inbound = self._inbound(session, inbound_id, fresh)
            state = ChatState.from_json(conversation.state) if conversation else None
            if state is not None:
                decision.language = state.language
            # Read before anything else decides, so that no path can skip it.
            flags = self.risks(message.text) if message.text.strip() else ()
            command = recognise(message.text, self.script, address.opted_out_at is not None)
            if command is not None and command.kind != CommandKind.LANGUAGE:
                self._command(session, command.kind, address, conversation, inbound, decision, now)
                # "Stop texting me, I want to end it all" stops the texts, and is still answered.
                if flags and command.kind == CommandKind.OPT_OUT and not (
                        state is not None and state.signposted):
                    self._signpost(session, decision, flags, message.channel, inbound_id, now,
                                   ("conversation", conversation.id) if conversation else
                                   ("contact_address", address.id))
            elif address.opted_out_at is not None:
                inbound.state = InboundState.RECEIVED  # processed on its own, after this commit
                decision.standalone = True
            elif message.media and not message.text.strip():
                inbound.state, inbound.error = InboundState.IGNORED, "attachment without text"
                decision.replies.append(self.script.prompt(decision.language, "media"))
            else:
                conversation = self._converse(session, message, command, flags, state,
                                              conversation, address, inbound_id, decision, now)
            connection = session.connection()
            if conversation is not None:
                self._write_conversation(session, connection, conversation)
            connection.execute(SETTLE_INBOUND, {"inbound_id": inbound_id, "state": inbound.state,
                                                "error": inbound.error, "now": now})
            # The claim: a racing copy's fails on the unique message id. Answered unless the
            # thanks, with its reference, completes it after the commit.
            connection.execute(ANSWER_TURN, {
                "inbound_id": inbound_id,
                "conversation_id": conversation.id if conversation else None,
                "replies": list(decision.replies), "now": now,
                "answered_at": None if decision.thank else now})
        self.intake.settled(message.channel, inbound.before, inbound.state)
        return decision

    def _converse(self, session: Session, message: ChatMessage, command: Command | None,
                  flags: tuple[str, ...], state: ChatState | None,
                  conversation: Conversation | None, address: ContactAddress, inbound_id: int,
                  decision: _Decision, now: datetime) -> Conversation:
        """Run the engine on the message: the conversation's next state and replies, in
        ``decision``. Writes only for a conversation's first turn and for signposting (``flags``);
        closing a finished conversation is written with the turn."""
        engine = self.engine(session, now, multi_part=message.multi_part_text,
                             max_text_length=message.max_text_length)
        if command is not None and command.language:  # switch language, ask again
            outcome = (engine.repeat(replace(state, language=command.language,
                                             language_chosen=True))
                       if state else engine.greet(command.language))
        else:
            outcome = engine.answer(state, message.text) if state else engine.begin(
                message.text, message.language_hint)
        signpost = bool(flags) and not outcome.state.signposted
        if signpost:
            outcome = replace(outcome, state=replace(outcome.state, signposted=True))
        conversation = self._save(session, conversation, address, outcome, now)
        decision.language = outcome.state.language
        if signpost:
            self._signpost(session, decision, flags, message.channel, inbound_id, now,
                           ("conversation", conversation.id))
        decision.replies.extend(outcome.replies)
        decision.choices = engine.choices(outcome.state)
        if outcome.finished:
            self._close(decision, conversation, address, ConversationStatus.COMPLETED, now)
            decision.thank = conversation.id
        if message.media:
            decision.replies.append(self.script.prompt(decision.language, "media"))
        return conversation

    def _decide_in_one_statement(self, inbound_id: int, message: ChatMessage, read: _Read
                                 ) -> _Decision | None:
        """``_decide`` for the commonest turns on PostgreSQL, a reply to a question and a first
        message: with the address and any open conversation ``read`` as the message was stored
        (``_receive``), run the engine and write the turn as one statement
        (``bot.turn_statements.turn_written_with``; for a new person, with their contributor
        and address): two round trips to the database in all, where the transaction took seven
        to eleven after storing the message. None, having written nothing, for any other turn
        (opted out, a conversation gone idle): those go the transaction's way. No row is locked
        while the engine runs: a turn of the same conversation that wrote meanwhile makes the
        write miss the version read (or, for a first message, the one open conversation per
        address, or the one address per number), and ``handle`` tries again, as on SQLite."""
        now, channel = self.clock(), message.channel
        stored_address, conversation = read
        # A new person's address (no id yet) is inserted with the turn; a known one's hash was
        # read with it.
        address = stored_address or ContactAddress(
            channel=channel, address_hash=self._address_hash(message), opted_out_at=None,
            last_seen_at=now)
        if not self._writes_only_its_turn(address, conversation, now):
            return None
        with self._one_statement() as session, session.no_autoflush:
            state = ChatState.from_json(conversation.state) if conversation else None
            decision = _Decision(language=state.language if state else self.script.default_language)
            opening = conversation is None
            if opening:  # made here, and inserted with its turn
                conversation = Conversation(**self._opening(address, now), closed_at=None)
            self._converse(session, message, None, (), state, conversation, address,
                           inbound_id, decision, now)
            if opening and decision.endings:
                return None  # a conversation over at its first message is rare: no shortcut
            written = session.connection().execute(*self._turn_statement(
                message, address, conversation, decision, inbound_id, now))
            if written.first() is None:
                raise StaleDataError(f"conversation {conversation.id} was written by another "
                                     f"turn after this one read version {conversation.version}")
        self.intake.settled(channel, InboundState.RECEIVED, InboundState.CONVERSATION)
        return decision

    def _turn_statement(self, message: ChatMessage, address: ContactAddress,
                        conversation: Conversation, decision: _Decision, inbound_id: int,
                        now: datetime) -> tuple[Executable, dict[str, Any]]:
        """The one statement that writes a turn, and its parameters: a reply updates its
        conversation at the version read; a first message inserts it, a new person's (an
        address not stored yet) with their contributor and address. A known address whose hour
        of last contact is due has it recorded in the same statement."""
        values = {"state": conversation.state, "status": conversation.status,
                  "last_activity_at": conversation.last_activity_at, "inbound_id": inbound_id,
                  "inbound_state": InboundState.CONVERSATION, "error": None, "now": now,
                  "replies": list(decision.replies),
                  "answered_at": None if decision.thank else now}
        seen = address.id is not None and seen_due(address, now)
        if seen:
            values["address_id"] = address.id
        if conversation.id is not None:
            return WRITE_REPLY_SEEN if seen else WRITE_REPLY, values | {
                "conversation_id": conversation.id, "read_version": conversation.version,
                "closed_at": conversation.closed_at}
        values |= {"conversation_channel": conversation.channel,
                   "conversation_address_hash": conversation.address_hash,
                   "started_at": conversation.started_at, "version": conversation.version}
        if address.id is not None:
            return WRITE_FIRST_REPLY_SEEN if seen else WRITE_FIRST_REPLY, values | {
                "conversation_contributor_id": conversation.contributor_id}
        return WRITE_NEWCOMERS_FIRST_REPLY, values | {
            "pseudonym": new_pseudonym(), "address_encrypted": self.intake.vault.encrypt(
                normalise_address(message.channel, message.sender))}

    def _may_say_only_its_turn(self, message: ChatMessage) -> bool:
        """``_says_only_its_turn``, asked before the message is stored: if reading its words
        fails, the message is stored on its own first, as every message is, and its turn
        meets the failure after that."""
        try:
            return self._says_only_its_turn(message)
        except Exception:  # whatever it is, the message must be stored first
            log.exception("reading a message before storing it failed; storing it on its own")
            return False

    def _says_only_its_turn(self, message: ChatMessage) -> bool:
        """Whether the message, by itself, asks the turn to write nothing but its conversation,
        its message's state, its turn and the hour of last contact: not a restart, an attachment
        or an empty message, nothing to signpost, no command."""
        return not (message.restart or message.media or not message.text.strip()
                    or self.risks(message.text)
                    or recognise(message.text, self.script) is not None)

    def _writes_only_its_turn(self, address: ContactAddress, conversation: Conversation | None,
                              now: datetime) -> bool:
        """Whether a message that says only its turn (``_says_only_its_turn``) writes only it
        from this sender: not opted out, no idle conversation to close."""
        return address.opted_out_at is None and not (
            conversation is not None and self._gone_idle(conversation, now))

    def _gone_idle(self, conversation: Conversation, now: datetime) -> bool:
        """Whether the conversation has been quiet long enough to be closed, not continued."""
        idle = timedelta(minutes=self.script.conversation.timing.idle_minutes)
        return conversation.last_activity_at + idle <= now

    def _address_hash(self, message: ChatMessage) -> str:
        """The look-up hash of the sender's address, as their address row keeps it."""
        return self.intake.vault.lookup_hash(
            message.channel, normalise_address(message.channel, message.sender))

    @staticmethod
    def _write_conversation(session: Session, connection: Connection,
                            conversation: Conversation) -> None:
        """Write what this turn changed in a conversation it read (``WRITE_CONVERSATION``) and
        take it out of the session, whose flush would write it again. One written already (a
        conversation's first turn, or one closed before another opens) has nothing to write."""
        if not inspect(conversation).modified:
            return
        written = connection.execute(WRITE_CONVERSATION, {
            "conversation_id": conversation.id, "read_version": conversation.version,
            "state": conversation.state, "last_activity_at": conversation.last_activity_at,
            "status": conversation.status, "closed_at": conversation.closed_at})
        if written.rowcount != 1:
            raise StaleDataError(f"conversation {conversation.id} was written by another turn "
                                 f"after this one read version {conversation.version}")
        session.expunge(conversation)

    @staticmethod
    def _inbound(session: Session, inbound_id: int, fresh: bool) -> _InboundOutcome:
        """What the turn will make of its message, from the state it is in now: one this request
        stored is known to be received without reading it back."""
        if fresh:
            return _InboundOutcome(InboundState.RECEIVED)
        before = session.connection().scalar(INBOUND_STATE, {"inbound_id": inbound_id})
        return _InboundOutcome(InboundState(before))

    def risks(self, text: str) -> tuple[str, ...]:
        """The safety flags this text raises (negation, quotes and the past read as the
        pipeline reads them), for signposting before the feedback is even stored."""
        return tuple(sorted(assess(text, self.intake.taggers, self.clock())))

    def _signpost(self, session: Session, decision: _Decision, flags: tuple[str, ...],
                  channel: str, inbound_id: int, now: datetime, about: tuple[str, int]) -> None:
        """Put the signposting first among this turn's replies, and audit it."""
        decision.replies.insert(0, self.script.prompt(decision.language, "signposting"))
        decision.signposted = True
        entity_type, entity_id = about
        record_signposting(session, entity_type=entity_type, entity_id=str(entity_id),
                           flags=flags, channel=channel, language=decision.language, at=now,
                           inbound_id=inbound_id)

    def _open_conversation(self, session: Session, message: ChatMessage, now: datetime,
                           decision: _Decision) -> tuple[ContactAddress, Conversation | None]:
        """The sender's address (created on first contact) and their open conversation, if it
        has not gone idle (one that has is closed, to be finalised)."""
        channel = message.channel
        found = session.execute(OPEN_CONVERSATION_WITH_ADDRESS, {
            "channel": channel, "address_hash": self._address_hash(message)}).first()
        if found is None:  # a new person's racing first messages: ``handle`` tries again
            return address_for(session, self.intake.vault, channel, message.sender, now,
                               retried=True), None
        conversation, address = found
        mark_seen(address, now)
        if self._gone_idle(conversation, now):
            self._close(decision, conversation, address, ConversationStatus.TIMED_OUT, now)
            session.flush()
            return address, None
        return address, conversation

    def _close(self, decision: _Decision, conversation: Conversation, address: ContactAddress,
               status: ConversationStatus, now: datetime) -> None:
        """Close the conversation (written at the turn's commit) and keep its answers to
        finish once the turn has committed."""
        conversation.status, conversation.closed_at = status, now
        decision.endings.append((conversation.id, self._feedback_of(conversation, address)))

    def _save(self, session: Session, conversation: Conversation | None, address: ContactAddress,
              outcome: Outcome, now: datetime) -> Conversation:
        if conversation is not None:  # written with the turn, at commit
            conversation.state, conversation.last_activity_at = outcome.state.to_json(), now
            return conversation
        # Inserted now, for its id (the turn and any signposting name it), without the flush.
        values = self._opening(address, now) | {"state": outcome.state.to_json()}
        return adopted(session, Conversation, {
            "id": session.connection().execute(OPEN_CONVERSATION, values).scalar_one(),
            "closed_at": None, "feedback_id": None, **values})

    @staticmethod
    def _opening(address: ContactAddress, now: datetime) -> dict[str, Any]:
        """A new conversation's columns, but for its state, as its first turn inserts them."""
        return {"channel": address.channel, "address_hash": address.address_hash,
                "contributor_id": address.contributor_id, "status": ConversationStatus.OPEN,
                "started_at": now, "last_activity_at": now,
                "version": 1}  # where the ORM's version counter starts

    def _command(self, session: Session, kind: CommandKind, address: ContactAddress,
                 conversation: Conversation | None, inbound: _InboundOutcome, decision: _Decision,
                 now: datetime) -> None:
        inbound.state, inbound.error = InboundState.IGNORED, f"{kind} keyword"
        org = self.script.conversation.organisation.name
        if kind == CommandKind.HELP:
            decision.replies.append(self.script.prompt(
                decision.language, "help", org=org,
                privacy_url=f"{self.runtime.settings.public_base_url}/privacy"))
            return
        if kind == CommandKind.OPT_IN:
            address.opted_out_at = None
            decision.replies.append(self.script.prompt(decision.language, "opted_in", org=org))
        else:
            address.opted_out_at = now
            if conversation is not None:
                self._close(decision, conversation, address, ConversationStatus.STOPPED, now)
            decision.replies.append(self.script.prompt(decision.language, "opted_out", org=org))
        session.add(AuditEvent(occurred_at=now, actor=f"contact:{address.id}",
                               action=f"contact.{kind}", entity_type="contact_address",
                               entity_id=str(address.id), details={"channel": address.channel}))

    def _act(self, inbound_id: int, decision: _Decision) -> ChatReply:
        reference = None
        if decision.standalone:
            reference = self.intake.process(inbound_id).reference
        for conversation_id, feedback in decision.endings:
            made = self._finish(feedback)
            if conversation_id == decision.thank:
                reference = made
        replies = list(decision.replies)
        if decision.thank is not None:
            # The thanks comes first, after any signposting (urgent help is always read first).
            replies.insert(1 if decision.signposted else 0,
                           self.script.prompt(decision.language, "thanks", reference=reference)
                           if reference else self.script.prompt(decision.language, "closing"))
            with self._one_statement_connection() as connection:
                connection.execute(THANK_TURN, {"inbound_id": inbound_id, "replies": replies,
                                                "answered_at": self.clock()})
                connection.commit()
        return ChatReply(tuple(replies), reference=reference, choices=decision.choices)

    # -- events outside the conversation ---------------------------------------------------
    def note(self, message: ChatMessage, reason: str) -> bool:
        """Store a message that is not part of a conversation (a menu command, a button that
        only opens a menu). Returns False if it was already dealt with (a repeat delivery)."""
        inbound_id, _ = self.intake.receive(message.to_incoming())
        return self.intake.mark_ignored(inbound_id, reason)

    def language_of(self, channel: str, sender: str, hint: str | None = None) -> str:
        """The language to speak to this person in outside a conversation's questions."""
        with self.runtime.sessions() as session:
            address = find_address(session, self.intake.vault, channel, sender)
            if address is not None:
                conversation = session.scalar(select(Conversation).where(
                    Conversation.channel == channel,
                    Conversation.address_hash == address.address_hash,
                    Conversation.status == ConversationStatus.OPEN))
                if conversation is not None:
                    return str(conversation.state.get("language", self.script.default_language))
                preferred = address.contributor.preferred_language
                if preferred in self.script.languages:
                    return str(preferred)
        return hint if hint in self.script.languages else self.script.default_language

    def _address(self, session: Session, channel: str, sender: str) -> ContactAddress:
        _, address = contributor_for(session, self.intake.vault, channel, sender, self.clock())
        return address

    def opt_out(self, channel: str, sender: str, reason: str) -> None:
        """The person can no longer be messaged (they blocked the bot, for example)."""
        now = self.clock()
        with self.runtime.sessions.begin() as session:
            address = self._address(session, channel, sender)
            if address.opted_out_at is None:
                address.opted_out_at = now
            session.add(AuditEvent(occurred_at=now, actor=f"contact:{address.id}",
                                   action="contact.opt-out", entity_type="contact_address",
                                   entity_id=str(address.id), details={"reason": reason}))

    def request_erasure(self, channel: str, sender: str) -> None:
        """Record that the person asked for their data to be erased, for an admin to act on, and
        stop contacting them from now on."""
        now = self.clock()
        with self.runtime.sessions.begin() as session:
            address = self._address(session, channel, sender)
            address.opted_out_at = address.opted_out_at or now
            pseudonym = address.contributor.pseudonym
            session.add(AuditEvent(occurred_at=now, actor=f"contributor:{pseudonym}",
                                   action="erasure.requested", entity_type="contributor",
                                   entity_id=pseudonym, details={"channel": channel}))

    # -- ending conversations ------------------------------------------------------------
    def finalise(self, conversation_id: int) -> str | None:
        """Turn a closed conversation's answers into one feedback item (or queue them to become
        one); its reference. Safe to repeat."""
        with self._one_statement() as session:
            conversation, address = session.execute(
                select(Conversation, ContactAddress).outerjoin(ContactAddress, and_(
                    ContactAddress.channel == Conversation.channel,
                    ContactAddress.address_hash == Conversation.address_hash))
                .where(Conversation.id == conversation_id)).one()  # with its address: one query
            feedback = self._feedback_of(conversation, address)
        return self._finish(feedback)

    def _feedback_of(self, conversation: Conversation,
                     address: ContactAddress | None) -> IncomingMessage | None:
        """A closed conversation's answers as one message; None if it has none."""
        state = ChatState.from_json(conversation.state)
        if not state.has_content:
            return None
        sender = self.intake.vault.decrypt(address.address_encrypted) if address else None
        return self._as_feedback(conversation, state, sender)

    def _finish(self, message: IncomingMessage | None) -> str | None:
        """Store a closed conversation's feedback; its reference. The feedback is linked to its
        conversation in the transaction that stores it (``conversation_id`` in the message's
        metadata). With INTAKE_TAGGING=worker it is stored for `intake worker` to tag, and the
        person is given its reference now."""
        if message is None:
            return None
        if self.runtime.settings.tagging == "worker":
            return self.intake.queue(message).reference
        return self.intake.ingest(message).reference

    def _as_feedback(self, conversation: Conversation, state: ChatState,
                     sender: str | None) -> IncomingMessage:
        contact_step = next((s for s in self.script.conversation.steps if s.kind == "yes-no"), None)
        wording = self.script.languages[state.language].meta.wording_version
        consents = () if state.contact is None or contact_step is None else (
            Consent(contact_step.consent_purpose or "follow-up", state.contact, wording),)
        return IncomingMessage(
            channel=conversation.channel,
            provider_message_id=f"conversation-{conversation.id}",
            text=FEEDBACK_JOIN.join(state.texts), sender=sender, received_at=conversation.started_at,
            answers=Answers(
                language=state.language if state.language_chosen else None,
                services=state.services, needs=state.needs,
                fft_rating=FftRating(state.fft_rating) if state.fft_rating else None,
                consultation=state.consultation, consents=consents),
            metadata={"conversation_id": conversation.id, "ended": conversation.status},
            # The language the conversation was held in (from the app or an earlier guess).
            language_hint=None if state.language_chosen else state.language)

    def expire_idle(self) -> list[str | None]:
        """Close conversations that went quiet, keeping their partial answers as feedback."""
        now = self.clock()
        cutoff = now - timedelta(minutes=self.script.conversation.timing.idle_minutes)
        # The person may reply as this looks (SQLite: a turn writes after this read): their
        # conversation is then no longer idle, and another try looks again.
        ids = _tried(lambda _first: self._close_idle(cutoff, now), StaleDataError)
        return [self.finalise(conversation_id) for conversation_id in ids]

    def _close_idle(self, cutoff: datetime, now: datetime) -> list[int]:
        """Mark the conversations quiet since ``cutoff`` timed out; their ids."""
        with self.runtime.sessions.begin() as session:
            stale = list(session.scalars(select(Conversation).where(
                Conversation.status == ConversationStatus.OPEN,
                Conversation.last_activity_at <= cutoff).with_for_update(skip_locked=True)))
            for conversation in stale:
                conversation.status, conversation.closed_at = ConversationStatus.TIMED_OUT, now
            return [c.id for c in stale]

