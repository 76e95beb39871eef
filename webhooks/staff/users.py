"""Staff accounts, for admins: the list, a new account, and the changes an admin makes to one.

The rules (never yourself, never the last admin, sessions ending) live in
``intake.staff.user_admin``; these views read forms, call it and show its messages. A temporary
password is shown once, in the response to the request that made it, and never stored in clear.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from intake.staff import user_admin
from intake.staff.accounts import AccountError
from intake.staff.dates import show_moment
from intake.staff.permissions import Action
from intake.storage.models import Role, StaffUser
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint

ROLE_HINTS = {
    Role.VIEWER: "Reads the queue (redacted text), the tracker and reports.",
    Role.REVIEWER: "Also triages, tags, links, replies and sends campaigns.",
    Role.ADMIN: ("Also manages users, the tracker, consultations, the configuration, unredacted text "
                 "and erasure."),
}


def _roles(selected: str | None) -> list[dict[str, object]]:
    return [{"value": role.value, "text": role.value.capitalize(), "hint": {"text": ROLE_HINTS[role]},
             "checked": role.value == selected} for role in Role]


def _user_or_404(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def _shown_once(template: str, **context: object) -> Response:
    """A page with a temporary password on it: never cached, by the browser or anyone between."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/users")
@requires(Action.MANAGE_USERS)
def users() -> str:
    runtime = current_runtime()
    with runtime.sessions() as db:
        rows = user_admin.list_users(db, runtime.intake.clock())
    return render_template("staff/users.html", title="Users", rows=rows, show_moment=show_moment,
                           me=principal().user_id)


@blueprint.route("/users/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def new_user() -> Response | tuple[str, int] | str:
    form = {"email": request.form.get("email", "").strip(),
            "display_name": request.form.get("display_name", "").strip(),
            "role": request.form.get("role", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form["email"]:
            errors["email"] = "Enter their email address"
        if not form["display_name"]:
            errors["display_name"] = "Enter their name"
        if form["role"] not in {role.value for role in Role}:
            errors["role"] = "Choose what they may do"
        if not errors:
            runtime, who = current_runtime(), principal()
            with runtime.sessions() as db:
                try:
                    user, password = user_admin.create_with_temporary_password(
                        db, form["email"], form["display_name"], form["role"],
                        runtime.intake.clock(), actor=who.actor)
                    db.commit()
                    return _shown_once("staff/user_password.html", title="Account created",
                                       user=user, password=password, created=True)
                except AccountError as exc:
                    db.rollback()
                    errors["email"] = str(exc)
    page = render_template("staff/user_new.html", title="Add a user", form=form, errors=errors,
                           roles=_roles(form["role"]))
    return (page, 400) if errors else page


@blueprint.route("/users/<int:user_id>")
@requires(Action.MANAGE_USERS)
def user(user_id: int) -> str:
    runtime = current_runtime()
    with runtime.sessions() as db:
        found = _user_or_404(db, user_id)
        row = next(r for r in user_admin.list_users(db, runtime.intake.clock()) if r.id == found.id)
    return render_template("staff/user.html", title=row.display_name, row=row,
                           roles=_roles(row.role), me=principal().user_id, show_moment=show_moment,
                           error=None)


def _refused(db: Session, user_id: int, error: AccountError) -> tuple[str, int]:
    """The account's page again, saying why the change was not made."""
    db.rollback()
    row = next(r for r in user_admin.list_users(db, current_runtime().intake.clock())
               if r.id == user_id)
    return render_template("staff/user.html", title=row.display_name, row=row,
                           roles=_roles(row.role), me=principal().user_id,
                           show_moment=show_moment, error=str(error)), 400


def _change(user_id: int, change: Callable[[Session, StaffUser], str]) -> Response | tuple[str, int]:
    """Apply one change to an account and go back to it; an AccountError is shown on its page."""
    with current_runtime().sessions() as db:
        found = _user_or_404(db, user_id)
        try:
            done = change(db, found)
        except AccountError as exc:
            return _refused(db, user_id, exc)
        db.commit()
    flash(done)
    return redirect(url_for("staff.user", user_id=user_id))  # type: ignore[return-value]


@blueprint.route("/users/<int:user_id>/role", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_role(user_id: int) -> Response | tuple[str, int]:
    who, now = principal(), current_runtime().intake.clock()

    def change(db: Session, found: StaffUser) -> str:
        user_admin.change_role(db, found, request.form.get("role", ""), now, who.actor, who.user_id)
        return f"{found.display_name} is now a {found.role}."
    return _change(user_id, change)


@blueprint.route("/users/<int:user_id>/active", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_active(user_id: int) -> Response | tuple[str, int]:
    who, now = principal(), current_runtime().intake.clock()
    active = request.form.get("active") == "yes"

    def change(db: Session, found: StaffUser) -> str:
        user_admin.set_active(db, found, active, now, who.actor, who.user_id)
        return (f"{found.display_name} can sign in again." if active else
                f"{found.display_name} can no longer sign in; their sessions have ended.")
    return _change(user_id, change)


@blueprint.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_unlock(user_id: int) -> Response | tuple[str, int]:
    who, now = principal(), current_runtime().intake.clock()

    def change(db: Session, found: StaffUser) -> str:
        user_admin.unlock(db, found, now, who.actor)
        return f"{found.display_name} can try to sign in again now."
    return _change(user_id, change)


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_password(user_id: int) -> Response | tuple[str, int]:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        found = _user_or_404(db, user_id)
        try:
            password = user_admin.reset_password(db, found, runtime.intake.clock(), who.actor,
                                                 who.user_id)
        except AccountError as exc:
            return _refused(db, user_id, exc)
        db.commit()
        return _shown_once("staff/user_password.html", title="Password reset", user=found,
                           password=password, created=False)
