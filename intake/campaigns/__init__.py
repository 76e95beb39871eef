"""Campaigns: a consultation's invitation, or a tracker item's "you said, we did" message, sent
to the people who agreed to hear from us, in their language, on their own channel, never at night.

No web code here: the staff workspace (``webhooks/staff/campaigns.py``) calls :func:`preview` and
:func:`send`; the outbox worker runs :func:`send_checks` before each message; ``Intake.process``
reads the invitations a sender was sent (``reply_links``, through ``intake.sender_history``) so
that replies to an invitation are linked to its consultation.
"""

from intake.campaigns.audience import Audience, Exclusion, Reason, Recipient
from intake.campaigns.quiet_hours import QuietHours
from intake.campaigns.reply_links import reply_moment
from intake.campaigns.sending import (
    CAMPAIGN_PURPOSES,
    AudienceChanged,
    CampaignError,
    CampaignSendCheck,
    Filters,
    PlannedMessage,
    Preview,
    Target,
    TextGroup,
    audience,
    preview,
    send,
    send_checks,
)
from intake.campaigns.texts import MAX_LENGTH, PLACEHOLDERS, CampaignTextError

__all__ = [
    "CAMPAIGN_PURPOSES",
    "MAX_LENGTH",
    "PLACEHOLDERS",
    "Audience",
    "AudienceChanged",
    "CampaignError",
    "CampaignSendCheck",
    "CampaignTextError",
    "Exclusion",
    "Filters",
    "PlannedMessage",
    "Preview",
    "QuietHours",
    "Reason",
    "Recipient",
    "Target",
    "TextGroup",
    "audience",
    "preview",
    "reply_moment",
    "send",
    "send_checks",
]
