"""Your own account page: changing your password (each refusal, and what a change does to this
session) and the API token button (the token shown works, a new one replaces it)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import AuditEvent, StaffUser
from tests.webhooks.forms.conftest import Page
from tests.webhooks.staff.conftest import PASSWORD, csrf_token, make_user, sign_in

NEW_PASSWORD = "a brand new passphrase"
API = "/api/v1/feedback"


def signed_in(app: Flask, runtime: Runtime, role: str = "reviewer") -> tuple[FlaskClient, str]:
    client = app.test_client()
    email = make_user(runtime, role)
    assert sign_in(client, email).status_code == 302
    return client, email


def change(client: FlaskClient, current: str, new: str):  # type: ignore[no-untyped-def]
    return client.post("/staff/account/password", data={
        "csrf_token": csrf_token(client, "/staff/account"), "current_password": current,
        "new_password": new})


def new_token(client: FlaskClient) -> str:
    response = client.post("/staff/account/api-token",
                           data={"csrf_token": csrf_token(client, "/staff/account")})
    assert response.status_code == 200
    found = re.search(r'id="api-token">([^<]+)<', response.get_data(as_text=True))
    assert found, "no token shown"
    return found.group(1)


def test_the_page_shows_who_you_are_and_no_token(app: Flask, runtime: Runtime) -> None:
    client, email = signed_in(app, runtime)
    page = client.get("/staff/account").get_data(as_text=True)
    assert email in page
    assert 'id="api-token"' not in page


def test_a_wrong_current_password_is_refused_and_counted_as_a_failed_sign_in(
        app: Flask, runtime: Runtime) -> None:
    client, email = signed_in(app, runtime)
    response = change(client, "not my password at all", NEW_PASSWORD)
    assert response.status_code == 400
    assert Page.of(response).inline_errors() == {
        "current_password": "Your current password is not right"}
    assert client.get("/staff/account").status_code == 200  # still signed in
    with runtime.sessions() as session:
        user = session.scalars(select(StaffUser)).one()
        assert user.failed_logins == 1
        assert session.scalars(select(AuditEvent.action)
                               .where(AuditEvent.action == "staff.login-failed")).all() \
            == ["staff.login-failed"]
    assert sign_in(app.test_client(), email, PASSWORD).status_code == 302  # unchanged


def test_a_new_password_that_is_too_weak_is_refused_with_the_reason(
        app: Flask, runtime: Runtime) -> None:
    client, email = signed_in(app, runtime)
    for new, reason in (("short", "The password must be at least 12 characters long."),
                        ("reviewer plus more words", "The password must not contain the email address.")):
        response = change(client, PASSWORD, new)
        assert response.status_code == 400
        assert Page.of(response).inline_errors() == {"new_password": reason}
    assert client.get("/staff/account").status_code == 200
    assert sign_in(app.test_client(), email, PASSWORD).status_code == 302


def test_a_change_signs_you_out_and_says_so_on_the_sign_in_page(
        app: Flask, runtime: Runtime) -> None:
    client, email = signed_in(app, runtime)
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    page = client.get("/staff/login").get_data(as_text=True)
    assert "Your password has been changed. Sign in with the new one." in page
    assert client.get("/staff/account").status_code == 302
    assert sign_in(app.test_client(), email, PASSWORD).status_code == 400
    assert sign_in(app.test_client(), email, NEW_PASSWORD).status_code == 302


def test_the_token_shown_opens_the_api_and_a_new_one_replaces_it(
        app: Flask, runtime: Runtime) -> None:
    client, _ = signed_in(app, runtime, "viewer")
    first = new_token(client)
    api = app.test_client()
    assert api.get(API, headers={"Authorization": f"Bearer {first}"}).status_code == 200
    second = new_token(client)
    assert second != first
    assert api.get(API, headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert api.get(API, headers={"Authorization": f"Bearer {second}"}).status_code == 200
    with runtime.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("staff.api-token%"))).all()
        assert len(actions) == 2


def test_strangers_get_no_token_and_no_password_change(app: Flask, runtime: Runtime) -> None:
    make_user(runtime, "admin")
    client = app.test_client()
    token = csrf_token(client)
    for path in ("/staff/account/api-token", "/staff/account/password"):
        response = client.post(path, data={"csrf_token": token, "current_password": PASSWORD,
                                           "new_password": NEW_PASSWORD})
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]
    with runtime.sessions() as session:
        assert session.scalars(select(StaffUser.api_token_hash)).one() is None
    assert sign_in(app.test_client(), "admin@example.org", PASSWORD).status_code == 302


def test_a_temporary_password_must_be_changed_before_a_token_is_issued(
        app: Flask, runtime: Runtime) -> None:
    client, _ = signed_in(app, runtime, "viewer")
    with runtime.sessions.begin() as session:
        session.scalars(select(StaffUser)).one().must_change_password = True
    response = client.post("/staff/account/api-token",
                           data={"csrf_token": csrf_token(client, "/staff/account")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/account"
    with runtime.sessions() as session:
        assert session.scalars(select(StaffUser.api_token_hash)).one() is None
