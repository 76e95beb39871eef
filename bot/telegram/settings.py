"""Telegram settings, from the environment (never the repository)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# The update types the bot uses: messages, button presses, and being blocked or unblocked.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    webhook_secret: str
    api_base_url: str
    # The bot's @username without the @, for deep links (https://t.me/<username>?start=<slug>).
    bot_username: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if environ is None else environ
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", ""),
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            api_base_url=env.get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL,
            bot_username=env.get("TELEGRAM_BOT_USERNAME", "").strip().lstrip("@"),
        )

    @property
    def configured(self) -> bool:
        return bool(self.token)
