"""`intake export`: its formats, where it writes, each filter, and the dates it accepts."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from intake.cli import main
from intake.cli.exporting import _moment, export
from intake.export import CSV_COLUMNS
from tests.intake.cli.test_commands import run


@pytest.fixture
def three(env: dict[str, str]) -> dict[str, str]:
    """Three items: GP by SMS in English, a dental one on the web in Urdu, a plain CLI one."""
    for args in (["--channel", "sms", "--text", "My GP surgery never answers the phone",
                  "--language", "en", "--need", "bsl-interpreter"],
                 ["--channel", "web", "--text", "The dentist was kind", "--service", "dental",
                  "--language", "ur"],
                 ["--channel", "cli", "--text", "Thank you"]):
        assert run(env, "submit", *args).exit_code == 0
    return env


def references(output: str) -> list[str]:
    return [json.loads(line)["reference"] for line in output.splitlines()]


def channels(env: dict[str, str], *args: str) -> list[str]:
    result = run(env, "export", "--format", "jsonl", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["channel"] for line in result.output.splitlines()]


def test_csv_by_default_jsonl_on_request_newest_first_to_stdout_or_a_file(
        three: dict[str, str], tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(run(three, "export").output)))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[CSV_COLUMNS.index("channel")] for row in rows[1:]] == ["cli", "web", "sms"]
    assert channels(three) == ["cli", "web", "sms"]
    target = tmp_path / "queue.jsonl"
    result = run(three, "export", "--format", "jsonl", "--output", str(target))
    assert result.output == ""
    assert references(target.read_text("utf-8")) == [row[0] for row in rows[1:]]


def test_an_empty_queue_is_only_the_header_or_nothing(env: dict[str, str]) -> None:
    assert list(csv.reader(io.StringIO(run(env, "export").output))) == [list(CSV_COLUMNS)]
    assert run(env, "export", "--format", "jsonl").output == ""


FILTERS: list[tuple[list[str], list[str]]] = [
    (["--channel", "web"], ["web"]),
    (["--channel", "telegram"], []),
    (["--service", "dental"], ["web"]),
    (["--service", "gp"], ["sms"]),
    (["--language", "ur"], ["web"]),
    (["--need", "bsl-interpreter"], ["sms"]),
    (["--status", "new"], ["cli", "web", "sms"]),
    (["--status", "closed"], []),
    (["--channel", "sms", "--service", "dental"], []),
]


def test_each_filter_narrows_the_export(three: dict[str, str]) -> None:
    for args, expected in FILTERS:
        assert channels(three, *args) == expected, args
    # Received times: bounded below by --since, above by --until (UTC unless a zone is given).
    today = datetime.now(UTC).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert len(channels(three, "--since", yesterday.isoformat())) == 3
    assert channels(three, "--since", tomorrow.isoformat()) == []
    assert channels(three, "--until", yesterday.isoformat()) == []
    assert len(channels(three, "--until", f"{tomorrow.isoformat()}T00:00+00:00")) == 3


@pytest.mark.parametrize("option", ["--since", "--until"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "01/11/2026", ""])
def test_a_date_that_cannot_be_read_is_a_usage_error(no_database: dict[str, str], option: str,
                                                     value: str) -> None:
    """Refused while reading the options: no database is opened."""
    result = CliRunner().invoke(main, ["export", option, value], env=no_database)
    assert result.exit_code == 2
    assert "use a date like 2026-11-01 or 2026-11-01T09:30" in result.output


@pytest.mark.parametrize(("option", "value"), [("--format", "xlsx"), ("--status", "open")])
def test_a_value_not_offered_is_a_usage_error(no_database: dict[str, str], option: str,
                                              value: str) -> None:
    result = CliRunner().invoke(main, ["export", option, value], env=no_database)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


# -- reading dates ------------------------------------------------------------------------------

def moment(value: str | None) -> datetime | None:
    return _moment(click.Context(export), next(p for p in export.params if p.name == "since"),
                   value)


def test_no_date_means_no_bound() -> None:
    assert moment(None) is None


def test_a_date_without_a_zone_is_taken_as_utc() -> None:
    assert moment("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert moment("2026-11-01T09:30") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_a_date_with_a_zone_keeps_it() -> None:
    parsed = moment("2026-11-01T09:30+05:00")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=5)
    assert parsed == datetime(2026, 11, 1, 4, 30, tzinfo=UTC)
    assert moment("2026-11-01T09:30Z") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_anything_else_is_a_bad_parameter() -> None:
    with pytest.raises(click.BadParameter, match="use a date like"):
        moment("next Tuesday")
