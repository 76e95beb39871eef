"""Wiring settings, configuration, database and services together in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from intake import bootstrap
from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import REQUIRED_IN_PRODUCTION, Settings, SettingsError
from intake.storage.database import normalise_url
from intake.storage.models import AuditEvent
from tests.conftest import settings_env


def test_the_given_settings_config_and_engine_are_used(settings: Settings, config: Config,
                                                       engine: Engine) -> None:
    runtime = build_runtime(settings=settings, config=config, engine=engine)
    assert runtime.settings is settings
    assert runtime.config is config
    assert runtime.engine is engine
    assert runtime.sessions.kw["bind"] is engine


def test_the_intake_service_shares_the_sessions_config_and_keys(runtime: Runtime) -> None:
    assert runtime.intake.sessions is runtime.sessions
    assert runtime.intake.config is runtime.config
    token = runtime.intake.vault.encrypt("+447700900123")
    assert runtime.settings.vault().decrypt(token) == "+447700900123"
    assert runtime.intake.vault.lookup_hash("sms", "+447700900123") == (
        runtime.settings.vault().lookup_hash("sms", "+447700900123"))


def test_sessions_reach_the_runtimes_database(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        session.add(AuditEvent(actor="test", action="wired", entity_type="t", entity_id="1"))
    with runtime.engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_event")).scalar() == "wired"


def test_close_disposes_of_the_engines_pool(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        assert session.scalar(select(AuditEvent.id)) is None
    pool = runtime.engine.pool
    assert pool.checkedin() == 1  # the session's connection, kept for reuse
    runtime.close()
    assert pool.checkedin() == 0  # pooled connections were closed...
    assert runtime.engine.pool is not pool  # ...and a fresh pool put in place
    assert runtime.engine.pool.checkedout() == 0


def test_missing_pieces_are_built_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                       database_url: str, tmp_path: Path) -> None:
    for name, value in settings_env(database_url, tmp_path / "instance").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("INTAKE_CONFIG_DIR", raising=False)
    runtime = build_runtime()
    try:
        assert runtime.settings == Settings.from_env(settings_env(database_url, tmp_path / "instance"))
        assert runtime.engine.url == normalise_url(database_url)
        assert runtime.config.service("gp") is not None
        assert runtime.intake.sessions is runtime.sessions
    finally:
        runtime.close()


def test_a_settings_problem_is_reported_by_settings_before_anything_else_is_built(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built: list[str] = []
    monkeypatch.setattr(bootstrap, "load_config", lambda *a, **k: built.append("config"))
    monkeypatch.setattr(bootstrap, "make_engine", lambda *a, **k: built.append("engine"))
    monkeypatch.setenv("INTAKE_ENV", "production")
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in REQUIRED_IN_PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="Refusing to start in production") as raised:
        build_runtime()
    assert all(name in str(raised.value) for name in REQUIRED_IN_PRODUCTION)
    assert raised.traceback[-1].name == "from_env"
    assert built == []
    assert not (tmp_path / "instance").exists()  # no development secrets were written either


def test_an_unknown_environment_name_is_refused_at_build_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap, "make_engine", lambda *a, **k: pytest.fail("engine built"))
    monkeypatch.setenv("INTAKE_ENV", "staging")
    with pytest.raises(SettingsError, match="INTAKE_ENV='staging'"):
        build_runtime()
