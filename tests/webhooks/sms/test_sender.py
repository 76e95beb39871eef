"""TwilioSender against a local fake of Twilio's REST API: exactly what goes out, and how each of
Twilio's refusals is reported to the outbox."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import pytest

from intake.bootstrap import Runtime
from intake.outbox import PermanentFailure, TemporaryFailure
from webhooks.sms.sender import TwilioSender, make_sender
from webhooks.sms.settings import TwilioSettings

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PATIENT, PUBLIC_BASE_URL, SERVICE_NUMBER, STATUS_URL
from .fake_twilio import FakeTwilio, closed_port_url

MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
SERVICE_SID = "MG" + "3" * 32


@pytest.fixture
def settings(twilio_settings: TwilioSettings, fake_twilio: FakeTwilio) -> TwilioSettings:
    return replace(twilio_settings, api_base_url=fake_twilio.base_url)


def sender_for(settings: TwilioSettings) -> TwilioSender:
    return TwilioSender(settings, PUBLIC_BASE_URL)


def test_send_posts_exactly_the_message_to_the_account(settings: TwilioSettings,
                                                      fake_twilio: FakeTwilio) -> None:
    sid = sender_for(settings).send(PATIENT, "Thanks to feedback like yours, the surgery has more lines.")

    [request] = fake_twilio.requests
    assert sid == "SM" + "0" * 31 + "1"
    assert request.method == "POST"
    assert request.path == MESSAGES_PATH
    assert request.form == {
        "To": PATIENT, "From": SERVICE_NUMBER,
        "Body": "Thanks to feedback like yours, the surgery has more lines.",
        "StatusCallback": "https://intake.example.test/sms/twilio/status",
    }
    assert request.form["StatusCallback"] == STATUS_URL
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)


def test_non_latin_text_is_sent_unchanged(settings: TwilioSettings, fake_twilio: FakeTwilio) -> None:
    body = "شکریہ۔ آپ کا حوالہ نمبر FB-ABC123 ہے۔ 👍"
    sender_for(settings).send(PATIENT, body)
    [request] = fake_twilio.requests
    assert request.form["Body"] == body


def test_a_messaging_service_is_used_instead_of_from_when_set(settings: TwilioSettings,
                                                             fake_twilio: FakeTwilio) -> None:
    sender_for(replace(settings, messaging_service_sid=SERVICE_SID)).send(PATIENT, "Hello")
    [request] = fake_twilio.requests
    assert request.form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in request.form
    assert request.form["To"] == PATIENT


def test_rate_limiting_is_a_temporary_failure(settings: TwilioSettings, fake_twilio: FakeTwilio) -> None:
    fake_twilio.rate_limited[PATIENT] = 120
    with pytest.raises(TemporaryFailure, match="429"):
        sender_for(settings).send(PATIENT, "Hello")
    assert len(fake_twilio.requests) == 1  # no retry inside the sender: the outbox retries


def test_rate_limiting_passes_on_retry_after(settings: TwilioSettings, fake_twilio: FakeTwilio) -> None:
    fake_twilio.rate_limited[PATIENT] = 120
    with pytest.raises(TemporaryFailure) as failure:
        sender_for(settings).send(PATIENT, "Hello")
    assert failure.value.retry_after == 120


def test_a_server_error_is_a_temporary_failure(settings: TwilioSettings, fake_twilio: FakeTwilio) -> None:
    fake_twilio.server_error.add(PATIENT)
    with pytest.raises(TemporaryFailure, match="500"):
        sender_for(settings).send(PATIENT, "Hello")


def test_21610_is_a_permanent_failure_meaning_opted_out(settings: TwilioSettings,
                                                       fake_twilio: FakeTwilio) -> None:
    fake_twilio.opted_out.add(PATIENT)
    with pytest.raises(PermanentFailure, match="21610") as failure:
        sender_for(settings).send(PATIENT, "Hello")
    assert failure.value.opted_out is True


def test_an_invalid_number_is_permanent_but_not_an_opt_out(settings: TwilioSettings,
                                                          fake_twilio: FakeTwilio) -> None:
    fake_twilio.invalid.add("+447700900999")
    with pytest.raises(PermanentFailure, match="21211") as failure:
        sender_for(settings).send("+447700900999", "Hello")
    assert failure.value.opted_out is False
    # Other numbers are unaffected.
    assert sender_for(settings).send(PATIENT, "Hello").startswith("SM")


def test_connection_refused_is_a_temporary_failure(twilio_settings: TwilioSettings,
                                                   fake_twilio: FakeTwilio) -> None:
    unreachable = replace(twilio_settings, api_base_url=closed_port_url())
    with pytest.raises(TemporaryFailure, match="unreachable"):
        sender_for(unreachable).send(PATIENT, "Hello")
    assert fake_twilio.requests == []


RUNTIME = cast(Runtime, SimpleNamespace(settings=SimpleNamespace(public_base_url=PUBLIC_BASE_URL)))


@pytest.mark.parametrize("missing", [
    {"TWILIO_ACCOUNT_SID": ""},
    {"TWILIO_AUTH_TOKEN": ""},
    {"TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": ""},
])
def test_make_sender_returns_none_when_twilio_is_not_configured(
        monkeypatch: pytest.MonkeyPatch, missing: dict[str, str]) -> None:
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_FROM_NUMBER": SERVICE_NUMBER, "TWILIO_MESSAGING_SERVICE_SID": "", **missing}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert make_sender(RUNTIME) is None


def test_make_sender_returns_none_with_no_twilio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
                 "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert make_sender(RUNTIME) is None


def test_make_sender_reads_the_environment_including_the_api_base_url(
        monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", SERVICE_SID)
    monkeypatch.setenv("TWILIO_API_BASE_URL", fake_twilio.base_url + "/")

    sender = make_sender(RUNTIME)

    assert sender is not None and sender.channel == "sms"
    sender.send(PATIENT, "Hello")
    [request] = fake_twilio.requests
    assert request.path == MESSAGES_PATH
    assert request.form == {"To": PATIENT, "MessagingServiceSid": SERVICE_SID, "Body": "Hello",
                            "StatusCallback": STATUS_URL}
