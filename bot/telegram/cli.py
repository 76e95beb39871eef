"""`intake telegram ...`: run the bot by long polling, or register the webhook."""

from __future__ import annotations

import asyncio
import threading

import click
from telegram.error import TelegramError
from telegram.ext import Application

from bot.chat import ChatService
from bot.script import load_script
from bot.telegram.application import build_application
from bot.telegram.settings import ALLOWED_UPDATES, TelegramSettings
from intake.bootstrap import Runtime
from intake.cli.runtime import open_runtime

WEBHOOK_PATH = "/telegram/webhook"


def _settings() -> TelegramSettings:
    settings = TelegramSettings.from_env()
    if not settings.configured:
        raise click.ClickException(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather and put its token in "
            "TELEGRAM_BOT_TOKEN (see README).")
    return settings


def chat_service(runtime: Runtime) -> ChatService:
    return ChatService(runtime, load_script(configured_languages=runtime.config.language_codes))


async def poll(application: Application, stop: threading.Event,  # type: ignore[type-arg]
               poll_interval: float = 0.0) -> None:
    """Long polling until ``stop`` is set. Any webhook is removed first (Telegram allows one
    delivery mode at a time)."""
    async with application:
        await application.bot.delete_webhook()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=poll_interval,
                                                allowed_updates=list(ALLOWED_UPDATES))
        await application.start()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await application.updater.stop()
        await application.stop()


@click.group()
def telegram() -> None:
    """The Telegram bot."""


@telegram.command("poll")
def poll_command() -> None:
    """Run the bot by long polling (for a laptop; no public address needed). Ctrl+C stops."""
    settings = _settings()
    with open_runtime() as runtime:
        application = build_application(chat_service(runtime), settings, polling=True)
        click.echo("Polling Telegram for updates. Press Ctrl+C to stop.")
        stop = threading.Event()
        try:
            asyncio.run(poll(application, stop))
        except KeyboardInterrupt:
            stop.set()


@telegram.command("set-webhook")
@click.option("--url", help="Public https URL (default: PUBLIC_BASE_URL + /telegram/webhook).")
def set_webhook(url: str | None) -> None:
    """Tell Telegram to deliver updates to the web app, with the secret token it must send."""
    settings = _settings()
    if not settings.webhook_secret:
        raise click.ClickException("TELEGRAM_WEBHOOK_SECRET is not set (1-256 characters of "
                                   "A-Z, a-z, 0-9, _ and -).")
    with open_runtime(require_schema=False) as runtime:
        target = url or f"{runtime.settings.public_base_url}{WEBHOOK_PATH}"
        application = build_application(chat_service(runtime), settings)

        async def register() -> None:
            async with application:
                await application.bot.set_webhook(
                    url=target, secret_token=settings.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES))

        try:
            asyncio.run(register())
        except TelegramError as exc:  # a refused URL or token, or Telegram out of reach
            raise click.ClickException(f"Telegram did not accept the webhook {target}: {exc}") from exc
    click.echo(f"Telegram will deliver updates to {target}.")
