"""A database that is down or not migrated gives 503 on every route; other bugs stay 500s."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import Settings
from intake.storage.database import make_engine
from tests.webhooks.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, PATIENT, SERVICE_NUMBER, build_channel
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings


@pytest.fixture
def twilio_settings() -> TwilioSettings:
    return TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=SERVICE_NUMBER,
                          messaging_service_sid="", api_base_url=DEFAULT_API_BASE_URL)


def test_a_text_to_a_database_that_was_never_migrated_gets_503(
        settings: Settings, config: Config, empty_engine: Engine,
        twilio_settings: TwilioSettings) -> None:
    """On PostgreSQL a missing table is a ProgrammingError, on SQLite an OperationalError."""
    unmigrated = build_runtime(settings=settings, config=config, engine=empty_engine)
    sms = build_channel(unmigrated, twilio_settings)
    response = sms.inbound(PATIENT, "The GP was kind")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_a_delivery_report_while_the_database_is_down_gets_503(
        runtime: Runtime, twilio_settings: TwilioSettings) -> None:
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    down = build_runtime(settings=runtime.settings, config=runtime.config, engine=dead)
    response = build_channel(down, twilio_settings).report("SM" + "0" * 32, "delivered")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "Service unavailable, please retry."


def test_other_database_errors_are_still_server_errors(app: Flask) -> None:
    @app.get("/broken")
    def broken() -> str:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/broken").status_code == 500
