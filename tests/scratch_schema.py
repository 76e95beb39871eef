"""An empty PostgreSQL database for one test, test module or benchmark run: a schema of its own
on the shared server, dropped afterwards. Runs side by side never see each other's rows, and no
CREATE DATABASE right is needed. ``scratch_database`` makes a whole database instead, for the
tests that need one (the production smoke test; pg_trgm's install, which a schema would share).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from intake.storage.database import normalise_url


@contextmanager
def scratch_schema(server_url: str, prefix: str = "t") -> Iterator[str]:
    """Yields a URL (password included) whose connections use the new schema alone."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(server_url))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = normalise_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def scratch_database(server_url: str, prefix: str, template: str | None = None) -> Iterator[URL]:
    """A new database on the server (from ``template`` if given), dropped afterwards with any
    connection still open to it; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'
                                    + (f" TEMPLATE {template}" if template else "")))
        try:
            yield normalise_url(server_url).set(database=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
