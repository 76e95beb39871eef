"""`intake telegram poll` and `set-webhook` as commands: settings checked before anything starts,
Ctrl+C stops polling cleanly, and the webhook can be registered before the schema exists."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from intake.bootstrap import Runtime
from intake.cli import main  # before bot.telegram.cli: see the note in test_polling.py
from intake.storage.database import make_engine
from tests.conftest import settings_env

from .fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api

SECRET = "s3cret_Token-42"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as fake:
        yield fake


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "intake.sqlite3"


@pytest.fixture
def env(tmp_path: Path, database_file: Path, api: FakeBotApi) -> dict[str, str | None]:
    """A fresh embedded database (never migrated) and the fake Bot API."""
    return {**settings_env(f"sqlite:///{database_file}", tmp_path / "instance"),
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api.base_url}


def tables(database_file: Path) -> set[str]:
    engine = make_engine(f"sqlite:///{database_file}")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_poll_without_a_token_points_to_botfather_and_opens_nothing(
        env: dict[str, str | None], api: FakeBotApi, database_file: Path) -> None:
    result = CliRunner().invoke(main, ["telegram", "poll"], env={**env, "TELEGRAM_BOT_TOKEN": ""})

    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output and "@BotFather" in result.output
    assert "Traceback" not in result.output
    assert api.calls == [] and not database_file.exists()


def test_poll_builds_a_polling_bot_and_stops_cleanly_on_ctrl_c(
        env: dict[str, str | None], api: FakeBotApi, database_file: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.telegram import cli

    seen: dict[str, Any] = {}

    async def interrupted(application: Any, stop: threading.Event, poll_interval: float = 0.0) -> None:
        seen.update(application=application, stop=stop)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "poll", interrupted)
    result = CliRunner().invoke(main, ["telegram", "poll"], env=env)

    assert result.exit_code == 0, result.output
    assert "Polling Telegram for updates. Press Ctrl+C to stop." in result.output
    application = seen["application"]
    assert application.updater is not None  # polling mode: an updater to fetch updates
    assert application.bot.token == TOKEN and application.bot.base_url.startswith(api.base_url)
    assert seen["stop"].is_set()  # Ctrl+C tells the poller to stop
    assert "conversation" in tables(database_file)  # the embedded database was migrated


def test_set_webhook_needs_no_schema(env: dict[str, str | None], api: FakeBotApi,
                                     database_file: Path) -> None:
    """Registering the address talks to Telegram only: it works before `intake db upgrade`."""
    result = CliRunner().invoke(main, ["telegram", "set-webhook", "--url",
                                       "https://intake.example.test/telegram/webhook"], env=env)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Telegram will deliver updates to https://intake.example.test/telegram/webhook.")
    assert [params["secret_token"] for params in api.sent("setWebhook")] == [SECRET]
    assert "alembic_version" not in tables(database_file)


def test_a_webhook_telegram_refuses_is_a_clear_error(env: dict[str, str | None],
                                                     api: FakeBotApi) -> None:
    """Telegram's own reason reaches the operator, with the address that was refused."""
    refusal = "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    api.fail_next["setWebhook"] = (400, {"ok": False, "error_code": 400, "description": refusal})
    result = CliRunner().invoke(main, ["telegram", "set-webhook", "--url",
                                       "http://intake.example.test/telegram/webhook"], env=env)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a traceback
    output = " ".join(result.output.split())
    assert "Telegram did not accept the webhook http://intake.example.test/telegram/webhook" in output
    assert "https url must be provided" in output.lower()


def test_set_webhook_names_the_secrets_allowed_characters(env: dict[str, str | None],
                                                         api: FakeBotApi) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook"],
                                env={**env, "TELEGRAM_WEBHOOK_SECRET": ""})

    assert result.exit_code == 1
    assert "1-256 characters of A-Z, a-z, 0-9, _ and -" in " ".join(result.output.split())
    assert api.calls == []


def test_chat_service_uses_the_runtimes_languages(runtime: Runtime) -> None:
    from bot.telegram.cli import chat_service

    chat = chat_service(runtime)
    assert chat.runtime is runtime
    assert set(chat.script.languages) <= set(runtime.config.language_codes)
    assert "en" in chat.script.languages
