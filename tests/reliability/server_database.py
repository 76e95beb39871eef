"""A migrated database that outlives one test, for the tests that share one real server.

The same two kinds as ``tests/conftest.py``'s ``database_url``: a SQLite file, or a PostgreSQL
schema of its own (dropped afterwards). Starting gunicorn costs seconds, so a module starts one
server per database and its tests use distinct message ids instead of fresh databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from intake.storage import migrate
from intake.storage.database import make_engine
from tests.conftest import POSTGRES_URL, postgres_available
from tests.scratch_schema import scratch_schema

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'intake-shared.sqlite3'}"
        _migrate(url)
        yield url
        return
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_schema(POSTGRES_URL) as url:
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
