"""`intake erase`, `intake subject-access` and `intake purge`: the data protection duties an
admin carries out (the workspace offers the first two too, at /staff/privacy)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.cli.runtime import cli_actor, open_runtime
from intake.privacy.erasure import erase_person
from intake.privacy.people import (
    BadPersonKey,
    KeyKind,
    Person,
    PersonKey,
    PersonNotFound,
    audit_subject,
    find_person,
    parse_key,
)
from intake.privacy.requests import pending_requests
from intake.privacy.retention import purge as apply_retention
from intake.privacy.subject_access import subject_access as gather
from intake.storage.models import AuditEvent

KEY_HELP = {
    KeyKind.PHONE: "their phone number (any UK format)",
    KeyKind.TELEGRAM: "their Telegram user id (a number)",
    KeyKind.EMAIL: "their email address",
    KeyKind.REFERENCE: "a feedback reference they were given (FB-...)",
    KeyKind.PSEUDONYM: "the pseudonym the workspace shows (P-..., e.g. from an erasure request)",
}


def person_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Exactly one of --phone, --telegram, --email, --reference, --pseudonym names the person."""
    for kind in reversed(KeyKind):
        command = click.option(f"--{kind.value}", kind.value, metavar="VALUE",
                               help=f"Find the person by {KEY_HELP[kind]}.")(command)
    return command


def _key(given: dict[str, str | None]) -> PersonKey:
    named = {name: value for name, value in given.items() if value}
    if len(named) != 1:
        raise click.UsageError("Give exactly one of " + ", ".join(f"--{k}" for k in KeyKind) + ".")
    [(name, value)] = named.items()
    try:
        return parse_key(name, value)
    except BadPersonKey as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{name}") from exc


def _find(session: Session, runtime: Runtime, key: PersonKey) -> Person:
    try:
        return find_person(session, runtime.intake.vault, key)
    except PersonNotFound as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("erase")
@person_options
@click.option("--reason", default="", help="Why (e.g. 'request by phone, 3 Nov'); kept in the audit log.")
@click.option("--dry-run", is_flag=True, help="Show what would be erased and change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option("--pending", is_flag=True, help="List erasure requests waiting to be carried out.")
def erase(reason: str, dry_run: bool, yes: bool, pending: bool, **given: str | None) -> None:
    """Erase a person: contact details, what they said, raw messages; anonymous counts stay."""
    with open_runtime() as runtime:
        if pending:
            with runtime.sessions() as session:
                waiting = pending_requests(session)
            for request in waiting:
                click.echo(f"{request.pseudonym}  asked {request.requested_at:%Y-%m-%d %H:%M} "
                           f"via {request.channel or 'staff'}  ({request.feedback_items} item(s))")
            click.echo(f"{len(waiting)} request(s) waiting.")
            return
        key = _key(given)
        with runtime.sessions() as session:
            person = _find(session, runtime, key)
            report = erase_person(session, person, key, actor=cli_actor(),
                                  now=runtime.intake.clock(), reason=reason)
            click.echo("\n".join(report.lines()))
            if dry_run:
                session.rollback()
                click.echo("Dry run: nothing was changed.")
                return
            if not yes:
                if not sys.stdin.isatty():
                    session.rollback()
                    raise click.ClickException("Erasure cannot be undone: confirm with --yes.")
                if not click.confirm("Erase all of this? It cannot be undone"):
                    session.rollback()
                    raise click.ClickException("Nothing was erased.")
            session.commit()
        click.echo(f"Erased the person found by {key.described()}; recorded in the audit log.")


@click.command("subject-access")
@person_options
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here (default: standard output).")
def subject_access(output: Path | None, **given: str | None) -> None:
    """Everything held about a person, as JSON, for a subject access request."""
    with open_runtime() as runtime:
        key = _key(given)
        now = runtime.intake.clock()
        with runtime.sessions.begin() as session:
            person = _find(session, runtime, key)
            document = gather(session, runtime.intake.vault, person, key, now)
            entity_type, entity_id = audit_subject(person, key)
            session.add(AuditEvent(occurred_at=now, actor=cli_actor(), action="subject-access.exported",
                                   entity_type=entity_type, entity_id=entity_id,
                                   details={"found_by": key.described()}))
        text = json.dumps(document, ensure_ascii=False, indent=2)
        if output is None:
            click.echo(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            click.echo(f"Written to {output}.", err=True)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be removed and change nothing.")
def purge(dry_run: bool) -> None:
    """Remove personal data past its retention period (pipeline.toml [retention]); run daily."""
    with open_runtime() as runtime, runtime.sessions() as session:
        report = apply_retention(session, runtime.config.retention, runtime.intake.clock(),
                                 actor=cli_actor())
        click.echo("\n".join(report.lines()))
        if dry_run:
            session.rollback()
            click.echo("Dry run: nothing was changed.")
            return
        session.commit()
        click.echo(f"Removed {report.total} item(s) of personal data past retention.")
