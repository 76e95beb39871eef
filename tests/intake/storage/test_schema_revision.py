"""intake.storage.schema_revision: the revision check every process makes as it starts, the same
answers as Alembic's, without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from intake.storage import migrate, schema_revision
from intake.storage.database import make_engine
from intake.storage.schema_revision import HEAD, SchemaRevisionError, database_revision
from tests.intake.storage.test_migrate import revisions

ROOT = Path(__file__).resolve().parents[3]


def test_the_head_written_down_is_the_migrations_head() -> None:
    """A new migration fails this until HEAD names it."""
    unreachable = make_engine("sqlite:///:memory:")
    assert HEAD == migrate.head_revision(unreachable) == revisions()[-1], (
        "a migration was added: set intake.storage.schema_revision.HEAD to its revision")


def test_it_reads_what_alembic_reads_at_every_revision(empty_engine: Engine) -> None:
    assert database_revision(empty_engine) is None
    assert migrate.current_revision(empty_engine) is None
    for revision in revisions():
        migrate.upgrade(empty_engine, revision)
        assert database_revision(empty_engine) == migrate.current_revision(empty_engine) == revision
    migrate.downgrade(empty_engine, "base")
    assert database_revision(empty_engine) is None  # the version table is there, empty


def test_a_database_at_several_revisions_is_an_error(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001')"))
    with pytest.raises(SchemaRevisionError, match="several revisions"):
        database_revision(engine)


def test_checking_the_schema_as_a_worker_or_web_worker_starts_imports_no_alembic(
        engine: Engine) -> None:
    """Alembic (with Mako) held 10-14 MB of every process that only checks the revision."""
    url = engine.url.render_as_string(hide_password=False)
    check = (
        "import sys\n"
        "import intake.cli, webhooks.health\n"
        "from intake.storage.database import make_engine\n"
        "from intake.storage.schema_revision import database_revision, HEAD\n"
        f"engine = make_engine({url!r})\n"
        "assert database_revision(engine) == HEAD\n"
        "assert webhooks.health.database_state(engine) == 'ok'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n")
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_module_names_alembics_version_table() -> None:
    config = migrate.alembic_config(make_engine("sqlite:///:memory:"))
    from alembic.runtime.migration import MigrationContext

    assert MigrationContext.configure(dialect_name="sqlite").version_table == (
        schema_revision.VERSION_TABLE)
    assert config.get_main_option("version_table") is None  # Alembic's default is kept
