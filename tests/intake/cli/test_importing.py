"""`intake import` as an engagement officer runs it: a survey export in, a summary out."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from intake.cli import main
from tests.conftest import settings_env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = settings_env(database_url, tmp_path / "instance")
    assert run(env, "db", "upgrade").exit_code == 0
    return env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def exported(env: dict[str, str]) -> list[dict]:
    result = run(env, "export", "--format", "jsonl")
    return [json.loads(line) for line in result.stdout.splitlines()]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_csv_file_is_imported_once(env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", [
        ["Response", "Service used", "Date"],
        ["The pharmacist explained everything", "Pharmacy", "14/09/2026"],
        ["Could not get an appointment", "GP surgery", "2026-09-20"],
        ["Very good", "gp", "21/09/2026"],
    ])
    args = ["import", str(path), "--text-column", "Response", "--service-column", "Service used",
            "--date-column", "Date"]
    first = run(env, *args)
    assert first.exit_code == 0, first.output
    assert "Read 3 rows from survey.csv." in first.stdout
    assert "Imported:                  3" in first.stdout
    items = exported(env)
    assert sorted(i["received_at"] for i in items) == [
        "2026-09-13T23:00:00+00:00", "2026-09-19T23:00:00+00:00", "2026-09-20T23:00:00+00:00"]
    assert {i["channel"] for i in items} == {"import"}
    again = run(env, *args)
    assert again.exit_code == 0
    assert "Imported:                  0" in again.stdout
    assert "Already imported before:   3" in again.stdout
    assert len(exported(env)) == 3


def test_an_excel_workbook_with_dates_languages_and_a_chosen_sheet(env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Notes"  # type: ignore[union-attr]
    sheet = workbook.create_sheet("Responses")
    sheet.append(["Comment", "When", "Language"])
    sheet.append(["Apteka była zamknięta w sobotę", datetime(2026, 9, 14, 10, 30), "Polish"])
    sheet.append(["Dentist was great", datetime(2026, 9, 15, 9, 0), "English"])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    result = run(env, "import", str(path), "--text-column", "Comment", "--date-column", "When",
                 "--language-column", "Language", "--sheet", "Responses")
    assert result.exit_code == 0, result.output
    assert "Imported:                  2" in result.stdout
    items = {i["text"]: i for i in exported(env)}
    polish = items["Apteka była zamknięta w sobotę"]
    assert polish["received_at"] == "2026-09-14T09:30:00+00:00"
    assert ("language", "pl", "contributor") in {(t["kind"], t["value"], t["source"])
                                                 for t in polish["tags"]}


def test_refused_rows_are_listed_and_written_with_errors(env: dict[str, str], tmp_path: Path) -> None:
    rows = [["Comment", "Service", "Date"], ["Good", "Foot clinic", "2026-09-14"]]
    rows += [[f"Comment {n}", "", "31/02/2026"] for n in range(12)]
    rows += [["", "GP", "2026-09-14"]]
    path = write_csv(tmp_path / "survey.csv", rows)
    errors = tmp_path / "problems.csv"
    shown = run(env, "import", str(path), "--text-column", "comment", "--service-column", "service",
                "--date-column", "date")
    assert shown.exit_code == 1
    assert "Refused:                   13" in shown.stdout
    assert "row 2: imported without: unknown service 'Foot clinic'" in shown.stdout
    assert "row 3: refused: the date '31/02/2026' is not a date this can read" in shown.stdout
    assert "...and 4 more. Use --errors FILE to write them all to a file." in shown.stdout
    written = run(env, "import", str(path), "--text-column", "comment", "--errors", str(errors))
    assert written.exit_code == 1
    assert f"Wrote 1 rows to look at to {errors}." in written.stdout
    assert list(csv.reader(errors.open(encoding="utf-8-sig"))) == [
        ["row", "outcome", "reason"], ["15", "refused", "the text is empty"]]
    with_dates = run(env, "import", str(path), "--text-column", "comment", "--date-column", "date",
                     "--service-column", "service", "--errors", str(errors))
    problems = list(csv.DictReader(errors.open(encoding="utf-8-sig")))
    assert len(problems) == 13 and with_dates.exit_code == 1
    assert [p["row"] for p in problems] == [str(n) for n in range(3, 16)]   # row 2 was imported before


def test_a_missing_column_names_the_columns_there_are(env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", [["Response", "Site"], ["Fine", "GP"]])
    result = run(env, "import", str(path), "--text-column", "Comment")
    assert result.exit_code == 1
    assert ("survey.csv has no column called 'Comment' (--text-column). The columns in the file "
            "are: 'Response', 'Site'.") in result.output
    assert exported(env) == []


def test_a_windows_csv_is_read_with_a_note(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes("Comment\nThe café staff at the surgery were kind\n".encode("cp1252"))
    result = run(env, "import", str(path), "--text-column", "Comment")
    assert result.exit_code == 0
    assert "Note: The file is not in UTF-8" in result.output
    assert [i["text"] for i in exported(env)] == ["The café staff at the surgery were kind"]
