"""Sending outbox messages on Telegram with python-telegram-bot's ``Bot``, within Telegram's
limits: about one message a second to one chat and thirty a second overall."""

from __future__ import annotations

import asyncio
import hashlib
import time
import warnings
from collections import deque
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.application import pieces
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.outbox import PermanentFailure, TemporaryFailure

PER_CHAT_INTERVAL = 1.0
OVERALL_PER_SECOND = 30


class TelegramSender:
    channel = "telegram"

    def __init__(self, settings: TelegramSettings, bot: Bot | None = None,
                 per_chat_interval: float = PER_CHAT_INTERVAL) -> None:
        self.bot = bot or Bot(settings.token, base_url=settings.api_base_url)
        self.loop = asyncio.new_event_loop()
        self.per_chat_interval = per_chat_interval
        self._last_to_chat: dict[str, float] = {}
        self._recent: deque[float] = deque(maxlen=OVERALL_PER_SECOND)
        self._ready = False
        # Parts of a long message already delivered, so a retry sends only the rest.
        self._delivered: dict[tuple[str, str], list[str]] = {}

    def _wait_for_turn(self, chat_id: str) -> None:
        now = time.monotonic()
        waits = [self._last_to_chat.get(chat_id, -1e9) + self.per_chat_interval - now]
        if len(self._recent) == OVERALL_PER_SECOND:
            waits.append(self._recent[0] + 1.0 - now)
        pause = max(waits)
        if pause > 0:
            time.sleep(pause)

    def _call(self, coroutine: Coroutine[Any, Any, Message]) -> Message:
        """Run one Bot API call, turning Telegram's errors into the outbox's two kinds."""
        try:
            if not self._ready:
                self.loop.run_until_complete(self.bot.initialize())
                self._ready = True
            return self.loop.run_until_complete(coroutine)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # both the int of v22 and the coming timedelta work
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise TemporaryFailure(f"Telegram asks to wait {seconds:.0f}s",
                                   retry_after=seconds) from exc
        except Forbidden as exc:
            raise PermanentFailure(f"Telegram refused: {exc.message}", opted_out=True) from exc
        except BadRequest as exc:
            raise PermanentFailure(f"Telegram refused: {exc.message}") from exc
        except (TimedOut, NetworkError) as exc:
            raise TemporaryFailure(f"Telegram unreachable: {exc.message}") from exc
        finally:
            coroutine.close()

    def send(self, address: str, body: str) -> str:
        key = (address, hashlib.sha256(body.encode()).hexdigest())
        delivered = self._delivered.setdefault(key, [])
        for piece in pieces(body)[len(delivered):]:
            self._wait_for_turn(address)
            try:
                sent = self._call(self.bot.send_message(chat_id=address, text=piece))
            finally:
                now = time.monotonic()
                self._last_to_chat[address] = now
                self._recent.append(now)
            delivered.append(str(sent.message_id))
        del self._delivered[key]
        return f"{address}:{delivered[0]}"


def make_sender(runtime: Runtime) -> TelegramSender | None:
    """The `intake.senders` entry point: a sender when a bot token is configured, else None."""
    settings = TelegramSettings.from_env()
    return TelegramSender(settings) if settings.configured else None
