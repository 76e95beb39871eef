"""Campaigns: one sending of a consultation's invitation or a tracker item's "you said, we did".

The row keeps what staff approved (the text per language, the filters), who sent it and what
happened (how many were queued, how many left out and why); each message it queued points back
at it, which is also how a reply to an invitation finds its consultation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.storage.base import Base, utcnow


class CampaignKind(StrEnum):
    INVITATION = "invitation"
    YOU_SAID_WE_DID = "you-said-we-did"


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), index=True)
    tracker_item_id: Mapped[int | None] = mapped_column(ForeignKey("tracker_item.id"), index=True)
    # The text per language code as staff wrote it, placeholders and all: {"en": "...", ...}.
    texts: Mapped[dict[str, str]] = mapped_column(default=dict)
    # Who it was meant for: {"services": [...], "languages": [...]} (empty lists: everyone).
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queued: Mapped[int] = mapped_column(default=0)
    # How many people were left out, per reason: {"opted-out": 2, "no-consent": 5, ...}.
    excluded: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # When the messages may first go out, if the campaign was sent during quiet hours.
    not_before: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
