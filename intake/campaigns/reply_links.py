"""Replies to an invitation: which consultations a person was recently invited to.

When someone we invited writes back within ``invitation_reply_days`` while the consultation is
still open, what they say is about that consultation. The pipeline stays pure: this reads the
invitations, and the routing stage links the feedback (rule ``consultation-invitation-reply``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
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


def recent_invitations(session: Session, contributor_id: int | None, moment: datetime,
                       days: int) -> tuple[int, ...]:
    """Ids of the consultations this person was sent an invitation to in the ``days`` before
    ``moment`` (a queued or failed invitation does not count: they never read it)."""
    if contributor_id is None:
        return ()
    rows = session.scalars(INVITED_TO, {"contributor_id": contributor_id, "moment": moment,
                                         "since": moment - timedelta(days=days)})
    return tuple(sorted(row for row in rows if row is not None))


def invitations_for(session: Session, sender: ContactAddress | None, message: IncomingMessage,
                    now: datetime, days: int) -> tuple[int, ...]:
    """``recent_invitations`` for the sender of a message not yet stored (``sender``: their
    stored address, ``intake.contributors.sender_address``; None for a stranger), as of when the
    message arrived, else ``now``."""
    return recent_invitations(session, sender.contributor_id if sender else None,
                              message.received_at or now, days)
