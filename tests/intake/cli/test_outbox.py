"""`intake outbox stuck` and `intake outbox resolve`, as an operator runs them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import update

from intake.bootstrap import Runtime
from intake.cli import main
from intake.storage.models import OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW, settings_env
from tests.intake.test_outbox import queue


def test_a_stuck_message_is_listed_and_resolved(runtime: Runtime, database_url: str,
                                                tmp_path: Path) -> None:
    env = settings_env(database_url, tmp_path / "instance")
    message_id = queue(runtime, "follow-up:cli")
    with runtime.sessions.begin() as session:   # what a worker that died mid-send leaves
        session.execute(update(OutboundMessage).values(
            status=OutboundStatus.SENDING, updated_at=FIXED_NOW - timedelta(days=1)))
    listed = CliRunner().invoke(main, ["outbox", "stuck"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"#{message_id}  sms  follow-up" in listed.output
    assert "1 message(s) need a person" in listed.output
    done = CliRunner().invoke(main, ["outbox", "resolve", str(message_id), "--as", "sent"], env=env)
    assert done.exit_code == 0 and "marked sent" in done.output
    again = CliRunner().invoke(main, ["outbox", "resolve", str(message_id), "--as", "sent"], env=env)
    assert again.exit_code == 1 and "is not waiting in 'sending'" in again.output
    assert "0 message(s)" in CliRunner().invoke(main, ["outbox", "stuck"], env=env).output
