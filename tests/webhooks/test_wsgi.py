"""The WSGI entry point: the app gunicorn imports, with every lazily built tagger built at import
and no database touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.settings import Settings
from intake.storage.database import make_engine
from tests.conftest import settings_env
from webhooks import create_app
from webhooks.runtime import CHAT_KEY, RUNTIME_KEY
from webhooks.wsgi import load_taggers

ROOT = Path(__file__).resolve().parents[2]
LAZY_TAGGERS = {"language", "services", "needs", "safety"}


def built(runtime: Runtime) -> set[str]:
    """Which of the taggers' lazily built parts exist now."""
    return LAZY_TAGGERS & set(vars(runtime.intake.taggers))


@pytest.fixture
def unused_database(tmp_path: Path, config: Config) -> Iterator[tuple[Flask, Path]]:
    """An app on fresh taggers, and the SQLite file its database would be (made on first use)."""
    never = tmp_path / "never.sqlite3"
    engine = make_engine(f"sqlite:///{never}")
    settings = Settings.from_env(settings_env(f"sqlite:///{never}", tmp_path / "instance"))
    runtime = build_runtime(settings=settings, config=config, engine=engine)
    try:
        yield create_app({"TESTING": True}, runtime=runtime), never
    finally:
        engine.dispose()


def test_load_taggers_builds_every_lazy_tagger_without_the_database(
        unused_database: tuple[Flask, Path]) -> None:
    app, never = unused_database
    runtime: Runtime = app.extensions[RUNTIME_KEY]
    assert built(runtime) == set()
    load_taggers(app)
    assert built(runtime) == LAZY_TAGGERS
    assert not never.exists()


def test_load_taggers_warms_the_apps_own_taggers_once(unused_database: tuple[Flask, Path]) -> None:
    """The taggers warmed are the ones the app's requests will use, not a copy."""
    app, _ = unused_database
    taggers = app.extensions[RUNTIME_KEY].intake.taggers
    load_taggers(app)
    language = taggers.language
    load_taggers(app)
    assert taggers.language is language
    assert app.extensions[CHAT_KEY].runtime.intake.taggers is taggers


PROBE = """
import gc, json
from webhooks.wsgi import app
from webhooks.runtime import CHAT_KEY, RUNTIME_KEY
taggers = app.extensions[RUNTIME_KEY].intake.taggers
print(json.dumps({"app": type(app).__name__, "built": sorted(vars(taggers)),
                  "frozen": gc.get_freeze_count()}))
"""


def test_importing_the_module_gives_a_warmed_app_from_the_environment(tmp_path: Path) -> None:
    never = tmp_path / "never.sqlite3"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("INTAKE_", "DATABASE_", "TWILIO_", "TELEGRAM_"))}
    env.update(settings_env(f"sqlite:///{never}", tmp_path / "instance"))
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["app"] == "Flask"
    assert set(found["built"]) >= LAZY_TAGGERS
    assert found["frozen"] > 0  # moved out of the collector's sight before the fork
    assert not never.exists()
