"""Flask extensions, created once and initialised in the app factory."""

from __future__ import annotations

from flask import Blueprint, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

# CSRF is checked inside each form view (csrf.protect()), so a failed check can show the form
# again with what the person typed, instead of a bare error page.
csrf = CSRFProtect()
# Per-address limits; in memory by default, shared through Redis when RATELIMIT_STORAGE_URI says.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

_NOT_LIMITED_BY_ADDRESS: set[str] = set()


def not_limited_by_address(blueprint: Blueprint) -> Blueprint:
    """Mark ``blueprint`` as one no per-address limit applies to, not even a default an operator
    sets (``RATELIMIT_DEFAULT``): a provider's webhooks (every SMS comes from a few Twilio
    addresses, every update from Telegram's, so a limit there would turn patients' messages
    away; a signature or secret authenticates them instead) and health probes. Their requests
    also skip the limiter's look-ups, which cost about as much as parsing an SMS's form."""
    _NOT_LIMITED_BY_ADDRESS.add(blueprint.name)
    return blueprint


@limiter.request_filter
def _not_limited_by_address() -> bool:
    return request.blueprint in _NOT_LIMITED_BY_ADDRESS
