"""Checking that a webhook request really comes from Twilio (``X-Twilio-Signature``).

Twilio signs the URL it called. Behind a reverse proxy the app sees an internal URL, so the URL
is rebuilt from ``PUBLIC_BASE_URL`` and the request's own path and query.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

from flask import Request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port

HEADER = "X-Twilio-Signature"


def public_url(request: Request, public_base_url: str) -> str:
    path = request.full_path
    return public_base_url.rstrip("/") + (path[:-1] if path.endswith("?") else path)


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def is_signed(request: Request, auth_token: str, public_base_url: str) -> bool:
    """What ``RequestValidator.validate`` decides for a form post, with one signature computed
    instead of two when it matches: Twilio signs the URL without the default port or with it,
    and the usual form (without) is tried first."""
    signature = request.headers.get(HEADER, "")
    if not auth_token or not signature:
        return False
    validator, url = _validator(auth_token), urlparse(public_url(request, public_base_url))
    return any(compare(validator.compute_signature(variant, request.form), signature)
               for variant in (remove_port(url), add_port(url)))
