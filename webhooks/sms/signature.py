"""Checking that a webhook request really comes from Twilio (``X-Twilio-Signature``).

Twilio signs the URL it called. Behind a reverse proxy the app sees an internal URL, so the URL
is rebuilt from ``PUBLIC_BASE_URL`` and the request's own path and query.
"""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_url(request: Request, public_base_url: str) -> str:
    path = request.full_path
    return public_base_url.rstrip("/") + (path[:-1] if path.endswith("?") else path)


def is_signed(request: Request, auth_token: str, public_base_url: str) -> bool:
    signature = request.headers.get(HEADER, "")
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(
        public_url(request, public_base_url), request.form, signature))
