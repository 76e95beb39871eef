"""The form's pure parts: checking a submission, turning it into an ``IncomingMessage``, UK mobile
numbers, and the pages' words per language."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from intake.config import Config
from intake.message import Consent, FftRating
from webhooks.forms.phone import uk_mobile
from webhooks.forms.routes import OFFERED_NEEDS
from webhooks.forms.submission import Checked, Submission, check, to_message
from webhooks.forms.text import TEXT_DIR, PageText, available_languages, page_text

ENGLISH = page_text("en")
LIMIT = 5000
VALID: dict[str, str] = {"about": "me", "service": "gp", "what": "The receptionist was very kind.",
                         "contact": "no"}


def read_toml(name: str) -> dict[str, Any]:
    with (TEXT_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


EN_FILE = read_toml("en")


def run_check(config: Config, form: Mapping[str, str], needs: Sequence[str] = (),
              text: PageText = ENGLISH, limit: int = LIMIT) -> Checked:
    return check(form, needs, services=[s.id for s in config.services], needs_offered=OFFERED_NEEDS,
                 interpreter_languages=[e.language for e in config.needs.interpreter_languages],
                 text=text, limit=limit)


def valid(config: Config, needs: Sequence[str] = (), text: PageText = ENGLISH,
          **fields: str) -> Submission:
    checked = run_check(config, {**VALID, **fields}, needs, text)
    assert checked.errors == {}
    assert checked.submission is not None
    return checked.submission


# -- check: errors ---------------------------------------------------------------------------
def test_an_empty_form_has_one_message_per_required_field_in_page_order(config: Config) -> None:
    checked = run_check(config, {})
    assert checked.submission is None
    assert list(checked.errors.items()) == [
        ("about", "Select who the feedback is about"),
        ("service", "Select the service, or select I'm not sure"),
        ("what", "Enter what happened or what could be better"),
        ("contact", "Select whether we may contact you"),
    ]


def test_every_field_in_error_at_once_keeps_page_order(config: Config) -> None:
    checked = run_check(config, {"contact": "sms", "phone": "not a number"})
    assert list(checked.errors) == ["about", "service", "what", "phone"]
    assert checked.errors["phone"] == "Enter a UK mobile number, like 07700 900 982"


@pytest.mark.parametrize(("field", "value"), [
    ("about", "them"), ("about", "ME"), ("service", "hairdresser"), ("service", "GP"),
    ("contact", "phone"), ("contact", "yes"),
])
def test_values_not_offered_are_refused(config: Config, field: str, value: str) -> None:
    checked = run_check(config, {**VALID, field: value})
    assert checked.submission is None
    assert list(checked.errors) == [field]


@pytest.mark.parametrize("what", ["", "   ", "\n\t "])
def test_what_happened_is_required(config: Config, what: str) -> None:
    assert run_check(config, {**VALID, "what": what}).errors == {
        "what": "Enter what happened or what could be better"}


def test_what_happened_over_the_limit_names_the_formatted_limit(config: Config) -> None:
    checked = run_check(config, {**VALID, "what": "a" * (LIMIT + 1)})
    assert checked.errors == {"what": "What happened must be 5,000 characters or fewer"}
    small = run_check(config, {**VALID, "what": "a" * 201}, limit=200)
    assert small.errors == {"what": "What happened must be 200 characters or fewer"}


def test_what_happened_at_the_limit_is_accepted_and_trimmed(config: Config) -> None:
    submission = valid(config, what="  " + "a" * LIMIT + "\n")
    assert submission.what == "a" * LIMIT


@pytest.mark.parametrize(("phone", "message"), [
    ("", "Enter a UK mobile number"),
    ("   ", "Enter a UK mobile number"),
    ("0113 496 0000", "Enter a UK mobile number, like 07700 900 982"),
    ("call me", "Enter a UK mobile number, like 07700 900 982"),
])
def test_text_message_contact_needs_a_uk_mobile(config: Config, phone: str, message: str) -> None:
    checked = run_check(config, {**VALID, "contact": "sms", "phone": phone})
    assert checked.submission is None
    assert checked.errors == {"phone": message}


@pytest.mark.parametrize(("email", "message"), [
    ("", "Enter an email address"),
    (" ", "Enter an email address"),
    ("name@", "Enter an email address in the correct format, like name@example.com"),
    ("name example.com", "Enter an email address in the correct format, like name@example.com"),
    ("name@example", "Enter an email address in the correct format, like name@example.com"),
])
def test_email_contact_needs_an_email_address(config: Config, email: str, message: str) -> None:
    checked = run_check(config, {**VALID, "contact": "email", "email": email})
    assert checked.errors == {"email": message}


def test_the_address_for_the_other_channel_is_not_checked(config: Config) -> None:
    submission = valid(config, contact="email", email=" name@example.com ", phone="rubbish")
    assert (submission.contact, submission.address) == ("email", "name@example.com")
    assert valid(config, contact="no", phone="rubbish", email="rubbish").address is None


def test_errors_are_in_the_page_language(config: Config) -> None:
    urdu = page_text("ur")
    checked = run_check(config, {"contact": "email"}, text=urdu)
    assert list(checked.errors.values()) == [
        urdu.error("about_required"), urdu.error("service_required"),
        urdu.error("what_required"), urdu.error("email_required")]
    assert all(re.search(r"[\u0600-\u06ff]", message) for message in checked.errors.values())


# -- check: what is kept ---------------------------------------------------------------------
@pytest.mark.parametrize("typed", [
    "07700 900 982", "07700900982", "+44 7700 900982", "+447700900982", "0044 7700 900982",
    "(07700) 900-982", "+44 (0) 7700 900982", " 07700 900982 ",
])
def test_a_uk_mobile_typed_any_usual_way_is_kept_in_e164(config: Config, typed: str) -> None:
    submission = valid(config, contact="sms", phone=typed)
    assert (submission.contact, submission.address) == ("sms", "+447700900982")


def test_unknown_needs_are_dropped_and_repeats_kept_once(config: Config) -> None:
    submission = valid(config, ["bsl-interpreter", "telepathy", "large-print", "bsl-interpreter",
                                "contact-by-sms"])
    assert submission.needs == ("bsl-interpreter", "large-print")


@pytest.mark.parametrize("language", ["xx", "klingon", "UR", ""])
def test_an_interpreter_language_not_offered_is_dropped(config: Config, language: str) -> None:
    assert valid(config, interpreter=language).interpreter is None


def test_an_offered_interpreter_language_is_kept(config: Config) -> None:
    assert valid(config, interpreter="ur").interpreter == "ur"


def test_every_fft_answer_is_kept_and_anything_else_dropped(config: Config) -> None:
    for rating in FftRating:
        assert valid(config, fft=rating.value).fft == rating.value
    assert valid(config, fft="excellent").fft is None
    assert valid(config, fft="").fft is None


def test_every_offered_need_is_one_the_pipeline_knows(config: Config) -> None:
    assert set(OFFERED_NEEDS) <= set(config.needs_by_id)


# -- to_message ------------------------------------------------------------------------------
def test_the_message_carries_the_answers(config: Config) -> None:
    submission = valid(config, ["bsl-interpreter"], about="someone", fft="poor", contact="sms",
                       phone="07700 900 982", what="  My dad needed a BSL interpreter.  ")
    message = to_message(submission, "web-abc", consultation="maternity-services-2026",
                         text=ENGLISH)
    assert (message.channel, message.provider_message_id) == ("web", "web-abc")
    assert message.text == "My dad needed a BSL interpreter."
    assert (message.sender, message.sender_channel) == ("+447700900982", "sms")
    assert message.address_channel == "sms"
    answers = message.answers
    assert answers.services == ("gp",)
    assert answers.needs == ("bsl-interpreter",)
    assert answers.fft_rating is FftRating.POOR
    assert answers.on_behalf_of is True
    assert answers.consultation == "maternity-services-2026"
    assert answers.consents == (Consent("follow-up", True, "2026-11-web-en-1"),)
    assert dict(message.metadata) == {"form_language": "en", "easy_read": False}


def test_not_sure_means_no_service(config: Config) -> None:
    message = to_message(valid(config, service="not-sure"), "web-1", consultation=None, text=ENGLISH)
    assert message.answers.services == ()


def test_feedback_about_me_is_not_on_behalf_of_someone(config: Config) -> None:
    message = to_message(valid(config, about="me"), "web-1", consultation=None, text=ENGLISH)
    assert message.answers.on_behalf_of is False
    assert message.answers.consultation is None
    assert message.answers.fft_rating is None


@pytest.mark.parametrize(("ticked", "language", "expected"), [
    (["interpreter"], "ur", ("interpreter:ur",)),
    (["interpreter", "large-print"], "pl", ("large-print", "interpreter:pl")),
    ([], "ur", ("interpreter:ur",)),
    (["interpreter"], "", ("interpreter",)),
    (["bsl-interpreter"], "", ("bsl-interpreter",)),
])
def test_a_spoken_language_interpreter_names_its_language(
        config: Config, ticked: list[str], language: str, expected: tuple[str, ...]) -> None:
    submission = valid(config, ticked, interpreter=language)
    message = to_message(submission, "web-1", consultation=None, text=ENGLISH)
    assert message.answers.needs == expected


def test_declining_contact_is_recorded_as_a_consent_refused(config: Config) -> None:
    message = to_message(valid(config, contact="no"), "web-1", consultation=None, text=ENGLISH)
    assert (message.sender, message.sender_channel) == (None, None)
    assert message.answers.consents == (Consent("follow-up", False, "2026-11-web-en-1"),)


def test_email_contact_is_a_consent_given_for_the_email_channel(config: Config) -> None:
    message = to_message(valid(config, contact="email", email="name@example.com"), "web-1",
                         consultation=None, text=ENGLISH)
    assert (message.sender, message.sender_channel) == ("name@example.com", "email")
    assert message.answers.consents == (Consent("follow-up", True, "2026-11-web-en-1"),)


def test_no_consent_is_recorded_when_contact_is_wanted_but_no_address_given() -> None:
    submission = Submission("me", "gp", "Text", None, (), None, "sms", None)
    assert to_message(submission, "web-1", consultation=None, text=ENGLISH).answers.consents == ()


@pytest.mark.parametrize(("text", "version"), [
    (page_text("en", True), "2026-11-web-en-easy-1"),
    (page_text("ur"), "2026-11-web-ur-draft-1"),
    (page_text("pl"), "2026-11-web-pl-draft-1"),
])
def test_consent_records_the_wording_version_of_the_page_shown(
        config: Config, text: PageText, version: str) -> None:
    submission = valid(config, text=text, contact="sms", phone="07700900982")
    message = to_message(submission, "web-1", consultation=None, text=text)
    assert message.answers.consents == (Consent("follow-up", True, version),)
    assert message.metadata["form_language"] == text.language
    assert message.metadata["easy_read"] is text.easy_read


@pytest.mark.parametrize("text", [ENGLISH, page_text("en", True), page_text("ur"), page_text("pl")])
def test_the_page_language_is_a_hint_for_tagging_not_a_chosen_language(
        config: Config, text: PageText) -> None:
    message = to_message(valid(config, text=text), "web-1", consultation=None, text=text)
    assert message.language_hint == text.language
    assert message.answers.language is None


# -- phone.py --------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "e164"), [
    ("07700 900 982", "+447700900982"), ("+44 7700 900982", "+447700900982"),
    ("07700900123", "+447700900123"), ("07911 123456", "+447911123456"),
    ("447700900982", "+447700900982"),
])
def test_uk_mobiles_come_back_in_e164(typed: str, e164: str) -> None:
    assert uk_mobile(typed) == e164


@pytest.mark.parametrize("typed", [
    "0113 496 0000",      # landline (Leeds)
    "020 7946 0000",      # landline (London)
    "0800 123 4567",      # freephone
    "+353 85 123 4567",   # Irish mobile
    "+1 202 555 0100",    # North American number
    "07700 9009821",      # one digit too many
    "hello", "", "+44",
])
def test_anything_but_a_uk_mobile_is_refused(typed: str) -> None:
    assert uk_mobile(typed) is None


@pytest.mark.parametrize("typed", ["07700 90098", "07911 123"])
def test_a_mobile_number_with_digits_missing_is_refused(typed: str) -> None:
    assert uk_mobile(typed) is None


@pytest.mark.parametrize("typed", ["070 1234 5678", "076 2345 6789"])
def test_personal_numbers_and_pagers_are_not_mobiles(typed: str) -> None:
    assert uk_mobile(typed) is None


# -- text.py ---------------------------------------------------------------------------------
TRANSLATIONS = [code for code in available_languages() if code != "en"]


def placeholders(value: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def test_the_languages_offered_are_english_first_then_the_translations() -> None:
    languages = available_languages()
    assert languages[0] == "en"
    assert {"ur", "pl"} <= set(languages)
    assert "en-easy" not in languages


@pytest.mark.parametrize("code", TRANSLATIONS)
def test_every_translation_has_every_key_of_english_in_every_table(code: str) -> None:
    translated = read_toml(code)
    for table, english in EN_FILE.items():
        if table == "meta":
            continue
        assert table in translated, f"{code}.toml has no [{table}] table"
        missing = sorted(set(english) - set(translated[table]))
        assert missing == [], f"{code}.toml [{table}] lacks {missing}"
        extra = sorted(set(translated[table]) - set(english))
        assert extra == [], f"{code}.toml [{table}] has keys English does not: {extra}"
        for key, value in english.items():
            assert placeholders(translated[table][key]) == placeholders(value), (code, table, key)
            assert translated[table][key].strip(), f"{code}.toml [{table}] {key} is empty"


@pytest.mark.parametrize("code", TRANSLATIONS)
def test_drafted_translations_are_marked_not_reviewed(code: str) -> None:
    meta = read_toml(code)["meta"]
    assert meta["language"] == code
    assert meta["wording_version"]
    if code in ("ur", "pl"):
        assert meta["reviewed"] is False
        assert meta["reviewed_by"] == ""
        assert page_text(code).meta["reviewed"] is False


def test_english_is_reviewed() -> None:
    assert EN_FILE["meta"]["reviewed"] is True
    assert ENGLISH.meta["wording_version"] == "2026-11-web-en-1"


def test_easy_read_only_overrides_keys_english_has() -> None:
    easy = read_toml("en-easy")
    for table, values in easy.items():
        if table != "meta":
            assert set(values) <= set(EN_FILE[table]), table


def test_easy_read_overrides_some_words_and_keeps_the_rest() -> None:
    easy = page_text("en", True)
    assert (easy.language, easy.easy_read) == ("en", True)
    assert easy.meta["wording_version"] == "2026-11-web-en-easy-1"
    assert easy("about_legend") == "Who is this about?"
    assert easy("about_someone") == "Someone I look after"
    assert easy("submit") == "Send"
    assert easy("privacy_heading") == ENGLISH("privacy_heading") == "Privacy notice"
    assert easy.error("what_required") == ENGLISH.error("what_required")
    assert ENGLISH("about_legend") == "Who is this feedback about?"


@pytest.mark.parametrize("code", ["xx", "", "EN", "en-easy", "../en"])
def test_an_unknown_language_falls_back_to_english(code: str) -> None:
    text = page_text(code)
    assert (text.language, text.easy_read) == ("en", False)
    assert text("submit") == "Send feedback"


def test_easy_read_is_english_only() -> None:
    urdu = page_text("ur", True)
    assert (urdu.language, urdu.easy_read) == ("ur", False)
    assert urdu("submit") == "رائے بھیجیں"


def test_translations_use_their_own_words() -> None:
    polish = page_text("pl")
    assert polish("submit") == "Wyślij opinię"
    assert polish.label("fft", "very-good") == "Bardzo dobrze"
    assert polish.error("what_too_long", limit="5000").endswith("5000")


def test_the_polish_limit_is_not_written_with_an_english_thousands_comma(config: Config) -> None:
    checked = run_check(config, {**VALID, "what": "a" * (LIMIT + 1)}, text=page_text("pl"))
    assert "5,000" not in checked.errors["what"]
