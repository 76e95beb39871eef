"""Signposting to urgent help, shared by every channel.

When what a person writes raises a safety flag (see :mod:`intake.pipeline.stages.safety`), they are
told at once where to get help now: 999, NHS 111, Samaritans on 116 123. The words belong to each
channel (the bot's prompts, the web form's page text) and are in the person's language; this module
says which flags an item carries and keeps the audit record that signposting was given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.storage.models import AuditEvent, Tag

SIGNPOSTED = "safety.signposted"
ACTOR = "signposting"


def feedback_flags(session: Session, feedback_id: int) -> tuple[str, ...]:
    """The safety flags a stored feedback item carries now (active flag tags), sorted."""
    return tuple(sorted(set(session.scalars(select(Tag.value).where(
        Tag.feedback_id == feedback_id, Tag.kind == "flag", Tag.retracted_at.is_(None))))))


def was_signposted(session: Session, entity_type: str, entity_id: str) -> bool:
    return session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == SIGNPOSTED, AuditEvent.entity_type == entity_type,
        AuditEvent.entity_id == entity_id).limit(1)) is not None


def record_signposting(session: Session, *, entity_type: str, entity_id: str,
                       flags: Iterable[str], channel: str, language: str, at: datetime,
                       inbound_id: int | None = None) -> AuditEvent:
    """Add the audit event saying the person was shown where to get urgent help. It names the
    flags, never the person's words."""
    details: dict[str, object] = {"flags": sorted(set(flags)), "channel": channel,
                                  "language": language}
    if inbound_id is not None:
        details["inbound_id"] = inbound_id
    event = AuditEvent(occurred_at=at, actor=ACTOR, action=SIGNPOSTED, entity_type=entity_type,
                       entity_id=entity_id, details=details)
    session.add(event)
    return event
