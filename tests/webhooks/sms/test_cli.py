"""`intake sms`: the reconcile summary as a person reads it, and the command's numbers, window,
exit status and errors (Twilio is the local fake; the database an embedded SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from intake.cli import main
from tests.conftest import settings_env
from webhooks.sms import cli
from webhooks.sms.reconcile import ReconcileSummary

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PATIENT, SERVICE_NUMBER
from .fake_twilio import FakeTwilio

OTHER_NUMBER = "+447700900001"
THIRD_NUMBER = "+447700900002"
SINCE = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


# -- describe --------------------------------------------------------------------------------------

def test_a_dry_run_lists_the_missing_sids_and_says_nothing_was_stored() -> None:
    summary = ReconcileSummary(since=SINCE, until=None, dry_run=True, listed=4, inbound=3,
                               already_stored=1, missing=["SM1", "SM2"])
    assert cli.describe(summary) == [
        "Twilio listed 4 messages from 2026-11-01 09:30:00 UTC to now: 3 inbound, "
        "1 outbound (left alone).",
        "  Already stored: 1",
        "  Missing: 2",
        "    SM1",
        "    SM2",
        "Dry run: nothing was stored. Run again without --dry-run to ingest them.",
    ]


def test_a_run_reports_what_became_of_each_text_and_how_to_finish_failures() -> None:
    summary = ReconcileSummary(since=SINCE, until=UNTIL, listed=6, inbound=6, already_stored=0,
                               missing=[f"SM{n}" for n in range(1, 7)], ingested=5,
                               references=["FB-7K3M9Q", "FB-2345AB"], opted_out=1, opted_in=1,
                               ignored=[("SM5", "a HELP keyword")],
                               failed=[("SM6", "ValueError: bad payload")])
    assert cli.describe(summary) == [
        "Twilio listed 6 messages from 2026-11-01 09:30:00 UTC to 2026-11-01 10:00:00 UTC: "
        "6 inbound, 0 outbound (left alone).",
        "  Already stored: 0",
        "  Missing: 6",
        "  Ingested: 5",
        "    became feedback: 2 (FB-7K3M9Q, FB-2345AB)",
        "    opted out: 1",
        "    opted back in: 1",
        "    not feedback: 1",
        "      SM5: a HELP keyword",
        "  Failed: 1",
        "    SM6: ValueError: bad payload",
        "Failed texts that were stored can be finished with `intake reprocess --failed`.",
    ]


def test_a_run_with_nothing_missing_has_no_lists_and_no_hint() -> None:
    lines = cli.describe(ReconcileSummary(since=SINCE, until=None, listed=2, inbound=2,
                                          already_stored=2))
    assert lines[1:] == ["  Already stored: 2", "  Missing: 0", "  Ingested: 0",
                         "    became feedback: 0", "    opted out: 0", "    opted back in: 0",
                         "    not feedback: 0", "  Failed: 0"]


def test_the_summary_holds_no_numbers_or_message_text() -> None:
    summary = ReconcileSummary(since=SINCE, until=None, listed=1, inbound=1, missing=["SM1"],
                               ingested=1, references=["FB-7K3M9Q"])
    text = "\n".join(cli.describe(summary))
    assert "+44" not in text and "SM1" not in text  # missing sids are listed only in a dry run


# -- the command -------------------------------------------------------------------------------------

@pytest.fixture
def env(tmp_path: Path, fake_twilio: FakeTwilio) -> dict[str, str | None]:
    """An embedded database (migrated on first use) and Twilio's API at the fake."""
    return {**settings_env(f"sqlite:///{tmp_path / 'intake.sqlite3'}", tmp_path / "instance"),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SERVICE_NUMBER, "TWILIO_MESSAGING_SERVICE_SID": None,
            "TWILIO_API_BASE_URL": fake_twilio.base_url}


def intake(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(main, ["sms", "reconcile", *args], env=env)


def listed_numbers(fake: FakeTwilio) -> set[str]:
    return {request.form["To"] for request in fake.requests if request.method == "GET"}


def test_given_numbers_replace_the_configured_one(env: dict[str, str | None],
                                                  fake_twilio: FakeTwilio) -> None:
    inside = datetime(2026, 11, 1, 9, 45, tzinfo=UTC)
    for number in (OTHER_NUMBER, THIRD_NUMBER, SERVICE_NUMBER):
        fake_twilio.add_message(PATIENT, number, "The waiting room was freezing", inside)

    result = intake({**env, "TWILIO_FROM_NUMBER": None}, "--since", "2026-11-01T09:30",
                    "--until", "2026-11-01T10:00", "--to", OTHER_NUMBER, "--to", THIRD_NUMBER,
                    "--dry-run")

    assert result.exit_code == 0, result.output
    assert listed_numbers(fake_twilio) == {OTHER_NUMBER, THIRD_NUMBER}
    assert "  Missing: 2" in result.output.splitlines()


def test_an_iso_window_with_an_offset_is_read_as_utc(env: dict[str, str | None],
                                                     fake_twilio: FakeTwilio) -> None:
    fake_twilio.add_message(PATIENT, SERVICE_NUMBER, "Inside", datetime(2026, 11, 1, 9, 45, tzinfo=UTC))
    fake_twilio.add_message(PATIENT, SERVICE_NUMBER, "After", datetime(2026, 11, 1, 10, 15, tzinfo=UTC))

    result = intake(env, "--since", "2026-11-01T10:30+01:00", "--until", "2026-11-01T11:00+01:00",
                    "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Twilio listed 1 messages from 2026-11-01 09:30:00 UTC to 2026-11-01 10:00:00 UTC: "
        "1 inbound, 0 outbound (left alone).")


def test_a_window_that_starts_and_ends_at_the_same_moment_is_allowed(
        env: dict[str, str | None], fake_twilio: FakeTwilio) -> None:
    result = intake(env, "--since", "2026-11-01", "--until", "2026-11-01T00:00Z", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "from 2026-11-01 00:00:00 UTC to 2026-11-01 00:00:00 UTC" in result.output


def test_failures_are_reported_and_the_exit_status_is_one(env: dict[str, str | None],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def one_failure(chat: Any, client: Any, numbers: Any, since: datetime, until: datetime | None,
                    dry_run: bool = False) -> ReconcileSummary:
        return ReconcileSummary(since=since, until=until, listed=1, inbound=1, missing=["SM1"],
                                failed=[("SM1", "RuntimeError: tagger crashed")])

    monkeypatch.setattr(cli, "reconcile", one_failure)
    result = intake(env, "--since", "2h")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "    SM1: RuntimeError: tagger crashed" in result.output.splitlines()
    assert "intake reprocess --failed" in result.output


def test_a_database_down_at_the_start_is_a_clear_error(env: dict[str, str | None]) -> None:
    result = intake({**env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "--since", "2h")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "The database is unavailable" in result.output
