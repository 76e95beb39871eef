"""The SMS channel as Twilio sees it: signed webhook requests into the real app, and a local fake
of Twilio's REST API for sending."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from bot.chat import ChatService
from intake.bootstrap import Runtime
from webhooks import create_app
from webhooks.runtime import CHAT_KEY
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

from .fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-token"
SERVICE_NUMBER = "+447700900000"
PATIENT = "+447700900123"
PUBLIC_BASE_URL = "https://intake.example.test"
INBOUND_URL = f"{PUBLIC_BASE_URL}/sms/twilio"
STATUS_URL = f"{PUBLIC_BASE_URL}/sms/twilio/status"


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


def twiml_messages(body: bytes | str) -> list[str]:
    root = ElementTree.fromstring(body)
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def sign(params: dict[str, str], url: str = INBOUND_URL, token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


@dataclass
class SmsChannel:
    """The app built with known Twilio settings, and a phone's-eye view of it."""

    runtime: Runtime
    settings: TwilioSettings
    app: Flask
    client: FlaskClient

    @property
    def chat(self) -> ChatService:
        chat: ChatService = self.app.extensions[CHAT_KEY]
        return chat

    def payload(self, sender: str, body: str, sid: str | None = None,
                **extra: str | None) -> dict[str, str]:
        """What Twilio POSTs for an SMS to a GB long code. ``extra`` adds fields; None drops one."""
        sid = sid or new_sid()
        params = {
            "ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
            "SmsStatus": "received", "Body": body, "FromCountry": "GB", "To": SERVICE_NUMBER,
            "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
            "ApiVersion": "2010-04-01",
        }
        for key, value in extra.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return params

    def post(self, path: str, params: dict[str, str], signature: str | None = None,
             headers: dict[str, str] | None = None, **options: Any) -> TestResponse:
        """POST form fields; signed for PUBLIC_BASE_URL + path unless a signature is given."""
        all_headers = {"X-Twilio-Signature": signature if signature is not None
                       else sign(params, PUBLIC_BASE_URL + path)}
        all_headers.update(headers or {})
        return self.client.post(path, data=params, headers=all_headers, **options)

    def inbound(self, sender: str, body: str, sid: str | None = None,
                **extra: str | None) -> TestResponse:
        return self.post("/sms/twilio", self.payload(sender, body, sid, **extra))

    def text(self, sender: str, body: str, sid: str | None = None,
             **extra: str | None) -> tuple[int, list[str]]:
        """Text the service; returns the status code and the texts of the TwiML <Message>s."""
        response = self.inbound(sender, body, sid, **extra)
        if response.status_code != 200:
            return response.status_code, []
        assert response.mimetype == "text/xml"
        return response.status_code, twiml_messages(response.data)

    def report(self, sid: str, status: str, signature: str | None = None,
               **extra: str) -> TestResponse:
        """A delivery report, as Twilio posts it to the status callback."""
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": ACCOUNT_SID, "From": SERVICE_NUMBER, "To": PATIENT,
                  "ApiVersion": "2010-04-01", **extra}
        return self.post("/sms/twilio/status", params, signature)

    def count(self, model: type) -> int:
        with self.runtime.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def build_channel(runtime: Runtime, settings: TwilioSettings) -> SmsChannel:
    app = create_app({"TESTING": True, "TWILIO": settings}, runtime=runtime)
    return SmsChannel(runtime, settings, app, app.test_client())


@pytest.fixture
def twilio_settings() -> TwilioSettings:
    return TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=SERVICE_NUMBER,
                          messaging_service_sid="", api_base_url=DEFAULT_API_BASE_URL)


@pytest.fixture
def sms(runtime: Runtime, twilio_settings: TwilioSettings) -> SmsChannel:
    assert runtime.settings.public_base_url == PUBLIC_BASE_URL
    return build_channel(runtime, twilio_settings)


@pytest.fixture
def sms_via_fake(runtime: Runtime, twilio_settings: TwilioSettings,
                 fake_twilio: FakeTwilio) -> SmsChannel:
    """The app with its Twilio API pointed at the local fake."""
    return build_channel(runtime, replace(twilio_settings, api_base_url=fake_twilio.base_url))
