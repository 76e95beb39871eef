"""Made-up people with everything the service can hold about someone, built the way the service
builds it (a real chat over SMS, the pipeline, staff at work), for the privacy tests; and a scan
of every text and JSON column in the database for what must not be left after an erasure.

Numbers are Ofcom's drama range (07700 900xxx), emails example.org, names invented.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from bot.chat import ChatMessage, ChatService
from bot.script import load_script
from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.message import IncomingMessage
from intake.privacy.vault import ContactVault, VaultError
from intake.replies import queue_reply
from intake.settings import Settings
from intake.staff import triage
from intake.storage import migrate
from intake.storage.base import Base
from intake.storage.database import make_engine
from intake.storage.models import (
    Feedback,
    InboundMessage,
    InboundState,
    OutboundStatus,
)
from tests.conftest import FIXED_NOW, POSTGRES_URL, postgres_available, settings_env
from tests.intake.staff.ingested import Member, add_staff, add_tracker_item
from tests.scratch_schema import scratch_schema

SCRIPT = load_script()
# For module-scoped worlds: the same two databases the ``database_url`` fixture offers.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def shared_runtime(backend: str, folder: Path, config: Config) -> Iterator[Runtime]:
    """A runtime on a migrated database of its own, for a module whose tests only read (or roll
    back what they change): built once per backend instead of once per test."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'shared.sqlite3'}"
        else:
            if not postgres_available():
                pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
            url = stack.enter_context(scratch_schema(POSTGRES_URL))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrate.upgrade(engine)
        runtime = build_runtime(settings=Settings.from_env(settings_env(url, folder / "instance")),
                                config=config, engine=engine)
        runtime.intake.clock = lambda: FIXED_NOW
        yield runtime


@dataclass(frozen=True)
class World:
    """Ada and Bert with everything held, and two anonymous items beside them (references)."""

    runtime: Runtime
    ada: Held
    bert: Held
    anonymous: str
    other_anonymous: str


ANONYMOUS_TEXT = "Lorenzo Baxendale-Fitch wrote this without giving any contact details"
OTHER_ANONYMOUS_TEXT = "Another comment without contact details, about the minor injuries unit"


def people_world(backend: str, folder: Path, config: Config) -> Iterator[World]:
    """The world a privacy test module shares (as a module-scoped fixture's body)."""
    with shared_runtime(backend, folder, config) as runtime:
        ada, bert = two_people(runtime)
        yield World(runtime, ada, bert, anonymous_feedback(runtime, ANONYMOUS_TEXT, "anon-1"),
                    anonymous_feedback(runtime, OTHER_ANONYMOUS_TEXT, "anon-2"))


@dataclass(frozen=True)
class Someone:
    """One synthetic person and the words that are theirs alone (to look for after erasure)."""

    name: str
    phone: str           # E.164, as the SMS channel stores it
    complaint: str       # became a feedback item through a finished chat
    second_thought: str  # still in an open chat
    lost: str            # a message whose processing failed

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    @property
    def national(self) -> str:
        """The number as people write it: 07700 900123."""
        return f"0{self.phone[3:7]} {self.phone[7:]}"

    def needles(self) -> list[str]:
        """What identifies the person or is what they said."""
        return [self.surname, self.phone, self.phone.removeprefix("+"), self.national,
                self.national.replace(" ", ""), self.complaint, self.second_thought, self.lost]


ADA = Someone(
    name="Ada Quillfeather", phone="+447700900123",
    complaint="Ada Quillfeather here, my GP surgery never answers the phone in the morning",
    second_thought="Ada Quillfeather again, the pharmacy on Larkspur Row lost my prescription",
    lost="Ada Quillfeather writing: the dentist cancelled twice without telling me")
BERT = Someone(
    name="Bertram Nightingale", phone="+447700900456",
    complaint="Bertram Nightingale speaking, my GP surgery car park machine takes no cards",
    second_thought="Bertram Nightingale once more, the eye clinic letter came in tiny print",
    lost="Bertram Nightingale writing: the walk-in centre closed early on Sunday")


@dataclass
class Held:
    """What was stored for one person, by id, as built by :func:`build_person`."""

    someone: Someone
    pseudonym: str
    contributor_id: int
    reference: str
    feedback_id: int
    failed_inbound_id: int
    queued_reply_id: int
    sent_reply_id: int


def send(chat: ChatService, someone: Someone, text: str, pid: str) -> Any:
    return chat.handle(ChatMessage(channel="sms", provider_message_id=pid,
                                   sender=someone.phone, text=text))


def build_person(runtime: Runtime, someone: Someone, staff: Member, tracker_id: int) -> Held:
    """A finished chat (feedback with consent and needs), an open chat holding more words, a
    failed message, a staff note, a status change, a staff tag, a tracker link, one reply sent
    and one still queued."""
    chat = ChatService(runtime, SCRIPT)
    tag = someone.phone[-3:]
    replies = [send(chat, someone, text, f"SM{tag}-{n}")
               for n, text in enumerate([someone.complaint, "YES", "2", "1 3", "YES"])]
    reference = replies[-1].reference
    assert reference is not None, replies
    send(chat, someone, someone.second_thought, f"SM{tag}-open")
    failed_id, _ = runtime.intake.receive(IncomingMessage(
        channel="sms", provider_message_id=f"SM{tag}-lost", text=someone.lost,
        sender=someone.phone))
    now = runtime.intake.clock()
    with runtime.sessions.begin() as session:
        failed = session.get_one(InboundMessage, failed_id)
        failed.state, failed.attempts = InboundState.FAILED, 1
        failed.error = f"ValueError: could not read {someone.lost!r}"
        item = session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert item is not None and item.contributor is not None
        triage.set_status(session, item, "in-review", staff.actor, now)
        triage.add_note(session, item, f"Rang {someone.name} back on {someone.national}",
                        staff.user_id, staff.actor, now)
        triage.add_tag(session, runtime.config, item, "service", "pharmacy", staff.actor, now)
        triage.link_tracker(session, item, tracker_id, staff.actor, now)
        sent = queue_reply(session, item, f"Dear {someone.name}, thank you for telling us.",
                           staff.actor, now)
        sent.status, sent.sent_at, sent.provider_message_id = (
            OutboundStatus.SENT, now, f"SMsent{tag}")
        queued = queue_reply(session, item, f"Dear {someone.name}, the practice will call you.",
                             staff.actor, now)
        session.flush()
        return Held(someone, item.contributor.pseudonym, item.contributor.id, reference, item.id,
                    failed_id, queued.id, sent.id)


def two_people(runtime: Runtime) -> tuple[Held, Held]:
    """Ada and Bert, each with everything held, side by side."""
    staff = add_staff(runtime, "admin")
    tracker_id = add_tracker_item(runtime)
    return build_person(runtime, ADA, staff, tracker_id), build_person(runtime, BERT, staff, tracker_id)


def anonymous_feedback(runtime: Runtime, text: str, provider_message_id: str) -> str:
    """Feedback from a form without contact details: only its reference leads to it."""
    result = runtime.intake.ingest(IncomingMessage(
        channel="web", provider_message_id=provider_message_id, text=text))
    assert result.reference is not None, result.error
    return result.reference


def web_form_person(runtime: Runtime, text: str, address: str, contact: str,
                    provider_message_id: str) -> str:
    """Feedback from the web form with an email or a mobile number for follow-ups."""
    result = runtime.intake.ingest(IncomingMessage(
        channel="web", provider_message_id=provider_message_id, text=text, sender=address,
        sender_channel=contact))
    assert result.reference is not None, result.error
    return result.reference


def text_values(session: Session, vault: ContactVault) -> list[tuple[str, str, str]]:
    """(table, column, text) for every text and JSON value in every table, with anything the
    vault can decrypt decrypted (so an address or payload still held encrypted is found too)."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if isinstance(value, str) and value.startswith("gAAAA"):
                    with suppress(VaultError):
                        text = vault.decrypt(value)
                found.append((table.name, column.name, text))
    return found


def traces(session: Session, vault: ContactVault, someone: Someone) -> list[tuple[str, str, str]]:
    """Where anything of ``someone`` (name, number, words, the keyed hash of their number) is
    still stored."""
    needles = [*someone.needles(), vault.lookup_hash("sms", someone.phone)]
    return [(table, column, needle) for table, column, text in text_values(session, vault)
            for needle in needles if needle in text]
