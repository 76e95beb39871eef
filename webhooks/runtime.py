"""Access to the core runtime from inside a request."""

from __future__ import annotations

from flask import current_app

from intake.bootstrap import Runtime

RUNTIME_KEY = "intake.runtime"


def current_runtime() -> Runtime:
    runtime: Runtime = current_app.extensions[RUNTIME_KEY]
    return runtime
