"""The Telegram channel as Telegram sees it: updates POSTed to the real app's webhook with the secret
header, and every request the bot makes recorded by a local fake of the Bot API."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from bot.chat import ChatService
from bot.telegram.background import BackgroundBot
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.contributors import find_address
from intake.storage.models import ContactAddress
from tests.bot.telegram.fake_bot_api import (
    BOT_USER,
    TOKEN,
    Call,
    FakeBotApi,
    button_update,
    running_fake_bot_api,
    text_update,
    user,
)
from webhooks import create_app
from webhooks.runtime import CHAT_KEY
from webhooks.telegram.routes import BOT_KEY, SECRET_HEADER

SECRET = "s3cret_Token-42"
CHAT_ID = 4242
WEBHOOK = "/telegram/webhook"


def keyboard_data(params: dict[str, Any]) -> list[list[str]] | None:
    """The callback_data of a sendMessage's inline keyboard, row by row (None: no keyboard)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    return [[button["callback_data"] for button in row] for row in markup["inline_keyboard"]]


def keyboard_labels(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


def media_update(update_id: int, kind: str, chat_id: int = CHAT_ID,
                 language_code: str | None = "en") -> dict[str, Any]:
    """A message carrying only a photo, a voice note or a sticker (no text, no caption)."""
    attachments: dict[str, Any] = {
        "photo": [{"file_id": "AgAD-photo", "file_unique_id": "p1", "width": 90, "height": 90}],
        "voice": {"file_id": "AwAD-voice", "file_unique_id": "v1", "duration": 3,
                  "mime_type": "audio/ogg"},
        "sticker": {"file_id": "CAAD-sticker", "file_unique_id": "s1", "type": "regular",
                    "width": 512, "height": 512, "is_animated": False, "is_video": False},
    }
    message = {"message_id": update_id, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private"},
               "from": user(chat_id, language_code), kind: attachments[kind]}
    return {"update_id": update_id, "message": message}


def member_update(update_id: int, status: str, chat_id: int = CHAT_ID) -> dict[str, Any]:
    """Our own membership of the private chat changing (``kicked``: the person blocked the bot)."""
    bot = {key: BOT_USER[key] for key in ("id", "is_bot", "first_name", "username")}
    new: dict[str, Any] = {"user": bot, "status": status}
    if status == "kicked":
        new["until_date"] = 0
    return {"update_id": update_id, "my_chat_member": {
        "chat": {"id": chat_id, "type": "private"}, "from": user(chat_id), "date": int(time.time()),
        "old_chat_member": {"user": bot, "status": "member"}, "new_chat_member": new}}


@dataclass
class TelegramChannel:
    """The app built with known Telegram settings, and a Telegram client's view of it."""

    runtime: Runtime
    api: FakeBotApi
    app: Flask
    client: FlaskClient
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))
    last_update_id: int = 0

    @property
    def chat(self) -> ChatService:
        chat: ChatService = self.app.extensions[CHAT_KEY]
        return chat

    def post(self, update: Any, secret: str | None = SECRET, **options: Any) -> TestResponse:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        if "data" in options:
            return self.client.post(WEBHOOK, headers=headers, **options)
        return self.client.post(WEBHOOK, json=update, headers=headers, **options)

    def deliver(self, update: dict[str, Any]) -> list[Call]:
        """POST one update (expecting 200) and return the Bot API requests made while handling it,
        apart from the bot's one ``getMe`` when the first update starts it.

        The webhook waits for the handlers, so every request is recorded when it returns.
        """
        before = len(self.api.calls)
        self.last_update_id = update["update_id"]
        response = self.post(update)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == {"ok": True}
        return [call for call in self.api.calls[before:] if call.method != "getMe"]

    def say(self, text: str, chat_id: int = CHAT_ID, language_code: str | None = "en") -> list[Call]:
        return self.deliver(text_update(next(self.ids), text, chat_id, language_code))

    def press(self, data: str, chat_id: int = CHAT_ID, language_code: str | None = "en") -> list[Call]:
        return self.deliver(button_update(next(self.ids), data, chat_id, language_code))

    def count(self, model: type, *where: Any) -> int:
        with self.runtime.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def address(self, chat_id: int = CHAT_ID) -> ContactAddress | None:
        with self.runtime.sessions() as session:
            return find_address(session, self.runtime.intake.vault, "telegram", str(chat_id))


def methods(calls: list[Call]) -> list[str]:
    return [call.method for call in calls]


def build_channel(runtime: Runtime, settings: TelegramSettings, api: FakeBotApi) -> Iterator[TelegramChannel]:
    app = create_app({"TESTING": True, "TELEGRAM": settings}, runtime=runtime)
    try:
        yield TelegramChannel(runtime, api, app, app.test_client())
    finally:
        bot: BackgroundBot | None = app.extensions.get(BOT_KEY)
        if bot is not None:
            bot.close()


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as api:
        yield api


@pytest.fixture
def telegram_settings(fake_api: FakeBotApi) -> TelegramSettings:
    return TelegramSettings(token=TOKEN, webhook_secret=SECRET, api_base_url=fake_api.base_url)


@pytest.fixture
def telegram(runtime: Runtime, telegram_settings: TelegramSettings,
             fake_api: FakeBotApi) -> Iterator[TelegramChannel]:
    yield from build_channel(runtime, telegram_settings, fake_api)

