"""The Telegram webhook route's own contract: who is refused, the bounds of an update_id, updates
with fields of the wrong type or without a chat, one bot per app, and a slow handler still
acknowledged. (Conversations through the webhook are in test_webhook.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest
from sqlalchemy import select

from bot.telegram.background import BackgroundBot
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.storage.models import InboundMessage
from tests.bot.telegram.fake_bot_api import FakeBotApi, running_fake_bot_api, text_update
from webhooks.telegram.routes import BOT_KEY

from .conftest import CHAT_ID, SECRET, WEBHOOK, TelegramChannel, build_channel

NEEDS_UPDATE_ID = "A Telegram Update (JSON with an integer update_id) is required."
WRONG_TYPES = "This is not a Telegram Update the bot can read (fields of the wrong type)."
GP = "My GP surgery never answers the phone"


@pytest.fixture(scope="module")
def shared_api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as api:
        yield api


@pytest.fixture
def fake_api(shared_api: FakeBotApi) -> FakeBotApi:
    """One fake Bot API for the module (stopping one takes half a second), emptied per test."""
    shared_api.calls.clear()
    return shared_api


def stored_ids(telegram: TelegramChannel) -> list[str]:
    with telegram.runtime.sessions() as session:
        return list(session.scalars(select(InboundMessage.provider_message_id)
                                    .order_by(InboundMessage.id)))


def sent_messages(telegram: TelegramChannel) -> list[str]:
    return [call.method for call in telegram.api.calls if call.method != "getMe"]


def test_without_a_bot_token_every_request_is_refused(
        runtime: Runtime, fake_api: FakeBotApi) -> None:
    settings = TelegramSettings(token="", webhook_secret=SECRET, api_base_url=fake_api.base_url)
    for telegram in build_channel(runtime, settings, fake_api):
        response = telegram.post(text_update(1, GP))
        assert response.status_code == 403
        assert stored_ids(telegram) == []
        assert BOT_KEY not in telegram.app.extensions  # no bot was started
    assert fake_api.calls == []


def test_an_update_id_that_is_not_a_64_bit_natural_number_is_a_bad_request(
        telegram: TelegramChannel) -> None:
    for update_id in (-1, 2**63, True, 1.5, None, [1]):
        response = telegram.post({**text_update(1, GP), "update_id": update_id})
        assert response.status_code == 400, update_id
        assert response.get_data(as_text=True) == NEEDS_UPDATE_ID
    assert stored_ids(telegram) == []


def test_the_smallest_and_largest_update_ids_are_taken(telegram: TelegramChannel) -> None:
    for update_id in (0, 2**63 - 1):
        response = telegram.post(text_update(update_id, GP))
        assert response.status_code == 200, update_id
        assert response.get_json() == {"ok": True}
    assert stored_ids(telegram) == ["0", str(2**63 - 1)]


WRONG_TYPED_MESSAGES: list[Any] = [
    "just a string",
    {"message_id": 1, "date": 0, "chat": "not an object", "text": "hi"},
    {"message_id": 1, "date": 0, "text": "hi", "chat": {"id": "4242", "type": "private"}},
    {"message_id": 1, "date": 0, "text": "hi", "chat": {"id": True, "type": "private"}},
]


def test_an_update_with_fields_of_the_wrong_type_is_a_bad_request(
        telegram: TelegramChannel) -> None:
    for message in WRONG_TYPED_MESSAGES:
        response = telegram.post({"update_id": 77, "message": message})
        assert response.status_code == 400, message
        assert response.get_data(as_text=True) == WRONG_TYPES
    assert stored_ids(telegram) == []
    assert sent_messages(telegram) == []


def test_an_update_without_a_chat_is_acknowledged_and_ignored(telegram: TelegramChannel) -> None:
    response = telegram.post({"update_id": 78})
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "ignored": "no chat"}
    assert stored_ids(telegram) == []
    assert sent_messages(telegram) == []


def test_one_bot_serves_every_request_of_an_app(telegram: TelegramChannel) -> None:
    telegram.say("/start")
    bot = telegram.app.extensions[BOT_KEY]
    assert isinstance(bot, BackgroundBot)
    telegram.say(GP)
    assert telegram.app.extensions[BOT_KEY] is bot
    assert [call.method for call in telegram.api.calls].count("getMe") <= 1


def test_an_update_still_being_handled_at_the_time_limit_is_acknowledged(
        telegram: TelegramChannel, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Telegram gets its 200 (so it does not send the update again); the update is stored."""
    def slow(_self: BackgroundBot, _update: object, timeout: float = 20.0) -> None:
        raise FutureTimeout

    monkeypatch.setattr(BackgroundBot, "process", slow)
    response = telegram.post(text_update(90, GP))
    assert response.status_code == 200
    assert response.get_json() == {"ok": True}
    assert stored_ids(telegram) == ["90"]
    assert "Telegram update 90 is still being handled after the time limit" in caplog.text


def test_only_post_is_answered(telegram: TelegramChannel) -> None:
    assert telegram.client.get(WEBHOOK).status_code == 405


def test_the_stored_update_is_the_chats(telegram: TelegramChannel) -> None:
    telegram.say(GP, chat_id=CHAT_ID)
    with telegram.runtime.sessions() as session:
        record = session.scalars(select(InboundMessage)).one()
        assert (record.channel, record.provider_message_id) == ("telegram", "100")
        assert str(CHAT_ID) not in record.payload_encrypted  # the address is stored encrypted
