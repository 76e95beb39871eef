"""`intake export`: the feedback queue with all tags and links, as CSV or JSON lines."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from intake.cli.runtime import open_runtime
from intake.export import records, to_csv_rows, to_jsonl_rows
from intake.feedback_query import FeedbackFilters
from intake.storage.models import FeedbackStatus


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use a date like 2026-11-01 or 2026-11-01T09:30") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
@click.option("--status", type=click.Choice([s.value for s in FeedbackStatus]))
@click.option("--channel")
@click.option("--service", help="Service id, e.g. gp.")
@click.option("--language", help="Language code, e.g. ur.")
@click.option("--need", help="Need id, e.g. bsl-interpreter or interpreter:ur.")
@click.option("--since", callback=_moment, help="Received on or after (UTC unless stated).")
@click.option("--until", callback=_moment, help="Received before (UTC unless stated).")
def export(fmt: str, output: click.utils.LazyFile, status: str | None, channel: str | None,
           service: str | None, language: str | None, need: str | None,
           since: datetime | None, until: datetime | None) -> None:
    """Export the feedback queue (redacted text), newest first."""
    filters = FeedbackFilters(status=status, channel=channel, service=service, language=language,
                            need=need, since=since, until=until)
    with open_runtime() as runtime, runtime.sessions() as session:
        rows = records(session, filters)
        for chunk in (to_csv_rows(rows) if fmt == "csv" else to_jsonl_rows(rows)):
            output.write(chunk)
