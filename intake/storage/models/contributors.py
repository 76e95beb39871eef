"""People who give feedback, their contact addresses (encrypted), consents and recorded needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.storage.base import Base, utcnow


class Contributor(Base):
    """One person, across channels where we know it is the same person. Shown by pseudonym."""

    __tablename__ = "contributor"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    addresses: Mapped[list[ContactAddress]] = relationship(back_populates="contributor")
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="contributor", order_by="ConsentRecord.recorded_at")
    needs: Mapped[list[RecordedNeed]] = relationship(back_populates="contributor")


class ContactAddress(Base):
    """A phone number, chat id or email, never stored in clear.

    ``address_hash`` is a keyed hash for look-up; ``address_encrypted`` is for sending replies.
    """

    __tablename__ = "contact_address"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address_hash: Mapped[str] = mapped_column(String(64))
    address_encrypted: Mapped[str] = mapped_column(Text)
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    contributor: Mapped[Contributor] = relationship(back_populates="addresses")


class ConsentRecord(Base):
    """An append-only record of what someone agreed or declined to, with the wording they saw."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool]
    wording_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contributor: Mapped[Contributor] = relationship(back_populates="consents")


class RecordedNeed(Base):
    """A communication-support need the person told us about, to meet whenever we contact them."""

    __tablename__ = "recorded_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id"), index=True)
    need: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    contributor: Mapped[Contributor] = relationship(back_populates="needs")
