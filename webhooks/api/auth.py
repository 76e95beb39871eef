"""Who is calling: a bearer token (``Authorization: Bearer ii_…``) issued to a member of staff on
their account page. No token or an unknown one is 401 with a ``WWW-Authenticate`` challenge
(RFC 6750); a role that may not use the API is 403."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import request

from intake.staff.accounts import token_hash, user_for_token
from intake.staff.permissions import Action, can
from webhooks.api.errors import ApiProblem
from webhooks.runtime import current_runtime

log = logging.getLogger(__name__)
REALM = "involve-intake"


@dataclass(frozen=True)
class ApiCaller:
    user_id: int
    email: str
    role: str

    @property
    def actor(self) -> str:
        """How the audit log names them (the same as in the workspace)."""
        return f"staff:{self.email}"


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def caller_key() -> str:
    """What the rate limit counts by: the token (so each person has their own allowance), or the
    address when there is none. Only a hash of the token is kept in the limiter's storage."""
    token = bearer_token()
    return f"token:{token_hash(token)[:32]}" if token else f"address:{request.remote_addr}"


def authenticate(*actions: Action) -> ApiCaller:
    token = bearer_token()
    if token is None:
        raise ApiProblem(401, "unauthorised", "Send your API token as 'Authorization: Bearer …'. "
                         "Create one on your account page in the engagement workspace.",
                         headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    with current_runtime().sessions() as session:
        user = user_for_token(session, token)
        caller = ApiCaller(user.id, user.email, user.role) if user is not None else None
    if caller is None:
        log.warning("API call with an unknown or withdrawn token")  # no address: personal data
        raise ApiProblem(401, "invalid-token", "This API token is not valid (it was replaced, or "
                         "its account is no longer active). Create a new one on your account page.",
                         headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'})
    refused = [action for action in actions if not can(caller.role, action)]
    if refused:
        log.warning("API call refused for staff user %s (role %s)", caller.user_id, caller.role)
        raise ApiProblem(403, "forbidden", f"Your role ({caller.role}) may not use the API. Ask an "
                         "administrator if you need it.",
                         headers={"WWW-Authenticate": f'Bearer realm="{REALM}", '
                                                      'error="insufficient_scope"'})
    return caller
