"""Editing the configuration: a candidate is checked by start-up's own code against the rest of
the configuration, and a valid one is saved into the override directory atomically, the file it
replaces kept as a backup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intake.config import PACKAGE_CONFIG_DIR, Config, ConfigError, editing, load_config
from tests.conftest import FIXED_NOW

SHIPPED_ROUTING = (PACKAGE_CONFIG_DIR / "routing.toml").read_text(encoding="utf-8")
ONE_RULE = """\
[[rules]]
id = "tracker-by-service"
description = "Feedback about a service links to the tracker."
target = "tracker"
match = "service"
"""


@pytest.fixture
def override_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("name", list(editing.FILES))
def test_the_shipped_files_pass_unchanged(name: str, override_dir: Path) -> None:
    text = editing.current_text(name, None)
    assert editing.validate(name, text, None) == []
    assert editing.validate(name, text, override_dir) == []


def test_the_list_of_files_is_what_start_up_reads(config: Config) -> None:
    assert set(editing.FILES) == {path.name for path in config.sources}


def test_bad_toml_is_refused_with_the_line() -> None:
    problems = editing.validate("routing.toml", "[[rules]\nid = 'x'\n", None)
    assert len(problems) == 1
    assert problems[0].startswith("routing.toml: not valid TOML")
    assert "line 1" in problems[0]


def test_an_unknown_key_is_named() -> None:
    text = ONE_RULE + 'colour = "blue"\n'
    assert editing.validate("routing.toml", text, None) == [
        "routing.toml: rules.0.colour: Extra inputs are not permitted"]


def test_a_routing_rule_cannot_name_a_service() -> None:
    # Routing rules match on a service tag; they do not name services, so a service key is
    # unknown (there is no service to cross-check).
    problems = editing.validate("routing.toml", ONE_RULE + 'service = "no-such-service"\n', None)
    assert problems == ["routing.toml: rules.0.service: Extra inputs are not permitted"]


def test_a_schema_rule_is_reported_with_its_key() -> None:
    text = ONE_RULE.replace('match = "service"', 'match = "keyword"')
    assert editing.validate("routing.toml", text, None) == [
        "routing.toml: rules.0: Value error, tracker rules can only match on 'service'"]


def test_a_keyword_language_missing_from_languages_toml_is_a_cross_file_problem() -> None:
    services = editing.current_text("services.toml", None).replace("keywords.pl", "keywords.xx", 1)
    assert editing.validate("services.toml", services, None) == [
        "services.toml: services.gp.keywords.xx: language 'xx' is not listed in languages.toml"]


def test_the_candidate_is_checked_against_the_operators_other_files(override_dir: Path) -> None:
    # The operator's services.toml uses a language only their own languages.toml would list.
    services = editing.current_text("services.toml", None).replace("keywords.pl", "keywords.xx", 1)
    (override_dir / "services.toml").write_text(services, encoding="utf-8")
    shipped_languages = editing.current_text("languages.toml", None)
    problems = editing.validate("languages.toml", shipped_languages, override_dir)
    assert problems == [
        "services.toml: services.gp.keywords.xx: language 'xx' is not listed in languages.toml"]
    with_xx = shipped_languages + '\n[[languages]]\ncode = "xx"\nname = "Test"\nnative_name = "Test"\n'
    assert editing.validate("languages.toml", with_xx, override_dir) == []


def test_extra_start_up_checks_run_on_the_candidate_configuration() -> None:
    seen: list[Config] = []

    def refuse(config: Config) -> None:
        seen.append(config)
        raise ConfigError("prompts/xx.toml: language 'xx' is not listed in languages.toml")

    problems = editing.validate("routing.toml", ONE_RULE, None, [refuse])
    assert problems == ["prompts/xx.toml: language 'xx' is not listed in languages.toml"]
    assert [rule.id for rule in seen[0].routing] == ["tracker-by-service"]


def test_a_missing_override_directory_is_a_problem(tmp_path: Path) -> None:
    problems = editing.validate("routing.toml", SHIPPED_ROUTING, tmp_path / "missing")
    assert problems and "no such directory" in problems[0]


def test_an_unknown_file_name_is_refused() -> None:
    with pytest.raises(editing.EditingError, match="not a configuration file"):
        editing.validate("../secrets.toml", "", None)


# -- saving --------------------------------------------------------------------------------------

def test_saving_writes_the_override_which_start_up_then_loads(override_dir: Path) -> None:
    saved = editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW)
    assert saved.path == override_dir / "routing.toml"
    assert saved.path.read_text(encoding="utf-8") == ONE_RULE
    assert saved.backup is None                     # the packaged default stays where it is
    assert saved.old_sha256 == editing.sha256(SHIPPED_ROUTING)
    assert saved.new_sha256 == editing.sha256(ONE_RULE)
    assert [rule.id for rule in load_config(override_dir).routing] == ["tracker-by-service"]
    assert (PACKAGE_CONFIG_DIR / "routing.toml").read_text(encoding="utf-8") == SHIPPED_ROUTING
    assert sorted(p.name for p in override_dir.iterdir()) == ["routing.toml"]   # no temp files


def test_saving_again_keeps_each_previous_version(override_dir: Path) -> None:
    editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW)
    second = ONE_RULE.replace("links to the tracker", "links to tracker items")
    saved = editing.save("routing.toml", second, override_dir, FIXED_NOW)
    assert saved.backup == override_dir / "routing.toml.20261102T103000Z.bak"
    assert saved.backup.read_text(encoding="utf-8") == ONE_RULE
    assert saved.old_sha256 == editing.sha256(ONE_RULE)
    # Same second again: a new backup beside the first, never over it.
    third = editing.save("routing.toml", SHIPPED_ROUTING, override_dir, FIXED_NOW)
    assert third.backup == override_dir / "routing.toml.20261102T103000Z-2.bak"
    assert third.backup.read_text(encoding="utf-8") == second
    assert (override_dir / "routing.toml.20261102T103000Z.bak").read_text(encoding="utf-8") == ONE_RULE
    assert (override_dir / "routing.toml").read_text(encoding="utf-8") == SHIPPED_ROUTING
    # Backups are not configuration: start-up reads only routing.toml.
    assert len(load_config(override_dir).routing) == len(load_config().routing)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
        override_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW)

    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        editing.save("routing.toml", SHIPPED_ROUTING, override_dir, FIXED_NOW)
    assert (override_dir / "routing.toml").read_text(encoding="utf-8") == ONE_RULE
    assert not [p for p in override_dir.iterdir() if p.name.endswith(".tmp")]


def test_the_file_is_replaced_by_a_rename(override_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    renamed: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(source: str, target: str) -> None:
        renamed.append((str(source), str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)
    editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW)
    [(source, target)] = renamed
    assert Path(source).parent == override_dir and Path(source).name.startswith(".routing.toml.")
    assert target == str(override_dir / "routing.toml")


def test_saving_refuses_without_an_override_directory() -> None:
    with pytest.raises(editing.EditingError, match="INTAKE_CONFIG_DIR"):
        editing.save("routing.toml", ONE_RULE, None, FIXED_NOW)
    assert (PACKAGE_CONFIG_DIR / "routing.toml").read_text(encoding="utf-8") == SHIPPED_ROUTING


def test_an_invalid_file_is_never_written(override_dir: Path) -> None:
    with pytest.raises(editing.InvalidConfiguration) as refused:
        editing.save("routing.toml", ONE_RULE + "colour = 1\n", override_dir, FIXED_NOW)
    assert refused.value.problems == ["routing.toml: rules.0.colour: Extra inputs are not permitted"]
    assert list(override_dir.iterdir()) == []


def test_a_file_changed_since_it_was_opened_is_not_overwritten(override_dir: Path) -> None:
    opened = editing.sha256(editing.current_text("routing.toml", override_dir))
    editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW, based_on=opened)
    with pytest.raises(editing.EditingError, match="has changed since you opened it"):
        editing.save("routing.toml", SHIPPED_ROUTING, override_dir, FIXED_NOW, based_on=opened)
    assert (override_dir / "routing.toml").read_text(encoding="utf-8") == ONE_RULE


def test_browser_line_ends_are_normalised() -> None:
    assert editing.normalise("a = 1\r\nb = 2") == "a = 1\nb = 2\n"


# -- the list ------------------------------------------------------------------------------------

def test_describe_says_where_each_file_comes_from_and_what_is_in_it(
        override_dir: Path, config: Config) -> None:
    editing.save("routing.toml", ONE_RULE, override_dir, FIXED_NOW)
    (override_dir / "safety.toml").write_text("flags = 3\n", encoding="utf-8")
    described = {file.name: file for file in editing.describe(override_dir, config)}
    assert list(described) == list(editing.FILES)
    assert not described["services.toml"].overridden
    assert described["services.toml"].summary == f"{len(config.services)} services"
    assert not described["services.toml"].pending_restart
    assert described["routing.toml"].overridden
    assert described["routing.toml"].summary == "1 routing rule (1 enabled)"
    assert described["routing.toml"].pending_restart       # saved, the service still runs the old
    assert described["safety.toml"].problem and "flags" in described["safety.toml"].problem
    assert described["pipeline.toml"].summary.startswith("Quiet hours 21:00-08:00 (Europe/London)")
    assert "raw messages 90 days" in described["pipeline.toml"].summary


def test_saving_refuses_a_missing_override_directory(tmp_path: Path) -> None:
    with pytest.raises(editing.EditingError, match="is not a directory"):
        editing.save("routing.toml", ONE_RULE, tmp_path / "missing", FIXED_NOW)
    assert not (tmp_path / "missing").exists()
