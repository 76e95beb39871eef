"""Replies to an invitation: which consultations a person was recently invited to.

When someone we invited writes back within ``invitation_reply_days`` while the consultation is
still open, what they say is about that consultation. The pipeline stays pure: this reads the
invitations, and the routing stage links the feedback (rule ``consultation-invitation-reply``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.message import IncomingMessage
from intake.storage.models import (
    Campaign,
    CampaignKind,
    ContactAddress,
    OutboundMessage,
    OutboundStatus,
)

DELIVERED = (OutboundStatus.SENT, OutboundStatus.DELIVERED)


def recent_invitations(session: Session, contributor_id: int | None, moment: datetime,
                       days: int) -> tuple[int, ...]:
    """Ids of the consultations this person was sent an invitation to in the ``days`` before
    ``moment`` (a queued or failed invitation does not count: they never read it)."""
    if contributor_id is None:
        return ()
    rows = session.scalars(
        select(Campaign.consultation_id).join(OutboundMessage,
                                              OutboundMessage.campaign_id == Campaign.id)
        .where(OutboundMessage.contributor_id == contributor_id,
               OutboundMessage.purpose == CampaignKind.INVITATION,
               OutboundMessage.status.in_(DELIVERED),
               OutboundMessage.sent_at <= moment,
               OutboundMessage.sent_at >= moment - timedelta(days=days),
               Campaign.consultation_id.is_not(None))
        .distinct())
    return tuple(sorted(row for row in rows if row is not None))


def invitations_for(session: Session, sender: ContactAddress | None, message: IncomingMessage,
                    now: datetime, days: int) -> tuple[int, ...]:
    """``recent_invitations`` for the sender of a message not yet stored (``sender``: their
    stored address, ``intake.contributors.sender_address``; None for a stranger), as of when the
    message arrived, else ``now``."""
    return recent_invitations(session, sender.contributor_id if sender else None,
                              message.received_at or now, days)
