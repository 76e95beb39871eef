"""Users admin: admins only, CSRF on every change, a temporary password shown once, sessions that
end when an account is deactivated or its password reset, never locking out the last admin, and
an audit row for every change."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import AuditEvent, StaffUser
from tests.conftest import FIXED_NOW
from tests.webhooks.staff.conftest import PASSWORD, csrf_token, make_user, sign_in


def user_id(runtime: Runtime, email: str) -> int:
    with runtime.sessions() as session:
        found = session.scalar(select(StaffUser.id).where(StaffUser.email == email))
        assert found is not None
        return found


def load(runtime: Runtime, email: str) -> StaffUser:
    with runtime.sessions() as session:
        return session.get_one(StaffUser, user_id(runtime, email))


def audited(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def post(client: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/account"), **data})


def temporary_password(page: str) -> str:
    found = re.search(r'id="temporary-password">([^<]+)<', page)
    assert found, "no temporary password on the page"
    return found.group(1)


# -- who may open the pages ---------------------------------------------------------------------

def test_strangers_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/staff/users")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("reviewer", 403), ("admin", 200)])
def test_only_admins_manage_users(staff_client: Callable[[str], FlaskClient], runtime: Runtime,
                                  role: str, status: int) -> None:
    client = staff_client(role)
    assert client.get("/staff/users").status_code == status
    assert client.get("/staff/users/new").status_code == status
    other = make_user(runtime, "viewer", "someone@example.org")
    target = user_id(runtime, other)
    assert client.get(f"/staff/users/{target}").status_code == status
    response = post(client, f"/staff/users/{target}/role", role="admin")
    assert response.status_code == (302 if role == "admin" else 403)
    assert load(runtime, other).role == ("admin" if role == "admin" else "viewer")
    # The header shows the page only to those who may open it.
    page = client.get("/staff/account").get_data(as_text=True)
    assert ('href="/staff/users"' in page) == (role == "admin")


def test_every_change_needs_a_csrf_token(staff_client: Callable[[str], FlaskClient],
                                         runtime: Runtime) -> None:
    client = staff_client("admin")
    target = user_id(runtime, make_user(runtime, "viewer", "someone@example.org"))
    for path, data in ((f"/staff/users/{target}/role", {"role": "admin"}),
                       (f"/staff/users/{target}/active", {"active": "no"}),
                       (f"/staff/users/{target}/unlock", {}),
                       (f"/staff/users/{target}/password", {}),
                       ("/staff/users/new", {"email": "new@example.org", "display_name": "New",
                                             "role": "viewer"})):
        assert client.post(path, data=data).status_code == 400, path
    after = load(runtime, "someone@example.org")
    assert (after.role, after.is_active, after.session_version) == ("viewer", True, 1)
    with runtime.sessions() as session:
        assert session.scalar(select(StaffUser).where(StaffUser.email == "new@example.org")) is None


# -- the list -----------------------------------------------------------------------------------

def test_the_list_shows_role_state_last_login_and_lock(staff_client: Callable[[str], FlaskClient],
                                                       runtime: Runtime) -> None:
    client = staff_client("admin")
    make_user(runtime, "reviewer", "locked@example.org")
    with runtime.sessions.begin() as session:
        locked = session.scalars(select(StaffUser).where(StaffUser.email == "locked@example.org")).one()
        locked.locked_until = FIXED_NOW + timedelta(minutes=10)
        locked.is_active = False
    page = client.get("/staff/users").get_data(as_text=True)
    row = page.split(f'id="user-{user_id(runtime, "locked@example.org")}"')[1].split("</tr>")[0]
    assert "Reviewer" in row and "No, deactivated" in row and "Never" in row
    assert "Until 2 November 2026, 10:40" in row
    admin_row = page.split(f'id="user-{user_id(runtime, "admin@example.org")}"')[1].split("</tr>")[0]
    assert "2 November 2026, 10:30" in admin_row and "(you)" in admin_row


# -- creating an account ------------------------------------------------------------------------

def test_a_new_account_gets_a_temporary_password_shown_once(
        app: Flask, staff_client: Callable[[str], FlaskClient], runtime: Runtime) -> None:
    client = staff_client("admin")
    response = post(client, "/staff/users/new", email="New.Person@Example.org",
                    display_name="New Person", role="reviewer")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = temporary_password(response.get_data(as_text=True))
    created = load(runtime, "new.person@example.org")
    assert (created.role, created.display_name) == ("reviewer", "New Person")
    assert password not in created.password_hash
    assert sign_in(app.test_client(), "new.person@example.org", password).status_code == 302
    (event,) = audited(runtime, "staff.user-created")[-1:]
    assert (event.actor, event.entity_id) == ("staff:admin@example.org", str(created.id))
    # The list never shows it again.
    assert password not in client.get("/staff/users").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "", "display_name": "X", "role": "viewer"}, "Enter their email address"),
    ({"email": "not-an-email", "display_name": "X", "role": "viewer"}, "is not an email address"),
    ({"email": "x@example.org", "display_name": "", "role": "viewer"}, "Enter their name"),
    ({"email": "x@example.org", "display_name": "X", "role": "owner"}, "Choose what they may do"),
    ({"email": "ADMIN@example.org", "display_name": "X", "role": "viewer"}, "already an account"),
])
def test_a_new_account_with_problems_is_refused(staff_client: Callable[[str], FlaskClient],
                                                data: dict[str, str], message: str) -> None:
    client = staff_client("admin")
    response = post(client, "/staff/users/new", **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


# -- changing an account ------------------------------------------------------------------------

def test_changing_a_role_is_audited(staff_client: Callable[[str], FlaskClient],
                                    runtime: Runtime) -> None:
    client = staff_client("admin")
    target = user_id(runtime, make_user(runtime, "viewer", "someone@example.org"))
    assert post(client, f"/staff/users/{target}/role", role="reviewer").status_code == 302
    assert load(runtime, "someone@example.org").role == "reviewer"
    (event,) = audited(runtime, "staff.role-changed")
    assert event.details == {"from": "viewer", "to": "reviewer"}
    assert event.actor == "staff:admin@example.org"
    assert post(client, f"/staff/users/{target}/role", role="owner").status_code == 400


def test_deactivating_ends_their_sessions_and_reactivating_lets_them_back(
        app: Flask, staff_client: Callable[[str], FlaskClient], runtime: Runtime) -> None:
    admin = staff_client("admin")
    email = make_user(runtime, "reviewer", "someone@example.org")
    theirs = app.test_client()
    sign_in(theirs, email)
    assert theirs.get("/staff/account").status_code == 200
    target = user_id(runtime, email)

    assert post(admin, f"/staff/users/{target}/active", active="no").status_code == 302
    assert theirs.get("/staff/account").status_code == 302               # signed out
    assert sign_in(app.test_client(), email).status_code == 400          # and cannot come back
    assert audited(runtime, "staff.user-deactivated")[0].entity_id == str(target)

    assert post(admin, f"/staff/users/{target}/active", active="yes").status_code == 302
    assert sign_in(app.test_client(), email).status_code == 302
    assert audited(runtime, "staff.user-reactivated")[0].actor == "staff:admin@example.org"


def test_unlocking_lets_them_try_again_now(app: Flask, staff_client: Callable[[str], FlaskClient],
                                           runtime: Runtime) -> None:
    admin = staff_client("admin")
    email = make_user(runtime, "viewer", "someone@example.org")
    for _ in range(5):
        sign_in(app.test_client(), email, "wrong wrong wrong")
    assert sign_in(app.test_client(), email).status_code == 400
    target = user_id(runtime, email)
    assert "Unlock now" in admin.get(f"/staff/users/{target}").get_data(as_text=True)
    assert post(admin, f"/staff/users/{target}/unlock").status_code == 302
    assert load(runtime, email).locked_until is None
    assert sign_in(app.test_client(), email).status_code == 302
    assert len(audited(runtime, "staff.user-unlocked")) == 1


def test_resetting_a_password_replaces_it_and_ends_their_sessions(
        app: Flask, staff_client: Callable[[str], FlaskClient], runtime: Runtime) -> None:
    admin = staff_client("admin")
    email = make_user(runtime, "reviewer", "someone@example.org")
    theirs = app.test_client()
    sign_in(theirs, email)
    target = user_id(runtime, email)
    response = post(admin, f"/staff/users/{target}/password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = temporary_password(response.get_data(as_text=True))
    assert theirs.get("/staff/account").status_code == 302
    assert sign_in(app.test_client(), email, PASSWORD).status_code == 400
    assert sign_in(app.test_client(), email, password).status_code == 302
    (event,) = audited(runtime, "staff.password-reset")
    assert (event.actor, event.entity_id) == ("staff:admin@example.org", str(target))


def test_an_admin_cannot_lock_themselves_out(staff_client: Callable[[str], FlaskClient],
                                             runtime: Runtime) -> None:
    admin = staff_client("admin")
    me = user_id(runtime, "admin@example.org")
    for path, data in ((f"/staff/users/{me}/active", {"active": "no"}),
                       (f"/staff/users/{me}/role", {"role": "viewer"}),
                       (f"/staff/users/{me}/password", {})):
        response = post(admin, path, **data)
        assert response.status_code == 400, path
        assert "your own" in response.get_data(as_text=True)
    after = load(runtime, "admin@example.org")
    assert (after.role, after.is_active) == ("admin", True)
    assert admin.get("/staff/users").status_code == 200


def test_the_last_active_admin_stays(runtime: Runtime) -> None:
    from intake.staff.accounts import AccountError
    from intake.staff.user_admin import change_role, set_active

    make_user(runtime, "admin", "only@example.org")
    make_user(runtime, "admin", "other@example.org")
    with runtime.sessions.begin() as session:
        only = session.scalars(select(StaffUser).where(StaffUser.email == "only@example.org")).one()
        other = session.scalars(select(StaffUser).where(StaffUser.email == "other@example.org")).one()
        set_active(session, other, False, FIXED_NOW, "cli", acting_user_id=0)
        with pytest.raises(AccountError, match="last active admin"):
            change_role(session, only, "viewer", FIXED_NOW, "cli", acting_user_id=0)
        with pytest.raises(AccountError, match="last active admin"):
            set_active(session, only, False, FIXED_NOW, "cli", acting_user_id=0)


# -- temporary passwords must be changed ------------------------------------------------------

def test_a_temporary_password_must_be_changed_before_anything_else(
        app: Flask, runtime: Runtime, staff_client: Callable[[str], FlaskClient]) -> None:
    admin = staff_client("admin")
    created = admin.post("/staff/users/new", data={
        "csrf_token": csrf_token(admin, "/staff/users/new"), "email": "new.starter@example.org",
        "display_name": "New Starter", "role": "reviewer"})
    password = re.search(r'id="temporary-password">([^<]+)<', created.get_data(as_text=True))
    assert password, created.get_data(as_text=True)
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.starter@example.org", password.group(1)).status_code == 302
    for path in ("/staff/queue", "/staff/tracker", "/staff/reports"):
        response = newcomer.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/account")
    page = newcomer.get("/staff/account").get_data(as_text=True)
    assert "temporary password" in page
    changed = newcomer.post("/staff/account/password", data={
        "csrf_token": csrf_token(newcomer, "/staff/account"), "current_password": password.group(1),
        "new_password": "a long passphrase of my own"})
    assert changed.status_code == 302
    assert sign_in(newcomer, "new.starter@example.org", "a long passphrase of my own").status_code == 302
    assert newcomer.get("/staff/queue").status_code == 200
