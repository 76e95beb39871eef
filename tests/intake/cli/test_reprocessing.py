"""`intake reprocess`: re-tagging stored feedback, and with --failed finishing inbound messages,
with what it prints on stdout and stderr and its exit code."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cli import main
from intake.storage.database import make_engine
from intake.storage.models import InboundMessage, InboundState
from intake.taggers.phrases import PhraseMatcher
from tests.intake.cli.test_commands import run


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def states(env: dict[str, str]) -> list[str]:
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return list(session.scalars(select(InboundMessage.state).order_by(InboundMessage.id)))
    finally:
        engine.dispose()


def broken(*_args: object) -> None:
    raise RuntimeError("disk full")


def test_retagging_an_empty_queue_says_so_and_succeeds(env: dict[str, str]) -> None:
    result = invoke(env, "reprocess")
    assert result.exit_code == 0
    assert result.stdout == "Re-tagged 0 item(s): 0 tag(s) added, 0 superseded.\n"
    assert result.stderr == ""


def test_failed_with_nothing_pending_succeeds(env: dict[str, str]) -> None:
    run(env, "submit", "--channel", "cli", "--text", "My GP was kind")
    result = invoke(env, "reprocess", "--failed")
    assert result.exit_code == 0
    assert result.stdout == "0 completed, 0 still failing.\n"


def test_a_message_that_still_fails_is_named_on_stderr_and_the_exit_code_is_1(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PhraseMatcher, "find", broken)
    assert invoke(env, "submit", "--channel", "cli", "--text", "GP").exit_code == 1

    result = invoke(env, "reprocess", "--failed")

    assert result.exit_code == 1
    assert result.stdout == "0 completed, 1 still failing.\n"
    [line] = result.stderr.splitlines()
    assert line.startswith("inbound #1: failed: ") and "disk full" in line
    assert states(env) == [InboundState.FAILED]


def test_completed_messages_are_listed_with_their_references(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PhraseMatcher, "find", broken)
    for text in ("GP", "Pharmacy"):
        invoke(env, "submit", "--channel", "cli", "--text", text)
    monkeypatch.undo()

    result = invoke(env, "reprocess", "--failed")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split(": stored as FB-")[0] for line in lines[:2]] == ["inbound #1", "inbound #2"]
    assert lines[2] == "2 completed, 0 still failing."
    assert states(env) == [InboundState.PROCESSED, InboundState.PROCESSED]


def test_rejected_messages_are_retried_only_when_asked(env: dict[str, str]) -> None:
    refused = invoke(env, "submit", "--channel", "cli", "--text", "\x01")  # no words once cleaned
    assert refused.exit_code == 1 and "Not accepted" in refused.output
    assert states(env) == [InboundState.REJECTED]

    assert invoke(env, "reprocess", "--failed").stdout == "0 completed, 0 still failing.\n"

    retried = invoke(env, "reprocess", "--failed", "--include-rejected")
    assert retried.exit_code == 1
    assert retried.stdout == "0 completed, 1 still failing.\n"
    assert retried.stderr.startswith("inbound #1: rejected: The message has no words in it.")
    assert states(env) == [InboundState.REJECTED]


def test_include_rejected_on_its_own_re_tags_as_usual(env: dict[str, str]) -> None:
    """--include-rejected only means something with --failed."""
    invoke(env, "submit", "--channel", "cli", "--text", "\x01")
    run(env, "submit", "--channel", "cli", "--text", "My GP was kind")
    result = invoke(env, "reprocess", "--include-rejected")
    assert result.exit_code == 0
    assert result.stdout.startswith("Re-tagged 1 item(s):")
    assert states(env) == [InboundState.REJECTED, InboundState.PROCESSED]
