"""Twilio settings, from the environment (never the repository)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_BASE_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str
    messaging_service_sid: str
    api_base_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TwilioSettings:
        env = os.environ if environ is None else environ
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            from_number=env.get("TWILIO_FROM_NUMBER", ""),
            messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
            api_base_url=(env.get("TWILIO_API_BASE_URL") or DEFAULT_API_BASE_URL).rstrip("/"),
        )

    @property
    def can_send(self) -> bool:
        return bool(self.account_sid and self.auth_token
                    and (self.from_number or self.messaging_service_sid))
