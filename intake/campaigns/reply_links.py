"""Replies to an invitation: which consultations a person was recently invited to.

When someone we invited writes back within ``invitation_reply_days`` while the consultation is
still open, what they say is about that consultation. The pipeline stays pure: the invitations
are read with the rest of the sender's history (``intake.sender_history``, with ``INVITED_TO``
here: a queued or failed invitation does not count, they never read it), and the routing stage
links the feedback (rule ``consultation-invitation-reply``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from intake.message import IncomingMessage
from intake.storage.models import (
    Campaign,
    CampaignKind,
    OutboundMessage,
    OutboundStatus,
)

DELIVERED = (OutboundStatus.SENT, OutboundStatus.DELIVERED)
# Read for every item with a known sender (a conversation's last turn among them): built once,
# on the tables.
_CAMPAIGNS, _OUTBOX = Campaign.__table__, OutboundMessage.__table__
INVITED_TO = (
    select(_CAMPAIGNS.c.consultation_id).join(_OUTBOX, _OUTBOX.c.campaign_id == _CAMPAIGNS.c.id)
    .where(_OUTBOX.c.contributor_id == bindparam("contributor_id"),
           _OUTBOX.c.purpose == CampaignKind.INVITATION,
           _OUTBOX.c.status.in_(DELIVERED),
           _OUTBOX.c.sent_at <= bindparam("moment"),
           _OUTBOX.c.sent_at >= bindparam("since"),
           _CAMPAIGNS.c.consultation_id.is_not(None))
    .distinct())


def reply_moment(message: IncomingMessage, now: datetime) -> datetime:
    """When a message is placed in time for the invitations it may answer: when it arrived,
    else ``now`` (``intake.sender_history`` reads the invitations sent in the days before)."""
    return message.received_at or now
