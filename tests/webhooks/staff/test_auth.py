"""The checks every staff page goes through: the signed-in principal and its session id, loading it
back (and refusing stale or malformed ids), session limits, role checks, and where strangers go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.staff.permissions import Action
from intake.storage.models import StaffUser
from tests.webhooks.staff.conftest import make_user, sign_in
from webhooks import create_app
from webhooks.staff.auth import StaffPrincipal, client_address, load_principal


def user_of(runtime: Runtime, email: str) -> StaffUser:
    with runtime.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        return user


def signed_in_client(app: Flask, runtime: Runtime, role: str = "viewer") -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, make_user(runtime, role)).status_code == 302
    return client


# -- the principal ------------------------------------------------------------------------------

def test_the_principal_carries_the_account_and_names_it_for_the_audit_log(runtime: Runtime) -> None:
    user = user_of(runtime, make_user(runtime, "reviewer"))
    who = StaffPrincipal(user)
    assert who.get_id() == f"{user.id}:{user.session_version}"
    assert who.actor == "staff:reviewer@example.org"
    assert (who.email, who.role, who.display_name, who.must_change_password) == \
        ("reviewer@example.org", "reviewer", "Test reviewer", False)


@pytest.mark.parametrize(("role", "allowed"), [
    ("viewer", {Action.READ_QUEUE, Action.USE_API}),
    ("reviewer", {Action.READ_QUEUE, Action.USE_API, Action.TRIAGE, Action.REPLY}),
])
def test_the_principal_can_do_what_its_role_allows(runtime: Runtime, role: str,
                                                   allowed: set[Action]) -> None:
    who = StaffPrincipal(user_of(runtime, make_user(runtime, role)))
    for action in allowed:
        assert who.can(action) and who.can(action.value)
    assert not who.can(Action.MANAGE_CONFIGURATION)
    with pytest.raises(ValueError):
        who.can("fly-the-plane")


def test_an_admin_can_do_everything(runtime: Runtime) -> None:
    who = StaffPrincipal(user_of(runtime, make_user(runtime, "admin")))
    assert all(who.can(action) for action in Action)


# -- loading the principal back from the session ------------------------------------------------

def test_a_session_id_loads_the_account_while_it_is_current(app: Flask, runtime: Runtime) -> None:
    user = user_of(runtime, make_user(runtime, "viewer"))
    with app.app_context():
        loaded = load_principal(f"{user.id}:{user.session_version}")
        assert loaded is not None and loaded.email == user.email
        assert load_principal(f"{user.id}:{user.session_version + 1}") is None  # password changed
        assert load_principal(f"{user.id + 1000}:1") is None                     # no such account
    with runtime.sessions.begin() as session:
        session.get_one(StaffUser, user.id).is_active = False
    with app.app_context():
        assert load_principal(f"{user.id}:{user.session_version}") is None       # deactivated


def test_a_malformed_session_id_loads_nobody(app: Flask, runtime: Runtime) -> None:
    make_user(runtime, "admin")  # account 1, session version 1
    with app.app_context():
        assert load_principal("1:1") is not None
        for session_id in ("", ":", "1", "1:", ":1", "x:1", "1:x", "-1:1", "1:-1", "1.0:1", "1:1:1",
                           "1 :1", " 1:1"):
            assert load_principal(session_id) is None, session_id


# -- session limits -----------------------------------------------------------------------------

def test_the_defaults_are_thirty_idle_minutes_and_ten_hours(app: Flask) -> None:
    assert app.config["STAFF_IDLE_MINUTES"] == 30
    assert app.config["STAFF_SESSION_HOURS"] == 10
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(0)


def test_a_session_ends_after_the_days_limit_even_when_busy(app: Flask, runtime: Runtime) -> None:
    client = signed_in_client(app, runtime)
    with client.session_transaction() as session:
        session["staff_started"] -= 10 * 3600 + 60
    response = client.get("/staff/account")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "staff_started" not in session and "staff_seen" not in session


def test_the_idle_limit_is_the_configured_one(runtime: Runtime) -> None:
    app = create_app({"TESTING": True, "STAFF_IDLE_MINUTES": 5}, runtime=runtime)
    client = signed_in_client(app, runtime)
    with client.session_transaction() as session:
        session["staff_seen"] -= 4 * 60
        seen_before = session["staff_seen"]
    assert client.get("/staff/account").status_code == 200
    with client.session_transaction() as session:
        assert session["staff_seen"] > seen_before  # each request restarts the idle clock
        session["staff_seen"] -= 6 * 60
    assert client.get("/staff/account").status_code == 302


def test_the_session_cookie_lasts_no_longer_than_the_days_limit(runtime: Runtime) -> None:
    app = create_app({"TESTING": True, "STAFF_SESSION_HOURS": 2}, runtime=runtime)
    client = app.test_client()
    response = sign_in(client, make_user(runtime, "viewer"))
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    expires = next(part.split("=", 1)[1] for part in cookie.split("; ")
                   if part.lower().startswith("expires="))
    assert parsedate_to_datetime(expires) <= datetime.now(UTC) + timedelta(hours=2, minutes=1)


def test_a_session_used_from_another_browser_is_ended(app: Flask, runtime: Runtime) -> None:
    """Session protection is strong: a changed user agent is not the same person's browser."""
    client = signed_in_client(app, runtime)
    assert client.get("/staff/account").status_code == 200
    response = client.get("/staff/account", headers={"User-Agent": "Another browser/1.0"})
    assert response.status_code == 302


# -- where people are sent ----------------------------------------------------------------------

def test_strangers_are_sent_to_sign_in_with_a_note_and_a_way_back(client: FlaskClient) -> None:
    response = client.get("/staff/queue")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=%2Fstaff%2Fqueue"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in to use the engagement workspace." in page


def test_a_role_without_the_action_is_forbidden(app: Flask, runtime: Runtime) -> None:
    client = signed_in_client(app, runtime, "viewer")
    assert client.get("/staff/users").status_code == 403
    assert client.get("/staff/queue").status_code == 200


def test_a_temporary_password_sends_you_to_your_account_with_a_note(
        app: Flask, runtime: Runtime) -> None:
    client = signed_in_client(app, runtime, "admin")
    with runtime.sessions.begin() as session:
        session.scalars(select(StaffUser)).one().must_change_password = True
    response = client.get("/staff/users")  # an admin page: the note comes before the role check
    assert response.status_code == 302 and response.headers["Location"] == "/staff/account"
    page = client.get("/staff/account").get_data(as_text=True)
    assert "Choose a new password before you go on: the one you have was temporary." in page


# -- the caller's address -----------------------------------------------------------------------

def test_the_client_address_is_the_remote_address_or_unknown(app: Flask) -> None:
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        assert client_address() == "203.0.113.9"
    with app.test_request_context(environ_base={"REMOTE_ADDR": ""}):
        assert client_address() == "unknown"
