"""Feedback from a spreadsheet (a survey export, a paper form typed up) through the whole pipeline.

Each row becomes an ``IncomingMessage`` on the ``import`` channel and goes through
``Intake.ingest_many`` (``ingest``, a batch at a time), so it is redacted, tagged, flagged and
routed like any other feedback.

A row's message id is a hash of the row's own cells (by column name, so reordered columns do not
matter) and of how many identical rows came before it in the file. Importing a file again adds
nothing; importing it again after fixing the rows that were refused, or a later export of the same
survey with new rows at the end, adds only the rows that are new. Two identical rows in one file
(two people who both wrote "Very good") stay two items.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from intake.config import Config
from intake.ingest import Intake
from intake.message import Answers, IncomingMessage
from intake.staff.dates import LONDON, start_of_day
from intake.storage.models import InboundState

CHANNEL = "import"
CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
SERVICE_SEPARATOR = ";"
# Rows per batch: each batch is one commit of raw messages, then one transaction of processing.
BATCH_ROWS = 500
NOT_PROCESSED = ("stored by an earlier import that stopped before processing it; run "
                 "`intake reprocess --failed`")
CP1252_NOTE = ("The file is not in UTF-8, so it was read as Windows-1252 (what Excel on Windows "
               "saves as plain \u201cCSV\u201d). If accented or non-Latin letters look wrong, save "
               "it from Excel as \u201cCSV UTF-8\u201d and import it again.")
Cell = str | int | float | datetime | date | time | None


class ImportFileError(Exception):
    """The file cannot be imported at all; the message says what to do about it."""


class FileRows:
    """A file's data rows (each padded or cut to the header's width), read from the file afresh
    each time they are iterated, one at a time: a file of a million rows is never in memory."""

    def __init__(self, open_rows: Callable[[], Iterator[Sequence[Any]]], width: int,
                 count: int | None = None, expected: int | None = None) -> None:
        self._open_rows, self.width, self._count = open_rows, width, count
        self.expected = count if count is not None else expected

    def __iter__(self) -> Iterator[tuple[Cell, ...]]:
        rows = self._open_rows()
        try:
            next(rows, None)                    # the header
            for row in rows:
                yield _fit(row, self.width)
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()

    def __len__(self) -> int:
        """How many data rows; counted by reading them if the file did not say."""
        if self._count is None:
            self._count = sum(1 for _ in self)
        return self._count


@dataclass(frozen=True)
class SourceTable:
    """The rows of a file: a header row, then data rows (spreadsheet row 2 onwards), which
    ``read_table`` leaves in the file until they are iterated."""

    name: str
    columns: tuple[str, ...]
    rows: Iterable[tuple[Cell, ...]]
    notes: tuple[str, ...] = ()

    @property
    def expected_rows(self) -> int | None:
        """How many data rows there are, or about how many, if that is known without reading
        them (for a progress bar)."""
        if isinstance(self.rows, FileRows):
            return self.rows.expected
        return len(self.rows) if isinstance(self.rows, Sized) else None

    def column_index(self, name: str, option: str) -> int:
        """Where the column called ``name`` is: the exact name first, then ignoring case and
        surrounding spaces."""
        for matches in ([i for i, c in enumerate(self.columns) if c == name],
                        [i for i, c in enumerate(self.columns)
                         if c.strip().casefold() == name.strip().casefold()]):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ImportFileError(f"{self.name} has {len(matches)} columns called {name!r} "
                                      f"({option}). Rename one of them and try again.")
        found = ", ".join(repr(c) for c in self.columns if c) or "none"
        raise ImportFileError(f"{self.name} has no column called {name!r} ({option}). "
                              f"The columns in the file are: {found}.")


def read_table(path: Path, sheet: str | None = None) -> SourceTable:
    """A CSV file or an Excel workbook (the first sheet, or ``sheet``): its header now, its rows
    when they are iterated."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_workbook(path, sheet)
    if sheet is not None:
        raise ImportFileError("Only an Excel workbook has sheets; leave out --sheet for a CSV file.")
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    raise ImportFileError(f"{path.name} is not a CSV file or an Excel workbook (.xlsx). Save it as "
                          "one of those and try again.")


def read_csv(path: Path) -> SourceTable:
    """UTF-8 (with or without Excel's byte-order mark); failing that, Windows-1252, with a note.
    Commas, semicolons or tabs between cells, whichever the file uses.

    The file is read through once here, a piece at a time, to choose the encoding (the whole
    file must decode) and to find a cell CSV cannot read, so that a bad file is refused before
    any row is imported, as it always was; its rows are read again when they are iterated."""
    notes: list[str] = []
    sample = _decoded_sample(path, "utf-8-sig")
    encoding = "utf-8-sig"
    if sample is None:
        encoding, sample = "cp1252", _decoded_sample(path, "cp1252")
        if sample is None:
            raise ImportFileError(f"{path.name} is not a text file this can read. Save it from "
                                  "Excel as \u201cCSV UTF-8\u201d and try again.")
        notes.append(CP1252_NOTE)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def open_rows() -> Iterator[list[str]]:
        return _csv_rows(path, encoding, dialect)

    header, count = None, 0
    for row in open_rows():
        header = row if header is None else header
        count += 1
    if header is None:
        raise ImportFileError(f"{path.name} is empty. The first row must name the columns.")
    columns = _columns(path.name, header)
    return SourceTable(path.name, columns, FileRows(open_rows, len(columns), count - 1),
                       tuple(notes))


def _decoded_sample(path: Path, encoding: str) -> str | None:
    """The first 8,192 characters (what the delimiter is guessed from), if the whole file
    decodes in ``encoding``; None if it does not."""
    try:
        with path.open(encoding=encoding, newline="") as handle:
            sample = handle.read(8192)
            while handle.read(1 << 20):
                pass
    except UnicodeDecodeError:
        return None
    except OSError as exc:
        raise ImportFileError(f"{path} could not be opened: {exc.strerror}.") from None
    return sample


def _csv_rows(path: Path, encoding: str, dialect: Any) -> Iterator[list[str]]:
    """The file's rows, header first, read as they are asked for."""
    try:
        with path.open(encoding=encoding, newline="") as handle:
            yield from csv.reader(handle, dialect)
    except csv.Error as exc:  # a cell over the field size limit, a NUL in an old Python, ...
        raise ImportFileError(f"{path.name} could not be read as CSV ({exc}). Feedback over "
                              f"{csv.field_size_limit():,} characters in one cell is not accepted; "
                              "check the file was saved as CSV.") from exc
    except OSError as exc:
        raise ImportFileError(f"{path} could not be opened: {exc.strerror}.") from None


def read_workbook(path: Path, sheet: str | None = None) -> SourceTable:
    """The header of the sheet now; its rows (openpyxl's read-only mode, a row at a time) each
    time they are iterated."""
    with _open_sheet(path, sheet) as (title, rows, max_row):
        header = next(rows, None)
    name = f"{path.name} (sheet {title!r})"
    if header is None:
        raise ImportFileError(f"{name} is empty. The first row must name the columns.")
    columns = _columns(name, header)

    def open_rows() -> Iterator[Sequence[Any]]:
        with _open_sheet(path, title) as (_, sheet_rows, _):
            yield from sheet_rows

    expected = max_row - 1 if max_row else None     # from the sheet's stated size, if any
    return SourceTable(name, columns, FileRows(open_rows, len(columns), expected=expected))


@contextmanager
def _open_sheet(path: Path, sheet: str | None) -> Iterator[tuple[str, Iterator[Sequence[Any]],
                                                                   int | None]]:
    """A worksheet's title, its rows as values (read lazily) and its stated number of rows,
    with the workbook open until the block ends."""
    # Imported here: only Excel files need it, and every other command starts faster without.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"{path.name} could not be read as an Excel workbook ({exc}). Open "
                              "it in Excel, save it as .xlsx or as CSV, and try again.") from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ImportFileError(f"{path.name} has no sheet called {sheet!r}. Its sheets are: "
                                  f"{', '.join(repr(s) for s in workbook.sheetnames)}.")
        yield worksheet.title, worksheet.iter_rows(values_only=True), worksheet.max_row
    finally:
        workbook.close()


def _columns(name: str, header: Sequence[Any]) -> tuple[str, ...]:
    """The column names of the first row, without empty ones at the end."""
    columns = [("" if c is None else str(c)).strip() for c in header]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise ImportFileError(f"{name} has no column names in its first row.")
    return tuple(columns)


def _fit(row: Sequence[Any], width: int) -> tuple[Cell, ...]:
    """A row as wide as the header: missing cells are None, cells beyond it are left out."""
    return tuple((list(row) + [None] * width)[:width])


# -- from cells to messages ------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnChoice:
    """Which columns hold what, by their names in the file's first row."""

    text: str
    service: str | None = None
    date: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class PreparedRow:
    """One data row: a message to ingest, or why it cannot be one; ``notes`` say what was left
    out (a service or language that is not in the configuration)."""

    row: int
    message: IncomingMessage | None = None
    refused: str | None = None
    notes: tuple[str, ...] = ()
    blank: bool = False


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def row_content(columns: tuple[str, ...], cells: tuple[Cell, ...]) -> str:
    """What makes two rows the same: their non-empty cells by column name (so the order of the
    columns, and empty or unnamed ones, do not matter)."""
    content = {name: cell_text(value) for name, value in zip(columns, cells, strict=True)
               if name and cell_text(value)}
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def row_identity(columns: tuple[str, ...], cells: tuple[Cell, ...], occurrence: int) -> str:
    """The message id of a row: a hash of its content and of which identical row of the file it
    is (1 for the first)."""
    return _identity(row_content(columns, cells), occurrence)


def _identity(content: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{content}\n{occurrence}".encode()).hexdigest()
    return f"import-{digest[:40]}"


def _content_key(content: str) -> bytes:
    """A row's content in 16 bytes: what the count of identical rows is kept by, so that it
    holds a small digest per distinct row rather than the row's text."""
    return hashlib.blake2b(content.encode(), digest_size=16).digest()


def parse_moment(value: Cell) -> datetime:
    """A date or a date and time from a cell: 2026-09-14, 14/09/2026, 14/09/2026 10:30, an ISO
    timestamp, or an Excel date. A day means its start in UK time; a time without a zone is UK
    time. Raises ValueError with a sentence for the person importing."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=LONDON).astimezone(LONDON) if value.tzinfo is None else value
    if isinstance(value, date):
        return start_of_day(value)
    text = cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"the date {text!r} is a number, not a date; format the column as dates "
                         "or write them like 2026-09-14 or 14/09/2026")
    uk = UK_DATE.match(text)
    try:
        if uk:
            day, month, year, hour, minute, second = uk.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0))
            return moment.replace(tzinfo=LONDON) if hour else start_of_day(moment.date())
        if len(text) == 10:
            return start_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment
    except ValueError:
        pass
    raise ValueError(f"the date {text!r} is not a date this can read; write it like 2026-09-14 or "
                     "14/09/2026 (day first)")


class RowReader:
    """Turns a file's rows into messages, with the columns chosen and the district's services
    and languages (by id or name, in any case)."""

    def __init__(self, config: Config, table: SourceTable, columns: ColumnChoice,
                 now: datetime) -> None:
        self.table, self.now = table, now
        self.text = table.column_index(columns.text, "--text-column")
        self.service = (table.column_index(columns.service, "--service-column")
                        if columns.service else None)
        self.date = table.column_index(columns.date, "--date-column") if columns.date else None
        self.language = (table.column_index(columns.language, "--language-column")
                         if columns.language else None)
        self.services = {key.casefold(): service.id for service in config.services
                         for key in (service.id, service.name)}
        self.languages = {key.casefold(): language.code for language in config.languages.languages
                          for key in (language.code, language.name, language.native_name) if key}

    def rows(self) -> Iterator[PreparedRow]:
        """The file's rows as they are read, one at a time."""
        seen: Counter[bytes] = Counter()
        for offset, cells in enumerate(self.table.rows):
            number = offset + 2                 # the row number Excel shows (1 is the header)
            if not any(cell_text(c) for c in cells):
                yield PreparedRow(number, blank=True)
                continue
            content = row_content(self.table.columns, cells)
            key = _content_key(content)
            seen[key] += 1
            yield self.prepare(number, cells, seen[key], content)

    def prepare(self, number: int, cells: tuple[Cell, ...], occurrence: int,
                content: str) -> PreparedRow:
        """One row as a message; ``content`` is ``row_content`` of its cells (computed once by
        ``rows``, which counts identical rows by it)."""
        text = cell_text(cells[self.text])
        if not text:
            return PreparedRow(number, refused="the text is empty")
        notes: list[str] = []
        received_at = None
        if self.date is not None:
            if not cell_text(cells[self.date]):
                return PreparedRow(number, refused="the date is empty")
            try:
                received_at = parse_moment(cells[self.date])
            except ValueError as exc:
                return PreparedRow(number, refused=str(exc))
            if received_at > self.now + timedelta(days=1):
                return PreparedRow(number, refused=f"the date {cell_text(cells[self.date])!r} is "
                                                   "in the future")
        services: list[str] = []
        if self.service is not None:
            for part in cell_text(cells[self.service]).split(SERVICE_SEPARATOR):
                if not part.strip():
                    continue
                found = self.services.get(part.strip().casefold())
                if found is None:
                    notes.append(f"unknown service {part.strip()!r}")
                elif found not in services:
                    services.append(found)
        language = None
        if self.language is not None and cell_text(cells[self.language]):
            language = self.languages.get(cell_text(cells[self.language]).casefold())
            if language is None:
                notes.append(f"unknown language {cell_text(cells[self.language])!r}")
        message = IncomingMessage(
            channel=CHANNEL,
            provider_message_id=_identity(content, occurrence),
            text=text, received_at=received_at,
            answers=Answers(language=language, services=tuple(services)),
            metadata={"source": self.table.name, "row": number})
        return PreparedRow(number, message=message, notes=tuple(notes))


# -- through the pipeline --------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    row: int
    outcome: str          # "refused", "failed" or "imported without" what was not understood
    reason: str


@dataclass
class ImportSummary:
    """Counts, and the rows to look at (the report lists them): not the items imported, which a
    file of a million rows would make a million of."""

    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    blank: int = 0
    refused: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)     # kept; `intake reprocess --failed`
    partial: list[Problem] = field(default_factory=list)    # imported, but without a value

    @property
    def problems(self) -> list[Problem]:
        return sorted([*self.refused, *self.failed, *self.partial], key=lambda p: p.row)


def import_rows(intake: Intake, rows: Iterable[PreparedRow],
                batch_size: int = BATCH_ROWS) -> ImportSummary:
    """Ingest the prepared rows and count what happened. Already-imported rows are recognised by
    their message id and not counted twice.

    Rows go in batches (``Intake.ingest_many``): each batch's raw messages are committed before
    any of them is processed, and then processed in one transaction, so a crash loses nothing
    that `intake reprocess --failed` cannot finish.
    """
    summary = ImportSummary()
    batch: list[PreparedRow] = []
    for prepared in rows:
        summary.rows += 1
        if prepared.blank:
            summary.blank += 1
        elif prepared.message is None:
            summary.refused.append(Problem(prepared.row, "refused", prepared.refused or "unreadable"))
        else:
            batch.append(prepared)
            if len(batch) >= batch_size:
                _ingest_batch(intake, batch, summary)
                batch = []
    if batch:
        _ingest_batch(intake, batch, summary)
    return summary


def _ingest_batch(intake: Intake, batch: list[PreparedRow], summary: ImportSummary) -> None:
    results = intake.ingest_many([prepared.message for prepared in batch
                                  if prepared.message is not None])
    for prepared, result in zip(batch, results, strict=True):
        if result.state == InboundState.PROCESSED:
            if result.duplicate:
                summary.duplicates += 1
                continue
            summary.imported += 1
            summary.partial.extend(Problem(prepared.row, "imported without", note)
                                   for note in prepared.notes)
        elif result.state == InboundState.FAILED:
            summary.failed.append(Problem(prepared.row, "failed", result.error or "unknown error"))
        elif result.state == InboundState.RECEIVED:     # an earlier import stopped part-way
            summary.failed.append(Problem(prepared.row, "failed", NOT_PROCESSED))
        else:
            summary.refused.append(Problem(prepared.row, "refused", result.error or str(result.state)))
