"""The engagement team's tracker items and consultations, and feedback's links to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.open_period import is_open
from intake.storage.base import Base, utcnow


class RagRating(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class TrackerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class ConsultationStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    REPORTED = "reported"


class TrackerItem(Base):
    """A row of the engagement tracker, reported to the governing body every two months."""

    __tablename__ = "tracker_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(default=list)
    owner: Mapped[str] = mapped_column(String(120), default="")
    rag_rating: Mapped[str] = mapped_column(String(8), default=RagRating.AMBER)
    next_steps: Mapped[str] = mapped_column(Text, default="")
    expected_impact: Mapped[str] = mapped_column(Text, default="")
    you_said_we_did: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TrackerStatus.ACTIVE, index=True)
    start_date: Mapped[date | None]
    due_date: Mapped[date | None]
    completed_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rating_history: Mapped[list[RagRatingChange]] = relationship(
        back_populates="tracker_item", order_by="RagRatingChange.changed_at")


class RagRatingChange(Base):
    """Each red/amber/green rating a tracker item has had, with who set it and why."""

    __tablename__ = "rag_rating_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracker_item_id: Mapped[int] = mapped_column(ForeignKey("tracker_item.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    tracker_item: Mapped[TrackerItem] = relationship(back_populates="rating_history")


class Consultation(Base):
    """A public consultation with its own question, entry points and open period."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(default=list)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    # The consultation's question, per language code: {"en": "...", "ur": "..."}.
    questions: Mapped[dict[str, str]] = mapped_column(default=dict)
    sms_keyword: Mapped[str | None] = mapped_column(String(32), unique=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ConsultationStatus.PLANNED, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_open_at(self, moment: datetime) -> bool:
        return is_open(self.status, self.opens_at, self.closes_at, moment)


class FeedbackTrackerLink(Base):
    """Feedback linked to a tracker item, by a routing rule or by a member of staff."""

    __tablename__ = "feedback_tracker_link"
    __table_args__ = (UniqueConstraint("feedback_id", "tracker_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    tracker_item_id: Mapped[int] = mapped_column(ForeignKey("tracker_item.id"), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(64))
    linked_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RemovedLink(Base):
    """A link a member of staff removed: routing re-runs (`intake reprocess`) must not add it
    back. Linking it again by hand forgets the removal. ``target`` is "tracker" or
    "consultation"."""

    __tablename__ = "removed_link"
    __table_args__ = (UniqueConstraint("feedback_id", "target", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    removed_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackConsultationLink(Base):
    """Feedback linked to a consultation, by a routing rule or by a member of staff."""

    __tablename__ = "feedback_consultation_link"
    __table_args__ = (UniqueConstraint("feedback_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(64))
    linked_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
