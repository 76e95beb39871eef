"""Run Alembic migrations from code, so `intake db upgrade` and `intake serve` need no alembic.ini.

Alembic is imported by each function as it is called, not with this module: the commands that
import this module (every `intake` command does) mostly never migrate, and Alembic would stay
in their memory for good (``intake.storage.schema_revision`` checks the revision without it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def is_known_revision(engine: Engine, revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (a database a newer release
    migrated is at one it does not know)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    except CommandError:
        return False
    return True


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models (for developers changing the schema)."""
    from alembic import command

    command.revision(alembic_config(engine), message=message, autogenerate=True)
