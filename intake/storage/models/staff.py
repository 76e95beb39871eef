"""The engagement team: staff accounts, their internal notes on feedback, and status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.storage.base import Base, utcnow


class Role(StrEnum):
    """What a member of staff may do; each role can do everything the one before it can."""

    VIEWER = "viewer"       # reads the queue, redacted text only
    REVIEWER = "reviewer"   # triages, tags, links, replies
    ADMIN = "admin"         # also users, tracker, consultations, unredacted text, erasure


class StaffUser(Base):
    """A member of staff. The password is an argon2 hash; the API token is stored only hashed."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Changes whenever the password does, so sessions made with the old one stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    # Set while the password is a temporary one an admin (or the CLI) made: every workspace
    # page sends them to change it first, so a password someone else has seen is not kept.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_token_created_at: Mapped[datetime | None]


class FeedbackNote(Base):
    """An internal note on a feedback item: never shown to the person who gave the feedback."""

    __tablename__ = "feedback_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[StaffUser] = relationship()


class FeedbackStatusChange(Base):
    """Every change of a feedback item's status, by whom and when (the item keeps the latest)."""

    __tablename__ = "feedback_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
