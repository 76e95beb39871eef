"""Building a command's runtime: set-up problems become clear messages; the schema is checked."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from sqlalchemy import inspect

from intake.cli.runtime import ensure_schema, open_runtime
from intake.storage import migrate
from intake.storage.database import make_engine
from tests.conftest import database_name, settings_env


def use_environment(monkeypatch: pytest.MonkeyPatch, database_url: str, instance: Path,
                    **overrides: str) -> None:
    monkeypatch.delenv("INTAKE_CONFIG_DIR", raising=False)
    for name, value in {**settings_env(database_url, instance), **overrides}.items():
        monkeypatch.setenv(name, value)


def revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_a_broken_config_file_becomes_a_message_naming_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance")
    overrides = tmp_path / "config"
    overrides.mkdir()
    (overrides / "services.toml").write_text("[[services]]\nid = \"gp\"\nname = \n", "utf-8")
    monkeypatch.setenv("INTAKE_CONFIG_DIR", str(overrides))
    with pytest.raises(click.ClickException) as raised, open_runtime():
        pytest.fail("the runtime should not have been opened")
    assert str(overrides / "services.toml") in raised.value.format_message()
    assert "not valid TOML" in raised.value.format_message()


def test_a_config_file_with_a_wrong_key_becomes_a_message_naming_file_and_key(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance")
    overrides = tmp_path / "config"
    overrides.mkdir()
    (overrides / "services.toml").write_text("[[services]]\nname = \"GP surgery\"\n", "utf-8")
    monkeypatch.setenv("INTAKE_CONFIG_DIR", str(overrides))
    with pytest.raises(click.ClickException) as raised, open_runtime(require_schema=False):
        pytest.fail("the runtime should not have been opened")
    message = raised.value.format_message()
    assert str(overrides / "services.toml") in message and "services.0.id" in message


def test_a_settings_problem_becomes_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance", INTAKE_ENV="production")
    monkeypatch.delenv("INTAKE_HASH_KEY")
    with pytest.raises(click.ClickException, match="INTAKE_HASH_KEY"), open_runtime():
        pytest.fail("the runtime should not have been opened")


def test_an_empty_sqlite_database_is_migrated_outside_production(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance")
    assert revision(sqlite_url) is None
    with open_runtime() as runtime:
        assert migrate.current_revision(runtime.engine) == migrate.head_revision(runtime.engine)
        assert "feedback" in inspect(runtime.engine).get_table_names()
        pool = runtime.engine.pool
    # The runtime is closed when the command is done: its pool emptied and replaced.
    assert pool.checkedin() == 0 and runtime.engine.pool is not pool
    assert runtime.engine.pool.checkedout() == 0


def test_ensure_schema_migrates_an_empty_sqlite_database_in_development(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance", INTAKE_ENV="development")
    with open_runtime(require_schema=False) as runtime:
        assert migrate.current_revision(runtime.engine) is None
        ensure_schema(runtime)
        assert migrate.current_revision(runtime.engine) == migrate.head_revision(runtime.engine)
        ensure_schema(runtime)  # already at head: nothing to do, nothing raised


def test_sqlite_in_production_must_be_upgraded_explicitly(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> None:
    use_environment(monkeypatch, sqlite_url, tmp_path / "instance", INTAKE_ENV="production")
    with pytest.raises(click.ClickException) as raised, open_runtime():
        pytest.fail("the runtime should not have been opened")
    assert "intake db upgrade" in raised.value.format_message()
    assert "at nothing" in raised.value.format_message()
    assert revision(sqlite_url) is None  # nothing was migrated behind the operator's back


def test_a_production_database_already_at_head_opens(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    use_environment(monkeypatch, database_url, tmp_path / "instance", INTAKE_ENV="production")
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    with open_runtime() as runtime:
        assert runtime.settings.environment == "production"
        assert migrate.current_revision(runtime.engine) == migrate.head_revision(runtime.engine)


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_postgresql_is_never_migrated_implicitly(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    assert database_name(database_url) == "postgresql"
    use_environment(monkeypatch, database_url, tmp_path / "instance", INTAKE_ENV="development")
    with pytest.raises(click.ClickException, match="intake db upgrade"), open_runtime():
        pytest.fail("the runtime should not have been opened")
    assert revision(database_url) is None

