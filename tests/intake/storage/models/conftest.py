"""Shared fixtures and helpers for the model tests: sessions on a fresh migrated database of each
kind, and the checks that the database itself refuses a change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.base import Base
from intake.storage.database import make_sessions


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on a fresh migrated database of each kind (SQLite, PostgreSQL)."""
    return make_sessions(engine)


def refused(session: Session) -> None:
    """Flushing the session's pending changes breaks a constraint."""
    with pytest.raises(IntegrityError):
        session.flush()


def second_refused(sessions: sessionmaker[Session], make: Callable[[], Base]) -> None:
    """One row from ``make`` is stored; adding a second one like it is refused."""
    with sessions.begin() as session:
        session.add(make())
    with sessions() as session:
        session.add(make())
        refused(session)


def delete_refused(sessions: sessionmaker[Session], model: type[Base], row_id: int) -> None:
    """Deleting the stored row of ``model`` with ``row_id`` is refused."""
    with sessions() as session:
        session.delete(session.get(model, row_id))
        refused(session)
