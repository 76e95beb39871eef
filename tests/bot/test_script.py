"""The conversation script: the shipped steps and prompts, and overrides that are refused with an error
naming the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.script import PACKAGE_DIR, PROMPT_KEYS, Script, load_script
from intake.config import CONFIG_DIR_VARIABLE, ConfigError

PROMPTS_DIR = PACKAGE_DIR / "prompts"


@pytest.fixture(scope="module")
def script() -> Script:
    return load_script()


def shipped(name: str) -> str:
    return (PACKAGE_DIR / name).read_text(encoding="utf-8")


def override(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``name`` (eg ``prompts/ur.toml``) into an override directory and return the directory."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def without_line(text: str, start: str) -> str:
    """The file with the one line that starts with ``start`` removed."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(start)]
    assert len(kept) == len(lines) - 1, f"expected exactly one line starting {start!r}"
    return "".join(kept)


def replace_line(text: str, start: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert len(matches) == 1, f"expected exactly one line starting {start!r}"
    lines[matches[0]] = new + "\n"
    return "".join(lines)


# -- the shipped script ---------------------------------------------------------------------------

def test_the_shipped_script_loads_with_english_urdu_and_polish(script: Script) -> None:
    assert set(script.languages) == {"en", "ur", "pl"}
    assert script.default_language == "en"
    assert [step.id for step in script.conversation.steps] == [
        "about", "feedback", "rating", "needs", "contact"]
    assert script.conversation.organisation.name == "Involve"


def test_only_urdu_and_polish_await_a_translators_review(script: Script) -> None:
    assert script.needs_review() == ["pl", "ur"]
    assert script.languages["en"].meta.reviewed is True


def test_each_language_file_says_which_language_it_is(script: Script) -> None:
    assert {code: prompts.meta.language for code, prompts in script.languages.items()} == {
        "en": "en", "ur": "ur", "pl": "pl"}


@pytest.mark.parametrize("language", ["en", "ur", "pl"])
def test_every_steps_prompt_and_menu_exists_in_every_language(script: Script, language: str) -> None:
    prompts = script.languages[language]
    assert set(prompts.prompts) == set(PROMPT_KEYS)
    for step in script.conversation.steps:
        assert prompts.prompts[step.prompt].strip(), f"{language}: {step.prompt} is empty"
        if step.options:
            labels = prompts.menus[step.id]
            assert all(labels.get(option, "").strip() for option in step.options), step.id
    service_labels = prompts.menus["service"]
    assert all(service_labels.get(s, "").strip() for s in script.conversation.service_menu)


def test_only_english_has_no_switch_hint(script: Script) -> None:
    assert script.prompt("en", "switch_hint") == ""
    assert script.prompt("ur", "switch_hint") == "For English reply ENGLISH."
    assert script.prompt("pl", "switch_hint") == "For English reply ENGLISH."


def test_menus_are_numbered_from_one_in_the_configured_order(script: Script) -> None:
    service = script.menu("en", "service", script.conversation.service_menu)
    assert service == ("1 GP 2 Hospital clinic 3 Hospital stay 4 A&E 5 Pharmacy 6 Dentist "
                       "7 Maternity 8 Mental health 9 Other")
    rating = script.steps["rating"]
    assert script.menu("en", "rating", rating.options) == (
        "1 Very good 2 Good 3 Neither good nor poor 4 Poor 5 Very poor 6 Don't know")
    assert script.menu("en", "needs", ("easy-read", "none")) == "1 Easy read 2 None"


def test_a_menu_renders_in_the_conversations_language(script: Script) -> None:
    menu = script.menu("ur", "service", script.conversation.service_menu)
    assert menu.startswith("1 جی پی 2 ہسپتال کلینک")
    assert menu.endswith("9 دیگر")


def test_prompts_fill_their_placeholders(script: Script) -> None:
    assert script.prompt("en", "thanks", reference="FB-7K3M9Q") == (
        "Thank you. Your reference is FB-7K3M9Q. Reply HELP for help or STOP to opt out.")
    assert "{" not in script.prompt("ur", "confirm_service", service="جی پی")


def test_an_unknown_language_falls_back_to_the_default(script: Script) -> None:
    assert script.prompt("xx", "media") == script.prompt("en", "media")


def test_the_shipped_script_accepts_the_configured_languages(script: Script) -> None:
    loaded = load_script(configured_languages=("en", "ur", "pl", "pa", "bn"))
    assert set(loaded.languages) == set(script.languages)


# -- overrides --------------------------------------------------------------------------------

def test_an_override_file_replaces_the_shipped_one(tmp_path: Path) -> None:
    text = replace_line(shipped("prompts/en.toml"), "media = ",
                        'media = "We cannot read attachments. Please send words."')
    loaded = load_script(directory=override(tmp_path, "prompts/en.toml", text))
    assert loaded.prompt("en", "media") == "We cannot read attachments. Please send words."
    assert loaded.prompt("ur", "media") == load_script().prompt("ur", "media")


def test_the_override_directory_can_come_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = replace_line(shipped("conversation.toml"), 'name = "Involve"', 'name = "Elsewhere"')
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(override(tmp_path, "conversation.toml", text)))
    assert load_script().conversation.organisation.name == "Elsewhere"


def test_a_prompt_file_missing_a_prompt_is_refused(tmp_path: Path) -> None:
    text = without_line(shipped("prompts/en.toml"), "media = ")
    with pytest.raises(ConfigError) as raised:
        load_script(directory=override(tmp_path, "prompts/en.toml", text))
    message = str(raised.value)
    assert str(tmp_path / "prompts" / "en.toml") in message
    assert "prompts missing: media" in message


def test_an_unknown_prompt_is_refused(tmp_path: Path) -> None:
    text = shipped("prompts/pl.toml").replace("[buttons]", 'farewell = "Do widzenia"\n\n[buttons]')
    with pytest.raises(ConfigError, match=r"prompts/pl\.toml: .*unknown prompts: farewell"):
        load_script(directory=override(tmp_path, "prompts/pl.toml", text))


def test_a_translation_using_a_placeholder_the_english_lacks_is_refused(tmp_path: Path) -> None:
    text = replace_line(shipped("prompts/ur.toml"), "media = ",
                        'media = "معذرت، NHS {org} تصاویر نہیں کھول سکتا۔"')
    with pytest.raises(ConfigError) as raised:
        load_script(directory=override(tmp_path, "prompts/ur.toml", text))
    assert str(raised.value) == ("prompts/ur.toml: prompts.media: uses ['org'], but the English "
                                 "uses []")


def test_a_translation_dropping_a_placeholder_is_refused(tmp_path: Path) -> None:
    text = replace_line(shipped("prompts/pl.toml"), "thanks = ", 'thanks = "Dziękujemy."')
    with pytest.raises(ConfigError, match=re.escape(
            "prompts/pl.toml: prompts.thanks: uses [], but the English uses ['reference']")):
        load_script(directory=override(tmp_path, "prompts/pl.toml", text))


def test_a_menu_missing_a_label_is_refused(tmp_path: Path) -> None:
    text = without_line(shipped("prompts/en.toml"), "dental = ")
    with pytest.raises(ConfigError, match=re.escape("prompts/en.toml: menus.service: no label for dental")):
        load_script(directory=override(tmp_path, "prompts/en.toml", text))


def test_a_step_menu_missing_a_label_is_refused(tmp_path: Path) -> None:
    text = without_line(shipped("prompts/pl.toml"), "braille-grade-2 = ")
    with pytest.raises(ConfigError, match=re.escape(
            "prompts/pl.toml: menus.needs: no label for braille-grade-2")):
        load_script(directory=override(tmp_path, "prompts/pl.toml", text))


def test_a_file_claiming_another_language_is_refused(tmp_path: Path) -> None:
    text = replace_line(shipped("prompts/pl.toml"), 'language = "pl"', 'language = "ur"')
    with pytest.raises(ConfigError, match=re.escape("prompts/pl.toml: meta.language: says 'ur'")):
        load_script(directory=override(tmp_path, "prompts/pl.toml", text))


def test_a_choice_step_without_options_is_refused(tmp_path: Path) -> None:
    text = without_line(shipped("conversation.toml"), 'options = ["very-good"')
    with pytest.raises(ConfigError) as raised:
        load_script(directory=override(tmp_path, "conversation.toml", text))
    message = str(raised.value)
    assert str(tmp_path / "conversation.toml") in message
    assert "steps.2" in message
    assert "step 'rating' of kind 'choice' needs options" in message


def test_a_step_naming_an_unknown_prompt_is_refused(tmp_path: Path) -> None:
    text = replace_line(shipped("conversation.toml"), 'prompt = "ask_contact"',
                        'prompt = "ask_postcode"')
    with pytest.raises(ConfigError, match=r"conversation\.toml: steps\.4: .*unknown prompt 'ask_postcode'"):
        load_script(directory=override(tmp_path, "conversation.toml", text))


def test_an_unknown_key_in_the_conversation_is_refused(tmp_path: Path) -> None:
    text = replace_line(shipped("conversation.toml"), "idle_minutes = 120",
                        "idle_minutes = 120\nidle_hours = 2")
    with pytest.raises(ConfigError, match=r"conversation\.toml: timing\.idle_hours: "):
        load_script(directory=override(tmp_path, "conversation.toml", text))


def test_invalid_toml_is_refused_naming_the_file(tmp_path: Path) -> None:
    directory = override(tmp_path, "prompts/en.toml", '[meta\nlanguage = "en"\n')
    with pytest.raises(ConfigError) as raised:
        load_script(directory=directory)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'prompts' / 'en.toml'}: not valid TOML")


def test_prompt_files_for_languages_not_configured_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"prompts/(pl|ur)\.toml: language '(pl|ur)' is not listed "
                                          r"in languages\.toml"):
        load_script(configured_languages=("en",))


def test_an_added_language_must_be_configured(tmp_path: Path) -> None:
    text = replace_line(shipped("prompts/pl.toml"), 'language = "pl"', 'language = "cy"')
    directory = override(tmp_path, "prompts/cy.toml", text)
    with pytest.raises(ConfigError, match=re.escape("prompts/cy.toml: language 'cy' is not listed")):
        load_script(directory=directory, configured_languages=("en", "ur", "pl"))
    assert set(load_script(directory=directory, configured_languages=("en", "ur", "pl", "cy"))
               .languages) == {"en", "ur", "pl", "cy"}
