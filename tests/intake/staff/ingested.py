"""Synthetic feedback put through the real pipeline (``Intake.ingest``), and the rows around it
the workspace shows: a staff account, a tracker item, a consultation, a chat conversation."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.message import Answers, Consent, IncomingMessage
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    Feedback,
    StaffUser,
    TrackerItem,
)
from tests.conftest import FIXED_NOW

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Member:
    """A member of staff as the core sees one (the web's StaffPrincipal has the same fields)."""

    user_id: int
    actor: str
    role: str


def add_staff(runtime: Runtime, role: str = "reviewer") -> Member:
    """An account without a usable password (the core tests never sign in)."""
    email = f"core-{role}-{next(_numbers)}@example.org"
    with runtime.sessions.begin() as session:
        user = StaffUser(email=email, display_name=f"Core {role}", role=role, password_hash="-",
                         created_at=FIXED_NOW)
        session.add(user)
        session.flush()
        return Member(user.id, f"staff:{email}", role)


def ingest(runtime: Runtime, text: str = "My GP surgery never answers the phone", *,
           channel: str = "sms", sender: str | None = None, received_at: datetime | None = None,
           follow_up: bool | None = None, **answers: object) -> str:
    """Feedback through the pipeline; returns its reference. ``follow_up`` records the consent
    to be contacted (True/False) or none at all (None)."""
    number = next(_numbers)
    consents = () if follow_up is None else (Consent("follow-up", follow_up, "v1"),)
    result = runtime.intake.ingest(IncomingMessage(
        channel=channel, provider_message_id=f"test-{number}", text=text, sender=sender,
        received_at=received_at or FIXED_NOW - timedelta(minutes=number),
        answers=Answers(consents=consents, **answers)))  # type: ignore[arg-type]
    assert result.reference is not None, result.error
    return result.reference


def load(session: Session, reference: str) -> Feedback:
    item = session.scalar(select(Feedback).where(Feedback.reference == reference))
    assert item is not None
    return item


def add_tracker_item(runtime: Runtime, title: str = "Phone access at GP surgeries") -> int:
    with runtime.sessions.begin() as session:
        item = TrackerItem(title=title, services=[], created_at=FIXED_NOW,
                           updated_at=FIXED_NOW)
        session.add(item)
        session.flush()
        return item.id


def add_consultation(runtime: Runtime, slug: str = "pharmacy-review",
                     title: str = "Pharmacy opening hours") -> int:
    with runtime.sessions.begin() as session:
        consultation = Consultation(slug=slug, title=title, status=ConsultationStatus.OPEN,
                                    created_at=FIXED_NOW)
        session.add(consultation)
        session.flush()
        return consultation.id


def add_conversation(runtime: Runtime, reference: str, turns: list[tuple[str, list[str]]],
                     sender: str = "+447700900555") -> None:
    """A finished chat whose turns (what the person sent, what we replied) made ``reference``:
    each message is stored in the raw inbox, encrypted, as the chat service stores it."""
    inbound_ids = []
    for position, (said, _) in enumerate(turns):
        inbound_id, _ = runtime.intake.receive(IncomingMessage(
            channel="sms", provider_message_id=f"turn-{next(_numbers)}", text=said, sender=sender,
            received_at=FIXED_NOW - timedelta(minutes=30 - position)))
        inbound_ids.append(inbound_id)
    with runtime.sessions.begin() as session:
        feedback = load(session, reference)
        conversation = Conversation(channel="sms", address_hash="test-hash",
                                    status=ConversationStatus.COMPLETED,
                                    started_at=FIXED_NOW - timedelta(minutes=30),
                                    last_activity_at=FIXED_NOW, closed_at=FIXED_NOW,
                                    feedback_id=feedback.id)
        session.add(conversation)
        session.flush()
        for inbound_id, (_, replies) in zip(inbound_ids, turns, strict=True):
            session.add(ConversationTurn(conversation_id=conversation.id,
                                         inbound_message_id=inbound_id, replies=replies,
                                         created_at=FIXED_NOW))
