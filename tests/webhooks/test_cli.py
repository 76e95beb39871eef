"""`intake serve` without a real server: the options that reach waitress, the app it is given, the
addresses it prints (never a database password), and demo content only for a new database outside
production. (tests/webhooks/test_serve.py runs the real server once.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy.engine import make_url

from intake.cli import main
from intake.demo import DEMO_CONSULTATION_SLUG, DEMO_TRACKER_TITLE
from tests.conftest import database_name, demo_counts, settings_env
from tests.intake.cli.test_commands import run, upgraded
from webhooks import cli
from webhooks.runtime import RUNTIME_KEY

DEMO_LINES = [f"Added demo tracker item: {DEMO_TRACKER_TITLE}.",
              f"Added demo consultation: {DEMO_CONSULTATION_SLUG}."]


class Waitress:
    """Stands in for waitress.serve: keeps what it was asked to serve and returns at once."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def serve(self, app: Flask, **options: Any) -> None:
        # The app is used while the runtime is open, as a real server would.
        options["health"] = app.test_client().get("/healthz").status_code
        self.calls.append({"app": app, **options})


@pytest.fixture
def waitress(monkeypatch: pytest.MonkeyPatch) -> Waitress:
    fake = Waitress()
    monkeypatch.setattr(cli.waitress, "serve", fake.serve)
    return fake


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return upgraded(settings_env(database_url, tmp_path / "instance"))


def serve(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["serve", *args], env=env)


def test_the_options_reach_the_server_with_the_app_for_this_environment(
        env: dict[str, str], waitress: Waitress) -> None:
    result = serve(env, "--host", "0.0.0.0", "--port", "8123", "--threads", "3")
    assert result.exit_code == 0, result.output
    [call] = waitress.calls
    assert (call["host"], call["port"], call["threads"], call["ident"]) == \
        ("0.0.0.0", 8123, 3, "involve-intake")
    assert isinstance(call["app"], Flask)
    assert call["app"].extensions[RUNTIME_KEY].settings.database_url == env["DATABASE_URL"]
    assert call["health"] == 200


def test_the_defaults_are_local_port_8000_and_eight_threads(
        env: dict[str, str], waitress: Waitress) -> None:
    assert serve(env).exit_code == 0
    [call] = waitress.calls
    assert (call["host"], call["port"], call["threads"]) == ("127.0.0.1", 8000, 8)


def test_it_prints_where_everything_is(env: dict[str, str], waitress: Waitress) -> None:
    lines = serve(env, "--port", "8123").output.splitlines()
    start = lines.index("Involve Intake is running (test).")
    assert lines[start + 1:start + 6] == [
        "  Home:     http://127.0.0.1:8123/",
        "  Health:   http://127.0.0.1:8123/healthz",
        "  SMS webhook (Twilio): https://intake.example.test/sms/twilio",
        "  SMS delivery reports: https://intake.example.test/sms/twilio/status",
        f"  Database: {make_url(env['DATABASE_URL']).render_as_string(hide_password=True)}",
    ]
    assert lines[-1] == "Press Ctrl+C to stop."


def test_with_tagging_in_the_worker_it_says_a_worker_must_run(
        env: dict[str, str], waitress: Waitress) -> None:
    assert "intake worker" not in serve(env).output
    result = serve({**env, "INTAKE_TAGGING": "worker"})
    assert result.exit_code == 0, result.output
    assert ("INTAKE_TAGGING=worker: feedback from conversations is tagged when `intake worker` "
            "runs; start it beside this.") in result.output.splitlines()


def test_the_database_password_is_never_printed(
        database_url: str, tmp_path: Path, waitress: Waitress) -> None:
    if database_name(database_url) == "sqlite":
        pytest.skip("an SQLite file has no password")
    with_password = make_url(database_url).set(password="s3cret-pw").render_as_string(
        hide_password=False)
    env = upgraded(settings_env(with_password, tmp_path / "instance"))
    result = serve(env)
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert ":***@" in next(line for line in result.output.splitlines() if "Database:" in line)


def test_a_new_database_gets_the_demo_content_once(env: dict[str, str], waitress: Waitress) -> None:
    first = serve(env).output.splitlines()
    assert first[:2] == DEMO_LINES
    again = serve(env).output.splitlines()
    assert not any(line.startswith("Added demo") for line in again)
    assert demo_counts(env) == (1, 1)


def test_a_database_with_feedback_gets_no_demo_content(env: dict[str, str], waitress: Waitress) -> None:
    run(env, "submit", "--channel", "cli", "--text", "My GP was kind")
    result = serve(env)
    assert "Added demo" not in result.output
    assert demo_counts(env) == (0, 0)


def test_production_never_adds_demo_content(env: dict[str, str], waitress: Waitress) -> None:
    result = serve({**env, "INTAKE_ENV": "production"})
    assert result.exit_code == 0, result.output
    assert "Involve Intake is running (production)." in result.output
    assert "Added demo" not in result.output
    assert demo_counts(env) == (0, 0)


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "65536"], ["--threads", "0"],
                                  ["--threads", "65"], ["--port", "http"]])
def test_a_port_or_thread_count_out_of_range_is_a_usage_error(
        tmp_path: Path, waitress: Waitress, args: list[str]) -> None:
    never = tmp_path / "never.sqlite3"
    result = serve(settings_env(f"sqlite:///{never}", tmp_path / "instance"), *args)
    assert result.exit_code == 2
    assert f"Invalid value for '{args[0]}'" in result.output
    assert waitress.calls == []
    assert not never.exists()


def test_a_database_that_needs_upgrading_is_refused_before_serving(
        database_url: str, tmp_path: Path, waitress: Waitress) -> None:
    result = serve({**settings_env(database_url, tmp_path / "instance"), "INTAKE_ENV": "production"})
    assert result.exit_code == 1
    assert "Run `intake db upgrade` first." in result.output
    assert waitress.calls == []
