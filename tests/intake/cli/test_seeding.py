"""`intake seed-demo`: one line per thing added, what is stored, and only what is missing is added."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from intake.demo import DEMO_CONSULTATION_SLUG, DEMO_TRACKER_TITLE
from intake.storage.models import Consultation
from tests.conftest import database, demo_counts, settings_env
from tests.intake.cli.test_commands import run


def test_each_thing_added_gets_its_own_line(env: dict[str, str]) -> None:
    result = run(env, "seed-demo")
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"Added tracker item: {DEMO_TRACKER_TITLE}.",
                                          f"Added consultation: {DEMO_CONSULTATION_SLUG}."]
    assert demo_counts(env) == (1, 1)


def test_only_what_is_missing_is_added_again(env: dict[str, str]) -> None:
    run(env, "seed-demo")
    with database(env) as session, session.begin():
        session.execute(delete(Consultation).where(Consultation.slug == DEMO_CONSULTATION_SLUG))

    result = run(env, "seed-demo")

    assert result.output == f"Added consultation: {DEMO_CONSULTATION_SLUG}.\n"
    assert demo_counts(env) == (1, 1)


def test_the_embedded_database_is_migrated_on_first_use(tmp_path: Path) -> None:
    """No `db upgrade` needed for the SQLite default outside production."""
    env = settings_env(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path / "instance")
    result = run(env, "seed-demo")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 2
