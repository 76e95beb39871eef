"""Small helpers the workspace templates use (Jinja has no list comprehensions)."""

from __future__ import annotations

from flask import Flask

from webhooks.staff.navigation import navigation


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """Errors in the shape the NHS.UK error summary takes, each linking to its field."""
    return [{"text": text, "href": f"#{field}"} for field, text in errors.items()]


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(staff_navigation=navigation, error_list=error_list)
