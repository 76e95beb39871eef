"""The `/staff` blueprint every workspace page hangs on, with the checks they all share."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webhooks.extensions import csrf
from webhooks.staff.auth import expire_idle_sessions

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@blueprint.before_request
def guard() -> tuple[str, int] | None:
    """Idle sessions end; every state-changing request carries a valid CSRF token, and text that
    cannot be stored is refused with a message."""
    expire_idle_sessions()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
        # PostgreSQL cannot store a NUL character; say so rather than fail on saving.
        if any("\x00" in value for values in request.form.listvalues() for value in values):
            return render_template("staff/message.html", title="There is a problem",
                                   message="Something you typed contains an invisible control "
                                           "character (NUL), which cannot be saved. Remove it "
                                           "and try again."), 400
    return None
