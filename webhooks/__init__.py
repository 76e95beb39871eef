"""The Flask web app: provider webhooks, public forms, the staff workspace. Built by a factory
(as in the Flask tutorial), one blueprint per area, with the core runtime wired in once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot.chat import ChatService
from bot.script import load_script
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime, build_runtime
from intake.config import ConfigError
from webhooks import health, home
from webhooks.runtime import CHAT_KEY, RUNTIME_KEY
from webhooks.sms import routes as sms
from webhooks.sms.settings import TwilioSettings
from webhooks.telegram import routes as telegram

MAX_REQUEST_BYTES = 1024 * 1024


def create_app(test_config: Mapping[str, Any] | None = None,
               runtime: Runtime | None = None) -> Flask:
    """Build the app. ``runtime`` lets tests (and `intake serve`) pass a ready core runtime."""
    app = Flask(__name__)
    runtime = runtime or build_runtime()
    app.config.from_mapping(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        PUBLIC_BASE_URL=runtime.settings.public_base_url,
        TWILIO=TwilioSettings.from_env(),
        TELEGRAM=TelegramSettings.from_env(),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions[RUNTIME_KEY] = runtime
    try:
        script = load_script(configured_languages=runtime.config.language_codes)
    except ConfigError as exc:
        raise ConfigError(f"The conversation cannot start: {exc}") from exc
    app.extensions[CHAT_KEY] = ChatService(runtime, script)
    for blueprint in (health.blueprint, home.blueprint, sms.blueprint, telegram.blueprint):
        app.register_blueprint(blueprint)
    return app
