"""`intake outbox stuck` and `intake outbox resolve`: the messages a worker died while sending.

The outbox never sends such a message again by itself (it may have gone), so a person checks the
provider's log (Twilio's console, the Telegram chat) and records what happened.
"""

from __future__ import annotations

from datetime import timedelta

import click

from intake.cli.runtime import cli_actor, open_runtime
from intake.outbox import RESOLUTIONS, STUCK_AFTER, resolve_stuck, stuck_messages


@click.group()
def outbox() -> None:
    """Messages a worker left half-sent."""


@outbox.command("stuck")
@click.option("--minutes", default=int(STUCK_AFTER.total_seconds() // 60), show_default=True,
              type=click.IntRange(1), help="Only messages claimed at least this long ago.")
def stuck(minutes: int) -> None:
    """List messages left in 'sending' by a worker that stopped mid-send."""
    with open_runtime() as runtime, runtime.sessions() as session:
        found = stuck_messages(session, runtime.intake.clock(), timedelta(minutes=minutes))
        for message in found:
            click.echo(f"#{message.id}  {message.channel}  {message.purpose}  claimed "
                       f"{message.updated_at:%Y-%m-%d %H:%M} UTC  provider id "
                       f"{message.provider_message_id or 'none'}")
        click.echo(f"{len(found)} message(s) need a person to check the provider's log.")


@outbox.command("resolve")
@click.argument("message_id", type=int)
@click.option("--as", "resolution", type=click.Choice(list(RESOLUTIONS)), required=True,
              help="sent / failed: what the provider's log shows; retry: it never went, send it.")
def resolve(message_id: int, resolution: str) -> None:
    """Record what happened to a stuck message (audited)."""
    with open_runtime() as runtime, runtime.sessions.begin() as session:
        try:
            resolve_stuck(session, message_id, resolution, cli_actor(),
                          runtime.intake.clock())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Message #{message_id} marked {resolution}.")
