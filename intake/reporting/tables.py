"""A report is a list of tables; each can be drawn as a chart and saved as a CSV file.

Keeping every figure in a table first means the printed page, its charts and the CSV files all
show the same numbers, and a chart never carries a figure that is not also written down.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from intake.export import safe_cell

Cell = str | int | float | date | None
ColumnKind = Literal["text", "count", "percent", "date", "rating"]


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class ChartSpec:
    """How a table is drawn: bars for categories, a line for time. ``values`` are column indexes
    (one series each); ``labels`` is the column naming each bar or point."""

    kind: Literal["bar", "line"]
    values: tuple[int, ...] = (1,)
    labels: int = 0
    colours: dict[str, str] | None = None   # a colour per label (red/amber/green ratings)


@dataclass(frozen=True)
class Table:
    name: str                              # stable and file-safe: "services"
    title: str                             # what a reader sees: "Feedback by service"
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    chart: ChartSpec | None = None
    layout: Literal["grid", "records"] = "grid"   # records: one block per row (long text)
    empty: str = "Nothing in this period."
    # Labels for a line chart's points, when they differ from the label column (short dates).
    point_labels: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, index: int) -> list[Cell]:
        return [row[index] for row in self.rows]


def csv_cell(value: Cell) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a number, never a formula: no neutralising quote before a minus
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def table_csv(table: Table) -> str:
    """The table as CSV text, header first, cells that look like formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(column.title) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows accented and non-Latin letters correctly."""
    return table_csv(table).encode("utf-8-sig")


def tables_zip(tables: Sequence[Table], folder: str) -> bytes:
    """Every table as its own CSV file in one zip, inside ``folder`` (the report's period)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{folder}/{table.file_name}", csv_bytes(table))
    return buffer.getvalue()
