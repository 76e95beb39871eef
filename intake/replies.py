"""Replying to the person behind a feedback item, through their own channel, via the outbox."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.outbox import enqueue
from intake.storage.models import AuditEvent, ContactAddress, Feedback, OutboundMessage

FOLLOW_UP = "follow-up"


class CannotReply(Exception):
    """Why this person cannot be contacted; a sentence staff can act on."""


def queue_reply(session: Session, feedback: Feedback, body: str, staff: str,
                now: datetime) -> OutboundMessage:
    """Queue a reply, unless the person opted out or declined to be contacted."""
    if not body.strip():
        raise CannotReply("The reply is empty.")
    if feedback.contributor is None:
        raise CannotReply(f"{feedback.reference} came in without a contact address.")
    addresses = list(session.scalars(select(ContactAddress).where(
        ContactAddress.contributor_id == feedback.contributor_id)))
    # Their own channel first; a web form's contact address is on the channel they chose.
    addresses.sort(key=lambda a: a.channel != feedback.channel)
    if not addresses:
        raise CannotReply(f"There is no contact address for {feedback.reference}.")
    address = addresses[0]
    if address.opted_out_at is not None:
        raise CannotReply(f"The person opted out of messages on "
                          f"{address.opted_out_at:%d %B %Y}; nothing can be sent.")
    # Follow-up contact rests on consent: no record of it means no reply (the workspace and
    # `intake reply` apply the same rule).
    consents = [c for c in feedback.contributor.consents if c.purpose == FOLLOW_UP]
    if not consents:
        raise CannotReply("The person was never asked whether we may contact them, so nothing "
                          "can be sent.")
    if not consents[-1].granted:
        raise CannotReply("The person said they do not want to be contacted.")
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    message = enqueue(session, intent_key=f"reply:{feedback.reference}:{digest}", address=address,
                      purpose="reply", body=body.strip(), language=None, now=now,
                      feedback_id=feedback.id)
    session.add(AuditEvent(occurred_at=now, actor=staff, action="feedback.reply-queued",
                           entity_type="feedback", entity_id=feedback.reference,
                           details={"outbound_id": message.id, "channel": address.channel}))
    return message
