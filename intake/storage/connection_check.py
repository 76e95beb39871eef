"""Check a pooled PostgreSQL connection before use only when it has been idle a while.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: two or three round trips
per SMS turn, about 5% of a turn's CPU and 8% of its time. A connection returned to the pool
a moment ago has almost certainly not died since; one that sat idle may have been cut by a
database restart, a failover or a firewall's idle timeout, and is the one worth checking.
So a connection idle for longer than ``IDLE_SECONDS`` is pinged on checkout and replaced if
dead (the pool tries a fresh one); the pool hands out the most recently returned connection
first (LIFO), so under load the same few stay warm and are never pinged.

A connection the server (or a proxy) has closed since its last use is pinged too, however
recently it was used: an idle PostgreSQL connection has nothing to say, so data waiting on its
socket (the server's goodbye on a restart or ``pg_terminate_backend``, or the end of the
stream) means it may be dead. Looking costs one ``poll`` with no wait, no round trip.

What this gives up: a connection cut silently (no word reached this machine: a firewall
dropping it, a cable) less than ``IDLE_SECONDS`` after its last use is not checked, so the
first statement on it fails; SQLAlchemy then discards every connection of the pool, that
request answers 503 like any other during an outage, and the next one connects afresh.
"""

from __future__ import annotations

import select
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
        if returned_at is None:
            return  # just connected
        if time.monotonic() - returned_at <= limit and not _server_has_spoken(dbapi_connection):
            return  # just used, and nothing came from the server since
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                record.info.pop(_RETURNED_AT, None)
                raise DisconnectionError("a pooled connection died while idle") from exc
            raise


def _server_has_spoken(dbapi_connection: Any) -> bool:
    """Whether anything (data, the end of the stream, an error) waits on the connection's socket."""
    try:
        socket = dbapi_connection.fileno()
    except Exception:  # closed or broken: a connection that cannot say is one to check
        return True
    poller = select.poll()
    poller.register(socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
