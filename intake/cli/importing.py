"""`intake import`: feedback from a CSV file or an Excel workbook, row by row through the pipeline."""

from __future__ import annotations

import csv
import gc
import sys
from pathlib import Path

import click

from intake import pipeline
from intake.bootstrap import Runtime
from intake.cli.runtime import open_runtime
from intake.export import safe_cell
from intake.importing import ColumnChoice, ImportFileError, ImportSummary, RowReader, import_rows, read_table

SHOWN_PROBLEMS = 10


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-column", required=True, metavar="NAME", help="The column with the feedback.")
@click.option("--service-column", metavar="NAME",
              help="Service by id or name (e.g. gp or GP surgery); several separated by ';'.")
@click.option("--date-column", metavar="NAME",
              help="When it was given: 2026-09-14, 14/09/2026 (day first) or an Excel date. "
                   "Default: the time of the import.")
@click.option("--language-column", metavar="NAME", help="Language by code or name (e.g. ur or Urdu).")
@click.option("--sheet", metavar="NAME", help="The workbook's sheet (default: the first).")
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write every refused or partly imported row, with the reason, to this CSV file.")
def import_feedback(file: Path, text_column: str, service_column: str | None, date_column: str | None,
                    language_column: str | None, sheet: str | None, errors_file: Path | None) -> None:
    """Import feedback from a CSV or Excel file.

    FILE is .csv or .xlsx, one item per row, the first row naming the columns. Each row goes
    through the whole pipeline; importing the same rows again adds nothing.
    """
    columns = ColumnChoice(text=text_column, service=service_column, date=date_column,
                           language=language_column)
    try:
        table = read_table(file, sheet)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in table.notes:
        click.echo(f"Note: {note}", err=True)
    with open_runtime() as runtime:
        try:
            reader = RowReader(runtime.config, table, columns, runtime.intake.clock())
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from exc
        settle(runtime)
        with click.progressbar(reader.rows(), length=table.expected_rows, label="Importing",
                               show_pos=True, file=sys.stderr) as rows:
            summary = import_rows(runtime.intake, rows)
    _report(table.name, summary, errors_file)
    if summary.refused or summary.failed:
        raise SystemExit(1)


def settle(runtime: Runtime) -> None:
    """Build the lazily built taggers now, then move them out of the garbage collector's sight:
    they last as long as the import, and every full collection of a long import would otherwise
    walk their millions of objects again (about a tenth of the time of a row). The file's rows
    are read as they are imported, so they are not among them."""
    pipeline.build_taggers(runtime.config, runtime.intake.taggers)
    gc.freeze()


def _report(name: str, summary: ImportSummary, errors_file: Path | None) -> None:
    click.echo(f"Read {summary.rows:,} rows from {name}.")
    click.echo(f"  Imported:                  {summary.imported:,}")
    click.echo(f"  Already imported before:   {summary.duplicates:,}")
    click.echo(f"  Refused:                   {len(summary.refused):,}")
    if summary.failed:
        click.echo(f"  Kept but not processed:    {len(summary.failed):,} "
                   "(fix the cause, then run `intake reprocess --failed`)")
    if summary.blank:
        click.echo(f"  Blank rows skipped:        {summary.blank:,}")
    if summary.partial:
        rows = len({p.row for p in summary.partial})
        click.echo(f"  Imported without a service or language that is not in the configuration: "
                   f"{rows:,} rows")
    problems = summary.problems
    if problems:
        click.echo("Rows to look at:")
        for problem in problems[:SHOWN_PROBLEMS]:
            click.echo(f"  row {problem.row}: {problem.outcome}: {problem.reason}")
        if len(problems) > SHOWN_PROBLEMS and errors_file is None:
            click.echo(f"  ...and {len(problems) - SHOWN_PROBLEMS:,} more. Use --errors FILE to "
                       "write them all to a file.")
    if errors_file is not None:
        try:
            with errors_file.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["row", "outcome", "reason"])
                writer.writerows([p.row, p.outcome, safe_cell(p.reason)] for p in problems)
        except OSError as exc:
            raise click.ClickException(f"Could not write {errors_file}: {exc.strerror}.") from exc
        click.echo(f"Wrote {len(problems):,} rows to look at to {errors_file}.")
