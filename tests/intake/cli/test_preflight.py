"""`intake check-config` as an operator runs it: one line per finding, exit 1 on any error."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from intake.cli import main
from tests.conftest import database_name
from tests.intake.test_preflight import closed_port, http_server

CLEARED_PREFIXES = ("DATABASE_URL", "INTAKE_", "SECRET_KEY", "PUBLIC_BASE_URL", "TWILIO_",
                    "TELEGRAM_", "RATELIMIT_", "WEB_CONCURRENCY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from the developer's shell or the CI must not change what the command finds."""
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def ready(database_url: str, engine: Engine) -> dict[str, str]:
    """A migrated database and good secrets, outside production."""
    return {"INTAKE_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": "s" * 64,
            "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "INTAKE_HASH_KEY": "h" * 40,
            "PUBLIC_BASE_URL": "https://feedback.example.nhs.uk"}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["check-config", *args], env=env, catch_exceptions=False)


def test_a_ready_configuration_exits_0(ready: dict[str, str]) -> None:
    result = run(ready)
    assert result.exit_code == 0, result.output
    assert result.output == "The configuration is ready.\n"


def test_production_needs_postgresql(ready: dict[str, str], database_url: str) -> None:
    result = run({**ready, "INTAKE_ENV": "production"})
    if database_name(database_url) == "sqlite":
        assert result.exit_code == 1
        assert "error: DATABASE_URL is SQLite" in result.output
    else:
        assert result.exit_code == 0, result.output


def test_an_error_exits_1_and_each_finding_is_printed(ready: dict[str, str]) -> None:
    result = run({**ready, "INTAKE_ENV": "production", "SECRET_KEY": "", "TELEGRAM_BOT_TOKEN": "1:a"})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("error: SECRET_KEY is not set") for line in lines)
    assert any(line.startswith("error: TELEGRAM_BOT_TOKEN is set without") for line in lines)
    assert lines[-1].endswith("fix the errors before starting.")


def test_warnings_alone_exit_0(ready: dict[str, str]) -> None:
    result = run({**ready, "SECRET_KEY": "short"})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("warning: SECRET_KEY has 5 characters")
    assert result.output.endswith("The configuration is ready (1 warning(s)).\n")


def test_the_workers_option_overrides_web_concurrency(ready: dict[str, str], database_url: str) -> None:
    env = {**ready, "RATELIMIT_STORAGE_URI": "redis://cache:6379", "WEB_CONCURRENCY": "1"}
    result = run(env, "--workers", "4")
    assert result.exit_code == 0, result.output
    assert ("4 web workers share one SQLite file" in result.output) == \
        (database_name(database_url) == "sqlite")
    assert "SQLite" not in run({**env, "WEB_CONCURRENCY": "4"}, "--workers", "1").output


def test_online_against_providers_that_answer(ready: dict[str, str]) -> None:
    with http_server(status=200) as (base, paths):
        env = {**ready, "TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "secret",
               "TELEGRAM_API_BASE_URL": f"{base}/bot", "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
               "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM_NUMBER": "+447700900000",
               "TWILIO_API_BASE_URL": base}
        result = run(env, "--online", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert sorted(paths) == ["/", "/bot"]


def test_online_against_a_provider_that_does_not_answer(ready: dict[str, str]) -> None:
    env = {**ready, "TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "secret",
           "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{closed_port()}/bot"}
    assert run(env).exit_code == 0  # not checked without --online
    result = run(env, "--online", "--timeout", "2")
    assert result.exit_code == 1
    assert "error: Telegram's API at http://127.0.0.1:" in result.output


def test_the_command_is_listed() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "check-config" in result.output
