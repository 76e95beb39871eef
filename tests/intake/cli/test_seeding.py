"""`intake seed-demo`: one line per thing added, what is stored, and only what is missing is added."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.demo import DEMO_CONSULTATION_SLUG, DEMO_TRACKER_TITLE
from intake.storage.database import make_engine
from intake.storage.models import Consultation, TrackerItem
from tests.conftest import settings_env
from tests.intake.cli.test_commands import run, upgraded


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return upgraded(settings_env(database_url, tmp_path / "instance"))


def counts(env: dict[str, str]) -> tuple[int, int]:
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return (session.scalar(select(func.count()).select_from(TrackerItem)) or 0,
                    session.scalar(select(func.count()).select_from(Consultation)) or 0)
    finally:
        engine.dispose()


def test_each_thing_added_gets_its_own_line(env: dict[str, str]) -> None:
    result = run(env, "seed-demo")
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"Added tracker item: {DEMO_TRACKER_TITLE}.",
                                          f"Added consultation: {DEMO_CONSULTATION_SLUG}."]
    assert counts(env) == (1, 1)


def test_only_what_is_missing_is_added_again(env: dict[str, str]) -> None:
    run(env, "seed-demo")
    engine = make_engine(env["DATABASE_URL"])
    try:
        with Session(engine) as session, session.begin():
            session.execute(delete(Consultation).where(Consultation.slug == DEMO_CONSULTATION_SLUG))
    finally:
        engine.dispose()

    result = run(env, "seed-demo")

    assert result.output == f"Added consultation: {DEMO_CONSULTATION_SLUG}.\n"
    assert counts(env) == (1, 1)


def test_the_embedded_database_is_migrated_on_first_use(tmp_path: Path) -> None:
    """No `db upgrade` needed for the SQLite default outside production."""
    env = settings_env(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path / "instance")
    result = run(env, "seed-demo")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 2
