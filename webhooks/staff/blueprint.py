"""The `/staff` blueprint every workspace page hangs on, with the checks they all share."""

from __future__ import annotations

from flask import Blueprint, request

from webhooks.extensions import csrf
from webhooks.staff.auth import expire_idle_sessions

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@blueprint.before_request
def guard() -> None:
    """Idle sessions end; every state-changing request carries a valid CSRF token."""
    expire_idle_sessions()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
