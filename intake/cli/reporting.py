"""`intake report`: the governing body's assurance report as a printable page or CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from intake.cli.runtime import open_runtime
from intake.reporting import PeriodError, ReportPeriod, build_report, default_period, tables_zip
from intake.reporting.html import render_document
from intake.reporting.period import GRANULARITIES
from intake.staff.dates import local_date


@click.command()
@click.option("--from", "first", metavar="YYYY-MM-DD",
              help="First day of the period. Default: the first of the two whole months just ended.")
@click.option("--to", "last", metavar="YYYY-MM-DD",
              help="Last day of the period (included). Default: the end of last month.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True,
              help="html: one A4 page with charts and tables; csv: a zip with one CSV file per table.")
@click.option("--by", "granularity", type=click.Choice(GRANULARITIES),
              help="Count over time by week or by month. Default: weeks up to three months, "
                   "months for longer periods.")
@click.option("--output", "-o", metavar="PATH",
              help="File to write; '-' for standard output. Default: "
                   "report-FROM-to-TO.html (or .zip) in the current folder.")
def report(first: str | None, last: str | None, fmt: str, granularity: str | None,
           output: str | None) -> None:
    """Make the governing body's assurance report.

    The period is whole days in UK time, both ends included.
    """
    if (first is None) != (last is None):
        raise click.UsageError("Give both --from and --to, or neither for the last two whole months.")
    with open_runtime() as runtime:
        now = runtime.intake.clock()
        try:
            period = (ReportPeriod.parse(first, last) if first and last
                      else default_period(local_date(now)))
        except PeriodError as exc:
            raise click.UsageError(str(exc)) from exc
        with runtime.sessions() as session:
            built = build_report(session, runtime.config, period, now,
                                 granularity=granularity)  # type: ignore[arg-type]
    suffix = "html" if fmt == "html" else "zip"
    content = (render_document(built).encode("utf-8") if fmt == "html"
               else tables_zip(built.tables, f"report-{period.slug}"))
    if output == "-":
        with click.open_file("-", "wb") as stdout:
            stdout.write(content)
        return
    target = Path(output or f"report-{period.slug}.{suffix}")
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"Could not write {target}: {exc.strerror}. "
                                   "Choose another place with --output.") from exc
    what = "page" if fmt == "html" else f"{len(built.tables)} tables as CSV files in a zip"
    click.echo(f"Wrote the report for {period.title} ({what}) to {target}.")
