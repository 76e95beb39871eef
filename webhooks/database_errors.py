"""A database that is down, or not yet migrated, answers 503 on every route, never 500.

503 tells Telegram to retry and a load balancer to look elsewhere; Twilio does not retry an
inbound text, which `intake sms reconcile` recovers later. Other database errors are real bugs
and stay 500s. The routes that store a message first also catch the outage themselves, so they
can log which message it was.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Service unavailable, please retry."
# PostgreSQL's "undefined table" (a database created but never migrated).
UNDEFINED_TABLE = "42P01"


def is_unavailable(error: SQLAlchemyError) -> bool:
    if isinstance(error, OperationalError):
        return True  # cannot connect, server gone, SQLite "no such table" or "database is locked"
    return (isinstance(error, ProgrammingError)
            and getattr(error.orig, "sqlstate", None) == UNDEFINED_TABLE)


def unavailable() -> tuple[str, int, dict[str, str]]:
    return UNAVAILABLE, 503, {"Retry-After": str(RETRY_AFTER_SECONDS),
                              "Content-Type": "text/plain; charset=utf-8"}


def init_database_errors(app: Flask) -> None:
    @app.errorhandler(SQLAlchemyError)
    def database_error(error: SQLAlchemyError) -> tuple[str, int, dict[str, str]]:
        if not is_unavailable(error):
            raise error
        log.error("database unavailable on %s %s: %s", request.method, request.path,
                  type(error).__name__)
        return unavailable()
