"""The id of the request being served, for every log line written while serving it.

A context variable, so each gunicorn thread (and each asyncio task) has its own. The web app sets
it per request (``webhooks.observability``); the core only reads it. An id a proxy sends is kept
only if it looks like an id: anything else could carry text someone chose (a phone number, a
name, a very long string) into the logs, so it is replaced, never logged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# nginx's $request_id is 32 hex digits; UUIDs and most load balancers' ids fit too. No "+" or "@"
# and at least one letter, so a phone number (in any form) or an email address is never taken
# for an id.
WELL_FORMED = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
HEADER = "X-Request-ID"

_current: ContextVar[str | None] = ContextVar("intake_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(incoming: str | None) -> str:
    """The proxy's id when it is well formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


@contextmanager
def request_id_bound(value: str) -> Iterator[str]:
    """Every log line written inside the block carries ``value``."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def bind_request_id(value: str | None) -> object:
    """For frameworks whose start and end of a request are two callbacks: returns a token for
    ``unbind_request_id``."""
    return _current.set(value)


def unbind_request_id(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
