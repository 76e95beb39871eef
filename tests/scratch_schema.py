"""An empty PostgreSQL database for one test, test module or benchmark run: a schema of its own
on the shared server, dropped afterwards. Runs side by side never see each other's rows, and no
CREATE DATABASE right is needed (the production smoke test, which needs a whole database, makes
one)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

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
