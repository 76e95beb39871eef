"""Report tables as data and as CSV: columns read by index, plain numbers and ISO dates in the
files, formula-looking text neutralised, a byte-order mark for Excel, one zip for them all."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from intake.reporting.tables import (
    ChartSpec,
    Column,
    Table,
    csv_bytes,
    csv_cell,
    table_csv,
    tables_zip,
)

SERVICES = Table("services", "Feedback by service",
                 (Column("Service"), Column("Items", "count"), Column("Share (%)", "percent")),
                 (("GP surgery", 12, 60.0), ("Pharmacy", 8, 40.0)))


def parsed(table: Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(table_csv(table))))


def test_defaults_are_a_text_column_and_a_grid_with_a_generic_empty_message() -> None:
    assert Column("Service").kind == "text"
    table = Table("t", "T", (Column("A"),), ())
    assert (table.note, table.chart, table.layout, table.empty, table.point_labels) == (
        "", None, "grid", "Nothing in this period.", ())


def test_a_bar_chart_by_default_draws_the_second_column_against_the_first() -> None:
    spec = ChartSpec("bar")
    assert (spec.values, spec.labels, spec.colours) == ((1,), 0, None)


def test_file_name_is_the_table_name_as_csv() -> None:
    assert SERVICES.file_name == "services.csv"


def test_column_reads_one_position_from_every_row() -> None:
    assert SERVICES.column(0) == ["GP surgery", "Pharmacy"]
    assert SERVICES.column(2) == [60.0, 40.0]
    assert Table("t", "T", (Column("A"),), ()).column(0) == []


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""),
    ("", ""),
    (0, "0"),
    (1200, "1200"),                 # no thousands separator: a number a spreadsheet can sum
    (60.0, "60.0"),
    (33.333, "33.3"),
    (0.05, "0.1"),
    (-2.5, "-2.5"),
    (date(2026, 9, 1), "2026-09-01"),
    (datetime(2026, 9, 1, 8, 5, tzinfo=UTC), "2026-09-01T08:05:00+00:00"),
    ("GP surgery", "GP surgery"),
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+44 7700 900123", "'+44 7700 900123"),
    ("@handle", "'@handle"),
    ("-dash first", "'-dash first"),
    ("\ttabbed", "'\ttabbed"),
    ("a = b", "a = b"),             # only a formula at the start is one
])
def test_csv_cells(value: object, expected: str) -> None:
    assert csv_cell(value) == expected  # type: ignore[arg-type]


def test_negative_whole_numbers_stay_plain_numbers() -> None:
    assert csv_cell(-3) == "-3"


def test_table_csv_has_the_header_then_one_line_per_row() -> None:
    assert table_csv(SERVICES) == "Service,Items,Share (%)\r\nGP surgery,12,60.0\r\nPharmacy,8,40.0\r\n"


def test_column_titles_are_neutralised_too() -> None:
    table = Table("t", "T", (Column("=cmd|' /C calc'!A0"), Column("Items", "count")), ())
    assert parsed(table) == [["'=cmd|' /C calc'!A0", "Items"]]


def test_commas_quotes_and_newlines_survive_a_round_trip() -> None:
    text = 'Said "call back", then\nnothing, again'
    table = Table("t", "T", (Column("What"), Column("When", "date")), ((text, None),))
    assert parsed(table) == [["What", "When"], [text, ""]]


def test_an_empty_table_is_just_its_header() -> None:
    assert table_csv(Table("t", "T", (Column("A"), Column("B")), ())) == "A,B\r\n"


def test_csv_bytes_are_utf8_with_a_byte_order_mark() -> None:
    table = Table("languages", "Languages", (Column("Language"), Column("Items", "count")),
                  (("اردو", 3), ("Łódź Polish", 2)))
    data = csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert data.decode("utf-8-sig") == table_csv(table)


def test_the_zip_holds_each_table_as_its_own_file_in_the_folder() -> None:
    other = Table("needs", "Needs", (Column("Need"),), (("Easy Read",),))
    archive = zipfile.ZipFile(io.BytesIO(tables_zip([SERVICES, other], "report-2026-09")))
    assert archive.namelist() == ["report-2026-09/services.csv", "report-2026-09/needs.csv"]
    assert archive.read("report-2026-09/services.csv") == csv_bytes(SERVICES)
    assert archive.read("report-2026-09/needs.csv") == csv_bytes(other)
    assert archive.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    assert archive.testzip() is None


def test_no_tables_make_an_empty_but_valid_zip() -> None:
    assert zipfile.ZipFile(io.BytesIO(tables_zip([], "report"))).namelist() == []
