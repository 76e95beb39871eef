"""Behaviour of LanguageDetector: configured languages only, deterministic, `und` when unsure."""

from __future__ import annotations

import pytest

from intake.config import Config
from intake.config.schema import Language
from intake.pipeline import Taggers
from intake.taggers.language import UNDETERMINED, LanguageDetector, LanguageGuess

SENTENCES = {
    "en": "My GP surgery never answers the phone and the receptionist was rude to my mother.",
    "ur": "میرے ڈاکٹر نے مجھے بہت دیر تک انتظار کروایا اور کسی نے میری بات نہیں سنی۔",
    "pl": "Czekałam na wizytę u lekarza rodzinnego przez trzy tygodnie i nikt nie odbierał telefonu.",
    "pa": "ਮੈਨੂੰ ਡਾਕਟਰ ਨਾਲ ਮਿਲਣ ਲਈ ਤਿੰਨ ਹਫ਼ਤੇ ਉਡੀਕ ਕਰਨੀ ਪਈ ਅਤੇ ਕਿਸੇ ਨੇ ਫ਼ੋਨ ਨਹੀਂ ਚੁੱਕਿਆ।",
    "bn": "আমি ডাক্তারের সাথে দেখা করার জন্য তিন সপ্তাহ অপেক্ষা করেছি এবং কেউ ফোন ধরেনি।",
}
GERMAN = "Ich habe drei Wochen auf einen Termin beim Hausarzt gewartet und niemand ging ans Telefon."


@pytest.fixture(scope="module")
def detector(taggers: Taggers) -> LanguageDetector:
    return taggers.language


@pytest.mark.parametrize(("code", "text"), SENTENCES.items(), ids=SENTENCES.keys())
def test_configured_languages_are_detected(detector: LanguageDetector, code: str, text: str) -> None:
    guess = detector.detect(text)
    assert guess.code == code
    assert 0.5 < guess.confidence <= 1.0


@pytest.mark.parametrize("text", ["ok", "OK!", "👍", "👍👍👍", "12345", "", "   ", "?!"])
def test_too_few_letters_is_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == LanguageGuess(UNDETERMINED, 0.0)


@pytest.mark.parametrize("text", [SENTENCES["en"], SENTENCES["pl"], "Thank you", "Dziękuję bardzo"])
def test_detection_is_deterministic(detector: LanguageDetector, text: str) -> None:
    answers = {detector.detect(text) for _ in range(20)}
    assert len(answers) == 1


def test_fresh_detectors_agree(config: Config) -> None:
    """The seed is fixed, so two detectors built separately give the same answer."""
    first = LanguageDetector(config.languages.languages).detect("Ok thanks, bye")
    second = LanguageDetector(config.languages.languages).detect("Ok thanks, bye")
    assert first == second


def test_unconfigured_language_is_never_returned(detector: LanguageDetector, config: Config) -> None:
    assert "de" not in config.language_codes
    guess = detector.detect(GERMAN)
    assert guess.code != "de"
    assert guess.code in (*config.language_codes, UNDETERMINED)


def test_codes_are_the_configured_codes_not_profile_names(detector: LanguageDetector) -> None:
    # Chinese uses langdetect's "zh-cn" profile but is configured as "zh".
    assert detector.detect("我在医院等了三个小时，没有人告诉我发生了什么事情。").code == "zh"


def test_restricting_the_candidates_changes_the_answer() -> None:
    languages = [
        Language(code="en", name="English", native_name="English", langdetect_profile="en"),
        Language(code="de", name="German", native_name="Deutsch", langdetect_profile="de"),
    ]
    assert LanguageDetector(languages).detect(GERMAN).code == "de"


def test_a_single_candidate_is_certain() -> None:
    only = [Language(code="pl", name="Polish", native_name="Polski", langdetect_profile="pl")]
    assert LanguageDetector(only).detect("anything with letters") == LanguageGuess("pl", 0.99)


def test_languages_without_a_profile_are_never_guessed() -> None:
    unguessable = [Language(code="ti", name="Tigrinya", native_name="ትግርኛ")]
    assert LanguageDetector(unguessable).detect(SENTENCES["en"]) == LanguageGuess(UNDETERMINED, 0.0)


@pytest.mark.parametrize(("min_letters", "determined"), [(2, True), (3, False)])
def test_min_letters_is_configurable(min_letters: int, determined: bool) -> None:
    languages = [
        Language(code="en", name="English", native_name="English", langdetect_profile="en"),
        Language(code="pl", name="Polish", native_name="Polski", langdetect_profile="pl"),
    ]
    guess = LanguageDetector(languages, min_letters=min_letters).detect("ok 123")
    assert (guess.code != UNDETERMINED) is determined
