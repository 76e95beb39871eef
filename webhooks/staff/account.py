"""Your own account: who you are, changing your password, and your API token."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required, logout_user

from intake.staff.accounts import AccountError, LoginRefused, authenticate, issue_api_token, set_password
from intake.staff.permissions import Action
from intake.storage.models import StaffUser
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint


@blueprint.route("/account")
@login_required
def account() -> str:
    return render_template("staff/account.html", title="Your account", who=principal(),
                           errors={}, token=None)


@blueprint.route("/account/password", methods=["POST"])
@login_required
def change_password() -> Response | tuple[str, int]:
    who, runtime = principal(), current_runtime()
    current, new = request.form.get("current_password", ""), request.form.get("new_password", "")
    errors: dict[str, str] = {}
    with runtime.sessions() as db:
        try:
            authenticate(db, who.email, current, runtime.intake.clock())
            set_password(db, db.get_one(StaffUser, who.user_id), new, runtime.intake.clock(),
                         actor=who.actor)
        except LoginRefused:
            errors["current_password"] = "Your current password is not right"
        except AccountError as exc:
            errors["new_password"] = str(exc)
        db.commit()
    if errors:
        return render_template("staff/account.html", title="Your account", who=who, errors=errors,
                               token=None), 400
    logout_user()
    flash("Your password has been changed. Sign in with the new one.")
    return redirect(url_for("staff.login"))  # type: ignore[return-value]


@blueprint.route("/account/api-token", methods=["POST"])
@requires(Action.USE_API)
def new_api_token() -> str:
    """A new token replaces the old one; it is shown once and only its hash is kept."""
    who, runtime = principal(), current_runtime()
    with runtime.sessions.begin() as db:
        token = issue_api_token(db, db.get_one(StaffUser, who.user_id), runtime.intake.clock(),
                                actor=who.actor)
    return render_template("staff/account.html", title="Your account", who=who, errors={},
                           token=token)
