"""Signing in and out of the workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError

from intake.staff.accounts import LoginRefused, authenticate
from intake.storage.models import AuditEvent
from webhooks.extensions import limiter
from webhooks.runtime import current_runtime
from webhooks.staff.auth import StaffPrincipal, browser, principal
from webhooks.staff.blueprint import blueprint
from webhooks.staff.navigation import navigation

REFUSED = "Enter a correct email address and password. After 5 wrong attempts the account is " \
          "locked for 15 minutes."


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("staff.home")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def login() -> Response | str:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("staff.home"))  # type: ignore[return-value]
    errors: dict[str, str] = {}
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not email:
            errors["email"] = "Enter your email address"
        if not password:
            errors["password"] = "Enter your password"
        if not errors:
            runtime = current_runtime()
            with runtime.sessions() as db:
                try:
                    who: StaffPrincipal | None = StaffPrincipal(
                        authenticate(db, email, password, runtime.intake.clock()))
                except LoginRefused:
                    who = None
                    errors["email"] = REFUSED
                db.commit()   # a refusal is recorded too (failure count, audit)
            if who is not None:
                session.clear()
                session.permanent = True
                login_user(who)
                now = datetime.now(UTC).timestamp()
                session["staff_started"] = session["staff_seen"] = now
                session["staff_browser"] = browser()
                return redirect(_safe_next(request.args.get("next")))  # type: ignore[return-value]
    expired = bool(getattr(g, "session_expired", False)) or request.args.get("expired") == "1"
    return render_template("staff/login.html", title="Sign in", errors=errors, email=email,
                           expired=expired), 200 if not errors else 400  # type: ignore[return-value]


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    """GET asks (a link cannot carry a CSRF token); POST signs out."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login"))  # type: ignore[return-value]
        return render_template("staff/logout.html", title="Sign out")
    if current_user.is_authenticated:
        runtime = current_runtime()
        with runtime.sessions.begin() as db:
            who = principal()
            db.add(AuditEvent(occurred_at=runtime.intake.clock(), actor=who.actor,
                              action="staff.logout", entity_type="staff_user",
                              entity_id=str(who.user_id), details={}))
        logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("staff.login"))  # type: ignore[return-value]


@blueprint.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("staff/message.html", title="Your session has expired",
                           message="The page was open too long or the form was not sent by this "
                                   "site. Go back, reload the page and try again."), 400


@blueprint.route("/")
@login_required
def home() -> Response:
    """The first page the person may open (the queue, for everyone who may read it)."""
    pages = navigation()
    return redirect(pages[0]["href"] if pages else url_for("staff.account"))  # type: ignore[return-value]
