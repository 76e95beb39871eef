"""The `/api/v1` blueprint: read-only JSON for spreadsheets and BI tools, signed with a bearer
token per member of staff instead of a session, so it is exempt from CSRF (no cookie is used)."""

from __future__ import annotations

from flask import Blueprint

from webhooks.extensions import csrf

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(blueprint)
