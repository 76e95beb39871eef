"""`intake simulate sms`: the whole SMS conversation in a terminal, through the real webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from intake.cli import main
from intake.storage.database import make_engine
from intake.storage.models import Conversation, InboundMessage
from tests.conftest import settings_env

NO_TWILIO = dict.fromkeys(("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
                           "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL"))


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {**settings_env(database_url, tmp_path / "instance"), **NO_TWILIO}
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env=env, catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    return env


def simulate(env: dict[str, str | None], stdin: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["simulate", "sms", *args], input=stdin, env=env,
                              catch_exceptions=False)


def test_a_conversation_in_the_terminal(env: dict[str, str | None], database_url: str) -> None:
    result = simulate(env, "Hi\nMy GP never answers the phone\nYES\n")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == [
        "> Hi",
        "< Thank you for contacting NHS Involve. Please tell us what happened, or what could be "
        "better. Reply SKIP to skip any question, STOP to opt out.",
        "> My GP never answers the phone",
        "< Is this about GP? Reply YES or NO.",
        "> YES",
        "< Overall, how was your experience? 1 Very good 2 Good 3 Neither good nor poor 4 Poor "
        "5 Very poor 6 Don't know.",
    ]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(InboundMessage)) == 3
            assert connection.scalar(select(func.count()).select_from(Conversation)) == 1
    finally:
        engine.dispose()


def test_a_message_with_no_reply_is_shown_as_such(env: dict[str, str | None]) -> None:
    # An opted-out person's text is kept as feedback and gets no reply.
    result = simulate(env, "STOP\nThe pharmacy was closed again\n", "--from", "+447700900456")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "> STOP",
        "< You will get no more texts from NHS Involve feedback. Reply START to start again.",
        "> The pharmacy was closed again",
        "< (no reply)",
    ]
