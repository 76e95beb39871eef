"""Importing feedback from CSV and Excel files: reading, columns, dates, services, languages,
row identities, and rows through the whole pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from intake import importing, pipeline
from intake.bootstrap import Runtime
from intake.config import Config
from intake.importing import (
    CP1252_NOTE,
    NOT_PROCESSED,
    ColumnChoice,
    ImportFileError,
    PreparedRow,
    RowReader,
    SourceTable,
    import_rows,
    parse_moment,
    read_table,
    row_identity,
)
from intake.message import IncomingMessage
from intake.storage.models import Feedback, InboundState, Tag
from tests.conftest import FIXED_NOW


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Responses") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def table(*rows: tuple[object, ...], columns: tuple[str, ...] = ("Comment", "Service", "Date",
                                                                  "Language")) -> SourceTable:
    return SourceTable("survey.csv", columns, rows)  # type: ignore[arg-type]


def reader(config: Config, source: SourceTable, **columns: str) -> RowReader:
    return RowReader(config, source, ColumnChoice(**{"text": "Comment", **columns}), FIXED_NOW)


# -- reading files ---------------------------------------------------------------------------
def test_csv_in_utf8_with_excels_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes("\ufeffComment,Service\nApteka była zamknięta,Pharmacy\n".encode())
    source = read_table(path)
    assert source.columns == ("Comment", "Service")
    assert tuple(source.rows) == (("Apteka była zamknięta", "Pharmacy"),)
    assert source.notes == ()


def test_csv_in_windows_1252_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes("Comment;Service\nThe café by the surgery – lovely;GP\n".encode("cp1252"))
    source = read_table(path)
    assert tuple(source.rows) == (("The café by the surgery – lovely", "GP"),)    # semicolons too
    assert source.notes == (CP1252_NOTE,)


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(b"Comment\n\x81\x8d\x8f\x90\n")
    with pytest.raises(ImportFileError, match="CSV UTF-8"):
        read_table(path)


def test_an_excel_workbook_with_dates_and_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "survey.xlsx", [
        ["Comment", "Date", "Score"], ["Dentist was great", datetime(2026, 9, 14, 10, 30), 5],
        [None, None, None]])
    source = read_table(path)
    assert source.name == "survey.xlsx (sheet 'Responses')"
    assert source.columns == ("Comment", "Date", "Score")
    assert next(iter(source.rows)) == ("Dentist was great", datetime(2026, 9, 14, 10, 30), 5)


def test_a_workbook_sheet_by_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "survey.xlsx", [["Comment"], ["x"]])
    with pytest.raises(ImportFileError, match=r"no sheet called 'June'\. Its sheets are: 'Responses'"):
        read_table(path, sheet="June")
    assert tuple(read_table(path, sheet="Responses").rows) == (("x",),)


@pytest.mark.parametrize("name, content, message", [
    ("survey.xls", b"old", "not a CSV file or an Excel workbook"),
    ("survey.xlsx", b"not a zip", "could not be read as an Excel workbook"),
    ("survey.csv", b"", "is empty"),
])
def test_files_that_cannot_be_read(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        read_table(path)


def test_a_missing_column_lists_the_columns_found(config: Config) -> None:
    with pytest.raises(ImportFileError) as caught:
        reader(config, table(), date="When")
    assert str(caught.value) == ("survey.csv has no column called 'When' (--date-column). The "
                                 "columns in the file are: 'Comment', 'Service', 'Date', 'Language'.")


def test_columns_match_ignoring_case_and_spaces_but_not_twice(config: Config) -> None:
    assert reader(config, table(), text=" comment ").text == 0
    with pytest.raises(ImportFileError, match="has 2 columns called 'comment'"):
        reader(config, table(columns=("Comment", "COMMENT")), text="comment")


# -- dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cell, expected", [
    ("2026-09-14", datetime(2026, 9, 13, 23, 0, tzinfo=UTC)),        # the day's start, UK time
    ("14/09/2026", datetime(2026, 9, 13, 23, 0, tzinfo=UTC)),
    ("1/12/2026", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),           # winter: GMT
    ("14/09/2026 10:30", datetime(2026, 9, 14, 9, 30, tzinfo=UTC)),
    ("14.09.2026", datetime(2026, 9, 13, 23, 0, tzinfo=UTC)),
    ("2026-09-14T10:30:00Z", datetime(2026, 9, 14, 10, 30, tzinfo=UTC)),
    (datetime(2026, 9, 14, 10, 30), datetime(2026, 9, 14, 9, 30, tzinfo=UTC)),   # Excel: UK time
])
def test_dates_in_the_forms_people_write_them(cell: object, expected: datetime) -> None:
    assert parse_moment(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell, message", [
    ("31/02/2026", "not a date this can read"),
    ("09/14/2026", "not a date this can read"),     # American order: month 14
    ("next Tuesday", "not a date this can read"),
    (45914, "is a number, not a date"),
])
def test_dates_that_cannot_be_read(cell: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_moment(cell)  # type: ignore[arg-type]


# -- rows to messages ------------------------------------------------------------------------
def test_row_identities_depend_on_the_cells_not_the_file() -> None:
    columns = ("Comment", "Service")
    first = row_identity(columns, ("Good", "GP"), 1)
    assert first == row_identity(("Service", "Comment"), ("GP", "Good"), 1)   # columns reordered
    assert first == row_identity((*columns, "Notes"), ("Good", "GP", None), 1)  # an empty column
    assert first != row_identity(columns, ("Good", "GP"), 2)                  # a second such row
    assert first != row_identity(columns, ("Good", "Dentist"), 1)
    assert first.startswith("import-") and len(first) <= 128


def test_identical_rows_in_one_file_stay_separate_items(config: Config) -> None:
    source = SourceTable("survey.csv", ("Comment", ""), (("Very good", "a"), ("Very good", "b"),
                                                         ("Very good", None)))
    ids = [r.message.provider_message_id for r in reader(config, source).rows()]  # type: ignore[union-attr]
    assert len(set(ids)) == 3           # what the unnamed column holds does not tell them apart


def test_a_rows_identity_counts_the_identical_rows_before_it(config: Config) -> None:
    source = table(("Very good", "GP", "", ""), ("Kind", "", "", ""), ("Very good", "GP", "", ""))
    ids = [r.message.provider_message_id for r in reader(config, source).rows()]  # type: ignore[union-attr]
    assert ids == [row_identity(source.columns, ("Very good", "GP", "", ""), 1),
                   row_identity(source.columns, ("Kind", "", "", ""), 1),
                   row_identity(source.columns, ("Very good", "GP", "", ""), 2)]


def test_services_and_languages_by_id_or_name_in_any_case(config: Config) -> None:
    rows = list(reader(config, table(
        ("Kind staff", "gp; PHARMACY", "2026-09-14", "Polish"),
        ("Kind staff", "Dentist", "2026-09-14", "ur"),
        ("Kind staff", "Foot clinic", "2026-09-14", "Klingon"),
        ("Kind staff", "", "2026-09-14", "اردو"),
    ), service="Service", date="Date", language="Language").rows())
    answers = [(r.message.answers.services, r.message.answers.language) for r in rows]  # type: ignore[union-attr]
    assert answers == [(("gp", "pharmacy"), "pl"), (("dental",), "ur"), ((), None), ((), "ur")]
    assert rows[2].notes == ("unknown service 'Foot clinic'", "unknown language 'Klingon'")
    assert [r.row for r in rows] == [2, 3, 4, 5]
    assert len({r.message.provider_message_id for r in rows}) == 4  # type: ignore[union-attr]


def test_rows_that_cannot_become_feedback_say_why(config: Config) -> None:
    rows = list(reader(config, table(
        ("", "GP", "2026-09-14", ""),
        ("Fine", "GP", "", ""),
        ("Fine", "GP", "2026-12-25", ""),
        ("Fine", "GP", "14/14/2026", ""),
        (None, None, None, None),
        ("Fine", "GP", "2026-09-14", ""),
    ), date="Date").rows())
    assert [(r.row, r.refused) for r in rows[:4]] == [
        (2, "the text is empty"), (3, "the date is empty"), (4, "the date '2026-12-25' is in the future"),
        (5, "the date '14/14/2026' is not a date this can read; write it like 2026-09-14 or "
            "14/09/2026 (day first)")]
    assert rows[4].blank and rows[4].message is None
    assert rows[5].message is not None and rows[5].message.received_at == parse_moment("2026-09-14")


def test_a_files_rows_are_read_from_it_as_they_are_iterated(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("Comment\nFirst\n", encoding="utf-8")
    source = read_table(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Second\n")
    assert tuple(source.rows) == (("First",), ("Second",))
    assert tuple(source.rows) == (("First",), ("Second",))     # and again, from the start


def test_a_workbooks_rows_are_read_again_each_time(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "survey.xlsx", [["Comment", ""], ["x", 1, "beyond"], ["y"]])
    source = read_table(path)
    assert source.columns == ("Comment",)
    assert tuple(source.rows) == tuple(source.rows) == (("x",), ("y",))
    assert len(source.rows) == source.expected_rows == 2  # type: ignore[arg-type]


# -- through the pipeline --------------------------------------------------------------------
def test_rows_go_through_the_pipeline_once(runtime: Runtime) -> None:
    source = table(
        ("My GP surgery never answers the phone", "", "14/09/2026", ""),
        ("Very good", "Pharmacy", "15/09/2026", ""),
        ("Very good", "Pharmacy", "15/09/2026", ""),         # a second person, same words
        ("x" * 6000, "", "16/09/2026", ""),                  # longer than the pipeline takes
        ("Kind", "Foot clinic", "17/09/2026", "Polish"),
    )
    first = import_rows(runtime.intake, reader(runtime.config, source, service="Service", date="Date",
                                               language="Language").rows())
    assert (first.rows, first.imported, first.duplicates) == (5, 4, 0)
    assert [(p.row, p.outcome) for p in first.problems] == [(5, "refused"), (6, "imported without")]
    assert "6,000 characters long" in first.refused[0].reason
    again = import_rows(runtime.intake, reader(runtime.config, source, service="Service", date="Date",
                                               language="Language").rows())
    assert (again.imported, again.duplicates, len(again.refused)) == (0, 4, 1)
    with runtime.sessions() as session:
        items = list(session.scalars(select(Feedback).order_by(Feedback.received_at)))
        assert [item.channel for item in items] == ["import"] * 4
        assert items[0].received_at == datetime(2026, 9, 13, 23, 0, tzinfo=UTC)
        tags = {(t.kind, t.value, t.source) for t in session.scalars(
            select(Tag).where(Tag.feedback_id == items[0].id))}
        assert ("service", "gp", "auto") in tags                  # tagged from the text
        tags = {(t.kind, t.value, t.source) for t in session.scalars(
            select(Tag).where(Tag.feedback_id == items[1].id))}
        assert ("service", "pharmacy", "contributor") in tags     # from the column
        assert session.scalar(select(Tag.value).where(Tag.feedback_id == items[3].id,
                                                      Tag.kind == "language")) == "pl"


def test_an_import_stopped_part_way_is_finished_by_reprocess_and_counted_right(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    source = table(*[(f"Comment {n}: my GP surgery was fine", "", "14/09/2026", "")
                     for n in range(7)], ("x" * 6000, "", "16/09/2026", ""))

    def rows() -> Iterator[PreparedRow]:
        return reader(runtime.config, source, date="Date").rows()

    real, calls = pipeline.run, 0

    def stopped_in_the_second_batch(message: IncomingMessage, context: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        return real(message, context)

    monkeypatch.setattr(pipeline, "run", stopped_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        import_rows(runtime.intake, rows(), batch_size=3)
    monkeypatch.undo()
    # The first batch was stored and processed; the second's rows were stored, not processed.
    again = import_rows(runtime.intake, rows(), batch_size=3)
    assert (again.rows, again.imported, again.duplicates) == (8, 1, 3)
    assert [(p.row, p.outcome) for p in again.problems] == [
        (5, "failed"), (6, "failed"), (7, "failed"), (9, "refused")]
    assert again.failed[0].reason == NOT_PROCESSED
    assert [runtime.intake.retry(i).state for i in runtime.intake.pending_inbound()] == [
        InboundState.PROCESSED] * 3
    last = import_rows(runtime.intake, rows(), batch_size=3)
    assert (last.imported, last.duplicates, len(last.refused), last.failed) == (0, 7, 1, [])
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 7


def test_rows_are_read_from_the_file_a_batch_at_a_time(
        runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("Comment\n" + "".join(f"Comment {n}: the GP was kind\n" for n in range(8)),
                    encoding="utf-8")
    source = read_table(path)
    read_so_far = 0
    real_rows, real_ingest = importing._csv_rows, runtime.intake.ingest_many

    def counted_rows(*args: Any) -> Iterator[list[str]]:
        nonlocal read_so_far
        for row in real_rows(*args):
            read_so_far += 1
            yield row

    read_at_ingest: list[int] = []

    def ingest_many(messages: Any) -> Any:
        read_at_ingest.append(read_so_far - 1)      # not the header
        return real_ingest(messages)

    monkeypatch.setattr(importing, "_csv_rows", counted_rows)
    monkeypatch.setattr(runtime.intake, "ingest_many", ingest_many)
    summary = import_rows(runtime.intake, reader(runtime.config, source).rows(), batch_size=3)
    assert summary.imported == 8
    assert read_at_ingest == [3, 6, 8]      # each batch went in before the next rows were read
