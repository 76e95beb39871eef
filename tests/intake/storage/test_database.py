"""Engine set-up: SQLite pragmas, URL normalisation, timezone-aware timestamps on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from intake.storage.database import (
    is_reachable,
    make_engine,
    make_sessions,
    normalise_url,
    one_statement_connections,
)
from intake.storage.models import AuditEvent


def test_sqlite_uses_wal_and_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested").is_dir()


@pytest.mark.parametrize("given, driver", [
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ("sqlite:///x.db", "sqlite"),
])
def test_urls_operators_paste_are_accepted(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


def test_timestamps_come_back_aware_and_in_utc(engine: Engine) -> None:
    moment = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with make_sessions(engine).begin() as session:
        session.add(AuditEvent(occurred_at=moment, actor="test", action="x", entity_type="t",
                               entity_id="1"))
    with make_sessions(engine)() as session:
        stored = session.scalar(select(AuditEvent.occurred_at))
    assert stored == moment
    assert stored is not None and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), make_sessions(engine).begin() as session:
        session.add(AuditEvent(occurred_at=datetime(2026, 1, 1), actor="t", action="x",
                               entity_type="t", entity_id="1"))
        session.flush()


def test_reachability(engine: Engine) -> None:
    assert is_reachable(engine)
    assert not is_reachable(make_engine("postgresql://nobody@127.0.0.1:1/none",
                                        connect_args={"connect_timeout": 1}))


def test_utc_now_default_is_aware(engine: Engine) -> None:
    with make_sessions(engine).begin() as session:
        session.add(AuditEvent(actor="t", action="x", entity_type="t", entity_id="1"))
    with make_sessions(engine)() as session:
        stored = session.scalar(select(AuditEvent.occurred_at))
    assert stored is not None and stored.tzinfo is not None
    assert abs(stored - datetime.now(UTC)) < timedelta(minutes=5)


def audit_rows(engine: Engine) -> int:
    with engine.connect() as other:
        return other.scalar(select(func.count()).select_from(AuditEvent))


def test_one_statement_connections_commit_each_statement_on_postgresql_only(engine: Engine) -> None:
    """On PostgreSQL a statement is committed as it runs (another connection sees it before this
    one closes, and a rollback cannot take it back); on SQLite it waits for the commit, as a
    transaction's does. Either way the connection comes from the engine's own pool."""
    connect = one_statement_connections(make_sessions(engine))
    row = {"occurred_at": datetime.now(UTC), "actor": "test", "action": "x",
           "entity_type": "t", "entity_id": "1"}
    with connect() as connection:
        assert connection.engine.pool is engine.pool
        connection.execute(insert(AuditEvent), row)
        seen = audit_rows(engine) if engine.dialect.name == "postgresql" else None
        connection.rollback()
    if engine.dialect.name == "postgresql":
        assert seen == 1 and audit_rows(engine) == 1
    else:
        assert audit_rows(engine) == 0


def test_one_statement_connections_need_sessions_bound_to_an_engine(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(TypeError, match="bound to an engine"):
        one_statement_connections(make_sessions(connection))  # type: ignore[arg-type]
