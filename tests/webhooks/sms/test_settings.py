"""Twilio settings read from the environment, and when the service may send texts."""

from __future__ import annotations

import pytest

from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

SID = "AC" + "1" * 32
SERVICE = "MG" + "2" * 32
NUMBER = "+447700900000"


def settings(**env: str) -> TwilioSettings:
    return TwilioSettings.from_env(env)


def test_an_empty_environment_cannot_send_and_uses_twilios_api() -> None:
    assert settings() == TwilioSettings(account_sid="", auth_token="", from_number="",
                                        messaging_service_sid="", api_base_url=DEFAULT_API_BASE_URL)
    assert DEFAULT_API_BASE_URL == "https://api.twilio.com"
    assert not settings().can_send


def test_every_variable_is_read() -> None:
    assert settings(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN="test-token", TWILIO_FROM_NUMBER=NUMBER,
                    TWILIO_MESSAGING_SERVICE_SID=SERVICE,
                    TWILIO_API_BASE_URL="http://127.0.0.1:8089") == TwilioSettings(
        account_sid=SID, auth_token="test-token", from_number=NUMBER, messaging_service_sid=SERVICE,
        api_base_url="http://127.0.0.1:8089")


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8089/", "http://127.0.0.1:8089"),
    ("http://127.0.0.1:8089//", "http://127.0.0.1:8089"),
    ("https://api.twilio.com", "https://api.twilio.com"),
    ("", DEFAULT_API_BASE_URL),
])
def test_the_api_base_url_loses_trailing_slashes_and_falls_back_when_empty(given: str,
                                                                          expected: str) -> None:
    """The client appends /2010-04-01/...: a trailing slash would make a double one."""
    assert settings(TWILIO_API_BASE_URL=given).api_base_url == expected


@pytest.mark.parametrize(("env", "can_send"), [
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": NUMBER}, True),
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t", "TWILIO_MESSAGING_SERVICE_SID": SERVICE},
     True),
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}, False),  # nothing to send from
    ({"TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": NUMBER}, False),
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_FROM_NUMBER": NUMBER,
      "TWILIO_MESSAGING_SERVICE_SID": SERVICE}, False),
])
def test_sending_needs_credentials_and_a_sender(env: dict[str, str], can_send: bool) -> None:
    assert settings(**env).can_send is can_send


def test_without_a_mapping_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_FROM_NUMBER", "TWILIO_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "test-token")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", SERVICE)
    found = TwilioSettings.from_env()
    assert (found.account_sid, found.from_number, found.api_base_url, found.can_send) == (
        SID, "", DEFAULT_API_BASE_URL, True)
