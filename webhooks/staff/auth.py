"""Signing staff in and out, and the checks every staff page and API call goes through.

Flask-Login keeps the session; the session id includes the account's ``session_version``, so a
password change or deactivation ends every session at once. Sessions end after
``STAFF_IDLE_MINUTES`` without a request and ``STAFF_SESSION_HOURS`` in all, and at once if the
cookie comes from another browser (Flask-Login's "strong" protection only marks a permanent
session not fresh, so the browser is checked here).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required

from intake.staff.permissions import Action, can
from intake.storage.models import StaffUser
from webhooks.runtime import current_runtime

login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Sign in to use the engagement workspace."
login_manager.session_protection = "strong"

View = TypeVar("View", bound=Callable[..., Any])


class StaffPrincipal(UserMixin):
    """The signed-in member of staff, detached from any database session."""

    def __init__(self, user: StaffUser) -> None:
        self.user_id = user.id
        self.email = user.email
        self.display_name = user.display_name
        self.role = user.role
        self.session_version = user.session_version
        self.must_change_password = user.must_change_password

    def get_id(self) -> str:
        return f"{self.user_id}:{self.session_version}"

    def can(self, action: Action | str) -> bool:
        return can(self.role, Action(action))

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"staff:{self.email}"


@login_manager.user_loader
def load_principal(session_id: str) -> StaffPrincipal | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdecimal() or not version.isdecimal():
        return None
    with current_runtime().sessions() as db:
        user = db.get(StaffUser, int(user_id))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return StaffPrincipal(user)


def init_auth(app: Flask) -> None:
    app.config.setdefault("STAFF_IDLE_MINUTES", 30)
    app.config.setdefault("STAFF_SESSION_HOURS", 10)
    # Flask's own default (31 days) is always there, so set rather than setdefault: the cookie
    # lasts no longer than the day's limit.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["STAFF_SESSION_HOURS"])
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(0))
    login_manager.init_app(app)


def browser() -> str:
    """What identifies the browser a session was signed in from (its User-Agent, hashed: the
    session cookie is signed, not encrypted)."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(agent.encode("utf-8", "replace")).hexdigest()[:32]


def expire_idle_sessions() -> None:
    """Sign out a session that has been idle too long, is older than the day's limit, or comes
    from a browser other than the one that signed in."""
    if not current_user.is_authenticated:
        return
    now = datetime.now(UTC).timestamp()
    started, seen = session.get("staff_started", now), session.get("staff_seen", now)
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"]).total_seconds()
    longest = timedelta(hours=current_app.config["STAFF_SESSION_HOURS"]).total_seconds()
    if now - seen > idle or now - started > longest or session.get("staff_browser") != browser():
        from flask_login import logout_user

        logout_user()
        session.pop("staff_started", None)
        session.pop("staff_seen", None)
        session.pop("staff_browser", None)
        g.session_expired = True
        return
    session["staff_seen"] = now


def requires(action: Action) -> Callable[[View], View]:
    """A view for signed-in staff whose role allows ``action``; anyone else gets 403."""
    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if current_user.must_change_password:
                flash("Choose a new password before you go on: the one you have was temporary.")
                return redirect(url_for("staff.account"))
            if not current_user.can(action):
                abort(403)
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def principal() -> StaffPrincipal:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def client_address() -> str:
    return request.remote_addr or "unknown"
