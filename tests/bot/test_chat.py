"""ChatService against a real database: every message stored, each turn answered once, and every
conversation (finished, stopped or abandoned) kept as exactly one feedback item."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import count

import pytest
import sqlalchemy
from prometheus_client import REGISTRY
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.chat import ChatMessage, ChatReply, ChatService
from bot.script import load_script
from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.message import IncomingMessage, message_from_json
from intake.settings import Settings
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    Consultation,
    ContactAddress,
    Contributor,
    Conversation,
    ConversationTurn,
    Feedback,
    FeedbackConsultationLink,
    InboundMessage,
    RecordedNeed,
)
from tests.conftest import FIXED_NOW, sqlite_writable
from tests.statements_sent import set_by, statements_sent

SCRIPT = load_script()
SENDER = "+447700900101"
OTHER_SENDER = "+447700900102"
GP_FEEDBACK = "My GP surgery never answers the phone in the morning"
IDLE = timedelta(minutes=SCRIPT.conversation.timing.idle_minutes)


class Phone:
    """One person texting the service, each message with a new provider id."""

    def __init__(self, chat: ChatService, sender: str = SENDER) -> None:
        self.chat = chat
        self.sender = sender
        self.ids = count(1)
        self.sent: list[str] = []

    def send(self, text: str, *, pid: str | None = None, media: tuple[str, ...] = ()) -> ChatReply:
        pid = pid or f"SM{self.sender[-3:]}-{next(self.ids)}"
        self.sent.append(pid)
        return self.chat.handle(ChatMessage(channel="sms", provider_message_id=pid, sender=self.sender,
                                            text=text, media=media))


@pytest.fixture
def chat(runtime: Runtime) -> ChatService:
    return ChatService(runtime, SCRIPT)


@pytest.fixture
def phone(chat: ChatService) -> Phone:
    return Phone(chat)


def set_clock(runtime: Runtime, moment: datetime) -> None:
    runtime.intake.clock = lambda: moment


def rows(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def only_feedback(runtime: Runtime) -> Feedback:
    with runtime.sessions() as session:
        items = list(session.scalars(select(Feedback)))
        assert len(items) == 1, f"expected one feedback item, found {len(items)}"
        item = items[0]
        _ = item.tags  # load before the session closes
        return item


def active_tags(item: Feedback, kind: str) -> set[str]:
    return {t.value for t in item.tags if t.kind == kind and t.retracted_at is None}


def conversations(runtime: Runtime) -> list[Conversation]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Conversation).order_by(Conversation.id)))


def address(runtime: Runtime) -> ContactAddress:
    with runtime.sessions() as session:
        found = session.scalar(select(ContactAddress).where(ContactAddress.channel == "sms"))
        assert found is not None
        return found


def inbound_states(runtime: Runtime, pids: list[str]) -> list[str]:
    with runtime.sessions() as session:
        by_pid = {m.provider_message_id: m.state for m in session.scalars(
            select(InboundMessage).where(InboundMessage.provider_message_id.in_(pids)))}
    return [by_pid[pid] for pid in pids]


def statements_during(runtime: Runtime, action: Callable[[], object]) -> list[tuple[str, object]]:
    """The statements ``action`` sent to the database (``tests.statements_sent``)."""
    with statements_sent(runtime.engine) as sent:
        action()
    return sent


def ask(step_id: str, language: str = "en") -> str:
    step = SCRIPT.steps[step_id]
    if not step.options:
        return SCRIPT.prompt(language, step.prompt)
    return SCRIPT.prompt(language, step.prompt, menu=SCRIPT.menu(language, step_id, step.options))


def test_a_five_message_conversation_becomes_one_tagged_feedback_item(runtime: Runtime, phone: Phone) -> None:
    replies = [phone.send(GP_FEEDBACK), phone.send("YES"), phone.send("2"), phone.send("1 3"),
               phone.send("YES")]
    assert [r.replies for r in replies[:4]] == [
        ("Is this about GP? Reply YES or NO.",), (ask("rating"),), (ask("needs"),), (ask("contact"),)]
    last = replies[-1]
    item = only_feedback(runtime)
    assert last.reference == item.reference and item.reference.startswith("FB-")
    assert last.replies == (SCRIPT.prompt("en", "thanks", reference=item.reference),)
    assert item.reference in last.replies[0]
    assert item.text == GP_FEEDBACK
    assert item.channel == "sms" and item.fft_rating == "good"
    assert active_tags(item, "service") == {"gp"}
    assert active_tags(item, "language") == {"en"}
    assert active_tags(item, "need") >= {"interpreter", "easy-read"}
    (conversation,) = conversations(runtime)
    assert conversation.status == "completed"
    assert conversation.closed_at == FIXED_NOW
    assert conversation.feedback_id == item.id
    with runtime.sessions() as session:
        consent = session.scalar(select(ConsentRecord))
        assert consent is not None
        assert (consent.purpose, consent.granted, consent.wording_version) == (
            "follow-up", True, "2026-11-en-1")
        assert set(session.scalars(select(RecordedNeed.need))) == {"interpreter", "easy-read"}


def test_every_inbound_sms_is_stored_as_a_conversation_turn(runtime: Runtime, phone: Phone) -> None:
    phone.send("Hi")
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    assert rows(runtime, InboundMessage) == 3
    assert rows(runtime, ConversationTurn) == 3
    assert inbound_states(runtime, phone.sent) == ["conversation"] * 3
    assert rows(runtime, Feedback) == 0
    (conversation,) = conversations(runtime)
    assert conversation.status == "open"
    assert conversation.state["texts"] == [GP_FEEDBACK]
    assert conversation.state["services"] == ["gp"]
    assert conversation.state["step"] == "rating"


def finished(state: str) -> float:
    """The service's count of SMS messages that reached ``state`` (shared by the whole run)."""
    return REGISTRY.get_sample_value("intake_messages_finished_total",
                                     {"channel": "sms", "state": state}) or 0.0


def test_each_turn_settles_its_message_once_and_counts_it(runtime: Runtime, phone: Phone) -> None:
    """A turn writes its message's state with a plain UPDATE, which the metrics that watch the
    ORM's flushes do not see: it is counted by the turn, once, and a repeat is not counted."""
    before = finished("conversation"), finished("ignored")
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    phone.send("HELP")
    phone.send("YES", pid=phone.sent[1])  # the provider's repeat of the second message
    assert inbound_states(runtime, phone.sent[:3]) == ["conversation", "conversation", "ignored"]
    with runtime.sessions() as session:
        settled = session.execute(select(InboundMessage.processed_at, InboundMessage.error)
                                  .order_by(InboundMessage.id)).all()
    assert settled == [(FIXED_NOW, None), (FIXED_NOW, None), (FIXED_NOW, "help keyword")]
    assert (finished("conversation"), finished("ignored")) == (before[0] + 2, before[1] + 1)


def writes_and_flushes(runtime: Runtime, phone: Phone, text: str) -> tuple[list[str], int]:
    """What sending ``text`` writes ("INSERT INTO table", "UPDATE table"), in order, and how
    many times a session flushed meanwhile; the turn must be answered."""
    flushes: list[Session] = []

    def flushing(session: Session, *_: object) -> None:
        flushes.append(session)

    event.listen(Session, "before_flush", flushing)
    try:
        with statements_sent(runtime.engine) as sent:
            assert phone.send(text).replies
    finally:
        event.remove(Session, "before_flush", flushing)
    return writes_in(sent), len(flushes)


def writes_in(sent: list[tuple[str, object]]) -> list[str]:
    """What each statement that writes wrote, in order: "UPDATE table", "INSERT INTO table",
    or for one with data-modifying WITH clauses each of its writes, joined by " + "."""
    return [" + ".join(re.findall(r"\b(UPDATE \w+|INSERT INTO \w+)", statement))
            for statement, _ in sent if statement.startswith(("INSERT", "UPDATE", "WITH"))]


# On PostgreSQL a turn's first statement stores its raw message and reads the sender's address
# and open conversation (``ChatService._receive``).
STORED_AND_READ = "WITH stored AS (INSERT INTO inbound_message"


def kinds(sent: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each statement sent, as its first word ("stored and read" for ``STORED_AND_READ``), and
    the isolation level it ran under."""
    return [("stored and read" if statement.startswith(STORED_AND_READ)
             and "FROM stored LEFT OUTER JOIN contact_address" in statement
             else statement.split()[0], level) for statement, level in sent]


def test_a_reply_is_written_without_the_orms_flush(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """A reply to a question (most turns) writes its conversation, its message and its turn as
    prebuilt statements: the ORM's unit of work cost about a tenth of a turn. On PostgreSQL the
    three are one statement."""
    phone.send(GP_FEEDBACK)
    writes, flushes = writes_and_flushes(runtime, phone, "YES")
    turn = ["UPDATE conversation", "UPDATE inbound_message", "INSERT INTO conversation_turn"]
    assert writes == ["INSERT INTO inbound_message", *(
        [" + ".join(turn)] if engine.dialect.name == "postgresql" else turn)]
    assert flushes == 0
    (conversation,) = conversations(runtime)
    assert (conversation.state["step"], conversation.version) == ("rating", 2)
    assert inbound_states(runtime, phone.sent) == ["conversation", "conversation"]
    with runtime.sessions() as session:
        last = session.scalars(select(ConversationTurn).order_by(ConversationTurn.id.desc())).first()
    assert last is not None and (last.conversation_id, last.answered_at) == (conversation.id, FIXED_NOW)
    assert last.replies == [ask("rating")]


def test_on_postgresql_a_reply_costs_two_statements_and_no_transaction(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """Store the message and read the conversation with its address, then write the turn: two
    statements, each committing itself (no BEGIN, no COMMIT), where storing, reading and a
    transaction took nine round trips. A finishing reply is written the same way, before its
    feedback is stored."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save, nor data-modifying WITH clauses")
    for text in (GP_FEEDBACK, "YES", "2", "SKIP"):
        phone.send(text)
    for text in ("1", "NO"):   # the contact question; then the conversation ends
        with statements_sent(engine) as sent:
            phone.send(text)
        assert kinds(sent)[:2] == [("stored and read", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")], sent
        assert set_by(sent[1][0], "conversation") == [
            "status", "state", "last_activity_at", "closed_at", "version"]
        assert set_by(sent[1][0], "inbound_message") == ["state", "error", "processed_at"]
    assert only_feedback(runtime).fft_rating == "good"
    (conversation,) = conversations(runtime)
    assert (conversation.status, conversation.closed_at) == ("completed", FIXED_NOW)


@pytest.mark.parametrize("text", ["HELP", "", "I want to end my life"])
def test_on_postgresql_a_message_asking_for_more_than_its_turn_is_stored_with_nothing_read(
        runtime: Runtime, phone: Phone, engine: Engine, text: str) -> None:
    """A command, an empty message or one to signpost cannot take the one-statement way, so
    its raw message is stored by an INSERT of its own and its turn read in a transaction."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the stored-and-read statement is PostgreSQL's")
    phone.send(GP_FEEDBACK)
    with statements_sent(engine) as sent:
        assert phone.send(text).replies
    assert kinds(sent)[0] == ("INSERT", "AUTOCOMMIT")
    assert "stored and read" not in {kind for kind, _ in kinds(sent)}
    assert rows(runtime, InboundMessage) == 2


def test_a_message_whose_words_cannot_be_read_is_stored_before_its_turn_fails(
        runtime: Runtime, chat: ChatService, phone: Phone, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the words are read before the message is stored (to choose the statement
    that stores it); if that fails, the message is stored on its own first, and the turn then
    fails as it would have, leaving it for `intake reprocess`."""
    phone.send(GP_FEEDBACK)

    def broken(_text: str) -> tuple[str, ...]:
        raise RuntimeError("safety check broke")

    monkeypatch.setattr(chat, "risks", broken)
    with pytest.raises(RuntimeError, match="safety check broke"):
        phone.send("YES")
    assert inbound_states(runtime, phone.sent[-1:]) == ["received"]


def test_on_postgresql_an_opted_out_persons_message_read_as_stored_goes_the_transactions_way(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """Only the read tells that the sender has opted out: the message is stored and read in one
    statement, then handled in a transaction (feedback on its own, no reply), stored once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the stored-and-read statement is PostgreSQL's")
    for text in (GP_FEEDBACK, "STOP"):
        phone.send(text)
    with statements_sent(engine) as sent:
        assert phone.send(GP_FEEDBACK).replies == ()
    assert kinds(sent)[0] == ("stored and read", "AUTOCOMMIT")
    assert None in {level for _, level in sent[1:]}  # a transaction's statements
    # Three messages, and the stopped conversation's feedback.
    assert rows(runtime, InboundMessage) == 4
    assert inbound_states(runtime, phone.sent[-1:]) == ["processed"]
    with runtime.sessions() as session:
        texts = session.scalars(select(Feedback.text).order_by(Feedback.id)).all()
    assert len(texts) == 2 and texts[-1] == GP_FEEDBACK


def test_a_known_persons_first_message_opens_a_conversation_with_its_turn(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """A first message from a number we know writes its conversation, message and turn as
    prebuilt statements, on PostgreSQL as one statement that commits itself; the conversation
    holds what a new person's first turn would, and the next reply finds it."""
    for text in (GP_FEEDBACK, "STOP", "START"):
        phone.send(text)
    (stopped,) = conversations(runtime)
    with statements_sent(engine) as sent:
        assert phone.send(GP_FEEDBACK).replies == ("Is this about GP? Reply YES or NO.",)
    writes = writes_in(sent)
    turn = ["INSERT INTO conversation", "UPDATE inbound_message", "INSERT INTO conversation_turn"]
    if engine.dialect.name == "postgresql":
        assert writes == ["INSERT INTO inbound_message", " + ".join(turn)]
        assert kinds(sent) == [("stored and read", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
        # Only what the turn settles: no parameter of the conversation's is taken for a column
        # of the message's that has the same name (its channel).
        assert set_by(sent[-1][0], "inbound_message") == ["state", "error", "processed_at"]
    else:
        assert writes == ["INSERT INTO inbound_message", *turn]
    _, opened = conversations(runtime)
    assert (opened.contributor_id, opened.address_hash) == (stopped.contributor_id,
                                                            stopped.address_hash)
    assert (opened.status, opened.version, opened.closed_at, opened.feedback_id) == (
        "open", 1, None, None)
    assert (opened.started_at, opened.last_activity_at) == (FIXED_NOW, FIXED_NOW)
    assert opened.state["texts"] == [GP_FEEDBACK]
    assert inbound_states(runtime, phone.sent[-1:]) == ["conversation"]
    assert phone.send("YES").replies == (ask("rating"),)
    _, opened = conversations(runtime)
    assert (opened.state["step"], opened.version) == ("rating", 2)


@pytest.mark.parametrize(("minutes", "recorded"), [(90, True), (30, False)])
def test_a_reply_records_the_hour_of_last_contact_with_its_turn_when_it_is_due(
        runtime: Runtime, phone: Phone, engine: Engine, minutes: int, recorded: bool) -> None:
    """An address keeps the hour its person last wrote (``intake.contributors.mark_seen``):
    a reply an hour or more after it records it as the turn writes, on PostgreSQL within the
    turn's one statement; a reply within the hour leaves the address alone."""
    phone.send(GP_FEEDBACK)
    later = FIXED_NOW + timedelta(minutes=minutes)
    set_clock(runtime, later)
    with statements_sent(engine) as sent:
        assert phone.send("YES").replies == (ask("rating"),)
    assert address(runtime).last_seen_at == (later if recorded else FIXED_NOW)
    assert any("UPDATE contact_address" in statement for statement, _ in sent) == recorded
    if engine.dialect.name == "postgresql":
        assert kinds(sent) == [("stored and read", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
    (conversation,) = conversations(runtime)
    assert (conversation.state["step"], conversation.last_activity_at) == ("rating", later)


def test_a_known_persons_first_message_hours_later_records_the_hour_with_its_turn(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """The commonest first message in service: a number we know, last seen hours ago. Its
    conversation is opened and the hour recorded as the turn writes, on PostgreSQL in one
    statement that commits itself (the address's channel, hash and contributor, which the
    conversation copies, are not written back to it)."""
    for text in (GP_FEEDBACK, "STOP", "START"):
        phone.send(text)
    before = address(runtime)
    later = FIXED_NOW + timedelta(hours=5)
    set_clock(runtime, later)
    with statements_sent(engine) as sent:
        assert phone.send(GP_FEEDBACK).replies == ("Is this about GP? Reply YES or NO.",)
    after = address(runtime)
    assert after.last_seen_at == later
    assert (after.channel, after.address_hash, after.contributor_id) == (
        before.channel, before.address_hash, before.contributor_id)
    if engine.dialect.name == "postgresql":
        assert kinds(sent) == [("stored and read", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
        assert set_by(sent[-1][0], "contact_address") == ["last_seen_at"]
    _, opened = conversations(runtime)
    assert (opened.status, opened.started_at, opened.contributor_id) == (
        "open", later, before.contributor_id)


def test_two_first_messages_from_a_known_number_at_once_open_one_conversation(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    """Both read that the person has no open conversation. The other message (sent while the
    first runs its engine) opens it; the first's insert then fails on the one open conversation
    per address, and it tries again and is answered as the next message of that conversation."""
    for text in (GP_FEEDBACK, "STOP", "START"):
        phone.send(text)
    answered: list[ChatReply] = []
    other = interrupted_by(chat, lambda: answered.append(phone.send("YES")))
    first = phone.send(GP_FEEDBACK)
    other[0].join(timeout=30)
    assert not other[0].is_alive()
    assert [c.status for c in conversations(runtime)] == ["stopped", "open"]
    in_order = Phone(chat, OTHER_SENDER)
    assert [answered[0].replies, first.replies] == [in_order.send("YES").replies,
                                                    in_order.send(GP_FEEDBACK).replies]
    assert open_state(runtime, phone.sender) == open_state(runtime, OTHER_SENDER)
    assert inbound_states(runtime, phone.sent[-2:]) == ["conversation", "conversation"]


def test_on_postgresql_a_reply_whose_conversation_moved_on_writes_nothing(
        runtime: Runtime, chat: ChatService, phone: Phone, engine: Engine) -> None:
    """The turn's one statement writes only if the conversation is still at the version it
    read: if another turn wrote in between, neither the message is settled nor the turn
    claimed, and the turn is tried again (in a transaction, as any retry)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement reply is PostgreSQL's")
    phone.send(GP_FEEDBACK)
    message = ChatMessage(channel="sms", provider_message_id="SM-moved-on", sender=SENDER,
                          text="YES")
    inbound_id, duplicate, read = chat._receive(message, message)
    assert not duplicate and read is not None

    def another_turn_writes() -> None:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.update(Conversation).values(
                version=Conversation.version + 1))

    interrupted_by(chat, another_turn_writes)
    with pytest.raises(StaleDataError):
        chat._decide_in_one_statement(inbound_id, message, read)
    assert inbound_states(runtime, ["SM-moved-on"]) == ["received"]
    with runtime.sessions() as session:
        assert session.scalar(select(ConversationTurn).where(
            ConversationTurn.inbound_message_id == inbound_id)) is None
    (conversation,) = conversations(runtime)
    assert (conversation.state["step"], conversation.version) == ("confirm-service", 2)
    # handle() tries again and answers it.
    assert chat.handle(message).replies == (ask("rating"),)
    assert inbound_states(runtime, ["SM-moved-on"]) == ["conversation"]


def test_a_new_persons_first_turn_is_written_without_the_orms_flush(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """A first message from a new number inserts its contributor, address and conversation as
    prebuilt statements (the ORM's flush of the three new objects cost about three times as
    much), on PostgreSQL with its turn as one statement that commits itself (two round trips
    in all, with the one that stored the message; a transaction took eleven); what they hold is
    what the ORM wrote, and the next turn finds and updates them."""
    with statements_sent(engine) as sent:
        writes, flushes = writes_and_flushes(runtime, phone, GP_FEEDBACK)
    turn = ["INSERT INTO contributor", "INSERT INTO contact_address", "INSERT INTO conversation",
            "UPDATE inbound_message", "INSERT INTO conversation_turn"]
    if engine.dialect.name == "postgresql":
        assert writes == ["INSERT INTO inbound_message", " + ".join(turn)]
        assert kinds(sent) == [("stored and read", "AUTOCOMMIT"), ("WITH", "AUTOCOMMIT")]
        assert set_by(sent[-1][0], "inbound_message") == ["state", "error", "processed_at"]
    else:
        assert writes == ["INSERT INTO inbound_message", *turn]
    assert flushes == 0
    with runtime.sessions() as session:
        contributor = session.scalars(select(Contributor)).one()
        address = session.scalars(select(ContactAddress)).one()
    assert address.contributor_id == contributor.id and contributor.created_at == FIXED_NOW
    assert contributor.pseudonym.startswith("P") and address.opted_out_at is None
    assert (address.created_at, address.last_seen_at) == (FIXED_NOW, FIXED_NOW)
    assert runtime.intake.vault.decrypt(address.address_encrypted) == phone.sender
    (conversation,) = conversations(runtime)
    assert (conversation.contributor_id, conversation.address_hash) == (
        contributor.id, address.address_hash)
    assert (conversation.status, conversation.version, conversation.closed_at) == (
        "open", 1, None)
    assert (conversation.started_at, conversation.state["texts"]) == (FIXED_NOW, [GP_FEEDBACK])
    assert phone.send("YES").replies
    (conversation,) = conversations(runtime)
    assert (conversation.state["step"], conversation.version) == ("rating", 2)
    assert rows(runtime, Contributor) == rows(runtime, ContactAddress) == 1


def test_answers_with_a_nul_in_them_are_kept_without_it(runtime: Runtime, phone: Phone) -> None:
    """PostgreSQL cannot hold a NUL in text or JSON: the message is stored as sent (encrypted),
    and the conversation, and the feedback it becomes, keep the words without it."""
    for text in ("My GP\x00 surgery never answers the phone", "YES", "2", "\x00", "SKIP", "NO"):
        assert phone.send(text).replies
    with runtime.sessions() as session:
        first = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).first()
        assert first is not None
        stored = message_from_json(runtime.intake.vault.decrypt(first.payload_encrypted))
    assert stored.text == "My GP\x00 surgery never answers the phone"
    assert only_feedback(runtime).text == GP_FEEDBACK.removesuffix(" in the morning")
    assert inbound_states(runtime, phone.sent) == ["conversation"] * 6


def test_a_finished_conversation_adds_only_its_own_feedback_message(runtime: Runtime, phone: Phone) -> None:
    for text in (GP_FEEDBACK, "YES", "2", "SKIP", "NO"):
        phone.send(text)
    assert inbound_states(runtime, phone.sent) == ["conversation"] * 5
    (conversation,) = conversations(runtime)
    with runtime.sessions() as session:
        extra = session.scalars(select(InboundMessage).where(
            InboundMessage.provider_message_id.not_in(phone.sent))).all()
    assert [(m.provider_message_id, m.state) for m in extra] == [
        (f"conversation-{conversation.id}", "processed")]
    assert rows(runtime, Feedback) == 1


def test_a_repeated_delivery_gets_the_same_replies_and_changes_nothing(
        runtime: Runtime, phone: Phone) -> None:
    phone.send("Hi")
    first = phone.send(GP_FEEDBACK, pid="SM-retry")
    before = (rows(runtime, InboundMessage), rows(runtime, ConversationTurn), conversations(runtime)[0].state)
    again = phone.send(GP_FEEDBACK, pid="SM-retry")
    assert again.duplicate and not first.duplicate
    assert again.replies == first.replies == ("Is this about GP? Reply YES or NO.",)
    assert (rows(runtime, InboundMessage), rows(runtime, ConversationTurn),
            conversations(runtime)[0].state) == before
    assert conversations(runtime)[0].state["texts"] == [GP_FEEDBACK]


def test_a_repeated_last_message_repeats_the_thanks_without_a_second_feedback(
        runtime: Runtime, phone: Phone) -> None:
    for text in (GP_FEEDBACK, "YES", "2", "SKIP"):
        phone.send(text)
    last = phone.send("NO", pid="SM-last")
    again = phone.send("NO", pid="SM-last")
    assert again.duplicate
    assert again.replies == last.replies
    assert last.reference is not None and last.reference in again.replies[0]
    assert rows(runtime, Feedback) == 1
    assert len(conversations(runtime)) == 1


def test_the_finishing_turn_reads_its_conversation_once_and_records_the_thanks_in_one_statement(
        runtime: Runtime, phone: Phone) -> None:
    """The feedback is built from the conversation and address the turn read already, not read
    again after its commit; the thanks is one UPDATE that commits itself on PostgreSQL (no
    BEGIN and COMMIT round trips), so a second connection sees it at once."""
    for text in (GP_FEEDBACK, "YES", "2", "SKIP"):
        phone.send(text)
    sent: list[ChatReply] = []
    seen = statements_during(runtime, lambda: sent.append(phone.send("NO")))
    last = sent[0]
    assert last.reference == only_feedback(runtime).reference
    assert len([s for s, _ in seen if s.startswith(("SELECT", STORED_AND_READ))
                and re.search(r"\b(FROM|JOIN) conversation\b", s)]) == 1
    thanks = [level for s, level in seen if s.startswith("UPDATE conversation_turn")]
    assert thanks == ["AUTOCOMMIT" if runtime.engine.dialect.name == "postgresql" else None]
    with runtime.engine.connect() as other:
        replies, answered = other.execute(select(ConversationTurn.replies, ConversationTurn.answered_at)
                                          .where(ConversationTurn.answered_at.is_not(None))
                                          .order_by(ConversationTurn.id.desc()).limit(1)).one()
    assert tuple(replies) == last.replies and answered is not None


@pytest.fixture
def worker_runtime(settings: Settings, config: Config, engine: Engine) -> Runtime:
    """The runtime with INTAKE_TAGGING=worker: conversations are tagged by `intake worker`."""
    runtime = build_runtime(settings=replace(settings, tagging="worker"), config=config,
                            engine=engine)
    runtime.intake.clock = lambda: FIXED_NOW
    return runtime


def test_with_tagging_in_the_worker_the_thanks_quotes_the_reference_the_item_gets_later(
        worker_runtime: Runtime) -> None:
    runtime = worker_runtime
    phone = Phone(ChatService(runtime, SCRIPT))
    for text in (GP_FEEDBACK, "YES", "2", "1 3"):
        phone.send(text)
    last = phone.send("YES", pid="SM-last")
    assert last.reference is not None
    assert last.replies == (SCRIPT.prompt("en", "thanks", reference=last.reference),)
    assert rows(runtime, Feedback) == 0 and conversations(runtime)[0].status == "completed"
    again = phone.send("YES", pid="SM-last")
    assert again.duplicate and again.replies == last.replies

    (done,) = runtime.intake.process_queued()

    item = only_feedback(runtime)
    assert done.reference == item.reference == last.reference
    assert item.text == GP_FEEDBACK and item.fft_rating == "good"
    assert active_tags(item, "service") == {"gp"} and active_tags(item, "language") == {"en"}
    assert conversations(runtime)[0].feedback_id == item.id
    with runtime.sessions() as session:
        assert set(session.scalars(select(RecordedNeed.need))) == {"interpreter", "easy-read"}
        assert session.scalar(select(ConsentRecord.purpose)) == "follow-up"


def test_with_tagging_in_the_worker_an_expired_conversation_is_queued_too(
        worker_runtime: Runtime) -> None:
    chat = ChatService(worker_runtime, SCRIPT)
    Phone(chat).send(GP_FEEDBACK)
    set_clock(worker_runtime, FIXED_NOW + IDLE + timedelta(minutes=1))
    (reference,) = chat.expire_idle()
    assert reference is not None and rows(worker_runtime, Feedback) == 0
    assert [r.reference for r in worker_runtime.intake.process_queued()] == [reference]
    assert only_feedback(worker_runtime).reference == reference


def test_stop_opts_out_and_keeps_the_partial_answers_as_feedback(runtime: Runtime, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    stopped = phone.send("STOP")
    assert stopped.replies == (SCRIPT.prompt("en", "opted_out", org="Involve"),)
    assert address(runtime).opted_out_at == FIXED_NOW
    (conversation,) = conversations(runtime)
    assert conversation.status == "stopped"
    item = only_feedback(runtime)
    assert conversation.feedback_id == item.id
    assert item.text == GP_FEEDBACK
    assert active_tags(item, "service") == {"gp"}
    assert inbound_states(runtime, phone.sent[-1:]) == ["ignored"]
    with runtime.sessions() as session:
        assert session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "contact.opt-out")) == "contact.opt-out"


def test_free_text_asking_to_stop_opts_out(runtime: Runtime, phone: Phone) -> None:
    phone.send("Hi")
    reply = phone.send("Please don\u2019t text me")
    assert reply.replies == (SCRIPT.prompt("en", "opted_out", org="Involve"),)
    assert address(runtime).opted_out_at is not None
    assert conversations(runtime)[0].status == "stopped"
    assert rows(runtime, Feedback) == 0  # nothing was said yet


def test_while_opted_out_a_message_gets_no_reply_but_is_kept_as_feedback(
        runtime: Runtime, phone: Phone) -> None:
    phone.send("STOP")
    assert rows(runtime, Conversation) == 0
    reply = phone.send("The pharmacy was closed again when it said it would be open")
    assert reply.replies == ()
    item = only_feedback(runtime)
    assert reply.reference == item.reference
    assert item.text == "The pharmacy was closed again when it said it would be open"
    assert inbound_states(runtime, phone.sent) == ["ignored", "processed"]
    assert rows(runtime, Conversation) == 0
    assert address(runtime).opted_out_at is not None


@pytest.mark.parametrize("word", ["START", "yes"])
def test_start_clears_the_opt_out(runtime: Runtime, phone: Phone, word: str) -> None:
    phone.send("STOP")
    reply = phone.send(word)
    assert reply.replies == (SCRIPT.prompt("en", "opted_in", org="Involve"),)
    assert address(runtime).opted_out_at is None
    assert phone.send("Hi").replies == (SCRIPT.prompt("en", "ask_feedback", org="Involve"),)


def test_help_answers_without_changing_the_conversation(runtime: Runtime, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    before = conversations(runtime)[0].state
    reply = phone.send("HELP")
    assert reply.replies == (SCRIPT.prompt("en", "help", org="Involve",
                                           privacy_url="https://intake.example.test/privacy"),)
    assert conversations(runtime)[0].state == before
    assert conversations(runtime)[0].status == "open"
    assert inbound_states(runtime, phone.sent[-1:]) == ["ignored"]
    assert phone.send("YES").replies == (ask("rating"),)


def test_an_attachment_without_text_gets_the_media_prompt(runtime: Runtime, phone: Phone) -> None:
    reply = phone.send("", media=("image/jpeg",))
    assert reply.replies == (SCRIPT.prompt("en", "media"),)
    assert inbound_states(runtime, phone.sent) == ["ignored"]
    assert rows(runtime, Conversation) == 0 and rows(runtime, Feedback) == 0


def test_an_attachment_with_text_is_answered_and_reminded(runtime: Runtime, phone: Phone) -> None:
    reply = phone.send(GP_FEEDBACK, media=("image/png",))
    assert reply.replies == ("Is this about GP? Reply YES or NO.", SCRIPT.prompt("en", "media"))
    assert inbound_states(runtime, phone.sent) == ["conversation"]


def test_a_language_name_switches_and_asks_the_same_question_again(runtime: Runtime, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    reply = phone.send("URDU")
    assert reply.replies == (ask("rating", "ur"),)
    phone.send("۲")
    phone.send("1")
    done = phone.send("جی ہاں")
    item = only_feedback(runtime)
    assert done.replies == (SCRIPT.prompt("ur", "thanks", reference=item.reference),)
    assert active_tags(item, "language") == {"ur"}
    assert active_tags(item, "need") >= {"interpreter:ur"}
    assert item.fft_rating == "good"


def test_an_abandoned_conversation_becomes_feedback_when_it_expires(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    phone.send("4")
    set_clock(runtime, FIXED_NOW + IDLE - timedelta(minutes=1))
    assert chat.expire_idle() == []
    assert conversations(runtime)[0].status == "open"
    later = FIXED_NOW + IDLE + timedelta(minutes=1)
    set_clock(runtime, later)
    (reference,) = chat.expire_idle()
    item = only_feedback(runtime)
    assert reference == item.reference
    assert item.text == GP_FEEDBACK and item.fft_rating == "poor"
    assert active_tags(item, "service") == {"gp"}
    (conversation,) = conversations(runtime)
    assert (conversation.status, conversation.closed_at, conversation.feedback_id) == (
        "timed-out", later, item.id)
    assert chat.expire_idle() == []
    assert rows(runtime, Feedback) == 1


def test_an_abandoned_conversation_with_nothing_said_leaves_no_feedback(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    phone.send("Hi")
    set_clock(runtime, FIXED_NOW + IDLE)
    assert chat.expire_idle() == [None]
    assert conversations(runtime)[0].status == "timed-out"
    assert rows(runtime, Feedback) == 0


def test_a_message_after_the_idle_time_starts_afresh_and_finalises_the_old_conversation(
        runtime: Runtime, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    set_clock(runtime, FIXED_NOW + IDLE + timedelta(minutes=5))
    reply = phone.send("Hi")
    assert reply.replies == (SCRIPT.prompt("en", "ask_feedback", org="Involve"),)
    old, new = conversations(runtime)
    assert old.status == "timed-out"
    item = only_feedback(runtime)
    assert old.feedback_id == item.id and item.text == GP_FEEDBACK
    assert new.status == "open" and new.feedback_id is None
    assert new.state["step"] == "feedback" and new.state["texts"] == []


def test_two_people_hold_separate_conversations(runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    other = Phone(chat, OTHER_SENDER)
    phone.send(GP_FEEDBACK)
    assert other.send("Hi").replies == (SCRIPT.prompt("en", "ask_feedback", org="Involve"),)
    assert phone.send("YES").replies == (ask("rating"),)
    assert len(conversations(runtime)) == 2


def test_a_consultation_keyword_links_the_feedback_to_that_consultation(
        runtime: Runtime, phone: Phone) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    with runtime.sessions() as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == DEMO_CONSULTATION_SLUG))
        assert consultation is not None
        consultation_id, question = consultation.id, consultation.questions["en"]
    replies = [phone.send("BABY"), phone.send("The ward was noisy and nobody explained the delay"),
               phone.send("3"), phone.send("SKIP")]
    last = phone.send("NO")
    assert [r.replies for r in replies] == [(question,), (ask("rating"),), (ask("needs"),), (ask("contact"),)]
    asked_service = SCRIPT.prompt("en", "ask_service", menu="").split("?")[0]
    assert not any(asked_service in reply or "Is this about" in reply
                   for r in [*replies, last] for reply in r.replies)
    item = only_feedback(runtime)
    assert last.reference == item.reference
    assert item.consultation_id == consultation_id
    with runtime.sessions() as session:
        links = session.scalars(select(FeedbackConsultationLink)).all()
    assert [(link.feedback_id, link.consultation_id, link.rule_id) for link in links] == [
        (item.id, consultation_id, "consultation-entry-point")]


def test_only_a_one_word_first_message_reads_the_consultations(runtime: Runtime, phone: Phone) -> None:
    """A keyword or short name is one word: feedback in a sentence cannot be one, so its turn
    does not read every consultation; a word still might be, and is looked up."""
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    sentence = statements_during(runtime, lambda: phone.send(GP_FEEDBACK))
    word = statements_during(runtime, lambda: Phone(phone.chat, OTHER_SENDER).send("Hello!"))
    assert [s for s, _ in sentence if "FROM consultation" in s] == []
    assert [s for s, _ in word if "FROM consultation" in s]


def test_long_messages_that_together_exceed_the_text_limit_still_become_feedback(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    sentence = "Nobody told us what was happening and we waited all afternoon without any news. "
    long_sms = (sentence * 20)[:1600]
    phone.send("Hi")
    phone.send(long_sms)                       # the feedback
    phone.send("SKIP")                         # the service
    phone.send(long_sms)                       # at the rating: not an answer, kept as feedback
    phone.send(long_sms)                       # again: kept, and the rating is skipped
    phone.send(long_sms)                       # at the needs question: would pass the limit
    # The fourth part would take the feedback past the pipeline's limit, so it stays only in the
    # raw inbox; the three that fit become the feedback.
    assert len(conversations(runtime)[0].state["texts"]) == 3
    set_clock(runtime, FIXED_NOW + IDLE)
    (reference,) = chat.expire_idle()
    assert reference is not None
    assert only_feedback(runtime).reference == reference


def test_a_language_name_as_the_first_message_starts_in_that_language(runtime: Runtime, phone: Phone) -> None:
    reply = phone.send("اردو")
    assert reply.replies == (SCRIPT.prompt("ur", "ask_feedback", org="Involve"),)
    (conversation,) = conversations(runtime)
    assert conversation.state["language"] == "ur" and conversation.state["language_chosen"] is True
    assert inbound_states(runtime, phone.sent) == ["conversation"]


def test_a_channel_can_set_a_lower_length_limit_than_the_pipeline(runtime: Runtime) -> None:
    chat = ChatService(runtime, SCRIPT)
    greet = ChatMessage("telegram", "u1", "4242", "Hi", max_text_length=4096)
    chat.handle(greet)
    long_text = "word " * 900  # 4,500 characters: under the pipeline's 5,000, over Telegram's 4,096
    reply = chat.handle(ChatMessage("telegram", "u2", "4242", long_text, max_text_length=4096))
    assert reply.replies == (SCRIPT.prompt("en", "too_long", length="4,499", limit="4,096"),)


# -- the conversation's language as a hint for tagging ------------------------------------------

def finished_message(runtime: Runtime) -> IncomingMessage:
    """The message a conversation became, as stored in the raw inbox."""
    with runtime.sessions() as session:
        (record,) = session.scalars(select(InboundMessage).where(
            InboundMessage.provider_message_id.like("conversation-%"))).all()
        return message_from_json(runtime.intake.vault.decrypt(record.payload_encrypted))


def expire(runtime: Runtime, chat: ChatService) -> str | None:
    set_clock(runtime, FIXED_NOW + IDLE + timedelta(minutes=1))
    (reference,) = chat.expire_idle()
    return reference


def test_a_finished_conversation_carries_its_language_as_a_hint(runtime: Runtime, phone: Phone) -> None:
    for text in (GP_FEEDBACK, "YES", "2", "1 3", "YES"):
        phone.send(text)
    message = finished_message(runtime)
    assert message.language_hint == "en"
    assert message.answers.language is None


def test_a_detected_language_is_a_hint_not_a_choice(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    phone.send("میرے ڈاکٹر نے مجھے بہت دیر تک انتظار کروایا")
    assert conversations(runtime)[0].state["language"] == "ur"
    expire(runtime, chat)
    message = finished_message(runtime)
    assert (message.language_hint, message.answers.language) == ("ur", None)


def test_a_chosen_language_is_the_answer_and_no_hint(runtime: Runtime, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    phone.send("YES")
    phone.send("URDU")
    for text in ("۲", "1", "جی ہاں"):
        phone.send(text)
    message = finished_message(runtime)
    assert (message.language_hint, message.answers.language) == (None, "ur")


def test_the_apps_language_reaches_the_pipeline_as_a_hint(runtime: Runtime, chat: ChatService) -> None:
    chat.handle(ChatMessage("telegram", "u1", "4242", "Hi", language_hint="pl"))
    chat.handle(ChatMessage("telegram", "u2", "4242", "recepcja", language_hint="pl"))
    expire(runtime, chat)
    message = finished_message(runtime)
    assert (message.language_hint, message.answers.language) == ("pl", None)


def test_the_conversations_language_tips_a_one_word_comment(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    # "problem" is written alike in Polish and English; alone, the text leans Polish.
    assert runtime.intake.taggers.language.detect("problem").code == "pl"
    phone.send("Hi")
    phone.send("problem")
    reference = expire(runtime, chat)
    item = only_feedback(runtime)
    assert item.reference == reference and item.text == "problem"
    assert active_tags(item, "language") == {"en"}


# -- turns of one conversation at the same moment -------------------------------------------
def open_state(runtime: Runtime, sender: str) -> str:
    """The state of this person's open conversation, as comparable text."""
    with runtime.sessions() as session:
        (state,) = session.scalars(select(Conversation.state).where(
            Conversation.status == "open",
            Conversation.address_hash == runtime.intake.vault.lookup_hash("sms", sender)))
    return json.dumps(state, sort_keys=True)


def sequential_state(chat: ChatService, sender: str, texts: tuple[str, ...]) -> str:
    """The conversation state one person reaches by sending ``texts`` one after another."""
    person = Phone(chat, sender)
    for text in (GP_FEEDBACK, *texts):
        person.send(text)
    return open_state(chat.runtime, sender)


def interrupted_by(chat: ChatService, other_turn: Callable[[], object]) -> list[threading.Thread]:
    """Make the next turn run ``other_turn`` in another thread once it has read its conversation
    (when it builds its engine), waiting up to a second for it: on SQLite, and on PostgreSQL in
    a turn that takes no transaction (a reply, a known person's first message), the other turn
    writes in between; in a PostgreSQL turn that locks its conversation's row, the other waits
    for the lock, and runs after it."""
    build = chat.engine
    started: list[threading.Thread] = []

    def engine_after_the_other_turn(*args: object, **kwargs: object) -> object:
        if not started:
            started.append(threading.Thread(target=other_turn))
            started[0].start()
            started[0].join(timeout=1.0)
        return build(*args, **kwargs)

    chat.engine = engine_after_the_other_turn  # type: ignore[method-assign]
    return started


def test_a_turn_whose_conversation_another_turn_wrote_meanwhile_loses_neither_answer(
        runtime: Runtime, chat: ChatService) -> None:
    in_order = {sequential_state(chat, "+447700900201", ("YES", "4")),
                sequential_state(chat, "+447700900202", ("4", "YES"))}
    racing = Phone(chat, "+447700900203")
    racing.send(GP_FEEDBACK)
    other = interrupted_by(chat, lambda: racing.send("YES"))
    racing.send("4")
    other[0].join(timeout=30)
    assert not other[0].is_alive()
    # Both answers were applied, one after the other: neither turn overwrote the other's.
    assert open_state(runtime, racing.sender) in in_order
    assert rows(runtime, ConversationTurn) == 3 + 3 + 3


def test_two_first_messages_from_a_new_number_at_once_make_one_person_and_one_conversation(
        runtime: Runtime, chat: ChatService, phone: Phone, engine: Engine) -> None:
    """Both turns find no address. On PostgreSQL the other message (sent while the first runs
    its engine) writes the person, their address and conversation with its turn; the first's
    statement then fails on the one address per number, writes nothing, and is tried again,
    answered as the next message of that conversation. On SQLite the first holds the write
    lock from its new address on, and the other waits, and is answered after it."""
    answered: list[ChatReply] = []
    other = interrupted_by(chat, lambda: answered.append(phone.send("YES")))
    first = phone.send(GP_FEEDBACK)
    other[0].join(timeout=30)
    assert not other[0].is_alive()
    assert rows(runtime, Contributor) == rows(runtime, ContactAddress) == 1
    (conversation,) = conversations(runtime)
    with runtime.sessions() as session:
        turns = session.execute(select(ConversationTurn.conversation_id,
                                       ConversationTurn.answered_at)).all()
    assert [(conversation_id, answered is not None) for conversation_id, answered in turns] == [
        (conversation.id, True), (conversation.id, True)]
    in_order = Phone(chat, OTHER_SENDER)
    if engine.dialect.name == "postgresql":
        assert [answered[0].replies, first.replies] == [in_order.send("YES").replies,
                                                        in_order.send(GP_FEEDBACK).replies]
    else:
        assert [first.replies, answered[0].replies] == [in_order.send(GP_FEEDBACK).replies,
                                                        in_order.send("YES").replies]
    assert open_state(runtime, phone.sender) == open_state(runtime, OTHER_SENDER)
    assert inbound_states(runtime, phone.sent[-2:]) == ["conversation", "conversation"]


def test_on_sqlite_a_turn_holds_the_write_lock_only_while_it_writes(
        runtime: Runtime, chat: ChatService, phone: Phone, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    phone.send(GP_FEEDBACK)
    writable: list[bool] = []

    def another_writer() -> None:
        writable.append(sqlite_writable(engine.url.database or ""))

    interrupted_by(chat, another_writer)
    assert phone.send("YES").replies
    assert writable == [True]


def test_on_postgresql_ending_a_conversation_keeps_the_prepared_statements(
        runtime: Runtime, phone: Phone, engine: Engine) -> None:
    """psycopg prepares a statement on its fifth use on a connection, and forgets them all at
    any ROLLBACK. A conversation's end reads it in a session that commits itself, so the
    statements every turn repeats (storing the raw message) stay prepared."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server-side prepared statements")
    for _ in range(2):
        for answer in (GP_FEEDBACK, "YES", "2", "SKIP", "NO"):
            phone.send(answer)
    with engine.connect() as connection:   # the pool's last connection: the one that answered
        prepared = connection.scalars(sqlalchemy.text(
            "SELECT statement FROM pg_prepared_statements")).all()
    assert [s for s in prepared if "INSERT INTO inbound_message" in s]
    assert rows(runtime, Feedback) == 2


def test_an_expiry_that_meets_a_reply_does_not_fail_and_keeps_the_reply(
        runtime: Runtime, chat: ChatService, phone: Phone) -> None:
    phone.send(GP_FEEDBACK)
    set_clock(runtime, FIXED_NOW + IDLE + timedelta(minutes=1))
    replied: list[ChatReply] = []
    late_turns: list[threading.Thread] = []
    first_flush = threading.Event()

    @event.listens_for(Session, "before_flush")
    def reply_as_it_expires(session: Session, *_: object) -> None:
        if threading.current_thread() is threading.main_thread() and not first_flush.is_set():
            first_flush.set()
            late = threading.Thread(target=lambda: replied.append(phone.send("YES")))
            late.start()
            late.join(timeout=1.0)
            late_turns.append(late)

    try:
        chat.expire_idle()
    finally:
        event.remove(Session, "before_flush", reply_as_it_expires)
    late_turns[0].join(timeout=30)
    assert replied and replied[0].replies
    # The reply, as late as the expiry, closed the idle conversation itself and began another
    # (on SQLite it wrote between the expiry's read and write, which then looked again; on
    # PostgreSQL it waited for the expiry's row lock). The old one is feedback once.
    assert sorted(c.status for c in conversations(runtime)) == ["open", "timed-out"]
    assert rows(runtime, Feedback) == 1
