"""A later pipeline stage crashes: the message is kept, shown as ``failed`` with the error, and
``intake reprocess --failed`` (the real command) completes it into exactly one feedback item.

The crash is injected without touching the app: the pipeline's default stage list is swapped
for one whose routing stage (the last) raises, as a bug or a broken routing target would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from intake import pipeline
from intake.bootstrap import Runtime
from intake.cli import main
from intake.message import IncomingMessage, message_from_json
from intake.pipeline import Stage
from intake.pipeline.stages import routing
from intake.storage.models import Conversation, Feedback, InboundMessage, InboundState
from tests.conftest import settings_env
from tests.reliability.conftest import Tally
from tests.webhooks.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SERVICE_NUMBER,
    build_channel,
    new_sid,
    sign,
    twiml_messages,
)
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

CRASH = "routing target table is corrupt"
GP_FEEDBACK = "My GP never answers the phone and I waited three weeks"
PATIENT = "+447700960123"


def _crash(*_args: object) -> pipeline.Draft:
    raise RuntimeError(CRASH)


@pytest.fixture
def crashing_routing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Routing raises until the returned ``repair`` is called (a fix deployed)."""
    stages = tuple(Stage(s.name, s.version, _crash) if s is routing.STAGE else s
                   for s in pipeline.STAGES)
    assert stages != pipeline.STAGES
    monkeypatch.setattr(pipeline.run, "__defaults__", (stages,))
    return monkeypatch.undo


@pytest.fixture
def env(runtime: Runtime, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment for the same database and keys as the ``runtime`` fixture."""
    return settings_env(database_url, tmp_path / "instance")


def reprocess_failed(env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, ["reprocess", "--failed"], env=env, catch_exceptions=False)


def inbound(runtime: Runtime, inbound_id: int) -> InboundMessage:
    with runtime.sessions() as session:
        return session.get_one(InboundMessage, inbound_id)


def feedback_for(runtime: Runtime, inbound_id: int) -> list[Feedback]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Feedback).where(
            Feedback.inbound_message_id == inbound_id)))


def feedback_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Feedback)) or 0)


def test_a_crash_in_routing_leaves_the_message_failed_and_reprocess_completes_it_once(
        runtime: Runtime, env: dict[str, str], crashing_routing: Callable[[], None],
        reliability_tally: Tally) -> None:
    message = IncomingMessage(channel="web", provider_message_id="form-crash-1",
                              text=GP_FEEDBACK, sender=PATIENT)

    result = runtime.intake.ingest(message)
    reliability_tally.add("faults_injected")

    assert result.state == InboundState.FAILED
    assert result.error == f"RuntimeError: {CRASH}"
    row = inbound(runtime, result.inbound_id)
    assert (row.state, row.error) == (InboundState.FAILED, f"RuntimeError: {CRASH}")
    kept = message_from_json(runtime.intake.vault.decrypt(row.payload_encrypted))
    assert (kept.text, kept.sender) == (GP_FEEDBACK, PATIENT)
    assert feedback_count(runtime) == 0  # nothing half-stored
    # A retried delivery while it is still failing is not a second record.
    assert runtime.intake.ingest(message).inbound_id == result.inbound_id

    crashing_routing()  # repaired
    completed = reprocess_failed(env)
    again = reprocess_failed(env)

    stored = feedback_for(runtime, result.inbound_id)
    reliability_tally.add("duplicate_deliveries")
    reliability_tally.add("records_checked")
    reliability_tally.add("records_lost", int(not stored))
    reliability_tally.add("records_duplicated", max(0, len(stored) - 1))
    assert completed.exit_code == 0, completed.output
    [item] = stored
    assert f"inbound #{result.inbound_id}: stored as {item.reference}" in completed.output
    assert "1 completed, 0 still failing." in completed.output
    assert again.exit_code == 0 and "0 completed, 0 still failing." in again.output
    assert item.text == GP_FEEDBACK
    assert (inbound(runtime, result.inbound_id).state,
            inbound(runtime, result.inbound_id).error) == (InboundState.PROCESSED, None)
    assert feedback_count(runtime) == 1


def sms_conversation(runtime: Runtime) -> tuple[list[tuple[int, list[str]]], int]:
    """A whole SMS conversation through the real app (signed requests, in process); returns
    the answers and the id of the conversation."""
    settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                              from_number=SERVICE_NUMBER, messaging_service_sid="",
                              api_base_url=DEFAULT_API_BASE_URL)
    channel = build_channel(runtime, settings)
    answers = []
    for body in (GP_FEEDBACK, "YES", "4", "3", "NO"):
        params = channel.payload(PATIENT, body, new_sid())
        response = channel.client.post("/sms/twilio", data=params,
                                       headers={"X-Twilio-Signature": sign(params)})
        answers.append((response.status_code, twiml_messages(response.data)
                        if response.status_code == 200 else []))
    with runtime.sessions() as session:
        [conversation_id] = session.scalars(select(Conversation.id)).all()
    return answers, conversation_id


def conversation_inbound(runtime: Runtime, conversation_id: int) -> InboundMessage:
    with runtime.sessions() as session:
        return session.scalars(select(InboundMessage).where(
            InboundMessage.provider_message_id == f"conversation-{conversation_id}")).one()


def test_a_crash_when_an_sms_conversation_ends_is_kept_and_reprocessed_once(
        runtime: Runtime, env: dict[str, str], crashing_routing: Callable[[], None],
        reliability_tally: Tally) -> None:
    answers, conversation_id = sms_conversation(runtime)
    reliability_tally.add("faults_injected")

    # The person is still answered (without a reference: there is no item yet).
    assert [status for status, _ in answers] == [200] * 5
    assert answers[-1][1] and "FB-" not in " ".join(answers[-1][1])
    row = conversation_inbound(runtime, conversation_id)
    assert (row.state, row.error) == (InboundState.FAILED, f"RuntimeError: {CRASH}")
    assert feedback_count(runtime) == 0

    crashing_routing()  # repaired
    completed = reprocess_failed(env)

    stored = feedback_for(runtime, row.id)
    reliability_tally.add("records_checked")
    reliability_tally.add("records_lost", int(not stored))
    reliability_tally.add("records_duplicated", max(0, len(stored) - 1))
    assert completed.exit_code == 0, completed.output
    assert "1 completed, 0 still failing." in completed.output
    [item] = stored
    assert item.text == GP_FEEDBACK and item.fft_rating == "poor"
    assert feedback_count(runtime) == 1


def test_a_reprocessed_conversation_is_linked_to_its_feedback(
        runtime: Runtime, env: dict[str, str], crashing_routing: Callable[[], None]) -> None:
    _, conversation_id = sms_conversation(runtime)
    crashing_routing()
    assert reprocess_failed(env).exit_code == 0

    [item] = feedback_for(runtime, conversation_inbound(runtime, conversation_id).id)
    with runtime.sessions() as session:
        assert session.get_one(Conversation, conversation_id).feedback_id == item.id
