"""`intake sms ...`: the SMS channel's own commands. `intake sms reconcile` recovers texts that
arrived while the database was down (see :mod:`webhooks.sms.reconcile`)."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy.exc import OperationalError

from bot.chat import ChatService
from bot.script import load_script
from intake.cli.runtime import database_unavailable, open_runtime
from intake.storage.base import utcnow
from webhooks.sms.reconcile import ReconcileError, ReconcileSummary, parse_moment, reconcile, twilio_client
from webhooks.sms.settings import TwilioSettings

WHEN_HELP = ("a duration back from now (30m, 2h, 3d, 1d12h) or an ISO date or date-time "
             "(2026-11-01, 2026-11-01T09:30; UTC unless an offset is given)")


@click.group()
def sms() -> None:
    """The SMS channel (Twilio)."""


def _moment(option: str, text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_moment(text, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "now"


def describe(summary: ReconcileSummary) -> list[str]:
    """The summary as lines for a person (sids only: no numbers, no message text)."""
    lines = [f"Twilio listed {summary.listed} messages from {_when(summary.since)} to "
             f"{_when(summary.until)}: {summary.inbound} inbound, "
             f"{summary.listed - summary.inbound} outbound (left alone).",
             f"  Already stored: {summary.already_stored}",
             f"  Missing: {len(summary.missing)}"]
    if summary.dry_run:
        lines += [f"    {sid}" for sid in summary.missing]
        lines.append("Dry run: nothing was stored. Run again without --dry-run to ingest them.")
        return lines
    lines += [f"  Ingested: {summary.ingested}",
              f"    became feedback: {len(summary.references)}"
              + (f" ({', '.join(summary.references)})" if summary.references else ""),
              f"    opted out: {summary.opted_out}",
              f"    opted back in: {summary.opted_in}",
              f"    not feedback: {len(summary.ignored)}"]
    lines += [f"      {sid}: {why}" for sid, why in summary.ignored]
    lines.append(f"  Failed: {len(summary.failed)}")
    lines += [f"    {sid}: {why}" for sid, why in summary.failed]
    if summary.failed:
        lines.append("Failed texts that were stored can be finished with `intake reprocess --failed`.")
    return lines


@sms.command("reconcile")
@click.option("--since", required=True, metavar="TIME", help=f"Start of the window: {WHEN_HELP}.")
@click.option("--until", metavar="TIME", help="End of the window (default: now), in the same forms.")
@click.option("--to", "numbers", multiple=True, metavar="NUMBER",
              help="Our number the texts were sent to (repeatable; default TWILIO_FROM_NUMBER).")
@click.option("--dry-run", is_flag=True, help="Only report which texts are missing; store nothing.")
def reconcile_command(since: str, until: str | None, numbers: tuple[str, ...], dry_run: bool) -> None:
    """Fetch the texts Twilio received in a time window and ingest any the database lacks.

    Use it after the database was unavailable: the webhook then answered 503 and Twilio does not
    retry inbound texts. Each missing text is stored once (by its MessageSid) and processed as
    feedback on its own, without a reply; STOP still opts the person out.
    """
    settings = TwilioSettings.from_env()
    numbers = numbers or ((settings.from_number,) if settings.from_number else ())
    if not numbers:
        raise click.UsageError("Give the number people text with --to, or set TWILIO_FROM_NUMBER.")
    now = utcnow()
    start, end = _moment("--since", since, now), _moment("--until", until, now)
    assert start is not None
    if start > (end or now):
        raise click.BadParameter(f"{since!r} is after the end of the window ({_when(end)}).",
                                 param_hint="--since")
    try:
        client = twilio_client(settings)
    except ReconcileError as exc:
        raise click.ClickException(str(exc)) from exc
    try:  # the database gone at the start (the schema check) or during the run
        with open_runtime() as runtime:
            chat = ChatService(runtime,
                               load_script(configured_languages=runtime.config.language_codes))
            summary = reconcile(chat, client, numbers, start, end, dry_run=dry_run)
    except ReconcileError as exc:
        raise click.ClickException(str(exc)) from exc
    except OperationalError as exc:
        raise database_unavailable(exc) from exc
    for line in describe(summary):
        click.echo(line)
    if summary.failed:
        raise SystemExit(1)
