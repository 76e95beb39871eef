"""`intake db ...`: upgrading, showing the revision, and what each subcommand refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli import main
from intake.storage import migrate
from intake.storage.database import make_engine
from tests.conftest import settings_env
from tests.intake.cli.test_commands import run


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return settings_env(database_url, tmp_path / "instance")


def head(env: dict[str, str]) -> str:
    engine = make_engine(env["DATABASE_URL"])
    try:
        revision = migrate.head_revision(engine)
    finally:
        engine.dispose()
    assert revision is not None
    return revision


def test_current_on_an_empty_database_says_empty_and_creates_nothing(env: dict[str, str]) -> None:
    """`db current` never migrates, not even the embedded SQLite default."""
    assert run(env, "db", "current").output == "empty\n"
    assert run(env, "db", "current").output == "empty\n"


def test_upgrade_reports_the_revision_before_and_after(env: dict[str, str]) -> None:
    revision = head(env)
    first = run(env, "db", "upgrade")
    assert first.exit_code == 0
    assert first.output == f"Database at revision {revision} (was empty).\n"
    again = run(env, "db", "upgrade")
    assert again.exit_code == 0
    assert again.output == f"Database at revision {revision} (was {revision}).\n"
    assert run(env, "db", "current").output == f"{revision}\n"


def test_revision_needs_a_message(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["db", "revision"], env=env)
    assert result.exit_code == 2
    assert "Missing option '--message'" in result.output


def test_revision_writes_the_migration_and_says_to_name_it_the_head(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    monkeypatch.setattr(migrate, "make_revision", lambda _engine, message: written.append(message))
    run(env, "db", "upgrade")  # PostgreSQL is never migrated by a command of its own accord
    result = run(env, "db", "revision", "-m", "a new column")
    assert result.exit_code == 0 and written == ["a new column"]
    assert "Set HEAD in intake/storage/schema_revision.py" in result.output


def test_an_unknown_subcommand_is_a_usage_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["db", "downgrade"], env=env)
    assert result.exit_code == 2
    assert "No such command 'downgrade'" in result.output


def test_the_group_lists_its_subcommands() -> None:
    result = CliRunner().invoke(main, ["db", "--help"])
    assert result.exit_code == 0
    for name in ("upgrade", "current", "revision"):
        assert name in result.output


def test_bad_settings_are_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "current"], env={
        "INTAKE_ENV": "production", "DATABASE_URL": "", "SECRET_KEY": "",
        "INTAKE_ENCRYPTION_KEYS": "", "INTAKE_HASH_KEY": "", "PUBLIC_BASE_URL": "",
        "INTAKE_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "DATABASE_URL" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
