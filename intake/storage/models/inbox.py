"""The raw inbox: every inbound message, written before any other work."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.storage.base import Base, utcnow


class InboundState(StrEnum):
    RECEIVED = "received"    # stored, not yet processed (or a worker died while processing)
    QUEUED = "queued"        # stored for `intake worker` to tag (INTAKE_TAGGING=worker)
    PROCESSED = "processed"  # became feedback
    REJECTED = "rejected"    # the input cannot become feedback (too long, empty); error says why
    FAILED = "failed"        # processing crashed; `intake reprocess --failed` retries it
    IGNORED = "ignored"      # deliberately not feedback (an opt-out keyword, for example)
    CONVERSATION = "conversation"  # one turn of a chat; the conversation becomes the feedback


class InboundMessage(Base):
    """One message exactly as it arrived. ``payload`` is encrypted: it holds the sender's address.

    (channel, provider_message_id) is unique, so a provider's retry finds the first record instead
    of making a second one.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload_encrypted: Mapped[str] = mapped_column(Text)
    sender_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default=InboundState.RECEIVED, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None]
    # Set when retention or erasure removed the payload (then ``payload_encrypted`` is empty).
    payload_removed_at: Mapped[datetime | None]
