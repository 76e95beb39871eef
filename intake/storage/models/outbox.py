"""The outbox: every reply and follow-up is written here first and sent by a worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.storage.base import Base, utcnow


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboundMessage(Base):
    """A message we mean to send. ``intent_key`` is unique: the same intent is queued only once."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    intent_key: Mapped[str] = mapped_column(String(200), unique=True)
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id"), index=True)
    contact_address_id: Mapped[int | None] = mapped_column(ForeignKey("contact_address.id"))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"))
    # The campaign (invitation, "you said, we did") that queued it, if any.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EarlyDeliveryReport(Base):
    """A provider's delivery report that arrived before the worker had saved the provider's id
    for the message (the provider can be quicker than our commit). Applied when the id is saved."""

    __tablename__ = "early_delivery_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
