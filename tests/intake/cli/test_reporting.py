"""`intake report`: the assurance report from the command line, with no web app."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from intake.cli import main
from tests.conftest import settings_env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = settings_env(database_url, tmp_path / "instance")
    assert run(env, "db", "upgrade").exit_code == 0
    return env


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def submit(env: dict[str, str], text: str, message_id: str) -> None:
    result = run(env, "submit", "--channel", "sms", "--text", text, "--message-id", message_id)
    assert result.exit_code == 0, result.output


def test_html_report_for_a_period(env: dict[str, str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    submit(env, "My GP surgery never answers the phone", "1")
    monkeypatch.chdir(tmp_path)
    today = date.today()
    first = today.replace(day=1)
    result = run(env, "report", "--from", first.isoformat(), "--to", today.isoformat())
    assert result.exit_code == 0, result.output
    written = tmp_path / f"report-{first.isoformat()}-to-{today.isoformat()}.html"
    assert f"to {written.name}" in result.output
    page = written.read_text(encoding="utf-8")
    assert "Feedback by service" in page and "GP surgery" in page and "<svg" in page


def test_the_report_command_does_not_load_the_web_app() -> None:
    code = ("import sys, intake.cli.reporting, intake.reporting.html; "
            "sys.exit(1 if 'flask' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_csv_report_is_a_zip_of_tables(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "board.zip"
    result = run(env, "report", "--from", "2026-09-01", "--to", "2026-10-31", "--format", "csv",
                 "--output", str(target))
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(io.BytesIO(target.read_bytes())).namelist()
    assert "report-2026-09-01-to-2026-10-31/summary.csv" in names
    assert "report-2026-09-01-to-2026-10-31/you_said_we_did.csv" in names
    assert len(names) == 11


def test_html_to_standard_output(env: dict[str, str]) -> None:
    result = run(env, "report", "--from", "2026-09-01", "--to", "2026-10-31", "--output", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-09-01"], "Give both --from and --to"),
    (["--from", "2026-10-01", "--to", "2026-09-01"], "end date must be the same as or after"),
    (["--from", "01/09/2026", "--to", "2026-10-31"], "start date must be a real date"),
])
def test_bad_periods_are_explained(env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, "report", *args)
    assert result.exit_code == 2
    assert message in result.output
