"""`intake submit`: the channel names it takes, each answer option, what is stored, the JSON it
prints, and its refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cli import main
from intake.storage.database import make_engine
from intake.storage.models import ConsentRecord, InboundMessage
from tests.intake.cli.test_commands import run

SENDER = "+447700900123"


def submitted(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run(env, "submit", *args, "--json")
    assert result.exit_code == 0, result.output
    record: dict[str, Any] = json.loads(result.output)
    return record


def tags(record: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(t["value"], t["source"]) for t in record["tags"] if t["kind"] == kind}


def test_channel_names_of_lower_case_letters_digits_and_hyphens_are_taken(
        env: dict[str, str]) -> None:
    for channel in ("a", "sms-2", "x" * 32):
        assert submitted(env, "--channel", channel, "--text", "My GP was kind")["channel"] == channel


@pytest.mark.parametrize("channel", [
    "", "SMS", "2fa", "-cli", "web form", "web_form", "x" * 33, "cli\n",
])
def test_other_channel_names_are_refused_before_anything_is_opened(
        no_database: dict[str, str], channel: str) -> None:
    result = CliRunner().invoke(main, ["submit", "--channel", channel, "--text", "hi"],
                                env=no_database)
    assert result.exit_code == 2
    assert "use lower-case letters, digits and hyphens" in result.output


@pytest.mark.parametrize("missing", ["--channel", "--text"])
def test_channel_and_text_are_required(no_database: dict[str, str], missing: str) -> None:
    args = {"--channel": "cli", "--text": "hi"}
    del args[missing]
    result = CliRunner().invoke(main, ["submit", *[x for pair in args.items() for x in pair]],
                                env=no_database)
    assert result.exit_code == 2
    assert f"Missing option '{missing}'" in result.output


def test_an_fft_answer_not_offered_is_a_usage_error(no_database: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["submit", "--channel", "cli", "--text", "hi",
                                       "--fft", "excellent"], env=no_database)
    assert result.exit_code == 2
    assert "Invalid value for '--fft'" in result.output


def test_the_answers_given_are_stored_as_the_contributors_own(env: dict[str, str]) -> None:
    record = submitted(env, "--channel", "sms", "--text", "The surgery was fine",
                       "--service", "dental", "--service", "pharmacy", "--language", "pl",
                       "--need", "large-print", "--fft", "very-good", "--on-behalf-of")
    assert tags(record, "service") >= {("dental", "contributor"), ("pharmacy", "contributor")}
    assert tags(record, "language") == {("pl", "contributor")}
    assert ("large-print", "contributor") in tags(record, "need")
    assert record["fft_rating"] == "very-good"
    assert record["on_behalf_of"] is True
    assert record["duplicate"] is False


def test_without_on_behalf_of_it_is_not_recorded_either_way(env: dict[str, str]) -> None:
    record = submitted(env, "--channel", "cli", "--text", "My GP was kind")
    assert record["on_behalf_of"] is None
    assert record["fft_rating"] is None


def test_the_json_of_a_repeat_says_it_is_a_duplicate_of_the_same_item(env: dict[str, str]) -> None:
    first = submitted(env, "--channel", "sms", "--text", "My GP was kind", "--message-id", "SM1")
    again = submitted(env, "--channel", "sms", "--text", "My GP was kind", "--message-id", "SM1")
    assert again["duplicate"] is True
    assert {**again, "duplicate": False} == first


def test_the_same_message_id_on_another_channel_is_not_a_repeat(env: dict[str, str]) -> None:
    first = submitted(env, "--channel", "sms", "--text", "My GP was kind", "--message-id", "m-1")
    other = submitted(env, "--channel", "web", "--text", "My GP was kind", "--message-id", "m-1")
    assert other["duplicate"] is False and other["reference"] != first["reference"]


def test_without_a_message_id_each_submission_is_new(env: dict[str, str]) -> None:
    first = submitted(env, "--channel", "cli", "--text", "My GP was kind")
    second = submitted(env, "--channel", "cli", "--text", "My GP was kind")
    assert first["reference"] != second["reference"]
    assert second["duplicate"] is False


def test_the_sender_is_stored_only_encrypted(env: dict[str, str]) -> None:
    result = run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER,
                 "--json")
    assert SENDER not in result.output
    assert json.loads(result.output)["contributor"]
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            inbound = session.scalars(select(InboundMessage)).one()
            assert inbound.sender_hash and SENDER not in inbound.sender_hash
            assert SENDER not in inbound.payload_encrypted
    finally:
        engine.dispose()


@pytest.mark.parametrize(("answer", "granted"), [("yes", True), ("no", False)])
def test_contact_consent_is_recorded_with_the_cli_wording_version(
        env: dict[str, str], answer: str, granted: bool) -> None:
    run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER,
        "--contact-consent", answer)
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            consent = session.scalars(select(ConsentRecord)).one()
            assert (consent.purpose, consent.granted, consent.wording_version, consent.channel) == \
                ("follow-up", granted, "cli", "sms")
    finally:
        engine.dispose()


def test_no_consent_is_recorded_unless_asked(env: dict[str, str]) -> None:
    run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER)
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            assert session.scalars(select(ConsentRecord)).all() == []
    finally:
        engine.dispose()


def test_a_rejected_message_is_an_error_naming_the_reason(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["submit", "--channel", "cli", "--text", "hi", "--need",
                                       "teleportation"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Not accepted: ")
    assert "Stored as" not in result.output
