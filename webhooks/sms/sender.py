"""Sending SMS through Twilio's REST API with twilio's own ``Client``.

``TWILIO_API_BASE_URL`` points the client at another server (a local fake Twilio in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from intake.bootstrap import Runtime
from intake.outbox import PermanentFailure, TemporaryFailure
from webhooks.sms.settings import TwilioSettings

# Twilio error codes that mean the person opted out (21610) or cannot receive texts at all.
OPTED_OUT_CODES = frozenset({21610})
# A stalled connection must not hang the worker for ever (twilio's client has no default).
HTTP_TIMEOUT_SECONDS = 15.0


class HeaderKeepingHttpClient(TwilioHttpClient):
    """twilio's HTTP client with a timeout, keeping the last response's headers: a 429 carries
    ``Retry-After``, which twilio's exception does not pass on."""

    def __init__(self, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.last_headers: Mapping[str, str] = {}

    def request(self, *args: Any, **kwargs: Any) -> Response:
        response = super().request(*args, **kwargs)
        self.last_headers = response.headers or {}
        return response


def _retry_after(http_client: HttpClient) -> float | None:
    headers = getattr(http_client, "last_headers", {}) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class TwilioSender:
    channel = "sms"

    def __init__(self, settings: TwilioSettings, public_base_url: str,
                 http_client: HttpClient | None = None) -> None:
        self.settings = settings
        self.status_callback = f"{public_base_url.rstrip('/')}/sms/twilio/status"
        self.http_client = http_client or HeaderKeepingHttpClient()
        self.client = Client(settings.account_sid, settings.auth_token,
                             http_client=self.http_client)
        self.client.api.base_url = settings.api_base_url

    def send(self, address: str, body: str) -> str:
        sender = ({"messaging_service_sid": self.settings.messaging_service_sid}
                  if self.settings.messaging_service_sid else {"from_": self.settings.from_number})
        try:
            message = self.client.messages.create(
                to=address, body=body, status_callback=self.status_callback, **sender)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TemporaryFailure(f"Twilio {exc.status}: {exc.msg}",
                                       retry_after=_retry_after(self.http_client)) from exc
            raise PermanentFailure(f"Twilio error {exc.code}: {exc.msg}",
                                   opted_out=exc.code in OPTED_OUT_CODES) from exc
        except (TwilioException, OSError) as exc:
            raise TemporaryFailure(f"Twilio unreachable: {exc}") from exc
        return str(message.sid)


def make_sender(runtime: Runtime) -> TwilioSender | None:
    """The `intake.senders` entry point: a sender when Twilio is configured, else None."""
    settings = TwilioSettings.from_env()
    if not settings.can_send:
        return None
    return TwilioSender(settings, runtime.settings.public_base_url)
