"""`intake worker --once`: the senders channels register, sending the outbox for real (to a local
fake Twilio)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.cli import main
from intake.contributors import contributor_for
from intake.message import IncomingMessage
from intake.outbox import enqueue
from intake.storage.models import Feedback, OutboundMessage, OutboundStatus
from tests.conftest import settings_env
from tests.webhooks.sms.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "1" * 32
PATIENT = "+447700900123"
NO_TWILIO = dict.fromkeys(("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
                           "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL"))


@pytest.fixture
def env(runtime: Runtime, database_url: str, tmp_path: Path) -> dict[str, str | None]:
    """The CLI's environment for the same (migrated) database the ``runtime`` fixture uses."""
    return {**settings_env(database_url, tmp_path / "instance"), **NO_TWILIO}


def run_worker(env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(main, ["worker", "--once"], env=env, catch_exceptions=False)


def queue_follow_up(runtime: Runtime, body: str) -> int:
    now = datetime.now(UTC) - timedelta(minutes=1)  # the CLI runs on the real clock
    with runtime.sessions.begin() as session:
        _, address = contributor_for(session, runtime.intake.vault, "sms", PATIENT, now)
        message = enqueue(session, intent_key="follow-up:worker", address=address,
                          purpose="follow-up", body=body, language="en", now=now)
        session.flush()
        return message.id


def test_without_twilio_no_channel_is_configured_and_nothing_is_sent(
        runtime: Runtime, env: dict[str, str | None]) -> None:
    message_id = queue_follow_up(runtime, "Your feedback changed something.")

    result = run_worker(env)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Sending on: no channel is configured.",
        "sent 0, retrying 0, failed 0, cancelled 0",
    ]
    with runtime.sessions() as session:
        message = session.get_one(OutboundMessage, message_id)
        assert (message.status, message.attempts) == (OutboundStatus.QUEUED, 0)


def test_with_twilio_configured_a_queued_message_is_sent(
        runtime: Runtime, env: dict[str, str | None], fake_twilio: FakeTwilio) -> None:
    message_id = queue_follow_up(runtime, "The surgery now has more phone lines.")
    env = {**env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "test-token",
           "TWILIO_FROM_NUMBER": "+447700900000", "TWILIO_API_BASE_URL": fake_twilio.base_url}

    result = run_worker(env)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["Sending on: sms.", "sent 1, retrying 0, failed 0, cancelled 0"]
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {"To": PATIENT, "From": "+447700900000",
                            "Body": "The surgery now has more phone lines.",
                            "StatusCallback": "https://intake.example.test/sms/twilio/status"}
    assert request.basic_auth == (ACCOUNT_SID, "test-token")
    with runtime.sessions() as session:
        message = session.get_one(OutboundMessage, message_id)
        assert message.status == OutboundStatus.SENT
        assert message.provider_message_id == "SM" + "0" * 31 + "1"

    again = run_worker(env)  # a second cycle has nothing left to send

    assert again.output.splitlines()[-1] == "sent 0, retrying 0, failed 0, cancelled 0"
    assert len(fake_twilio.requests) == 1


def test_a_twilio_outage_leaves_the_message_queued_for_a_retry(
        runtime: Runtime, env: dict[str, str | None], fake_twilio: FakeTwilio) -> None:
    message_id = queue_follow_up(runtime, "The surgery now has more phone lines.")
    fake_twilio.server_error.add(PATIENT)
    env = {**env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "test-token",
           "TWILIO_FROM_NUMBER": "+447700900000", "TWILIO_API_BASE_URL": fake_twilio.base_url}

    result = run_worker(env)

    assert result.output.splitlines()[-1] == "sent 0, retrying 1, failed 0, cancelled 0"
    with runtime.sessions() as session:
        message = session.scalar(select(OutboundMessage).where(OutboundMessage.id == message_id))
        assert message is not None
        assert (message.status, message.attempts) == (OutboundStatus.QUEUED, 1)
        assert message.last_error is not None and "500" in message.last_error


class StopWorker(Exception):
    pass


def test_as_a_service_the_worker_logs_what_it_sends_on_and_each_busy_cycle(
        runtime: Runtime, env: dict[str, str | None], fake_twilio: FakeTwilio,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Without --once the lines are log records (JSON in production), not printed text; a cycle
    that did nothing writes no line."""
    queue_follow_up(runtime, "The surgery now has more phone lines.")
    env = {**env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "test-token",
           "TWILIO_FROM_NUMBER": "+447700900000", "TWILIO_API_BASE_URL": fake_twilio.base_url}
    cycles = iter(range(2))

    def sleep(_seconds: float) -> None:
        if next(cycles, None) is None:
            raise StopWorker

    monkeypatch.setattr("intake.cli.worker.time.sleep", sleep)
    caplog.set_level("INFO", logger="intake.cli.worker")
    result = CliRunner().invoke(main, ["worker", "--interval", "1"], env=env)

    assert isinstance(result.exception, StopWorker)
    assert result.output == ""
    lines = [(r.getMessage(), getattr(r, "sent", None)) for r in caplog.records
             if r.name == "intake.cli.worker"]
    assert lines == [("worker started; sending on: sms", None),
                     ("sent 1, retrying 0, failed 0, cancelled 0", 1)]
    assert PATIENT not in caplog.text


def test_the_worker_tags_feedback_queued_for_it_and_says_how_much(
        runtime: Runtime, env: dict[str, str | None]) -> None:
    references = [runtime.intake.queue(IncomingMessage(
        channel="sms", provider_message_id=f"conversation-{n}", sender=PATIENT,
        text="My GP surgery never answers the phone")).reference for n in range(3)]

    result = run_worker({**env, "INTAKE_TAGGING": "worker"})

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Sending on: no channel is configured.", "Tagged 3 queued message(s).",
        "sent 0, retrying 0, failed 0, cancelled 0"]
    with runtime.sessions() as session:
        assert set(session.scalars(select(Feedback.reference))) == set(references)
    assert "Tagged" not in run_worker(env).output   # nothing left; and tagged whatever the setting


def test_a_flood_of_queued_feedback_does_not_hold_up_sending(
        runtime: Runtime, env: dict[str, str | None], fake_twilio: FakeTwilio,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cycle tags at most TAG_PER_CYCLE, then sends; what is left waits for the next cycle."""
    monkeypatch.setattr("intake.cli.worker.TAG_PER_CYCLE", 2)
    for n in range(3):
        runtime.intake.queue(IncomingMessage(channel="sms", provider_message_id=f"conversation-{n}",
                                             sender=PATIENT, text="My GP never answers the phone"))
    queue_follow_up(runtime, "The surgery now has more phone lines.")
    env = {**env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "test-token",
           "TWILIO_FROM_NUMBER": "+447700900000", "TWILIO_API_BASE_URL": fake_twilio.base_url}

    first = run_worker(env)

    assert first.output.splitlines()[1:] == ["Tagged 2 queued message(s).",
                                             "sent 1, retrying 0, failed 0, cancelled 0"]
    assert run_worker(env).output.splitlines()[1] == "Tagged 1 queued message(s)."
    with runtime.sessions() as session:
        assert len(list(session.scalars(select(Feedback.id)))) == 3


def test_as_a_service_the_worker_does_not_sleep_while_queued_feedback_is_left(
        runtime: Runtime, env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("intake.cli.worker.TAG_PER_CYCLE", 1)
    for n in range(2):
        runtime.intake.queue(IncomingMessage(channel="sms", provider_message_id=f"conversation-{n}",
                                             sender=PATIENT, text="My GP never answers the phone"))

    def sleep(_seconds: float) -> None:
        raise StopWorker

    monkeypatch.setattr("intake.cli.worker.time.sleep", sleep)
    result = CliRunner().invoke(main, ["worker"], env=env)

    assert isinstance(result.exception, StopWorker)
    with runtime.sessions() as session:     # both tagged before the first sleep
        assert len(list(session.scalars(select(Feedback.id)))) == 2
