"""`intake reply` queues a reply for a known reference and explains every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli import main
from tests.conftest import settings_env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = settings_env(database_url, tmp_path / "instance")
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    return env


def submit(env: dict[str, str], *extra: str) -> str:
    result = CliRunner().invoke(main, ["submit", "--channel", "sms", "--text", "GP was kind",
                                       *extra], env=env)
    assert result.exit_code == 0, result.output
    return result.output.split()[2].rstrip(".")


def test_reply_is_queued_and_the_reference_may_be_typed_loosely(env: dict[str, str]) -> None:
    reference = submit(env, "--sender", "+447700900555", "--contact-consent", "yes")
    loose = reference.lower().replace("-", " ")
    result = CliRunner().invoke(main, ["reply", loose, "--text", "Thank you"], env=env)
    assert result.exit_code == 0, result.output
    assert "Reply queued" in result.output and "sms" in result.output


@pytest.mark.parametrize("reference, message", [
    ("nonsense", "is not a reference"),
    ("FB-2222ZZ", "No feedback has the reference FB-2222ZZ"),
])
def test_unknown_references_are_explained(env: dict[str, str], reference: str, message: str) -> None:
    result = CliRunner().invoke(main, ["reply", reference, "--text", "Hi"], env=env)
    assert result.exit_code == 1 and message in result.output


def test_anonymous_feedback_cannot_be_replied_to(env: dict[str, str]) -> None:
    reference = submit(env)
    result = CliRunner().invoke(main, ["reply", reference, "--text", "Hi"], env=env)
    assert result.exit_code == 1 and "without a contact address" in result.output


def test_no_reply_to_someone_never_asked_for_consent(env: dict[str, str]) -> None:
    reference = submit(env, "--sender", "+447700900556")
    result = CliRunner().invoke(main, ["reply", reference, "--text", "Thank you"], env=env)
    assert result.exit_code == 1
    assert "never asked whether we may contact them" in result.output
