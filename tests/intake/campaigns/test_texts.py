"""Campaign texts: which placeholders each kind allows, what is refused and why (per language, all
at once), which text a person gets, and how placeholders are filled."""

from __future__ import annotations

import pytest

from intake.campaigns.texts import (
    MAX_LENGTH,
    PERSONAL,
    PLACEHOLDERS,
    CampaignTextError,
    check_texts,
    choose_text,
    placeholders_in,
    render,
)
from intake.storage.models import CampaignKind

LANGUAGES = ("en", "pl", "ur")
INVITATION = CampaignKind.INVITATION
YOU_SAID = CampaignKind.YOU_SAID_WE_DID
EN = "Tell us about {title} at {link}. Reply STOP to stop messages."


def check(texts: dict[str, str], kind: CampaignKind = INVITATION,
          opt_out_word: str = "STOP") -> dict[str, str]:
    return check_texts(texts, kind, languages=LANGUAGES, default="en", opt_out_word=opt_out_word)


def problems(texts: dict[str, str], kind: CampaignKind = INVITATION,
             opt_out_word: str = "STOP") -> dict[str, str]:
    with pytest.raises(CampaignTextError) as refused:
        check(texts, kind, opt_out_word)
    return refused.value.problems


# -- placeholders_in ----------------------------------------------------------------------------

def test_placeholders_in_lists_each_field_in_order_with_repeats() -> None:
    assert placeholders_in("{link} then {title}, again {link}") == ["link", "title", "link"]


def test_placeholders_in_ignores_doubled_braces_and_plain_text() -> None:
    assert placeholders_in("Write {{like this}} to us. STOP") == []
    assert placeholders_in("") == []


def test_the_personal_placeholders_belong_to_you_said_we_did_only() -> None:
    assert set(PLACEHOLDERS[YOU_SAID]) >= PERSONAL
    assert not PERSONAL & set(PLACEHOLDERS[INVITATION])


# -- check_texts: what is kept --------------------------------------------------------------------

def test_blank_texts_are_dropped_and_the_rest_trimmed_with_unix_line_ends() -> None:
    kept = check({"en": f"  {EN}\r\nThanks.\n ", "pl": "   ", "ur": ""})
    assert kept == {"en": f"{EN}\nThanks."}


def test_a_text_of_exactly_the_maximum_length_is_kept() -> None:
    text = EN + "x" * (MAX_LENGTH - len(EN))
    assert check({"en": text}) == {"en": text}


def test_a_text_one_character_too_long_is_refused_with_its_length() -> None:
    text = EN + "x" * (MAX_LENGTH + 1 - len(EN))
    assert problems({"en": text}) == {
        "en": f"The text is {MAX_LENGTH + 1} characters long; make it {MAX_LENGTH} or fewer."}


def test_doubled_braces_are_allowed_as_literal_braces() -> None:
    text = "Use {{curly}} braces: {link}. Reply STOP."
    assert check({"en": text}) == {"en": text}


@pytest.mark.parametrize("kind", list(CampaignKind))
def test_every_placeholder_of_a_kind_is_accepted(kind: CampaignKind) -> None:
    text = " ".join("{" + name + "}" for name in PLACEHOLDERS[kind]) + " Reply STOP."
    assert check({"en": text}, kind) == {"en": text}


def test_an_empty_opt_out_word_turns_the_check_off() -> None:
    assert check({"en": "Tell us at {link}."}, opt_out_word="") == {"en": "Tell us at {link}."}


# -- check_texts: what is refused -----------------------------------------------------------------

def test_a_reference_cannot_go_in_an_invitation_but_can_in_you_said_we_did() -> None:
    text = "Your ref {reference}. Reply STOP."
    refused = problems({"en": text}, INVITATION)["en"]
    assert refused == ("{reference} is not a placeholder you can use here. "
                       "Use {title}, {link}, {keyword}, {closes}.")
    assert check({"en": text}, YOU_SAID) == {"en": text}


def test_an_invitation_placeholder_is_refused_in_you_said_we_did() -> None:
    assert problems({"en": "Text {keyword}. Reply STOP."}, YOU_SAID)["en"].startswith(
        "{keyword} is not a placeholder you can use here. Use {title}, {reference}, {link}.")


@pytest.mark.parametrize(("text", "shown"), [
    ("See {link!r}. Reply STOP.", "{link}"),          # a conversion
    ("See {link:>40}. Reply STOP.", "{link}"),        # a format spec
    ("See {}. Reply STOP.", "{}"),                    # positional
    ("See {0}. Reply STOP.", "{0}"),
    ("See {link[0]}. Reply STOP.", "{link[0]}"),      # indexing
    ("See { link }. Reply STOP.", "{ link }"),        # spaces are part of the name
])
def test_anything_but_a_bare_allowed_name_in_braces_is_refused(text: str, shown: str) -> None:
    assert problems({"en": text})["en"].startswith(f"{shown} is not a placeholder you can use here.")


@pytest.mark.parametrize("text", ["Reply STOP {", "Reply STOP }", "Reply } STOP {link}"])
def test_an_unpaired_brace_is_refused_with_how_to_write_one(text: str) -> None:
    assert problems({"en": text})["en"] == (
        "A { or } has no partner. To write a brace itself, type it twice: {{ or }}.")


@pytest.mark.parametrize("text", [
    "Tell us at {link}.",
    "Tell us at {link}. Reply stop to stop.",          # the word is matched as written
    "Tell us at {link}. STOPPED messages?",            # part of a longer word does not count
])
def test_a_text_without_the_opt_out_word_as_a_word_is_refused(text: str) -> None:
    assert problems({"en": text})["en"] == (
        'Say how to stop these messages, for example "Reply STOP to stop messages." '
        "Every text must contain the word STOP.")


def test_the_opt_out_word_is_matched_literally() -> None:
    """A configured word with regex characters in it is looked for as it is."""
    assert check({"en": "Reply S.P to {link}"}, opt_out_word="S.P") == {
        "en": "Reply S.P to {link}"}
    assert "S.P" in problems({"en": "Reply STP to {link}"}, opt_out_word="S.P")["en"]


def test_english_is_required_even_when_other_texts_are_fine() -> None:
    assert problems({"pl": "Napisz {link}. STOP.", "en": "   "}) == {
        "en": "Write this text: it is what people get when there is no text in their language."}


def test_a_language_not_set_up_is_refused_before_its_text_is_read() -> None:
    found = problems({"en": EN, "xx": "no opt-out word {nonsense}"})
    assert found == {"xx": "'xx' is not one of the languages set up in languages.toml."}


def test_every_language_with_a_problem_is_reported_at_once() -> None:
    with pytest.raises(CampaignTextError) as refused:
        check({"pl": "Napisz {link}.", "ur": "{bad} STOP"})
    error = refused.value
    assert set(error.problems) == {"en", "pl", "ur"}
    assert isinstance(error, ValueError)
    assert str(error) == "; ".join(f"{code}: {text}" for code, text in error.problems.items())
    assert str(error).startswith("en: Write this text")


def test_the_error_keeps_its_own_copy_of_the_problems() -> None:
    given = {"en": "Too short."}
    error = CampaignTextError(given)
    given["pl"] = "later"
    assert error.problems == {"en": "Too short."}
    assert str(error) == "en: Too short."


# -- choose_text ----------------------------------------------------------------------------------

def test_a_person_gets_the_text_in_their_language_when_there_is_one() -> None:
    assert choose_text({"en": "E", "pl": "P"}, "pl", "en") == ("pl", "P")


@pytest.mark.parametrize("texts", [{"en": "E"}, {"en": "E", "pl": ""}])
def test_a_person_gets_the_default_text_when_theirs_is_missing_or_empty(
        texts: dict[str, str]) -> None:
    assert choose_text(texts, "pl", "en") == ("en", "E")


# -- render ---------------------------------------------------------------------------------------

def test_render_fills_every_placeholder_however_often_it_appears() -> None:
    assert render("{title}: {link} ({title})", {"title": "GP", "link": "https://x.example.test"}) \
        == "GP: https://x.example.test (GP)"


def test_render_leaves_a_missing_value_empty_and_ignores_extra_ones() -> None:
    assert render("Ref {reference}.", {"title": "unused"}) == "Ref ."


def test_render_turns_doubled_braces_into_one_and_does_not_expand_values() -> None:
    """A value that looks like a placeholder is sent as it is, not filled in again."""
    assert render("{{ok}} {title}", {"title": "{link} {0}"}) == "{ok} {link} {0}"
