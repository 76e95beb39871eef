"""Chat conversations (SMS, Telegram) kept in the database, so any web worker can take the next
message, and each turn's replies, so a retried delivery is answered exactly as before."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from intake.storage.base import Base, utcnow


class ConversationStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"   # the person answered to the end
    TIMED_OUT = "timed-out"   # silence: partial answers were kept as feedback
    STOPPED = "stopped"       # the person opted out part-way: partial answers kept
    RESTARTED = "restarted"   # the person started again (/start): partial answers kept


class Conversation(Base):
    """One run through the conversation with one person on one channel.

    ``state`` is the engine's plain-data state. At most one conversation per address is open.
    ``version`` is counted up by every ORM update, which names the version it read: a turn reads
    and runs the engine before it writes (on SQLite it takes the write lock only then), so a
    second turn of the same conversation that wrote in between makes this one try again rather
    than overwrite it.
    """

    __tablename__ = "conversation"
    __table_args__ = (
        Index("uq_conversation_open_address", "channel", "address_hash", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id"))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.OPEN, index=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None]
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"))
    version: Mapped[int] = mapped_column(server_default=text("0"))

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class ConversationTurn(Base):
    """What we answered to one inbound message (replayed unchanged if the message comes again)."""

    __tablename__ = "conversation_turn"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"), index=True)
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id"), unique=True)
    replies: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When ``replies`` became final (a repeat delivery waits for it rather than answer half).
    answered_at: Mapped[datetime | None]
