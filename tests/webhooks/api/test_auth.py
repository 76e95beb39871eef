"""webhooks.api.auth: reading the bearer token, what the rate limit counts by, and who is calling
(401 without a token or with an unknown one, 403 for a role the action is not allowed)."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.staff.accounts import issue_api_token, token_hash
from intake.staff.permissions import Action
from intake.storage.models import StaffUser
from tests.conftest import FIXED_NOW
from tests.webhooks.staff.conftest import make_user
from webhooks.api.auth import REALM, ApiCaller, authenticate, bearer_token, caller_key
from webhooks.api.errors import ApiProblem

TOKEN = "ii_" + "t" * 43


def issue_token(runtime: Runtime, role: str) -> tuple[int, str]:
    email = make_user(runtime, role)
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        return user.id, issue_api_token(session, user, FIXED_NOW, actor="test")


def problem_from(app: Flask, headers: dict[str, str], *actions: Action) -> ApiProblem:
    with (app.test_request_context("/api/v1/feedback", headers=headers),
          pytest.raises(ApiProblem) as raised):
        authenticate(*actions)
    return raised.value


# -- bearer_token ------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "token"), [
    (f"Bearer {TOKEN}", TOKEN),
    (f"bearer {TOKEN}", TOKEN),              # the scheme is case-insensitive (RFC 7235)
    (f"BEARER   {TOKEN}  ", TOKEN),          # spaces around the token are not part of it
])
def test_the_token_is_read_from_a_bearer_header(header: str, token: str) -> None:
    with Flask(__name__).test_request_context(headers={"Authorization": header}):
        assert bearer_token() == token


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer    ", TOKEN, f"Basic {TOKEN}", f"Token {TOKEN}", f"Bearer{TOKEN}",
])
def test_anything_but_a_bearer_token_is_no_token(header: str) -> None:
    with Flask(__name__).test_request_context(headers={"Authorization": header}):
        assert bearer_token() is None


def test_no_authorization_header_is_no_token() -> None:
    with Flask(__name__).test_request_context():
        assert bearer_token() is None


# -- caller_key ------------------------------------------------------------------------------
def test_the_rate_limit_counts_by_a_hash_of_the_token_never_the_token() -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={"Authorization": f"Bearer {TOKEN}"},
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        key = caller_key()
    assert key == f"token:{token_hash(TOKEN)[:32]}"
    assert TOKEN not in key and "192.0.2.7" not in key
    with app.test_request_context(headers={"Authorization": f"Bearer {TOKEN}x"},
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert caller_key() != key                                   # each token its own count


def test_without_a_token_the_rate_limit_counts_by_address() -> None:
    app = Flask(__name__)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert caller_key() == "address:192.0.2.7"
    with app.test_request_context(headers={"Authorization": "Basic dXNlcjpwYXNz"},
                                  environ_base={"REMOTE_ADDR": "198.51.100.1"}):
        assert caller_key() == "address:198.51.100.1"


# -- authenticate ------------------------------------------------------------------------------
def test_a_valid_token_names_its_member_of_staff(app: Flask, runtime: Runtime) -> None:
    user_id, token = issue_token(runtime, "reviewer")
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        caller = authenticate(Action.USE_API, Action.READ_QUEUE)
    assert caller == ApiCaller(user_id, "reviewer@example.org", "reviewer")
    assert caller.actor == "staff:reviewer@example.org"


def test_no_token_is_401_with_a_plain_bearer_challenge(app: Flask) -> None:
    problem = problem_from(app, {})
    assert (problem.status, problem.code, problem.parameter) == (401, "unauthorised", None)
    assert problem.headers == {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
    assert "account page" in problem.message


@pytest.mark.parametrize("token", [TOKEN, "not-one-of-ours"])
def test_an_unknown_token_is_401_invalid_token(app: Flask, runtime: Runtime, token: str) -> None:
    issue_token(runtime, "viewer")
    problem = problem_from(app, {"Authorization": f"Bearer {token}"})
    assert (problem.status, problem.code) == (401, "invalid-token")
    assert problem.headers == {
        "WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'}


def test_the_actions_asked_for_decide_who_is_refused(app: Flask, runtime: Runtime) -> None:
    _, viewer = issue_token(runtime, "viewer")
    headers = {"Authorization": f"Bearer {viewer}"}
    with app.test_request_context(headers=headers):
        assert authenticate().role == "viewer"                      # no action: any valid token
        assert authenticate(Action.USE_API).role == "viewer"
    problem = problem_from(app, headers, Action.USE_API, Action.MANAGE_USERS)
    assert (problem.status, problem.code) == (403, "forbidden")
    assert "Your role (viewer) may not use the API" in problem.message
    assert 'error="insufficient_scope"' in problem.headers["WWW-Authenticate"]


def test_an_admin_passes_every_check(app: Flask, runtime: Runtime) -> None:
    _, admin = issue_token(runtime, "admin")
    with app.test_request_context(headers={"Authorization": f"Bearer {admin}"}):
        assert authenticate(*Action).email == "admin@example.org"


def test_refusals_are_logged_without_the_token_or_the_address(
        app: Flask, runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    user_id, viewer = issue_token(runtime, "viewer")
    caplog.set_level(logging.WARNING, logger="webhooks.api.auth")
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"Authorization": f"Bearer {viewer}"}):
        with (app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.7"}),
              pytest.raises(ApiProblem)):
            authenticate(Action.MANAGE_USERS)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) == 2
    assert f"staff user {user_id} (role viewer)" in logged
    assert TOKEN not in logged and viewer not in logged and "192.0.2.7" not in logged
