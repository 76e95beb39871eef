"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from intake.storage.models.audit import AuditEvent
from intake.storage.models.campaigns import Campaign, CampaignKind
from intake.storage.models.contributors import (
    ConsentRecord,
    ContactAddress,
    Contributor,
    RecordedNeed,
)
from intake.storage.models.conversations import (
    Conversation,
    ConversationStatus,
    ConversationTurn,
)
from intake.storage.models.engagement import (
    Consultation,
    ConsultationStatus,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    RagRating,
    RagRatingChange,
    RemovedLink,
    TrackerItem,
    TrackerStatus,
)
from intake.storage.models.feedback import Feedback, FeedbackStatus, Tag
from intake.storage.models.inbox import InboundMessage, InboundState
from intake.storage.models.outbox import EarlyDeliveryReport, OutboundMessage, OutboundStatus
from intake.storage.models.staff import FeedbackNote, FeedbackStatusChange, Role, StaffUser

__all__ = [
    "AuditEvent",
    "Campaign",
    "CampaignKind",
    "ConsentRecord",
    "Consultation",
    "ConsultationStatus",
    "ContactAddress",
    "Contributor",
    "Conversation",
    "ConversationStatus",
    "ConversationTurn",
    "EarlyDeliveryReport",
    "Feedback",
    "FeedbackConsultationLink",
    "FeedbackNote",
    "FeedbackStatus",
    "FeedbackStatusChange",
    "FeedbackTrackerLink",
    "InboundMessage",
    "InboundState",
    "OutboundMessage",
    "OutboundStatus",
    "RagRating",
    "RagRatingChange",
    "RecordedNeed",
    "RemovedLink",
    "Role",
    "StaffUser",
    "Tag",
    "TrackerItem",
    "TrackerStatus",
]
