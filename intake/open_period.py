"""When a consultation takes answers: one rule for routing, the chat channels and the web form."""

from __future__ import annotations

from datetime import datetime

OPEN = "open"


def is_open(status: str, opens_at: datetime | None, closes_at: datetime | None,
            moment: datetime) -> bool:
    """Open status, and ``moment`` within [opens_at, closes_at) where those are set."""
    if status != OPEN:
        return False
    if opens_at is not None and moment < opens_at:
        return False
    return closes_at is None or moment < closes_at
