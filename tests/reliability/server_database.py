"""A migrated database that outlives one test, for the tests that share one real server.

The same two kinds as ``tests/conftest.py``'s ``database_url``: a SQLite file, or a PostgreSQL
schema of its own (dropped afterwards). Starting gunicorn costs seconds, so a module starts one
server per database and its tests use distinct message ids instead of fresh databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from intake.storage import migrate
from intake.storage.database import make_engine, normalise_url
from tests.conftest import POSTGRES_URL, postgres_available

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
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        rendered = url.render_as_string(hide_password=False)
        _migrate(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
