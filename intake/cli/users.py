"""`intake create-user`: the first admin (and any account) from the command line."""

from __future__ import annotations

import secrets
import sys

import click

from intake.cli.runtime import cli_actor, open_runtime
from intake.staff.accounts import AccountError
from intake.staff.accounts import create_user as create_account


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["viewer", "reviewer", "admin"]), required=True,
              help="viewer: reads redacted feedback; reviewer: triages, tags, replies; admin: all.")
@click.option("--name", "display_name", help="How the name appears in the workspace.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
def create_user(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    """Create a staff account for EMAIL. Without --password-stdin you are asked for a password
    at a terminal; with no terminal a strong one is generated and shown once."""
    generated = False
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password, generated = secrets.token_urlsafe(18), True
    with open_runtime() as runtime, runtime.sessions.begin() as session:
        try:
            user = create_account(session, email, role, password, runtime.intake.clock(),
                                  display_name=display_name, actor=cli_actor())
            user.must_change_password = generated
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created {user.role} account {user.email}.")
    if generated:
        click.echo(f"Password (shown once; they must change it when they first sign in): {password}")
