"""webhooks.staff.templating: the helpers the workspace templates call, error_list (errors in the
NHS.UK error summary's shape) and staff_navigation, and that the pages really render them."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_login import login_user

from intake.bootstrap import build_runtime
from intake.config import Config
from intake.settings import Settings
from intake.storage.models import StaffUser
from tests.conftest import settings_env
from tests.webhooks.forms.conftest import Page
from tests.webhooks.staff.conftest import csrf_token
from webhooks import create_app
from webhooks.staff.auth import StaffPrincipal
from webhooks.staff.navigation import navigation
from webhooks.staff.templating import error_list, init_templating


@pytest.fixture(scope="module")
def workspace(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on a database it never opens: nothing here reads records."""
    instance = tmp_path_factory.mktemp("templating")
    settings = Settings.from_env(settings_env(f"sqlite:///{instance / 'unused.sqlite3'}", instance))
    return create_app({"TESTING": True}, runtime=build_runtime(settings=settings, config=config))


def test_errors_become_summary_items_linking_to_their_fields_in_order() -> None:
    errors = {"password": "Enter your password", "email": "Enter your email address"}
    assert error_list(errors) == [
        {"text": "Enter your password", "href": "#password"},
        {"text": "Enter your email address", "href": "#email"}]
    assert error_list({}) == []


def test_init_templating_gives_templates_both_helpers() -> None:
    app = Flask(__name__)
    init_templating(app)
    assert app.jinja_env.globals["error_list"] is error_list
    assert app.jinja_env.globals["staff_navigation"] is navigation
    with app.test_request_context():
        rendered = render_template_string(
            "{% for e in error_list(errors) %}{{ e.href }}={{ e.text }};{% endfor %}",
            errors={"title": "Enter a title", "opens": "Too <early>"})
    assert rendered == "#title=Enter a title;#opens=Too &lt;early&gt;;"


def test_templates_render_the_navigation_for_the_signed_in_person(workspace: Flask) -> None:
    admin = StaffUser(id=3, email="admin@example.org", display_name="Test admin", role="admin",
                      session_version=1, must_change_password=False)
    with workspace.test_request_context("/staff/users"):
        login_user(StaffPrincipal(admin))
        rendered = render_template_string(
            "{% for i in staff_navigation() %}{{ i.text }}{{ '*' if i.current }}|{% endfor %}")
    assert rendered == ("Feedback queue|Tracker|Consultations|Reports|Users*|Configuration|"
                        "Privacy|")


def test_a_page_s_error_summary_links_to_the_fields(workspace: Flask) -> None:
    client = workspace.test_client()
    token = csrf_token(client)
    page = Page.of(client.post("/staff/login",
                               data={"csrf_token": token, "email": " ", "password": ""}))
    assert page.status == 400
    assert page.error_summary() == [("#email", "Enter your email address"),
                                    ("#password", "Enter your password")]
    assert page.root.by_id("email").tag == page.root.by_id("password").tag == "input"


def test_a_signed_out_page_has_no_navigation(workspace: Flask) -> None:
    html = workspace.test_client().get("/staff/login").get_data(as_text=True)
    assert "/staff/queue" not in html and "Sign in" in html
