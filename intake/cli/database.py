"""`intake db ...`: schema migrations."""

from __future__ import annotations

import click

from intake.cli.runtime import open_runtime
from intake.storage import migrate


@click.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command()
def upgrade() -> None:
    """Apply every migration the database does not have yet."""
    with open_runtime(require_schema=False) as runtime:
        before = migrate.current_revision(runtime.engine)
        migrate.upgrade(runtime.engine)
        after = migrate.current_revision(runtime.engine)
        click.echo(f"Database at revision {after} (was {before or 'empty'}).")


@db.command()
def current() -> None:
    """Show the schema revision the database is at."""
    with open_runtime(require_schema=False) as runtime:
        click.echo(migrate.current_revision(runtime.engine) or "empty")


@db.command()
@click.option("--message", "-m", required=True, help="What the change is, in a few words.")
def revision(message: str) -> None:
    """For developers: write a migration from changes to the models."""
    with open_runtime() as runtime:
        migrate.make_revision(runtime.engine, message)
    click.echo("Written. Set HEAD in intake/storage/schema_revision.py to its revision: "
               "processes check the schema against it.")
