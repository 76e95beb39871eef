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
from sqlalchemy.exc import SQLAlchemyError

from bot.telegram.application import build_application
from bot.telegram.background import BackgroundBot
from bot.telegram.parsing import chat_message
from bot.telegram.settings import TelegramSettings
from webhooks.database_errors import is_unavailable, unavailable
from webhooks.extensions import not_limited_by_address
from webhooks.runtime import current_chat, current_runtime

log = logging.getLogger(__name__)
blueprint = not_limited_by_address(Blueprint("telegram", __name__, url_prefix="/telegram"))
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
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        return "A Telegram Update (JSON with an integer update_id) is required.", 400
    bot = _bot()
    try:
        update = bot.parse(data)
    except (AttributeError, TypeError, ValueError, KeyError):
        # Fields of the wrong type: not something Telegram sends, so nothing to store.
        return "This is not a Telegram Update the bot can read (fields of the wrong type).", 400
    chat = update.effective_chat
    if chat is not None and (not isinstance(chat.id, int) or isinstance(chat.id, bool)):
        return "This is not a Telegram Update the bot can read (fields of the wrong type).", 400
    message = chat_message(update)
    if message is None:
        return _acknowledge(ignored="no chat")
    try:
        _, duplicate = current_runtime().intake.receive(message.to_incoming())
    except SQLAlchemyError as exc:
        if not is_unavailable(exc):
            raise
        log.exception("database unavailable while receiving a Telegram update")
        return unavailable()
    if duplicate:
        return _acknowledge(duplicate=True)
    try:
        bot.process(update)
    except FutureTimeout:
        log.warning("Telegram update %s is still being handled after the time limit",
                    data["update_id"])
    return _acknowledge()
