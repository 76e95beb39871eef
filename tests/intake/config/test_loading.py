"""Loading the shipped TOML configuration, operator overrides, and errors that name the file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intake.config import CONFIG_DIR_VARIABLE, PACKAGE_CONFIG_DIR, Config, ConfigError, load_config

CONFIG_FILES = ("services.toml", "needs.toml", "languages.toml", "safety.toml", "routing.toml",
                "pipeline.toml")

EXPECTED_SERVICE_IDS = {
    "gp", "pharmacy", "dental", "optometry", "nhs-111", "urgent-care", "a-and-e", "ambulance",
    "patient-transport", "hospital-outpatients", "hospital-inpatients", "maternity", "mental-health",
    "community-health", "learning-disability-autism", "children-young-people", "social-care", "other",
}

TWO_SERVICES = """
[[services]]
id = "gp"
name = "GP surgery"
keywords.en = ["gp", "doctor"]
keywords.ur = ["جی پی"]

[[services]]
id = "walk-in-clinic"
name = "Walk-in clinic"
keywords.en = ["walk-in clinic"]
"""

NEEDS_INTERPRETER = """
[interpreter]
id = "interpreter"
category = "communication-professional"
snomed = "315594003"
term = "Interpreter needed"
label = "Spoken-language interpreter"
"""


def needs_file(snomed: str) -> str:
    return f"""
[[needs]]
id = "easy-read"
category = "information-format"
snomed = "{snomed}"
term = "Requires information in Easyread"
label = "Easy Read"
{NEEDS_INTERPRETER}"""


@pytest.fixture(autouse=True)
def no_config_dir_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the developer's shell says, each test starts from the package configuration."""
    monkeypatch.delenv(CONFIG_DIR_VARIABLE, raising=False)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, "utf-8")
    return path


# --- the shipped configuration ------------------------------------------------------------------


def test_shipped_configuration_loads_from_the_package() -> None:
    config = load_config()

    assert isinstance(config, Config)
    assert config.sources == tuple(PACKAGE_CONFIG_DIR / name for name in CONFIG_FILES)


def test_shipped_services_include_every_expected_id(config: Config) -> None:
    assert config.service_ids >= EXPECTED_SERVICE_IDS
    assert config.service("gp") is not None
    assert config.service("no-such-service") is None


def test_every_shipped_need_has_a_numeric_snomed_code(config: Config) -> None:
    needs = [*config.needs.needs, config.needs.interpreter]
    assert needs
    for need in needs:
        assert re.fullmatch(r"[1-9][0-9]{5,17}", need.snomed), need.id
    for language in config.needs.interpreter_languages:
        assert re.fullmatch(r"[1-9][0-9]{5,17}", language.snomed), language.language


@pytest.mark.parametrize(
    ("need_id", "snomed"),
    [("bsl-interpreter", "204331000000107"), ("easy-read", "796161000000101")],
)
def test_known_needs_carry_their_snomed_concepts(config: Config, need_id: str, snomed: str) -> None:
    assert config.needs_by_id[need_id].snomed == snomed


def test_needs_by_id_includes_the_spoken_language_interpreter(config: Config) -> None:
    assert config.needs_by_id["interpreter"] == config.needs.interpreter


@pytest.mark.parametrize(("code", "direction"), [("en", "ltr"), ("ur", "rtl"), ("pl", "ltr")])
def test_district_languages_are_configured(config: Config, code: str, direction: str) -> None:
    assert code in config.language_codes
    language = config.language(code)
    assert language is not None
    assert language.code == code
    assert language.direction == direction


def test_default_language_is_listed_and_unknown_language_is_none(config: Config) -> None:
    assert config.languages.default in config.language_codes
    assert config.language("xx") is None


# --- override directory -------------------------------------------------------------------------


def test_override_directory_replaces_only_the_files_it_contains(tmp_path: Path) -> None:
    override = write(tmp_path, "services.toml", TWO_SERVICES)

    config = load_config(tmp_path)

    assert config.service_ids == {"gp", "walk-in-clinic"}
    assert config.service("walk-in-clinic").name == "Walk-in clinic"
    assert config.sources[0] == override
    assert config.sources[1:] == tuple(PACKAGE_CONFIG_DIR / name for name in CONFIG_FILES[1:])
    # The rest still comes from the package.
    assert config.needs_by_id["bsl-interpreter"].snomed == "204331000000107"
    assert config.language("ur").direction == "rtl"


def test_override_directory_accepts_a_string_path(tmp_path: Path) -> None:
    write(tmp_path, "services.toml", TWO_SERVICES)

    assert load_config(str(tmp_path)).service_ids == {"gp", "walk-in-clinic"}


def test_empty_override_directory_changes_nothing(tmp_path: Path) -> None:
    config = load_config(tmp_path)

    assert config.sources == tuple(PACKAGE_CONFIG_DIR / name for name in CONFIG_FILES)
    assert config.service_ids >= EXPECTED_SERVICE_IDS


def test_override_directory_from_environment_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    override = write(tmp_path, "services.toml", TWO_SERVICES)
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))

    config = load_config()

    assert config.service_ids == {"gp", "walk-in-clinic"}
    assert config.sources[0] == override
    assert config.sources[2] == PACKAGE_CONFIG_DIR / "languages.toml"


def test_explicit_directory_wins_over_environment_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "services.toml", TWO_SERVICES)
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path / "missing"))

    assert load_config(tmp_path).service_ids == {"gp", "walk-in-clinic"}


# --- errors that name the file and the key --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        pytest.param("services.toml", '[[services]\nid = "gp"\n', ["not valid TOML"], id="invalid-toml"),
        pytest.param("services.toml", '[[services]]\nid = "GP Surgery"\nname = "GP surgery"\n',
                     ["services.0.id", "'GP Surgery'"], id="bad-service-id"),
        pytest.param("services.toml", '[[services]]\nid = "gp"\nname = "GP"\ncolour = "blue"\n',
                     ["services.0.colour", "Extra inputs are not permitted"], id="unknown-key"),
        pytest.param("services.toml", TWO_SERVICES + '\n[[services]]\nid = "gp"\nname = "GP again"\n',
                     ["'gp'", "more than once"], id="duplicate-service-id"),
        pytest.param("services.toml", '[[services]]\nid = "gp"\nname = "GP"\nkeywords.en = ["gp", " "]\n',
                     ["services.0.keywords", "empty keyword"], id="blank-keyword"),
        pytest.param("services.toml", "services = []\n", [": services: "], id="no-services"),
        pytest.param("needs.toml", needs_file("EASY-READ"), ["needs.0.snomed", "'EASY-READ'"],
                     id="non-numeric-snomed"),
        pytest.param("needs.toml", needs_file("12345"), ["needs.0.snomed", "'12345'"], id="short-snomed"),
        pytest.param("needs.toml", needs_file("796161000000101").replace(
                         'category = "information-format"', 'category = "font-size"'),
                     ["needs.0.category"], id="unknown-need-category"),
        pytest.param("languages.toml",
                     'default = "xx"\n[[languages]]\ncode = "en"\nname = "English"\n'
                     'native_name = "English"\n',
                     ["default language 'xx'", "not in the languages list"],
                     id="default-language-not-listed"),
        pytest.param("languages.toml",
                     '[[languages]]\ncode = "en"\nname = "English"\nnative_name = "English"\n'
                     'direction = "up"\n',
                     ["languages.0.direction"], id="bad-direction"),
        pytest.param("routing.toml",
                     '[[rules]]\nid = "tracker-by-keyword"\ndescription = "d"\ntarget = "tracker"\n'
                     'match = "keyword"\n',
                     ["rules.0", "tracker rules can only match on 'service'"], id="tracker-keyword-rule"),
        pytest.param("routing.toml",
                     '[[rules]]\nid = "r"\ndescription = "d"\ntarget = "consultation"\nmatch = "service"\n'
                     "min_confidence = 1.5\n",
                     ["rules.0.min_confidence"], id="confidence-above-one"),
        pytest.param("safety.toml", '[[flags]]\nid = "Self Harm"\nlabel = "Self-harm"\n', ["flags.0.id"],
                     id="bad-flag-id"),
        pytest.param("pipeline.toml", "[limits]\nmax_text_length = 10\n", ["limits.max_text_length"],
                     id="limit-too-small"),
    ],
)
def test_invalid_file_raises_config_error_naming_file_and_key(
        tmp_path: Path, name: str, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, name, text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_unknown_keywords_language_names_services_toml_and_the_key(tmp_path: Path) -> None:
    write(tmp_path, "services.toml", '[[services]]\nid = "gp"\nname = "GP"\nkeywords.xx = ["gp"]\n')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    message = str(caught.value)
    assert "services.toml" in message
    assert "services.gp.keywords.xx" in message
    assert "languages.toml" in message


def test_removing_a_language_used_by_shipped_keywords_is_caught(tmp_path: Path) -> None:
    write(tmp_path, "languages.toml",
          '[[languages]]\ncode = "en"\nname = "English"\nnative_name = "English"\n'
          '[[languages]]\ncode = "ur"\nname = "Urdu"\nnative_name = "اردو"\ndirection = "rtl"\n')

    with pytest.raises(ConfigError, match=r"services\.gp\.keywords\.pl"):
        load_config(tmp_path)


def test_unknown_langdetect_profile_names_languages_toml_and_the_key(tmp_path: Path) -> None:
    write(tmp_path, "languages.toml",
          '[[languages]]\ncode = "en"\nname = "English"\nnative_name = "English"\n'
          'langdetect_profile = "klingon"\n')
    write(tmp_path, "services.toml", '[[services]]\nid = "gp"\nname = "GP"\nkeywords.en = ["gp"]\n')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    message = str(caught.value)
    assert "languages.toml" in message
    assert "languages.en.langdetect_profile" in message
    assert "'klingon'" in message


def test_config_error_wraps_the_underlying_validation_error(tmp_path: Path) -> None:
    write(tmp_path, "services.toml", '[[services]]\nid = "GP Surgery"\nname = "GP"\n')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    assert caught.value.__cause__ is not None
    assert "Traceback" not in str(caught.value)


def test_config_dir_variable_pointing_at_missing_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "does-not-exist"
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(missing))

    with pytest.raises(ConfigError) as caught:
        load_config()

    message = str(caught.value)
    assert CONFIG_DIR_VARIABLE in message
    assert str(missing) in message


def test_explicit_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_directory = write(tmp_path, "services.toml", TWO_SERVICES)

    with pytest.raises(ConfigError, match="no such directory"):
        load_config(not_a_directory)


# --- languages: scripts and word lists ------------------------------------------------------------

ENGLISH_ONLY_SERVICES = '[[services]]\nid = "gp"\nname = "GP"\nkeywords.en = ["gp"]\n'


def english(**fields: str) -> str:
    lines = "".join(f'{key} = "{value}"\n' for key, value in fields.items())
    return f'[[languages]]\ncode = "en"\nname = "English"\nnative_name = "English"\n{lines}'


def test_shipped_languages_name_known_scripts_and_word_lists(config: Config) -> None:
    from intake.taggers.language.scripts import KNOWN_SCRIPTS
    from intake.taggers.language.words import available_lists

    for language in config.languages.languages:
        assert language.script in KNOWN_SCRIPTS, language.code
        assert language.wordlist is None or language.wordlist in available_lists(), language.code
    assert {"ok", "lol", "nhs"} <= set(config.languages.no_signal_words)


@pytest.mark.parametrize("script", ["Klingon", "latn", "LATN", "Zyyy", ""])
def test_unknown_script_names_languages_toml_and_the_key(tmp_path: Path, script: str) -> None:
    path = write(tmp_path, "languages.toml", english(langdetect_profile="en", script=script))
    write(tmp_path, "services.toml", ENGLISH_ONLY_SERVICES)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    message = str(caught.value)
    assert str(path) in message
    assert "languages.0.script" in message
    assert f"{script!r} is not a script code we know" in message
    assert "Latn" in message  # the error lists the codes that would do


def test_unknown_wordlist_names_languages_toml_and_the_key(tmp_path: Path) -> None:
    write(tmp_path, "languages.toml", english(langdetect_profile="en", script="Latn", wordlist="klingon"))
    write(tmp_path, "services.toml", ENGLISH_ONLY_SERVICES)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    message = str(caught.value)
    assert "languages.toml" in message
    assert "languages.en.wordlist" in message
    assert "'klingon'" in message


def test_script_and_wordlist_may_be_left_out(tmp_path: Path) -> None:
    write(tmp_path, "languages.toml", english(langdetect_profile="en"))
    write(tmp_path, "services.toml", ENGLISH_ONLY_SERVICES)

    language = load_config(tmp_path).language("en")

    assert language is not None
    assert (language.script, language.wordlist) == (None, None)
    assert load_config(tmp_path).languages.no_signal_words == []


def test_unknown_wordlist_is_caught_on_a_language_without_a_profile(tmp_path: Path) -> None:
    write(tmp_path, "languages.toml", english(script="Latn", wordlist="klingon"))
    write(tmp_path, "services.toml", ENGLISH_ONLY_SERVICES)

    with pytest.raises(ConfigError, match=r"languages\.en\.wordlist"):
        load_config(tmp_path)
