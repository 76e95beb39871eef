"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL whenever one answers
at 127.0.0.1:5432 (or at ``TEST_DATABASE_URL``): the same tests, parametrised, each test in a
fresh database (SQLite file) or a fresh schema (PostgreSQL), migrated from empty with Alembic."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config, load_config
from intake.pipeline import PipelineContext, Taggers
from intake.settings import Settings
from intake.storage import migrate
from intake.storage.database import make_engine, normalise_url
from intake.storage.models import Consultation, TrackerItem
from tests.scratch_schema import scratch_schema
from webhooks import create_app

# Fixtures shared across test folders, defined beside the fakes they start.
pytest_plugins = ["tests.webhooks.sms.fake_twilio"]

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()
TEST_HASH_KEY = "test-hash-key-" + "x" * 32
FIXED_NOW = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def missing_program(message: str) -> NoReturn:
    """A system program a test drives is not installed: skipped on a developer's machine, a
    failure in CI (CI=true), where .ci/run installs it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@cache
def postgres_available() -> bool:
    try:
        engine = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError:
        return False
    return True


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture(scope="session")
def taggers(config: Config) -> Taggers:
    return Taggers(config)


@pytest.fixture
def context(config: Config, taggers: Taggers) -> PipelineContext:
    """A pipeline context with no routing targets and a fixed clock."""
    return PipelineContext(config=config, taggers=taggers, now=FIXED_NOW)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake-test.sqlite3'}"
        return
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database migrated to the current schema with the real Alembic migrations."""
    migrate.upgrade(empty_engine)
    return empty_engine


def settings_env(database_url: str, instance: Path) -> dict[str, str]:
    """Environment variables for running the CLI against a test database."""
    return {
        "INTAKE_ENV": "test",
        "DATABASE_URL": database_url,
        "INTAKE_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "INTAKE_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "INTAKE_HASH_KEY": TEST_HASH_KEY,
        "PUBLIC_BASE_URL": "https://intake.example.test",
    }


@contextmanager
def database(env: dict[str, str]) -> Iterator[Session]:
    """A session on the database a CLI environment names; its engine is disposed afterwards."""
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def demo_counts(env: dict[str, str]) -> tuple[int, int]:
    """How many tracker items and consultations the environment's database holds."""
    with database(env) as session:
        return (session.scalar(select(func.count()).select_from(TrackerItem)) or 0,
                session.scalar(select(func.count()).select_from(Consultation)) or 0)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(settings_env(database_url, tmp_path / "instance"))


@pytest.fixture
def runtime(settings: Settings, config: Config, engine: Engine) -> Runtime:
    runtime = build_runtime(settings=settings, config=config, engine=engine)
    runtime.intake.clock = lambda: FIXED_NOW
    return runtime


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app({"TESTING": True}, runtime=runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def database_name(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its production cost takes about a second per sign-in; the tests sign in
    hundreds of times. The same algorithm at its lowest cost keeps them quick (production keeps
    argon2-cffi's defaults: nothing outside the tests changes)."""
    from argon2 import PasswordHasher

    from intake.staff import accounts

    saved = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("not a real password")
    yield
    accounts._hasher, accounts._DUMMY_HASH = saved


def sqlite_writable(path: str) -> bool:
    """Whether another process could take this SQLite database's write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # fails at once if the write lock is held
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()
