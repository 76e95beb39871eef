"""The `intake` command as a user runs it: tag, submit, export, reprocess, db, seed-demo, keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from intake.cli import main
from intake.storage import migrate
from intake.storage.database import make_engine
from intake.taggers.phrases import PhraseMatcher
from tests.conftest import database_name, settings_env


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return settings_env(database_url, tmp_path / "instance")


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def upgraded(env: dict[str, str]) -> dict[str, str]:
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0, result.output
    return env


def test_tag_reads_json_lines_and_needs_no_database(tmp_path: Path) -> None:
    lines = "\n".join([
        json.dumps({"text": "My GP surgery never answers the phone"}),
        json.dumps({"text": "My dad needs a British Sign Language interpreter at the hospital"}),
        "",
        "this is not json",
        json.dumps({"text": "Mi serve", "language": "ur"}),
    ])
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
           "INTAKE_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["tag"], input=lines, env=env)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1  # one line could not be read
    assert len(out) == 4
    assert out[0]["language"]["code"] == "en"
    assert [s["value"] for s in out[0]["services"]] == ["gp"]
    assert [(n["value"], n["code"]) for n in out[1]["needs"]] == [
        ("bsl-interpreter", "204331000000107")]
    assert out[2] == {"line": 4, "error": out[2]["error"]} and "not valid JSON" in out[2]["error"]
    assert out[3]["language"] == {"code": "ur", "confidence": 1.0, "source": "contributor"}
    assert not (tmp_path / "never.sqlite3").exists()


def test_submit_then_export_shows_the_item_with_tags_and_links(env: dict[str, str]) -> None:
    upgraded(env)
    assert run(env, "seed-demo").exit_code == 0
    submitted = run(env, "submit", "--channel", "cli", "--text",
                    "My GP surgery never answers the phone", "--json")
    assert submitted.exit_code == 0, submitted.output
    item = json.loads(submitted.output)
    exported = run(env, "export", "--format", "jsonl")
    [row] = [json.loads(line) for line in exported.output.splitlines()]
    assert row["reference"] == item["reference"]
    assert ("service", "gp") in {(t["kind"], t["value"]) for t in row["tags"]}
    assert [link["rule"] for link in row["tracker_items"]] == ["tracker-by-service"]


def test_submit_prints_the_reference_and_spots_a_repeat(env: dict[str, str]) -> None:
    upgraded(env)
    first = run(env, "submit", "--channel", "web", "--text", "Dentist was kind", "--message-id", "k")
    again = run(env, "submit", "--channel", "web", "--text", "Dentist was kind", "--message-id", "k")
    assert first.output.startswith("Stored as FB-")
    assert again.output == first.output.replace(".\n", " (already received earlier).\n")


@pytest.mark.parametrize("args, message", [
    (["--channel", "Bad Name", "--text", "x"], "lower-case letters"),
    (["--channel", "cli", "--text", "   "], "no words"),
    (["--channel", "cli", "--text", "hi", "--service", "spaceship"], "Unknown service"),
    (["--channel", "cli", "--text", "hi", "--language", "xx"], "not one we support"),
])
def test_submit_refuses_bad_input_with_a_clear_message(
        env: dict[str, str], args: list[str], message: str) -> None:
    upgraded(env)
    result = CliRunner().invoke(main, ["submit", *args], env=env)
    assert result.exit_code != 0
    assert message in result.output


def test_reprocess_failed_completes_messages_left_behind(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded(env)
    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(PhraseMatcher, "find", broken)
    failed = CliRunner().invoke(main, ["submit", "--channel", "cli", "--text", "GP"], env=env)
    assert failed.exit_code == 1 and "intake reprocess --failed" in failed.output
    monkeypatch.undo()
    result = run(env, "reprocess", "--failed")
    assert result.exit_code == 0, result.output
    assert "1 completed, 0 still failing" in result.output
    assert len(run(env, "export", "--format", "jsonl").output.splitlines()) == 1


def test_reprocess_retags_everything(env: dict[str, str]) -> None:
    upgraded(env)
    run(env, "submit", "--channel", "cli", "--text", "GP")
    assert "Re-tagged 1 item(s): 0 tag(s) added, 0 superseded." in run(env, "reprocess").output


def test_postgres_needs_an_explicit_upgrade_but_sqlite_is_migrated_for_you(
        env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["export"], env=env)
    if database_name(env["DATABASE_URL"]) == "sqlite":
        assert result.exit_code == 0 and result.output.startswith("reference,")
    else:
        assert result.exit_code == 1 and "intake db upgrade" in result.output
    assert run(env, "db", "upgrade").exit_code == 0
    head = migrate.head_revision(make_engine(env["DATABASE_URL"]))
    assert head is not None and run(env, "db", "current").output.strip() == head


def test_seed_demo_twice_adds_once(env: dict[str, str]) -> None:
    upgraded(env)
    assert "Added" in run(env, "seed-demo").output
    assert run(env, "seed-demo").output.strip() == "Demo content already present."


def test_key_rotation_re_encrypts_everything(env: dict[str, str]) -> None:
    upgraded(env)
    run(env, "submit", "--channel", "sms", "--text", "GP", "--sender", "+447700900001")
    new_key = run(env, "keys", "generate").output.strip()
    Fernet(new_key.encode())  # a valid key
    both = {**env, "INTAKE_ENCRYPTION_KEYS": f"{new_key},{env['INTAKE_ENCRYPTION_KEYS']}"}
    assert "Re-encrypted 2 value(s)" in run(both, "keys", "rotate").output
    only_new = {**env, "INTAKE_ENCRYPTION_KEYS": new_key}
    assert run(only_new, "reprocess").exit_code == 0


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export"], env={
        "INTAKE_ENV": "production", "DATABASE_URL": "", "SECRET_KEY": "",
        "INTAKE_ENCRYPTION_KEYS": "", "INTAKE_HASH_KEY": "", "PUBLIC_BASE_URL": ""})
    assert result.exit_code == 1
    for name in ("DATABASE_URL", "SECRET_KEY", "INTAKE_ENCRYPTION_KEYS", "INTAKE_HASH_KEY"):
        assert name in result.output
