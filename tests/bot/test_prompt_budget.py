"""What every prompt costs as an SMS once its placeholders are filled with worst-case values.

English prompts must fit one GSM-7 segment (160 characters, so no curly quotes or emoji). Other
languages need UCS-2 and may take up to three segments (3 x 67 = 201 characters). The first reply in
a language other than English carries the hint on how to switch back, so that variant is checked too.
"""

from __future__ import annotations

import pytest

from bot.script import PROMPT_KEYS, Script, load_script
from webhooks.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

SCRIPT = load_script()
REFERENCE = "FB-7K3M9Q"
PRIVACY_URL = "https://feedback.example.nhs.uk/privacy"
CURLY_QUOTES = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"
MAX_SEGMENTS_OTHER = 3
CASES = [pytest.param(code, key, id=f"{code}-{key}") for code in SCRIPT.languages for key in PROMPT_KEYS]


def menus_for(script: Script, language: str, key: str) -> list[str]:
    """Every menu the prompt ``key`` is shown with (one per step that uses it)."""
    conversation = script.conversation
    menus = []
    for step in conversation.steps:
        if step.prompt != key:
            continue
        if step.kind == "service":
            menus.append(script.menu(language, "service", conversation.service_menu))
        elif step.options:
            menus.append(script.menu(language, step.id, step.options))
    return menus or [""]


def rendered(script: Script, language: str, key: str) -> list[str]:
    """The prompt with each placeholder at its longest realistic value."""
    labels = script.languages[language].menus["service"]
    values = {
        "org": script.conversation.organisation.name,
        "reference": REFERENCE,
        "privacy_url": PRIVACY_URL,
        "service": max((labels[s] for s in script.conversation.service_menu), key=len),
        "length": "5,000",
        "limit": "5,000",
        "max": "9",
    }
    return [script.prompt(language, key, menu=menu, **values) for menu in menus_for(script, language, key)]


def first_reply(script: Script, language: str, text: str) -> str:
    hint = script.prompt(language, "switch_hint")
    return f"{text} {hint}" if hint else text


def assert_fits(language: str, text: str) -> None:
    cost = count_segments(text)
    if language == "en":
        assert cost.encoding == "GSM-7", (
            f"not GSM-7 because of {sorted({c for c in text if c not in GSM7_BASIC | GSM7_EXTENSION})}: "
            f"{text!r}")
        assert cost.segments == 1, f"{cost.units} characters, 160 fit one segment: {text!r}"
        assert not any(quote in text for quote in CURLY_QUOTES), text
    elif cost.encoding == "GSM-7":
        assert cost.segments == 1, f"{cost.units} GSM-7 characters: {text!r}"
    else:
        assert cost.segments <= MAX_SEGMENTS_OTHER, (
            f"{cost.units} UCS-2 characters, {MAX_SEGMENTS_OTHER * 67} fit: {text!r}")


# -- the prompts ------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "key"), CASES)
def test_prompt_fits_its_sms_budget(language: str, key: str) -> None:
    for text in rendered(SCRIPT, language, key):
        assert "{" not in text and "}" not in text, f"a placeholder was left unfilled: {text!r}"
        assert_fits(language, text)


@pytest.mark.parametrize(("language", "key"), CASES)
def test_prompt_fits_its_sms_budget_as_a_first_reply_with_the_switch_hint(language: str, key: str) -> None:
    for text in rendered(SCRIPT, language, key):
        assert_fits(language, first_reply(SCRIPT, language, text))


def test_every_language_and_prompt_is_covered() -> None:
    assert len(CASES) == len(SCRIPT.languages) * len(PROMPT_KEYS)
    assert set(SCRIPT.languages) >= {"en", "ur", "pl"}


def test_the_worst_case_values_reach_the_rendered_prompts() -> None:
    (service,) = rendered(SCRIPT, "en", "ask_service")
    assert "1 GP 2 Hospital clinic 3 Hospital stay" in service
    assert service.endswith("9 Other. Or type it in words.")
    (confirm,) = rendered(SCRIPT, "en", "confirm_service")
    assert confirm == "Is this about Hospital clinic? Reply YES or NO."
    (confirm_pl,) = rendered(SCRIPT, "pl", "confirm_service")
    assert "Poradnia szpitalna" in confirm_pl
    (help_text,) = rendered(SCRIPT, "en", "help")
    assert help_text.endswith(PRIVACY_URL)
    (too_long,) = rendered(SCRIPT, "ur", "too_long")
    assert too_long.count("5,000") == 2
    (thanks,) = rendered(SCRIPT, "ur", "thanks")
    assert REFERENCE in thanks
    (needs,) = rendered(SCRIPT, "pl", "ask_needs")
    assert "6 Brak" in needs
    assert first_reply(SCRIPT, "ur", "x") == "x For English reply ENGLISH."
    assert first_reply(SCRIPT, "en", "x") == "x"


def test_the_budget_check_would_catch_an_english_prompt_that_is_too_long_or_not_gsm() -> None:
    with pytest.raises(AssertionError, match="160 fit one segment"):
        assert_fits("en", "x" * 161)
    with pytest.raises(AssertionError, match="not GSM-7"):
        assert_fits("en", "Don\u2019t worry")
    with pytest.raises(AssertionError, match="201 fit"):
        assert_fits("ur", "ا" * 202)
    assert_fits("ur", "ا" * 201)


# -- counting segments ------------------------------------------------------------------------

@pytest.mark.parametrize(("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3),
                                                  (459, 3), (460, 4)])
def test_gsm7_segments(length: int, segments: int) -> None:
    cost = count_segments("a" * length)
    assert (cost.encoding, cost.units, cost.segments) == ("GSM-7", length, segments)


def test_gsm7_basic_characters_beyond_ascii_stay_gsm7() -> None:
    cost = count_segments("£5 at the café, Ä Ö Ñ Ü ß é")
    assert cost.encoding == "GSM-7" and cost.units == len("£5 at the café, Ä Ö Ñ Ü ß é")


@pytest.mark.parametrize("character", ["\u2019", "\u201c", "😀", "ł", "ا"])
def test_one_character_outside_gsm7_makes_the_whole_message_ucs2(character: str) -> None:
    assert count_segments("a" * 100).segments == 1
    cost = count_segments("a" * 100 + character)
    assert cost.encoding == "UCS-2"
    assert cost.segments == 2


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_ucs2_segments_hold_70_characters_alone_and_67_when_concatenated(length: int, segments: int) -> None:
    cost = count_segments("\u2019" + "a" * (length - 1))
    assert (cost.encoding, cost.units, cost.segments) == ("UCS-2", length, segments)


@pytest.mark.parametrize("character", ["€", "[", "]", "{", "}", "^", "~", "|", "\\"])
def test_gsm7_extension_characters_count_two_units(character: str) -> None:
    cost = count_segments(character)
    assert (cost.encoding, cost.units) == ("GSM-7", 2)
    assert count_segments(character * 80).segments == 1
    assert count_segments(character * 81).segments == 2
    assert count_segments("a" * 159 + character).segments == 2


def test_an_emoji_counts_two_ucs2_units() -> None:
    assert count_segments("😀") == count_segments("\u2019\u2019")
    cost = count_segments("😀" * 35)
    assert (cost.encoding, cost.units, cost.segments) == ("UCS-2", 70, 1)
    assert count_segments("😀" * 35 + "a").segments == 2
