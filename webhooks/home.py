"""A plain landing page that says what this service is and where its parts are."""

from __future__ import annotations

from flask import Blueprint, render_template

from webhooks.runtime import current_runtime

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def index() -> str:
    runtime = current_runtime()
    return render_template("home.html", services=runtime.config.services,
                           languages=runtime.config.languages.languages)
