"""Feedback items, the team's unit of work, and their tags with full history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, and_, column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.feedback_sample import in_sample
from intake.storage.base import Base, utcnow
from intake.storage.models.contributors import Contributor


class FeedbackStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in-review"
    ACTIONED = "actioned"
    CLOSED = "closed"


class Feedback(Base):
    """What someone told us, as the engagement team reviews it.

    ``text`` is the original (restricted); ``redacted_text`` is what the queue shows.
    ``reference`` is the short code people can quote back to us, e.g. ``FB-7K3M9Q``.
    """

    __tablename__ = "feedback"
    # The queue's order (newest first, ties by id), read from the index rather than sorted.
    __table_args__ = (
        Index("ix_feedback_received_at_id", "received_at", "id"),
        # The queue's word filter (ILIKE '%word%') on PostgreSQL: trigram indexes (pg_trgm, made
        # by migration 0007). SQLite has no such index; there they are empty and unused.
        *(Index(f"ix_feedback_{name}_trgm", name, postgresql_using="gin",
                postgresql_ops={name: "public.gin_trgm_ops"}, sqlite_where=text("0"))
          for name in ("redacted_text", "reference")),
        # The counting sample (intake.feedback_sample): a hundredth of the items, with the
        # columns the queue's filters read, so a broad view is estimated from this index alone.
        Index("ix_feedback_sample", "received_at", "id", "status", "channel",
              sqlite_where=in_sample(column("id")), postgresql_where=in_sample(column("id"))),
        # The sample's texts by trigram, for estimating a word filter (PostgreSQL; empty on SQLite).
        Index("ix_feedback_sample_text_trgm", "redacted_text", postgresql_using="gin",
              postgresql_ops={"redacted_text": "public.gin_trgm_ops"},
              postgresql_where=in_sample(column("id")), sqlite_where=text("0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_message.id"), unique=True)
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    redacted_text: Mapped[str] = mapped_column(Text)
    on_behalf_of: Mapped[bool | None]
    fft_rating: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=FeedbackStatus.NEW, index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    received_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    pipeline_version: Mapped[str] = mapped_column(String(200))
    # Data protection: the person's erasure request was carried out (text gone, tags kept for
    # counts); or the retention period ended and the original text was replaced by the redacted.
    erased_at: Mapped[datetime | None]
    original_removed_at: Mapped[datetime | None]

    contributor: Mapped[Contributor | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(back_populates="feedback", order_by="Tag.id")


_ACTIVE_IN_SAMPLE = and_(text("retracted_at IS NULL"), in_sample(column("feedback_id")))


class Tag(Base):
    """A label on a feedback item. Tags are never overwritten: a correction or a re-run retracts
    the old row (``retracted_at``/``retracted_by``) and adds a new one, so history is kept."""

    __tablename__ = "tag"
    __table_args__ = (
        Index("ix_tag_kind_value_active", "kind", "value", "retracted_at"),
        # Active tags only (what the queue, its counts and reports read), small enough to be read
        # without the table: items per value of a kind, and whether an item has a kind at all.
        Index("ix_tag_active_kind_value_feedback", "kind", "value", "feedback_id",
              sqlite_where=text("retracted_at IS NULL"), postgresql_where=text("retracted_at IS NULL")),
        Index("ix_tag_active_kind_feedback", "kind", "feedback_id", "value",
              sqlite_where=text("retracted_at IS NULL"), postgresql_where=text("retracted_at IS NULL")),
        # The counts of a filtered queue: each matching item's active tags in one look-up.
        Index("ix_tag_active_feedback_kind_value", "feedback_id", "kind", "value",
              sqlite_where=text("retracted_at IS NULL"), postgresql_where=text("retracted_at IS NULL")),
        # The sample's active tags (intake.feedback_sample): a broad view's estimated counts.
        Index("ix_tag_sample_active", "kind", "value", "feedback_id",
              sqlite_where=_ACTIVE_IN_SAMPLE, postgresql_where=_ACTIVE_IN_SAMPLE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float]
    source: Mapped[str] = mapped_column(String(16))
    tagger_version: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    retracted_at: Mapped[datetime | None]
    retracted_by: Mapped[str | None] = mapped_column(String(200))

    feedback: Mapped[Feedback] = relationship(back_populates="tags")

    @property
    def active(self) -> bool:
        return self.retracted_at is None
