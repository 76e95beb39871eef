"""Check a pooled PostgreSQL connection before use only when it has been idle a while.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: two or three round trips
per SMS turn, about 5% of a turn's CPU and 8% of its time. A connection returned to the pool
a moment ago has almost certainly not died since; one that sat idle may have been cut by a
database restart, a failover or a firewall's idle timeout, and is the one worth checking.
So a connection idle for longer than ``IDLE_SECONDS`` is pinged on checkout and replaced if
dead (the pool tries a fresh one); the pool hands out the most recently returned connection
first (LIFO), so under load the same few stay warm and are never pinged.

What this gives up: a connection used less than ``IDLE_SECONDS`` before a database outage
shorter than that is not checked, so the first statement on it fails; SQLAlchemy then discards
every connection of the pool, that request answers 503 like any other during an outage, and
the next one connects afresh. A database restart or failover takes longer than that.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE_SECONDS = 1.0
_RETURNED_AT = "intake_returned_at"


def check_idle_connections(engine: Engine) -> None:
    """Install the check on ``engine``'s pool (created with ``pool_pre_ping=False``)."""
    limit = IDLE_SECONDS  # read at install time, so a test can set a shorter one

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= limit:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                record.info.pop(_RETURNED_AT, None)
                raise DisconnectionError("a pooled connection died while idle") from exc
            raise
