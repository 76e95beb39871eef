"""Shared fixtures for the webhooks tests: the app on a database with no tables, for checks that
happen before any record is read (a view that did read one would answer 503)."""

from __future__ import annotations

import pytest
from flask import Flask

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import Settings
from tests.conftest import settings_env
from webhooks import create_app


@pytest.fixture(scope="module")
def offline_runtime(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """A runtime on a database with no tables, one per test module."""
    instance = tmp_path_factory.mktemp("offline")
    settings = Settings.from_env(settings_env(f"sqlite:///{instance / 'empty.sqlite3'}", instance))
    return build_runtime(settings=settings, config=config)


@pytest.fixture(scope="module")
def offline_app(offline_runtime: Runtime) -> Flask:
    """The app on ``offline_runtime``'s database with no tables."""
    return create_app({"TESTING": True}, runtime=offline_runtime)
