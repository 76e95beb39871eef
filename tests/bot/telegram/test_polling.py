"""Polling mode (`intake telegram poll`) against the local fake Bot API, and `intake telegram
set-webhook` registering the web app's address with its secret."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.chat import ChatService
from bot.script import load_script
from bot.telegram.application import build_application
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.cli import main
from intake.storage.models import Conversation, ConversationStatus, Feedback, InboundMessage
from tests.conftest import settings_env

from .fake_bot_api import TOKEN, FakeBotApi, button_update, running_fake_bot_api, text_update

FEEDBACK = "The GP receptionist was rude and I waited ages"
ALLOWED = ["message", "callback_query", "my_chat_member"]


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as fake:
        yield fake


def test_polling_answers_queued_updates_and_stores_the_feedback(runtime: Runtime, api: FakeBotApi) -> None:
    api.updates.extend([text_update(1, "/start"), text_update(2, FEEDBACK), button_update(3, "DONE"),
                        button_update(4, "YES"), button_update(5, "2"), button_update(6, "6"),
                        button_update(7, "NO")])
    # Imported here, after intake.cli: importing bot.telegram.cli first is a circular import
    # (intake.cli loads the channel commands, this one among them, while it is half-initialised).
    from bot.telegram.cli import poll

    settings = TelegramSettings(token=TOKEN, webhook_secret="", api_base_url=api.base_url)
    application = build_application(ChatService(runtime, load_script()), settings, polling=True)
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(poll(application, stop))
        except BaseException as exc:  # reported by the test below
            failure.append(exc)

    thread = threading.Thread(target=run, name="telegram-poll-test", daemon=True)
    thread.start()
    try:
        api.wait_for("sendMessage", 7, seconds=60)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive(), "poll() did not stop after the stop event was set"
    assert failure == []

    called = [call.method for call in api.calls]
    assert called[:2] == ["getMe", "deleteWebhook"]  # any webhook removed before polling starts
    assert "getUpdates" in called
    assert called.index("getUpdates") > called.index("deleteWebhook")
    fetches = api.sent("getUpdates")
    assert all(params.get("allowed_updates") == ALLOWED for params in fetches)
    assert fetches[-1]["offset"] == 8  # every update confirmed when polling stops
    assert api.texts(4242)[0].startswith("Thank you for contacting NHS Involve.")
    assert [params.get("callback_query_id") for params in api.sent("answerCallbackQuery")] == [
        "q3", "q4", "q5", "q6", "q7"]
    with runtime.sessions() as session:
        [feedback] = session.scalars(select(Feedback)).all()
        [conversation] = session.scalars(select(Conversation)).all()
        inbound = session.scalars(select(InboundMessage.provider_message_id).where(
            InboundMessage.channel == "telegram",
            InboundMessage.provider_message_id.not_like("conversation-%"))).all()
        assert (feedback.channel, feedback.text, feedback.fft_rating) == ("telegram", FEEDBACK, "good")
        assert conversation.status == ConversationStatus.COMPLETED
        assert sorted(inbound, key=int) == [str(n) for n in range(1, 8)]
    assert api.texts(4242)[-1] == (f"Thank you. Your reference is {feedback.reference}. "
                                   "Reply HELP for help or STOP to opt out.")


@pytest.fixture
def cli_env(runtime: Runtime, database_url: str, tmp_path: Path, api: FakeBotApi) -> dict[str, str | None]:
    return {**settings_env(database_url, tmp_path / "instance"), "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_Token-42", "TELEGRAM_API_BASE_URL": api.base_url}


def test_set_webhook_registers_the_public_address_with_the_secret(
        cli_env: dict[str, str | None], api: FakeBotApi) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook"], env=cli_env)

    assert result.exit_code == 0, result.output
    [params] = api.sent("setWebhook")
    assert params == {"url": "https://intake.example.test/telegram/webhook",
                      "secret_token": "s3cret_Token-42", "allowed_updates": ALLOWED}
    assert "https://intake.example.test/telegram/webhook" in result.output


def test_set_webhook_takes_another_url_when_given(cli_env: dict[str, str | None], api: FakeBotApi) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook", "--url",
                                       "https://elsewhere.example.test/telegram/webhook"], env=cli_env)

    assert result.exit_code == 0, result.output
    [params] = api.sent("setWebhook")
    assert params["url"] == "https://elsewhere.example.test/telegram/webhook"


def test_set_webhook_without_a_token_points_to_botfather(cli_env: dict[str, str | None],
                                                        api: FakeBotApi) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook"],
                                env={**cli_env, "TELEGRAM_BOT_TOKEN": None})

    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.output and "BotFather" in result.output
    assert api.calls == []


def test_set_webhook_without_a_secret_refuses(cli_env: dict[str, str | None], api: FakeBotApi) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook"],
                                env={**cli_env, "TELEGRAM_WEBHOOK_SECRET": None})

    assert result.exit_code == 1
    assert "TELEGRAM_WEBHOOK_SECRET" in result.output
    assert api.calls == []
