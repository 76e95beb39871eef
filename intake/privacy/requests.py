"""Erasure requests waiting for an admin: asked for in a chat (Telegram /forget) or recorded by
staff, and not yet carried out. The audit log is the record of both the asking and the doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.storage.models import AuditEvent, Contributor, Feedback

REQUESTED, COMPLETED = "erasure.requested", "erasure.completed"


@dataclass(frozen=True)
class ErasureRequest:
    pseudonym: str
    requested_at: datetime
    channel: str
    feedback_items: int


def pending_requests(session: Session) -> list[ErasureRequest]:
    """Oldest first: the one-month deadline (Article 12(3)) runs from the request."""
    done = set(session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.action == COMPLETED, AuditEvent.entity_type == "contributor")))
    requests: dict[str, ErasureRequest] = {}
    for event in session.scalars(select(AuditEvent).where(
            AuditEvent.action == REQUESTED, AuditEvent.entity_type == "contributor")
            .order_by(AuditEvent.occurred_at, AuditEvent.id)):
        if event.entity_id in done or event.entity_id in requests:
            continue
        contributor_id = session.scalar(select(Contributor.id).where(
            Contributor.pseudonym == event.entity_id))
        if contributor_id is None:
            continue
        count = session.scalar(select(func.count()).select_from(Feedback).where(
            Feedback.contributor_id == contributor_id)) or 0
        requests[event.entity_id] = ErasureRequest(
            event.entity_id, event.occurred_at, str(event.details.get("channel", "")), count)
    return list(requests.values())


def record_request(session: Session, pseudonym: str, *, actor: str, channel: str,
                   now: datetime) -> None:
    """A request made another way (a phone call, a letter), recorded by staff to act on."""
    session.add(AuditEvent(occurred_at=now, actor=actor, action=REQUESTED,
                           entity_type="contributor", entity_id=pseudonym,
                           details={"channel": channel}))
