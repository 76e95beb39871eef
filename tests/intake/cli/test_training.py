"""`intake train services` as an administrator runs it, against the test databases.

Staff-confirmed tags are written straight into the database (synthetic text only); a small
pipeline.toml in INTAKE_CONFIG_DIR lowers the minimums so the synthetic corpus is enough.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli import main
from intake.config.schema import ServiceModelSettings
from intake.service_training import TRAINED_ACTION
from intake.storage.database import make_engine, make_sessions
from intake.storage.models import AuditEvent, Feedback, Tag
from tests.conftest import FIXED_NOW, settings_env
from tests.intake.taggers.synthetic_services import OFF_TOPIC, TRAINING

REFERENCES = (f"FB-T{n:05d}" for n in itertools.count())
NO_KEYWORD = "The hygienist said my gums need more treatment"
BOTH = "Waited at the counter to collect my prescription and the doctor never rang back"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "pipeline.toml").write_text(
        "[service_model]\nmin_examples = 20\nmin_examples_per_service = 10\n", "utf-8")
    environment = {**settings_env(database_url, tmp_path / "instance"),
                   "INTAKE_CONFIG_DIR": str(config_dir)}
    assert run(environment, "db", "upgrade").exit_code == 0
    return environment


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def model_path(env: dict[str, str]) -> Path:
    return Path(env["INTAKE_INSTANCE_PATH"]) / "models" / ServiceModelSettings().file


def confirm(env: dict[str, str], items: Iterable[tuple[str, tuple[str, ...]]], *,
            source: str = "staff", retracted: bool = False) -> None:
    """Store feedback items, each with service tags set by `source`."""
    engine = make_engine(env["DATABASE_URL"])
    try:
        with make_sessions(engine).begin() as session:
            for text, services in items:
                item = Feedback(reference=next(REFERENCES), channel="web", text=text,
                                redacted_text=text, received_at=FIXED_NOW, pipeline_version="test")
                session.add(item)
                for service in services:
                    item.tags.append(Tag(kind="service", value=service, confidence=1.0,
                                         source=source, created_by="staff:7",
                                         retracted_at=FIXED_NOW if retracted else None))
    finally:
        engine.dispose()


def corpus(services: Iterable[str] = TRAINING, per_service: int = 15) -> list[tuple[str, tuple[str, ...]]]:
    return [(text, (service,)) for service in services for text in TRAINING[service][:per_service]]


def audit_events(env: dict[str, str]) -> list[AuditEvent]:
    engine = make_engine(env["DATABASE_URL"])
    try:
        with make_sessions(engine)() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == TRAINED_ACTION)))
    finally:
        engine.dispose()


def test_train_services_learns_saves_audits_and_the_pipeline_uses_it(env: dict[str, str]) -> None:
    confirm(env, [*corpus(), *[(text, ("other",)) for text in OFF_TOPIC], (BOTH, ("gp", "pharmacy")),
                  ("", ("gp",)), ("Lost my way", ("spaceship",))])
    confirm(env, [("The doctor was great", ("dental",))], retracted=True)
    confirm(env, [("The doctor was great", ("dental",))], source="auto")

    result = run(env, "train", "services")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Staff-confirmed services: 65 example(s) on 64 item(s)."
    assert [line.split() for line in lines[1:6]] == [
        ["gp", "16", "learned"], ["pharmacy", "16", "learned"], ["dental", "15", "learned"],
        ["optometry", "15", "learned"],
        ["other", "3", "never", "tagged:", "teaches", "the", "model", "when", "to", "abstain"]]
    assert "Left out: 1 tag(s) for 'spaceship', no longer in services.toml." in lines
    assert "Left out: 1 item(s) with no text." in lines
    assert "Cross-validated over 5 folds, tagging only at a probability of 0.70 or more:" in lines
    assert any(line.strip().startswith("all 64 item(s)") and "precision" in line for line in lines)
    assert any("no keyword tags (its job)" in line and "coverage" in line for line in lines)
    assert lines[-1].startswith(f"Saved to {model_path(env)}.")
    assert model_path(env).is_file()

    [event] = audit_events(env)
    assert event.actor.startswith("cli:") and event.entity_id == "service-model.npz"
    assert event.details["examples"] == 65
    assert event.details["services"] == ["dental", "gp", "optometry", "pharmacy"]
    assert event.details["example_counts"]["other"] == 3
    assert 0.0 <= event.details["precision"] <= 1.0 and event.details["folds"] == 5

    submitted = run(env, "submit", "--channel", "cli", "--text", NO_KEYWORD, "--json")
    assert submitted.exit_code == 0, submitted.output
    exported = [json.loads(line) for line in run(env, "export", "--format", "jsonl").output.splitlines()]
    [item] = [row for row in exported if row["reference"] == json.loads(submitted.output)["reference"]]
    assert [(t["kind"], t["value"]) for t in item["tags"] if t["kind"] == "service"] == [
        ("service", "dental")]


def test_a_dry_run_reports_but_saves_and_records_nothing(env: dict[str, str]) -> None:
    confirm(env, corpus())
    result = run(env, "train", "services", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Cross-validated over 5 folds" in result.output
    assert result.output.splitlines()[-1] == "Dry run: nothing saved."
    assert not model_path(env).exists()
    assert audit_events(env) == []


def test_too_few_examples_exits_1_saying_how_many_more(env: dict[str, str]) -> None:
    confirm(env, [*corpus(["gp"]), *corpus(["pharmacy"], per_service=5)])
    result = CliRunner().invoke(main, ["train", "services"], env=env)
    assert result.exit_code == 1
    assert "pharmacy" in result.output and "5  not learned: 5 more needed" in result.output
    assert "Error: Not enough staff-confirmed examples" in result.output
    assert "at least 5 more are needed" in result.output
    assert not model_path(env).exists()
    assert audit_events(env) == []


def test_no_confirmed_tags_at_all_exits_1(env: dict[str, str]) -> None:
    confirm(env, corpus(), source="auto")
    result = CliRunner().invoke(main, ["train", "services"], env=env)
    assert result.exit_code == 1
    assert "Staff-confirmed services: 0 example(s) on 0 item(s)." in result.output
    assert "at least 20 more are needed" in result.output


def test_min_examples_raises_the_bar(env: dict[str, str]) -> None:
    confirm(env, corpus())
    result = CliRunner().invoke(main, ["train", "services", "--min-examples", "100"], env=env)
    assert result.exit_code == 1
    assert "There are 60 in all, and training needs 100." in result.output
    assert "at least 40 more are needed" in result.output


def test_min_examples_below_what_training_can_use_is_a_usage_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["train", "services", "--min-examples", "3"], env=env)
    assert result.exit_code == 2
    assert "--min-examples" in result.output and "greater than or equal to 10" in result.output
