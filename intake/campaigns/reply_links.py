"""Replies to an invitation: which consultations a person was recently invited to.

When someone we invited writes back within ``invitation_reply_days`` while the consultation is
still open, what they say is about that consultation. The pipeline stays pure: this reads the
invitations, and the routing stage links the feedback (rule ``consultation-invitation-reply``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.contributors import find_address
from intake.message import IncomingMessage
from intake.privacy.vault import ContactVault
from intake.storage.models import Campaign, CampaignKind, OutboundMessage, OutboundStatus

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


def invitations_for(session: Session, vault: ContactVault, message: IncomingMessage,
                    now: datetime, days: int) -> tuple[int, ...]:
    """``recent_invitations`` for the sender of a message not yet stored."""
    if not message.sender:
        return ()
    address = find_address(session, vault, message.address_channel, message.sender)
    return recent_invitations(session, address.contributor_id if address else None,
                              message.received_at or now, days)
