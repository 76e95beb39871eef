"""Shared fixtures for the workspace: accounts of each role and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from intake.staff.accounts import create_user
from tests.conftest import FIXED_NOW

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "reviewer", "admin")


def make_user(runtime: Runtime, role: str, email: str | None = None) -> str:
    email = email or f"{role}@example.org"
    with runtime.sessions.begin() as session:
        create_user(session, email, role, PASSWORD, FIXED_NOW, display_name=f"Test {role}")
    return email


def csrf_token(client: FlaskClient, path: str = "/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


@pytest.fixture
def staff_client(app: Flask, runtime: Runtime) -> Callable[[str], FlaskClient]:
    """A test client signed in with a new account of the given role."""
    def make(role: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, make_user(runtime, role))
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return make
