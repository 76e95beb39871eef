"""The Flask web app: provider webhooks, public forms, the staff workspace. Built by a factory
(as in the Flask tutorial), one blueprint per area, with the core runtime wired in once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader

from bot.chat import ChatService
from bot.script import load_script
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime, build_runtime
from intake.config import ConfigError
from webhooks import api, health
from webhooks.converters import init_converters
from webhooks.cookie_sessions import CookieSessions
from webhooks.database_errors import init_database_errors
from webhooks.extensions import csrf, limiter
from webhooks.forms import routes as public
from webhooks.observability import init_observability
from webhooks.runtime import CHAT_KEY, RUNTIME_KEY
from webhooks.security_headers import init_security_headers
from webhooks.sms import routes as sms
from webhooks.sms.settings import TwilioSettings
from webhooks.staff import init_staff
from webhooks.telegram import routes as telegram

MAX_REQUEST_BYTES = 1024 * 1024
NHSUK_ASSETS = Path(__file__).parent / "static" / "nhsuk-frontend" / "assets"


def create_app(test_config: Mapping[str, Any] | None = None,
               runtime: Runtime | None = None) -> Flask:
    """Build the app. ``runtime`` lets tests (and `intake serve`) pass a ready core runtime."""
    app = Flask(__name__)
    # First, so the request id is bound before any other hook can log.
    init_observability(app)
    init_converters(app)
    runtime = runtime or build_runtime()
    production = runtime.settings.environment == "production"
    app.config.from_mapping(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        PUBLIC_BASE_URL=runtime.settings.public_base_url,
        TWILIO=TwilioSettings.from_env(),
        TELEGRAM=TelegramSettings.from_env(),
        # Flask-WTF: CSRF is checked in each form view, so a failure can re-show the form.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Several services (staging and live, two trusts) may share one Redis.
        RATELIMIT_KEY_PREFIX=os.environ.get("RATELIMIT_KEY_PREFIX", "involve-intake"),
        FEEDBACK_RATE_LIMIT=os.environ.get("FEEDBACK_RATE_LIMIT", "20 per minute;200 per hour"),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions[RUNTIME_KEY] = runtime
    try:
        script = load_script(configured_languages=runtime.config.language_codes)
    except ConfigError as exc:
        raise ConfigError(f"The conversation cannot start: {exc}") from exc
    app.extensions[CHAT_KEY] = ChatService(runtime, script)
    # NHS.UK templates come from nhsuk-frontend-jinja; its macros expect chainable undefineds.
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")])
    app.jinja_env.undefined = ChainableUndefined
    # Flask autoescapes only .html files by name; the NHS.UK macros are .jinja files and print
    # what people typed, so escaping is switched on for every template.
    app.jinja_env.autoescape = True
    app.session_interface = CookieSessions()
    init_security_headers(app, production=production)
    init_database_errors(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.add_url_rule("/assets/<path:filename>", "nhsuk_assets",
                     lambda filename: send_from_directory(NHSUK_ASSETS, filename))
    for blueprint in (health.blueprint, public.blueprint, sms.blueprint, telegram.blueprint,
                      api.blueprint):
        app.register_blueprint(blueprint)
    init_staff(app)
    return app
