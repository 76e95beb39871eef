"""Engines and sessions for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.connection_check import check_idle_connections


def normalise_url(url: str | URL) -> URL:
    """Accept the URL forms operators paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1)
                      if str(url).startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine with the settings this service relies on: WAL and foreign keys on SQLite,
    idle connections checked before use on PostgreSQL.
    A database error's message never shows the statement's values (feedback text, hashes): it
    is logged, and kept on a failed inbox message."""
    parsed = normalise_url(url)
    options.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "pool_pre_ping" in options:
        return create_engine(parsed, **options)
    # Instead of a ping on every checkout: one for a connection that sat idle (see the module).
    options.setdefault("pool_use_lifo", True)
    engine = create_engine(parsed, **options)
    check_idle_connections(engine)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def one_statement_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """On PostgreSQL, sessions whose every statement commits by itself, for work that is one
    statement (store a raw message, read a finished conversation). Two gains:

    * one round trip instead of three (BEGIN, the statement, COMMIT);
    * no ROLLBACK to end a read: psycopg forgets the connection's prepared statements at every
      ROLLBACK (and sends DEALLOCATE ALL), so the statements each SMS turn repeats would be
      parsed and planned again by the server, and prepared again, on that connection.

    Not on SQLite, where there are no round trips to save and switching a connection's isolation
    level back costs more (+8-15% CPU per SMS turn, measured), nor for sessions bound to
    anything but an engine (a test's connection)."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name == "sqlite":
        return sessions
    return sessionmaker(bind.execution_options(isolation_level="AUTOCOMMIT"),
                        **{key: value for key, value in sessions.kw.items() if key != "bind"})


def one_statement_connections(sessions: sessionmaker[Session]) -> Callable[[], Connection]:
    """``one_statement_sessions``' connections with no ORM session around them, for a statement
    that loads no ORM objects (storing a raw message): opening and closing a session was about
    a quarter of such a statement's CPU on PostgreSQL (docs/performance.md, "What sending one
    statement costs")."""
    bind = one_statement_sessions(sessions).kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("one-statement connections need sessions bound to an engine")
    return bind.connect


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
