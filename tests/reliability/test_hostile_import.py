"""Hostile input to `intake import` (intake/importing.py): fuzzed CSV files and workbooks with bad
encodings, missing columns, huge cells, markup and control characters.

The contract: a file is either refused as a whole with an ``ImportFileError`` that says what to do,
or read; each data row is then blank, refused with a reason, or a message; and after the
pipeline the counts add up (rows = imported + duplicates + blank + refused + failed).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.bootstrap import Runtime
from intake.config import Config
from intake.importing import ColumnChoice, ImportFileError, RowReader, import_rows, read_table
from tests.conftest import FIXED_NOW
from tests.reliability.conftest import Tally
from tests.reliability.hostile_inputs import BAD_UTF8, DATES, hostile_text

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
COLUMNS = ColumnChoice(text="Comment", service="Service", date="Date", language="Language")
cell = st.one_of(hostile_text, st.sampled_from((*DATES, "gp", "Pharmacy", "ur", "Polski")),
                 st.integers(-10**6, 10**6).map(str))
header = st.lists(st.sampled_from(["Comment", "Service", "Date", "Language", "comment ", "",
                                   "Other", "Comment"]), min_size=0, max_size=6)
rows = st.lists(st.lists(cell, max_size=6), max_size=8)


def as_csv(columns: list[str], body: list[list[str]], delimiter: str) -> str:
    lines = []
    for row in [columns, *body]:
        lines.append(delimiter.join('"' + v.replace('"', '""') + '"' for v in row))
    return "\r\n".join(lines)


@FUZZ
@given(columns=header, body=rows, delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "broken"]),
       junk=st.lists(st.sampled_from(BAD_UTF8), max_size=3).map(b"".join))
def test_a_csv_file_is_refused_with_a_reason_or_every_row_is_accounted_for(
        tmp_path: Path, config: Config, reliability_tally: Tally, columns: list[str],
        body: list[list[str]], delimiter: str, encoding: str, junk: bytes) -> None:
    reliability_tally.add("hostile_inputs")
    text = as_csv(columns, body, delimiter)
    raw = text.encode(encoding, "replace") if encoding != "broken" else text.encode() + junk
    path = tmp_path / "survey.csv"
    path.write_bytes(raw)
    try:
        table = read_table(path)
        reader = RowReader(config, table, COLUMNS, FIXED_NOW)
    except ImportFileError as refused:
        assert str(refused).strip().endswith((".", "again.")), str(refused)
        return
    prepared = list(reader.rows())
    assert len(prepared) == len(table.rows)
    for row in prepared:
        assert row.blank or (row.message is None) == bool(row.refused)
        if row.refused:
            assert row.refused.strip()


def test_a_cell_over_the_csv_field_limit_is_an_import_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("Comment\n" + '"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"over [0-9,]+ characters in one cell"):
        read_table(path)


@settings(FUZZ, max_examples=12)
@given(body=st.lists(st.tuples(hostile_text, st.sampled_from(DATES), hostile_text),
                     min_size=1, max_size=5))
def test_imported_rows_add_up_through_the_pipeline(
        tmp_path_factory: pytest.TempPathFactory, runtime: Runtime, config: Config,
        reliability_tally: Tally, body: list[tuple[str, str, str]]) -> None:
    reliability_tally.add("hostile_inputs", len(body))
    path = tmp_path_factory.mktemp("import") / "survey.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Comment", "Date", "Service"])
        writer.writerows(body)
    table = read_table(path)
    reader = RowReader(config, table, ColumnChoice(text="Comment", date="Date", service="Service"),
                       FIXED_NOW)
    first = import_rows(runtime.intake, reader.rows())
    again = import_rows(runtime.intake, RowReader(config, table, ColumnChoice(
        text="Comment", date="Date", service="Service"), FIXED_NOW).rows())
    for summary in (first, again):
        assert summary.rows == len(table.rows)
        assert summary.rows == (summary.imported + summary.duplicates + summary.blank
                                + len(summary.refused) + len(summary.failed))
        assert all(p.reason.strip() for p in summary.problems)
    reliability_tally.add("records_checked", first.imported)
    reliability_tally.add("records_duplicated", again.imported)
    assert again.imported == 0
    # (An earlier example may have imported the same rows: those are duplicates both times.)
    assert again.duplicates == first.imported + first.duplicates
