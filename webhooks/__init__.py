"""The Flask web app: provider webhooks, public forms, the staff workspace. Built by a factory
(as in the Flask tutorial), one blueprint per area, with the core runtime wired in once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from intake.bootstrap import Runtime, build_runtime
from webhooks import health, home
from webhooks.runtime import RUNTIME_KEY

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
    )
    if test_config:
        app.config.update(test_config)
    app.extensions[RUNTIME_KEY] = runtime
    app.register_blueprint(health.blueprint)
    app.register_blueprint(home.blueprint)
    return app
