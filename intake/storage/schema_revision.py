"""Which schema revision this code needs, and which one a database is at, without Alembic.

Every long-running process checks the revision as it starts (and ``/healthz`` on every probe),
but only `intake db upgrade` migrates. Importing Alembic (with Mako, and Pygments where it is
installed) and reading its revision scripts cost a process 10-14 MB of resident memory for
the rest of its life: most of the margin `intake worker` had under its 200 MB target. So the
check reads the version table with SQLAlchemy, and the head is written down here; a test fails
whenever it differs from the head of the migrations, so it cannot go stale.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

# The newest migration in intake/storage/migrations/versions (tests/intake/storage pins it).
HEAD = "0009"
VERSION_TABLE = "alembic_version"  # Alembic's default, which intake.storage.migrate keeps


class SchemaRevisionError(RuntimeError):
    """The version table names more than one revision (branched migrations, never made here)."""


def database_revision(engine: Engine) -> str | None:
    """The revision ``engine``'s database is at; None if it has never been migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revisions = connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    if len(revisions) > 1:
        raise SchemaRevisionError(f"the database is at several revisions: {sorted(revisions)}")
    return revisions[0] if revisions else None
