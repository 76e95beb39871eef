"""`intake submit`: one piece of feedback through the whole pipeline into the database."""

from __future__ import annotations

import json
import re
import uuid

import click

from intake.cli.runtime import open_runtime
from intake.export import records
from intake.feedback_query import FeedbackFilters
from intake.message import Answers, Consent, FftRating, IncomingMessage
from intake.replies import FOLLOW_UP
from intake.storage.models import InboundState

CHANNEL_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


def _channel(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not CHANNEL_NAME.fullmatch(value):  # $ would let a final newline through
        raise click.BadParameter("use lower-case letters, digits and hyphens, e.g. 'cli' or 'sms'")
    return value


@click.command()
@click.option("--channel", required=True, callback=_channel, help="Where it came from, e.g. cli.")
@click.option("--text", required=True, help="The feedback itself.")
@click.option("--sender", help="The person's address on that channel (stored encrypted).")
@click.option("--message-id", help="The provider's id; a repeat is recognised as a duplicate.")
@click.option("--service", "services", multiple=True, help="A service id the person chose.")
@click.option("--language", help="The language the person chose (e.g. en, ur, pl).")
@click.option("--need", "needs", multiple=True, help="A need id, e.g. bsl-interpreter.")
@click.option("--fft", type=click.Choice([r.value for r in FftRating]), help="FFT answer.")
@click.option("--on-behalf-of", is_flag=True, default=None, help="Written by a carer.")
@click.option("--consultation", help="Slug of the consultation it was sent to.")
@click.option("--contact-consent", type=click.Choice(["yes", "no"]),
              help="Whether the person agreed to be contacted about their feedback (recorded with "
                   "the wording version 'cli').")
@click.option("--json", "as_json", is_flag=True, help="Print the stored item as JSON.")
def submit(channel: str, text: str, sender: str | None, message_id: str | None,
           services: tuple[str, ...], language: str | None, needs: tuple[str, ...],
           fft: str | None, on_behalf_of: bool | None, consultation: str | None,
           contact_consent: str | None, as_json: bool) -> None:
    """Store, tag and route one piece of feedback, and print its reference."""
    message = IncomingMessage(
        channel=channel, provider_message_id=message_id or f"cli-{uuid.uuid4()}", text=text,
        sender=sender,
        answers=Answers(language=language, services=services, needs=needs,
                        fft_rating=FftRating(fft) if fft else None, on_behalf_of=on_behalf_of,
                        consultation=consultation,
                        consents=(Consent(FOLLOW_UP, contact_consent == "yes", "cli"),)
                        if contact_consent else ()))
    with open_runtime() as runtime:
        result = runtime.intake.ingest(message)
        if result.state == InboundState.REJECTED:
            raise click.ClickException(f"Not accepted: {result.error}")
        if result.state != InboundState.PROCESSED:
            raise click.ClickException(
                f"The message was kept (inbound #{result.inbound_id}) but could not be processed: "
                f"{result.error}. Fix the cause, then run `intake reprocess --failed`.")
        if as_json:
            with runtime.sessions() as session:
                record = next(records(session, FeedbackFilters(reference=result.reference)))
            click.echo(json.dumps({**record, "duplicate": result.duplicate},
                                  ensure_ascii=False, indent=2))
            return
    note = " (already received earlier)" if result.duplicate else ""
    click.echo(f"Stored as {result.reference}{note}.")

