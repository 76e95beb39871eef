"""`intake reply`: answer the person behind a feedback item through their own channel."""

from __future__ import annotations

import click
from sqlalchemy import select

from intake.cli.runtime import cli_actor, open_runtime
from intake.references import normalise_reference
from intake.replies import CannotReply, queue_reply
from intake.storage.models import Feedback


@click.command()
@click.argument("reference")
@click.option("--text", required=True, help="The reply, in the person's language.")
def reply(reference: str, text: str) -> None:
    """Queue a reply to the person who sent REFERENCE; `intake worker` sends it."""
    normalised = normalise_reference(reference)
    if normalised is None:
        raise click.ClickException(f"{reference!r} is not a reference like FB-7K3M9Q.")
    with open_runtime() as runtime, runtime.sessions.begin() as session:
        feedback = session.scalar(select(Feedback).where(Feedback.reference == normalised))
        if feedback is None:
            raise click.ClickException(f"No feedback has the reference {normalised}.")
        try:
            message = queue_reply(session, feedback, text, cli_actor(),
                                  runtime.intake.clock())
        except CannotReply as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Reply queued (#{message.id}, {message.channel}); `intake worker` sends it.")
