"""webhooks.staff.navigation: the top navigation lists only pages that exist and that the
signed-in person's role may open, in a fixed order, marking the one they are on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_login import login_user

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import Settings
from intake.storage.models import StaffUser
from tests.conftest import settings_env
from tests.webhooks.staff.conftest import make_user, sign_in
from webhooks import create_app
from webhooks.staff.auth import StaffPrincipal
from webhooks.staff.navigation import PAGES, navigation

EVERYONE = ["/staff/queue", "/staff/tracker", "/staff/consultations", "/staff/reports"]
ADMIN_ONLY = ["/staff/users", "/staff/configuration", "/staff/privacy"]


@pytest.fixture(scope="module")
def workspace(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on a database it never opens: building the navigation reads no records."""
    instance = tmp_path_factory.mktemp("navigation")
    settings = Settings.from_env(settings_env(f"sqlite:///{instance / 'unused.sqlite3'}", instance))
    return create_app({"TESTING": True}, runtime=build_runtime(settings=settings, config=config))


@contextmanager
def signed_in(app: Flask, role: str, path: str = "/staff/") -> Iterator[None]:
    user = StaffUser(id=7, email=f"{role}@example.org", display_name=f"Test {role}", role=role,
                     session_version=1, must_change_password=False)
    with app.test_request_context(path):
        login_user(StaffPrincipal(user))
        yield


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_viewers_and_reviewers_see_the_four_reading_pages(workspace: Flask, role: str) -> None:
    with signed_in(workspace, role):
        items = navigation()
    assert [item["href"] for item in items] == EVERYONE
    assert [item["text"] for item in items] == ["Feedback queue", "Tracker", "Consultations",
                                                "Reports"]


def test_admins_see_every_page_in_order(workspace: Flask) -> None:
    with signed_in(workspace, "admin"):
        items = navigation()
    assert [item["href"] for item in items] == EVERYONE + ADMIN_ONLY
    assert [item["text"] for item in items] == [label for _, label, _ in PAGES]


@pytest.mark.parametrize(("path", "current"), [
    ("/staff/queue", "/staff/queue"),
    ("/staff/tracker/12/edit", "/staff/tracker"),                # a page below one is within it
    ("/staff/consultations/new", "/staff/consultations"),
    ("/staff/account", None),                                    # not in the navigation
])
def test_the_page_you_are_on_is_marked_current(workspace: Flask, path: str,
                                               current: str | None) -> None:
    with signed_in(workspace, "admin", path):
        marked = [item["href"] for item in navigation() if item["current"]]
    assert marked == ([current] if current else [])


def test_a_page_that_is_not_installed_is_left_out(workspace: Flask,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(workspace.view_functions, "staff.reports")
    monkeypatch.delitem(workspace.view_functions, "staff.privacy")
    with signed_in(workspace, "admin"):
        hrefs = [item["href"] for item in navigation()]
    assert hrefs == ["/staff/queue", "/staff/tracker", "/staff/consultations", "/staff/users",
                     "/staff/configuration"]


def test_the_header_shows_a_viewer_only_their_pages(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "viewer"))
    header = client.get("/staff/queue").get_data(as_text=True).split('id="maincontent"')[0]
    assert all(f'href="{href}"' in header for href in EVERYONE)
    assert not any(f'href="{href}"' in header for href in ADMIN_ONLY)
