"""Configuration pages: admins only, CSRF on every post, Check and Save use start-up's checks, a
saved file lands in INTAKE_CONFIG_DIR (loaded from there on the next start) with an audit row,
and problems are shown escaped in the error summary."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.script import PACKAGE_DIR
from intake.bootstrap import Runtime
from intake.config import CONFIG_DIR_VARIABLE, PACKAGE_CONFIG_DIR, editing, load_config
from intake.storage.models import AuditEvent
from tests.conftest import FIXED_NOW
from tests.webhooks.staff.conftest import csrf_token

StaffClient = Callable[[str], FlaskClient]
SHIPPED_PIPELINE = (PACKAGE_CONFIG_DIR / "pipeline.toml").read_text(encoding="utf-8")
CHANGED_PIPELINE = SHIPPED_PIPELINE.replace('quiet_hours = "21:00-08:00"', 'quiet_hours = "20:00-09:00"')
ROUTES = [
    ("GET", "/staff/configuration", {}),
    ("GET", "/staff/configuration/pipeline.toml", {}),
    ("POST", "/staff/configuration/pipeline.toml", {"action": "check", "toml": CHANGED_PIPELINE}),
    ("POST", "/staff/configuration/pipeline.toml", {"action": "save", "toml": CHANGED_PIPELINE}),
]


@pytest.fixture
def override_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "operator-config"
    directory.mkdir()
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(directory))
    return directory


def post(client: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/account"), **data})


def configuration_events(runtime: Runtime) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "configuration.changed").order_by(AuditEvent.id)))


def textarea(page: str) -> str:
    found = re.search(r'<textarea class="nhsuk-textarea[^"]*staff-config-text"[^>]*>(.*?)</textarea>',
                      page, re.S)
    assert found, "no configuration textarea on the page"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_only_admins_reach_any_configuration_route(staff_client: StaffClient, runtime: Runtime,
                                                   override_dir: Path, role: str) -> None:
    client = staff_client(role)
    token = csrf_token(client, "/staff/account")
    for method, path, data in ROUTES:
        response = client.get(path) if method == "GET" else client.post(
            path, data={"csrf_token": token, **data})
        assert response.status_code == 403, f"{method} {path}"
    assert client.get("/staff/configuration/no-such.toml").status_code == 403
    assert list(override_dir.iterdir()) == []
    assert configuration_events(runtime) == []
    assert 'href="/staff/configuration"' not in client.get("/staff/account").get_data(as_text=True)


def test_strangers_are_sent_to_sign_in(client: FlaskClient, override_dir: Path) -> None:
    for method, path, data in ROUTES:
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        assert response.status_code in (302, 400), f"{method} {path}"  # 400: no CSRF token
        if response.status_code == 302:
            assert "/staff/login" in response.headers["Location"]
    assert list(override_dir.iterdir()) == []


def test_the_list_says_where_each_file_comes_from(staff_client: StaffClient,
                                                  override_dir: Path) -> None:
    client = staff_client("admin")
    page = client.get("/staff/configuration").get_data(as_text=True)
    assert 'href="/staff/configuration"' in page                     # in the navigation
    for name in editing.FILES:
        assert f'href="/staff/configuration/{name}"' in page
    assert page.count("Packaged default") == len(editing.FILES)
    assert "18 services" in page and "5 routing rules (5 enabled)" in page
    assert "Quiet hours 21:00-08:00 (Europe/London)" in page
    assert str(override_dir) in page


def test_the_file_page_shows_the_toml_in_a_monospace_textarea(staff_client: StaffClient,
                                                             override_dir: Path) -> None:
    page = staff_client("admin").get("/staff/configuration/needs.toml").get_data(as_text=True)
    assert textarea(page) == (PACKAGE_CONFIG_DIR / "needs.toml").read_text(encoding="utf-8")
    assert 'value="check"' in page and 'value="save"' in page
    assert "style=" not in page.split('id="maincontent"', 1)[1]          # CSP: no inline styles
    assert "the packaged default" in page


def test_an_unknown_file_is_not_found(staff_client: StaffClient, override_dir: Path) -> None:
    client = staff_client("admin")
    for name in ("conversation.toml", "routing.toml.bak", "..%2Fsettings.toml"):
        assert client.get(f"/staff/configuration/{name}").status_code == 404, name
    assert post(client, "/staff/configuration/secrets.toml", action="save",
                toml="x = 1").status_code == 404
    assert list(override_dir.iterdir()) == []


def test_check_finds_no_problem_and_saves_nothing(staff_client: StaffClient, runtime: Runtime,
                                                  override_dir: Path) -> None:
    response = post(staff_client("admin"), "/staff/configuration/pipeline.toml", action="check",
                    toml=CHANGED_PIPELINE.replace("\n", "\r\n"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No problems found" in page and "It has not been saved" in page
    assert textarea(page) == CHANGED_PIPELINE                      # the edit is kept on the page
    assert list(override_dir.iterdir()) == []
    assert configuration_events(runtime) == []


def test_check_names_the_key_in_an_error_summary(staff_client: StaffClient,
                                                 override_dir: Path) -> None:
    broken = CHANGED_PIPELINE.replace("raw_payload_days = 90", "raw_payload_days = 1")
    response = post(staff_client("admin"), "/staff/configuration/pipeline.toml", action="check",
                    toml=broken)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in page
    summary = page.split('class="nhsuk-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary
    assert 'href="#toml"' in summary
    assert "pipeline.toml: retention.raw_payload_days: Input should be greater than or equal to 7" in summary
    assert textarea(page) == broken
    assert list(override_dir.iterdir()) == []


def test_check_reports_a_cross_file_problem(staff_client: StaffClient, override_dir: Path) -> None:
    services = (PACKAGE_CONFIG_DIR / "services.toml").read_text(encoding="utf-8")
    response = post(staff_client("admin"), "/staff/configuration/services.toml", action="check",
                    toml=services.replace("keywords.pl", "keywords.xx", 1))
    assert response.status_code == 400
    assert ("services.toml: services.gp.keywords.xx: language &#39;xx&#39; is not listed in "
            "languages.toml") in response.get_data(as_text=True)


def test_removing_a_language_the_conversation_uses_is_refused(staff_client: StaffClient,
                                                              override_dir: Path) -> None:
    # load_config alone would accept it; the app would then not start (create_app loads the
    # conversation's prompts, one file per language, and checks them against languages.toml).
    assert (PACKAGE_DIR / "prompts" / "pl.toml").is_file()
    languages = (PACKAGE_CONFIG_DIR / "languages.toml").read_text(encoding="utf-8")
    start = languages.index('[[languages]]\ncode = "pl"')
    end = languages.index("[[languages]]", start + 1)
    without_polish = languages[:start] + languages[end:]
    services = (PACKAGE_CONFIG_DIR / "services.toml").read_text(encoding="utf-8")
    services_without_polish = "\n".join(line for line in services.splitlines()
                                        if not line.startswith("keywords.pl"))
    client = staff_client("admin")
    # services.toml names Polish keywords too: save a version without them first.
    assert post(client, "/staff/configuration/services.toml", action="save",
                toml=services_without_polish).status_code == 302
    response = post(client, "/staff/configuration/languages.toml", action="check",
                    toml=without_polish)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "prompts/pl.toml" in page and "is not listed in languages.toml" in page


def test_save_writes_the_override_audits_and_says_when_it_takes_effect(
        staff_client: StaffClient, runtime: Runtime, override_dir: Path) -> None:
    client = staff_client("admin")
    opened = client.get("/staff/configuration/pipeline.toml").get_data(as_text=True)
    based_on = re.search(r'name="based_on" value="([0-9a-f]+)"', opened)
    assert based_on
    response = post(client, "/staff/configuration/pipeline.toml", action="save",
                    toml=CHANGED_PIPELINE.replace("\n", "\r\n"), based_on=based_on.group(1))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/configuration/pipeline.toml")
    saved = override_dir / "pipeline.toml"
    assert saved.read_text(encoding="utf-8") == CHANGED_PIPELINE
    assert load_config(override_dir).campaigns.quiet_hours == "20:00-09:00"
    # Not hot-reloaded: the running service keeps what it started with.
    assert runtime.config.campaigns.quiet_hours == "21:00-08:00"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "takes effect when the service restarts" in page
    assert textarea(page) == CHANGED_PIPELINE
    assert "the override directory" in page
    listing = client.get("/staff/configuration").get_data(as_text=True)
    assert "Quiet hours 20:00-09:00" in listing
    assert "takes effect when the service restarts" in listing     # pending restart tag
    [event] = configuration_events(runtime)
    assert (event.actor, event.entity_type, event.entity_id) == (
        "staff:admin@example.org", "configuration", "pipeline.toml")
    assert event.occurred_at.replace(tzinfo=None) == FIXED_NOW.replace(tzinfo=None)
    assert event.details["old_sha256"] == editing.sha256(SHIPPED_PIPELINE)
    assert event.details["new_sha256"] == editing.sha256(CHANGED_PIPELINE)
    assert event.details["backup"] is None


def test_saving_again_keeps_a_backup_and_refuses_a_stale_edit(
        staff_client: StaffClient, runtime: Runtime, override_dir: Path) -> None:
    client = staff_client("admin")
    stale = editing.sha256(SHIPPED_PIPELINE)
    assert post(client, "/staff/configuration/pipeline.toml", action="save",
                toml=CHANGED_PIPELINE, based_on=stale).status_code == 302
    # Someone opened the file before that save: their save is refused, nothing is lost.
    response = post(client, "/staff/configuration/pipeline.toml", action="save",
                    toml=SHIPPED_PIPELINE, based_on=stale)
    assert response.status_code == 400
    assert "has changed since you opened it" in response.get_data(as_text=True)
    assert (override_dir / "pipeline.toml").read_text(encoding="utf-8") == CHANGED_PIPELINE
    response = post(client, "/staff/configuration/pipeline.toml", action="save",
                    toml=SHIPPED_PIPELINE, based_on=editing.sha256(CHANGED_PIPELINE))
    assert response.status_code == 302
    backup = override_dir / "pipeline.toml.20261102T103000Z.bak"
    assert backup.read_text(encoding="utf-8") == CHANGED_PIPELINE
    assert "pipeline.toml.20261102T103000Z.bak" in client.get(
        "/staff/configuration/pipeline.toml").get_data(as_text=True)
    events = configuration_events(runtime)
    assert [e.details["backup"] for e in events] == [None, backup.name]


def test_an_invalid_save_writes_nothing(staff_client: StaffClient, runtime: Runtime,
                                        override_dir: Path) -> None:
    response = post(staff_client("admin"), "/staff/configuration/pipeline.toml", action="save",
                    toml=SHIPPED_PIPELINE + "\n[unknown]\nx = 1\n")
    assert response.status_code == 400
    assert "pipeline.toml: unknown: Extra inputs are not permitted" in response.get_data(as_text=True)
    assert list(override_dir.iterdir()) == []
    assert configuration_events(runtime) == []


def test_every_post_needs_a_csrf_token(staff_client: StaffClient, runtime: Runtime,
                                       override_dir: Path) -> None:
    client = staff_client("admin")
    for action in ("check", "save"):
        response = client.post("/staff/configuration/pipeline.toml",
                               data={"action": action, "toml": CHANGED_PIPELINE})
        assert response.status_code == 400, action
        response = client.post("/staff/configuration/pipeline.toml",
                               data={"action": action, "toml": CHANGED_PIPELINE,
                                     "csrf_token": "forged"})
        assert response.status_code == 400, action
    assert list(override_dir.iterdir()) == []
    assert configuration_events(runtime) == []


def test_without_an_override_directory_saving_is_explained_and_disabled(
        staff_client: StaffClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_DIR_VARIABLE, raising=False)
    client = staff_client("admin")
    assert "saving needs an override directory" in client.get(
        "/staff/configuration").get_data(as_text=True)
    page = client.get("/staff/configuration/pipeline.toml").get_data(as_text=True)
    assert "Saving needs an override directory" in page and CONFIG_DIR_VARIABLE in page
    save_button = re.search(r'<button[^>]*value="save"[^>]*>', page)
    assert save_button and "disabled" in save_button.group(0)
    # Check still works.
    assert "No problems found" in post(client, "/staff/configuration/pipeline.toml",
                                       action="check", toml=CHANGED_PIPELINE).get_data(as_text=True)
    # A forged save is refused and changes nothing.
    response = post(client, "/staff/configuration/pipeline.toml", action="save",
                    toml=CHANGED_PIPELINE)
    assert response.status_code == 400
    assert CONFIG_DIR_VARIABLE in response.get_data(as_text=True)
    assert (PACKAGE_CONFIG_DIR / "pipeline.toml").read_text(encoding="utf-8") == SHIPPED_PIPELINE
    assert configuration_events(runtime) == []


def test_problems_are_shown_escaped(staff_client: StaffClient, override_dir: Path) -> None:
    services = (PACKAGE_CONFIG_DIR / "services.toml").read_text(encoding="utf-8")
    hostile = services.replace('id = "gp"', 'id = "<script>alert(1)</script>"', 1)
    response = post(staff_client("admin"), "/staff/configuration/services.toml", action="check",
                    toml=hostile)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "services.toml: services.0.id:" in page
    assert textarea(page) == hostile                  # the text itself survives, escaped


def test_the_app_still_starts_with_a_saved_configuration(
        staff_client: StaffClient, runtime: Runtime, override_dir: Path, app: Flask) -> None:
    client = staff_client("admin")
    for name in editing.FILES:
        text = (PACKAGE_CONFIG_DIR / name).read_text(encoding="utf-8")
        assert post(client, f"/staff/configuration/{name}", action="save",
                    toml=text).status_code == 302, name
    assert sorted(p.name for p in override_dir.iterdir()) == sorted(editing.FILES)
    assert load_config(override_dir).language_codes == runtime.config.language_codes
