"""``webhooks.wsgi:app`` with slow conversation turns, for gunicorn in the reliability tests.

``RELIABILITY_SLOW_TURN_SECONDS`` is waited at the start of every conversation turn, after the
raw message is stored and before its turn is claimed. It holds the first delivery of a message
in the window where copies of it can arrive (as when Twilio retries a webhook that was slow to
answer), so that window is exercised on every run instead of by luck. Nothing else changes.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bot.chat import ChatService

_decide = ChatService._decide
DELAY = float(os.environ.get("RELIABILITY_SLOW_TURN_SECONDS", "0"))


def _slow_decide(self: ChatService, *args: Any, **kwargs: Any) -> Any:
    time.sleep(DELAY)
    return _decide(self, *args, **kwargs)


ChatService._decide = _slow_decide  # type: ignore[method-assign]

from webhooks.wsgi import app  # noqa: E402  (built after the turns are slowed)

__all__ = ["app"]
