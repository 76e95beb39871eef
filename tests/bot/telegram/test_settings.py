"""Telegram settings read from the environment: defaults, clean-up of what operators paste, and
when the bot counts as configured."""

from __future__ import annotations

import pytest

from bot.telegram.settings import ALLOWED_UPDATES, DEFAULT_API_BASE_URL, TelegramSettings

TOKEN = "123456:TEST-token"


def test_an_empty_environment_gives_an_unconfigured_bot_on_telegrams_api() -> None:
    settings = TelegramSettings.from_env({})
    assert settings == TelegramSettings(token="", webhook_secret="", api_base_url=DEFAULT_API_BASE_URL,
                                        bot_username="")
    assert DEFAULT_API_BASE_URL == "https://api.telegram.org/bot"
    assert not settings.configured


def test_every_variable_is_read() -> None:
    settings = TelegramSettings.from_env({
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret_Token-42",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot", "TELEGRAM_BOT_USERNAME": "involve_bot"})
    assert settings == TelegramSettings(token=TOKEN, webhook_secret="s3cret_Token-42",
                                        api_base_url="http://127.0.0.1:8081/bot",
                                        bot_username="involve_bot")


def test_an_empty_api_base_url_falls_back_to_telegram() -> None:
    assert TelegramSettings.from_env({"TELEGRAM_API_BASE_URL": ""}).api_base_url == DEFAULT_API_BASE_URL


@pytest.mark.parametrize("pasted", ["involve_bot", "@involve_bot", "  @involve_bot\n", "@@involve_bot"])
def test_the_username_loses_its_at_sign_and_spaces(pasted: str) -> None:
    assert TelegramSettings.from_env({"TELEGRAM_BOT_USERNAME": pasted}).bot_username == "involve_bot"


@pytest.mark.parametrize(("token", "configured"), [(TOKEN, True), ("", False)])
def test_a_token_alone_decides_whether_the_bot_is_configured(token: str, configured: bool) -> None:
    """The webhook secret is only needed for webhook mode; polling works without it."""
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": token,
                                          "TELEGRAM_WEBHOOK_SECRET": "s3cret_Token-42"})
    assert settings.configured is configured


def test_without_a_mapping_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@involve_bot")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    settings = TelegramSettings.from_env()
    assert (settings.token, settings.bot_username, settings.webhook_secret, settings.api_base_url) == (
        TOKEN, "involve_bot", "", DEFAULT_API_BASE_URL)


def test_the_bot_asks_only_for_the_update_kinds_it_handles() -> None:
    assert ALLOWED_UPDATES == ("message", "callback_query", "my_chat_member")
