"""webhooks.staff.blueprint: every workspace page hangs under /staff, refuses strangers, and
shares one guard: sessions end when idle or too old, every state-changing request carries a CSRF
token, and text with a NUL character (which PostgreSQL cannot store) is refused with a message."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import Settings
from intake.storage.models import StaffUser
from tests.conftest import settings_env
from tests.webhooks.staff.conftest import csrf_token, make_user, sign_in
from webhooks import create_app
from webhooks.staff.blueprint import blueprint

NUL_MESSAGE = "invisible control character (NUL)"
SIGN_IN_PAGES = {"staff.login", "staff.logout"}


@pytest.fixture(scope="module")
def workspace(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on a database with no tables: a request that got past the guard to a view that
    reads records would be answered 503, so what is checked here is the guard's own answer."""
    instance = tmp_path_factory.mktemp("staff-blueprint")
    settings = Settings.from_env(settings_env(f"sqlite:///{instance / 'empty.sqlite3'}", instance))
    return create_app({"TESTING": True}, runtime=build_runtime(settings=settings, config=config))


def staff_rules(app: Flask, method: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("staff.") and rule.methods and method in rule.methods]


def example_path(rule: Rule) -> str:
    return re.sub(r"<[^>]+>", "x", re.sub(r"<int:[^>]+>", "1", rule.rule))


def test_the_blueprint_is_named_staff_under_staff() -> None:
    assert (blueprint.name, blueprint.url_prefix) == ("staff", "/staff")


def test_every_workspace_route_is_under_staff(workspace: Flask) -> None:
    rules = [rule for rule in workspace.url_map.iter_rules() if rule.endpoint.startswith("staff.")]
    assert len(rules) > 20
    assert all(rule.rule.startswith("/staff/") for rule in rules)


def test_every_page_sends_a_stranger_to_sign_in_and_back(workspace: Flask) -> None:
    client = workspace.test_client()
    pages = [rule for rule in staff_rules(workspace, "GET") if rule.endpoint not in SIGN_IN_PAGES]
    assert pages
    for rule in pages:
        path = example_path(rule)
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login?next="), path


def test_every_change_without_a_csrf_token_is_refused_before_anything_else(
        workspace: Flask) -> None:
    client = workspace.test_client()
    for rule in staff_rules(workspace, "POST"):
        response = client.post(example_path(rule), data={"confirm": "yes"})
        assert response.status_code == 400, rule.rule
        assert "Your session has expired" in response.get_data(as_text=True), rule.rule


def test_with_a_token_a_stranger_s_change_is_sent_to_sign_in(workspace: Flask) -> None:
    client = workspace.test_client()
    token = csrf_token(client)
    for rule in staff_rules(workspace, "POST"):
        if rule.endpoint in SIGN_IN_PAGES:
            continue
        response = client.post(example_path(rule), data={"csrf_token": token})
        assert response.status_code == 302, rule.rule
        assert "/staff/login" in response.headers["Location"]


def test_reading_methods_need_no_token(workspace: Flask) -> None:
    client = workspace.test_client()
    assert client.head("/staff/login").status_code == 200
    response = client.options("/staff/queue/bulk")
    assert response.status_code == 200 and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_character_is_refused_with_a_message_not_a_failure(workspace: Flask,
                                                                  field: str) -> None:
    client = workspace.test_client()
    data = {"csrf_token": csrf_token(client), "email": "viewer@example.org", "password": "pass"}
    data[field] += "\x00"
    response = client.post("/staff/login", data=data)
    assert response.status_code == 400                               # not the view's 503
    assert NUL_MESSAGE in response.get_data(as_text=True)


def test_a_nul_character_in_a_signed_in_change_saves_nothing(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime) -> None:
    client = staff_client("admin")
    token = csrf_token(client, "/staff/account")
    response = client.post("/staff/users/new", data={
        "csrf_token": token, "email": "new@example.test", "display_name": "New\x00Person",
        "role": "viewer"})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1
    assert client.get("/staff/account").status_code == 200            # still signed in


def test_a_session_older_than_the_day_s_limit_ends_even_if_busy(app: Flask,
                                                                runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "reviewer"))
    assert client.get("/staff/account").status_code == 200
    with client.session_transaction() as session:
        session["staff_started"] -= 10 * 3600 + 60                   # seen just now, begun 10h ago
    page = client.get("/staff/login")
    assert page.status_code == 200
    assert "You were signed out because the workspace was not used" in page.get_data(as_text=True)
    assert client.get("/staff/account").status_code == 302


def test_a_session_within_its_limits_carries_on(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "viewer"))
    with client.session_transaction() as session:
        session["staff_seen"] -= 29 * 60
        session["staff_started"] -= 9 * 3600
    assert client.get("/staff/account").status_code == 200
    with client.session_transaction() as session:
        assert session["staff_seen"] > session["staff_started"] + 9 * 3600 - 1   # seen again
