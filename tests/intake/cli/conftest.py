"""Shared fixtures for the CLI tests: the environment of a migrated test database, and one for a
command that must be refused before it opens any database. A file that needs a different ``env``
defines its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import settings_env
from tests.intake.cli.test_commands import upgraded


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Settings for a test database migrated with `intake db upgrade`."""
    return upgraded(settings_env(database_url, tmp_path / "instance"))


@pytest.fixture
def no_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Settings for a command that must be refused before it opens any database."""
    database = tmp_path / "never.sqlite3"
    yield settings_env(f"sqlite:///{database}", tmp_path / "instance")
    assert not database.exists()
