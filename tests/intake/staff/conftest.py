"""Shared fixtures for the staff tests: a session on one migrated SQLite database per module,
rolled back after each test, and a session on a fresh database of each kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from intake.storage import migrate
from intake.storage.database import make_engine, make_sessions


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated SQLite database for the whole test module."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('staff') / 'staff.sqlite3'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(shared_engine: Engine) -> Iterator[Session]:
    """A session on the shared database, rolled back afterwards."""
    with make_sessions(shared_engine)() as session:
        yield session
        session.rollback()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session on a fresh database of each kind (SQLite, PostgreSQL)."""
    with make_sessions(engine)() as session:
        yield session
