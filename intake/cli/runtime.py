"""Building the runtime for a command, turning set-up problems into clear messages."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError

from intake.bootstrap import Runtime, build_runtime
from intake.config import ConfigError
from intake.privacy.vault import VaultError
from intake.settings import SettingsError
from intake.storage import migrate, schema_revision


def cli_actor() -> str:
    """How the audit log names whoever ran a command: the operating-system user."""
    return f"cli:{getpass.getuser()}"


def database_unavailable(exc: OperationalError) -> click.ClickException:
    """The message for a database that cannot be reached, for a command run by a person: the
    driver's error class, never the statement or its values. (Elsewhere a database that is gone
    is a crash, logged as one line by ``intake.cli.run``, as the long-running worker wants.)"""
    return click.ClickException(f"The database is unavailable ({type(exc.orig).__name__}). "
                                "Run this again once it is back.")


@contextmanager
def open_runtime(require_schema: bool = True) -> Iterator[Runtime]:
    """The runtime for one command. The embedded SQLite default is migrated automatically
    outside production; any other database must be upgraded explicitly with `intake db upgrade`."""
    try:
        runtime = build_runtime()
    except (ConfigError, SettingsError, VaultError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if require_schema:
            ensure_schema(runtime)
        yield runtime
    finally:
        runtime.close()


def ensure_schema(runtime: Runtime) -> None:
    """Without Alembic unless it migrates (``intake.storage.schema_revision``)."""
    current, head = schema_revision.database_revision(runtime.engine), schema_revision.HEAD
    if current == head:
        return
    embedded = runtime.engine.dialect.name == "sqlite"
    if embedded and runtime.settings.environment != "production":
        migrate.upgrade(runtime.engine)
        return
    raise click.ClickException(
        f"The database schema is at {current or 'nothing'}, and this version needs {head}. "
        "Run `intake db upgrade` first.")
