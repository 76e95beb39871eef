"""`POST /telegram/webhook`: updates pushed by Telegram.

The secret token header must match ``TELEGRAM_WEBHOOK_SECRET`` (403 and nothing stored
otherwise). The raw update is stored first; a repeated ``update_id`` is acknowledged and ignored;
then the bot's handlers run and the reply is sent before Telegram gets its 200.
"""

from __future__ import annotations

import hmac
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import OperationalError

from bot.telegram.application import build_application
from bot.telegram.background import BackgroundBot
from bot.telegram.parsing import chat_message
from bot.telegram.settings import TelegramSettings
from webhooks.runtime import current_chat, current_runtime

log = logging.getLogger(__name__)
blueprint = Blueprint("telegram", __name__, url_prefix="/telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_KEY = "intake.telegram-bot"
_lock = threading.Lock()


def _settings() -> TelegramSettings:
    settings: TelegramSettings = current_app.config["TELEGRAM"]
    return settings


def _bot() -> BackgroundBot:
    """This worker process's bot, started on first use."""
    with _lock:
        bot: BackgroundBot | None = current_app.extensions.get(BOT_KEY)
        if bot is None:
            bot = BackgroundBot(build_application(current_chat(), _settings()))
            current_app.extensions[BOT_KEY] = bot
        return bot


def _acknowledge(**extra: Any) -> tuple[Response, int]:
    return jsonify(ok=True, **extra), 200


@blueprint.post("/webhook")
def webhook() -> tuple[Response, int] | tuple[str, int]:
    settings = _settings()
    secret = request.headers.get(SECRET_HEADER, "")
    if not settings.webhook_secret or not settings.token or not hmac.compare_digest(
            secret.encode(), settings.webhook_secret.encode()):
        log.warning("refused a Telegram webhook request with a missing or wrong secret token")
        abort(403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return "A Telegram Update (JSON with an integer update_id) is required.", 400
    bot = _bot()
    update = bot.parse(data)
    message = chat_message(update)
    if message is None:
        return _acknowledge(ignored="no chat")
    try:
        _, duplicate = current_runtime().intake.receive(message.to_incoming())
    except OperationalError:
        log.exception("database unavailable while receiving a Telegram update")
        return "Service unavailable, please retry.", 503
    if duplicate:
        return _acknowledge(duplicate=True)
    try:
        bot.process(update)
    except FutureTimeout:
        log.warning("Telegram update %s is still being handled after the time limit",
                    data["update_id"])
    return _acknowledge()
