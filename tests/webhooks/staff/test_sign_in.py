"""Signing in and out of the workspace: passwords, lockout, CSRF, sessions ending."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import AuditEvent, StaffUser
from tests.webhooks.staff.conftest import PASSWORD, csrf_token, make_user, sign_in


def test_staff_pages_send_strangers_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/staff/account")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_signing_in_with_the_right_password_opens_the_workspace(client: FlaskClient,
                                                                 runtime: Runtime) -> None:
    email = make_user(runtime, "reviewer")
    response = sign_in(client, email.upper())
    assert response.status_code == 302
    page = client.get("/staff/account").get_data(as_text=True)
    assert "reviewer@example.org" in page and "reviewer" in page
    with runtime.sessions() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "staff.login"))


def test_a_wrong_password_is_refused_with_one_message_for_every_reason(
        client: FlaskClient, runtime: Runtime) -> None:
    email = make_user(runtime, "viewer")
    wrong = sign_in(client, email, "not the password at all")
    unknown = sign_in(client, "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)
    assert "Enter a correct email address and password" in unknown.get_data(as_text=True)
    assert client.get("/staff/account").status_code == 302


def test_five_wrong_passwords_lock_the_account(client: FlaskClient, runtime: Runtime) -> None:
    email = make_user(runtime, "viewer")
    for _ in range(5):
        sign_in(client, email, "guess guess guess")
    assert sign_in(client, email).status_code == 400    # even the right password, for now
    with runtime.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None and user.locked_until is not None


def test_sign_in_without_a_csrf_token_is_refused(client: FlaskClient, runtime: Runtime) -> None:
    email = make_user(runtime, "viewer")
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/account").status_code == 302


def test_a_next_link_to_another_site_is_ignored(client: FlaskClient, runtime: Runtime) -> None:
    email = make_user(runtime, "viewer")
    token = csrf_token(client)
    response = client.post("/staff/login?next=//evil.example/steal",
                           data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert "evil.example" not in response.headers["Location"]


def test_signing_out_ends_the_session(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "admin"))
    token = csrf_token(client, "/staff/logout")
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/account").status_code == 302


def test_an_idle_session_ends(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "admin"))
    with client.session_transaction() as session:
        session["staff_seen"] -= 31 * 60
    assert client.get("/staff/account").status_code == 302


def test_changing_the_password_ends_other_sessions(app: Flask, runtime: Runtime) -> None:
    email = make_user(runtime, "reviewer")
    first, second = app.test_client(), app.test_client()
    sign_in(first, email)
    sign_in(second, email)
    token = csrf_token(first, "/staff/account")
    response = first.post("/staff/account/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "a much newer passphrase"})
    assert response.status_code == 302
    assert second.get("/staff/account").status_code == 302
    assert sign_in(app.test_client(), email, "a much newer passphrase").status_code == 302


def test_an_api_token_is_shown_once_and_stored_hashed(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    email = make_user(runtime, "viewer")
    sign_in(client, email)
    token = csrf_token(client, "/staff/account")
    page = client.post("/staff/account/api-token", data={"csrf_token": token}).get_data(as_text=True)
    assert 'id="api-token">ii_' in page
    shown = page.split('id="api-token">')[1].split("<")[0]
    with runtime.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None and user.api_token_hash and shown not in user.api_token_hash
