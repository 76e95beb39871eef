"""The `intake` program (``intake.cli.run``): logging set up from LOG_FORMAT and LOG_LEVEL before
the command, and a crash written as one log line, not a bare traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "pw-not-in-logs-42"


def intake(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items()
             if not name.startswith(("INTAKE_", "DATABASE_URL", "LOG_", "TWILIO_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-c", "from intake.cli import run; run()", *args],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_a_crash_is_one_json_line_with_the_traceback_and_no_password(tmp_path: Path) -> None:
    done = intake("worker", "--once", LOG_FORMAT="json", INTAKE_INSTANCE_PATH=str(tmp_path),
                  DATABASE_URL=f"postgresql://nobody:{PASSWORD}@127.0.0.1:1/none")
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert lines[-1]["level"] == "CRITICAL" and lines[-1]["logger"] == "intake"
    assert "OperationalError" in lines[-1]["exception"]
    assert PASSWORD not in done.stderr + done.stdout


def test_in_text_format_the_lines_are_for_a_person(tmp_path: Path) -> None:
    done = intake("worker", "--once", LOG_FORMAT="text", INTAKE_INSTANCE_PATH=str(tmp_path),
                  DATABASE_URL="postgresql://nobody:pw@127.0.0.1:1/none")
    assert done.returncode == 1
    assert " CRITICAL intake: intake stopped on an unexpected error" in done.stderr
    assert not done.stderr.lstrip().startswith("{")


def test_a_command_that_works_prints_its_output_as_before(tmp_path: Path) -> None:
    """Logs go to stderr; what a command prints (JSON lines here) is unchanged on stdout."""
    done = subprocess.run([sys.executable, "-c", "from intake.cli import run; run()", "tag"],
                          cwd=ROOT, input='{"text": "My GP never answers the phone"}\n',
                          env={**os.environ, "LOG_FORMAT": "json", "INTAKE_INSTANCE_PATH": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert [service["value"] for service in json.loads(line)["services"]] == ["gp"]
