"""`intake seed-demo`: demo content for a new installation."""

from __future__ import annotations

import click

from intake.cli.runtime import open_runtime
from intake.demo import seed_demo as add_demo_content
from intake.storage.base import utcnow


@click.command("seed-demo")
def seed_demo() -> None:
    """Add a demo tracker item and consultation (safe to run twice)."""
    with open_runtime() as runtime, runtime.sessions.begin() as session:
        added = add_demo_content(session, utcnow())
    click.echo("\n".join(f"Added {what}." for what in added) or "Demo content already present.")
