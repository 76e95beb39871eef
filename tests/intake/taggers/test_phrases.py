"""Behaviour of PhraseMatcher: whole-word, case-insensitive phrase matching with negation."""

from __future__ import annotations

import pytest

from intake.taggers.phrases import (
    NEGATION_WINDOW_WORDS,
    NegationAfter,
    PhraseHit,
    PhraseMatcher,
    built_once,
)

NEGATIONS = ("don't need", "do not need", "no", "not", "without", "ضرورت نہیں")
APOSTROPHES = ("'", "\u2019", "\u02bc")


@pytest.fixture(scope="module")
def matcher() -> PhraseMatcher:
    return PhraseMatcher(
        {
            "gp": ["gp", "g.p."],
            "gp-surgery": ["gp surgery"],
            "bsl": ["bsl", "sign language", "signer"],
            "interpreter": ["interpreter", "ترجمان"],
            "tooth": ["دانت"],
            "easy-read": ["easy read"],
            "polish": ["język migowy"],
        },
        NEGATIONS,
    )


def keys(hits: list[PhraseHit]) -> list[str]:
    return [hit.key for hit in hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I saw my GP today", ["gp"]),
        ("My G.P. was kind", ["gp"]),
        ("gp", ["gp"]),
        ("(GP)", ["gp"]),
        ("GPs are busy", []),
        ("the gpx file", []),
        ("a designer chair", []),
        ("She is a signer.", ["bsl"]),
        ("absl", []),
    ],
)
def test_latin_phrases_match_only_whole_words(matcher: PhraseMatcher, text: str, expected: list[str]) -> None:
    assert keys(matcher.find(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("میرے دانت میں درد ہے", ["tooth"]),
        ("دانت", ["tooth"]),
        ("دانتوں کا ڈاکٹر", []),
        ("مجھے ترجمان چاہیے", ["interpreter"]),
        ("مترجمان", []),
    ],
)
def test_urdu_phrases_match_only_whole_words(matcher: PhraseMatcher, text: str, expected: list[str]) -> None:
    assert keys(matcher.find(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ਮੈਂ ਪੰਜਾਬ ਤੋਂ ਹਾਂ", ["punjab"]),
        ("ਮੈਂ ਪੰਜਾਬੀ ਬੋਲਦਾ ਹਾਂ", []),  # a vowel sign continues the word
        ("ਪੰਜਾਬ", ["punjab"]),
    ],
)
def test_indic_phrases_match_only_whole_words(text: str, expected: list[str]) -> None:
    assert keys(PhraseMatcher({"punjab": ["ਪੰਜਾਬ"]}).find(text)) == expected


def test_shorter_phrase_is_found_when_the_longer_one_is_not_a_whole_word() -> None:
    matcher = PhraseMatcher({"doctor": ["ਡਾਕਟਰ"], "punjab-doctor": ["ਡਾਕਟਰ ਪੰਜਾਬ"]})
    # "ਡਾਕਟਰ ਪੰਜਾਬੀ ਹੈ": "ਡਾਕਟਰ" is a whole word; "ਡਾਕਟਰ ਪੰਜਾਬ" is not (ੀ follows it).
    assert keys(matcher.find("ਡਾਕਟਰ ਪੰਜਾਬੀ ਹੈ")) == ["doctor"]


@pytest.mark.parametrize("text", ["bsl", "BSL", "Bsl", "bSl"])
def test_matching_ignores_case(matcher: PhraseMatcher, text: str) -> None:
    [hit] = matcher.find(text)
    assert hit.key == "bsl"
    assert hit.phrase == "bsl"


def test_polish_phrase_matches_in_upper_case(matcher: PhraseMatcher) -> None:
    [hit] = matcher.find("Potrzebny JĘZYK MIGOWY")
    assert hit.key == "polish"
    assert hit.phrase == "język migowy"


@pytest.mark.parametrize("text", ["sign language", "sign  language", "sign\tlanguage", "Sign\nLanguage"])
def test_multi_word_phrases_allow_any_whitespace(matcher: PhraseMatcher, text: str) -> None:
    [hit] = matcher.find(f"She uses {text} at home")
    assert hit.key == "bsl"
    assert hit.phrase == "sign language"
    assert (hit.start, hit.end) == (9, 9 + len(text))


def test_multi_word_phrase_needs_every_word(matcher: PhraseMatcher) -> None:
    assert matcher.find("a sign of language skills") == []


def test_longest_phrase_wins(matcher: PhraseMatcher) -> None:
    hits = matcher.find("My GP surgery is far away")
    assert keys(hits) == ["gp-surgery"]
    assert hits[0].phrase == "gp surgery"


def test_hits_are_reported_in_order_with_positions(matcher: PhraseMatcher) -> None:
    text = "The GP booked a signer"
    hits = matcher.find(text)
    assert keys(hits) == ["gp", "bsl"]
    assert [text[hit.start:hit.end] for hit in hits] == ["GP", "signer"]


def test_a_phrase_shared_by_two_keys_hits_both() -> None:
    matcher = PhraseMatcher({"a": ["clinic"], "b": ["Clinic "]})
    assert sorted(keys(matcher.find("the clinic was shut"))) == ["a", "b"]


def test_empty_configuration_finds_nothing() -> None:
    assert PhraseMatcher({}).find("anything at all") == []
    assert PhraseMatcher({"x": ["  "]}).find("anything at all") == []


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("She needs an interpreter", False),
        ("I don't need an interpreter", True),
        ("I do not need an interpreter", True),
        ("I DON'T NEED an interpreter", True),
        ("We went without an interpreter", True),
        ("There was no interpreter", True),
        ("مجھے ضرورت نہیں ترجمان", True),
        ("No. She needs an interpreter", False),
        ("No! She needs an interpreter", False),
        ("I said no;\nshe needs an interpreter", False),
        ("No, she needs an interpreter", False),  # a comma ends the clause too
    ],
)
def test_negation_before_a_phrase(matcher: PhraseMatcher, text: str, negated: bool) -> None:
    [hit] = [hit for hit in matcher.find(text) if hit.key == "interpreter"]
    assert hit.negated is negated


def test_negation_reaches_only_a_few_words_back(matcher: PhraseMatcher) -> None:
    inside = " ".join(["word"] * (NEGATION_WINDOW_WORDS - 1))
    outside = " ".join(["word"] * NEGATION_WINDOW_WORDS)
    [near] = matcher.find(f"not {inside} interpreter")
    [far] = matcher.find(f"not {outside} interpreter")
    assert near.negated is True
    assert far.negated is False


def test_negation_applies_to_each_hit_separately(matcher: PhraseMatcher) -> None:
    hits = matcher.find("I don't need an interpreter. My mum needs BSL")
    assert [(hit.key, hit.negated) for hit in hits] == [("interpreter", True), ("bsl", False)]


def test_negation_cue_must_be_a_whole_word(matcher: PhraseMatcher) -> None:
    # "nothing" and "knot" contain "no" / "not" but are not negations.
    [hit] = matcher.find("Nothing knot an interpreter")
    assert hit.negated is False


@pytest.mark.parametrize("apostrophe", APOSTROPHES)
def test_phrases_with_an_apostrophe_accept_typographic_ones(apostrophe: str) -> None:
    matcher = PhraseMatcher({"breathing": ["can't breathe"]})
    [hit] = matcher.find(f"He can{apostrophe}t breathe")
    assert (hit.key, hit.phrase) == ("breathing", "can't breathe")


@pytest.mark.parametrize("apostrophe", APOSTROPHES)
def test_negations_with_an_apostrophe_accept_typographic_ones(
    matcher: PhraseMatcher, apostrophe: str
) -> None:
    [hit] = matcher.find(f"I don{apostrophe}t need an interpreter")
    assert hit.negated is True


def test_without_negations_nothing_is_negated() -> None:
    [hit] = PhraseMatcher({"i": ["interpreter"]}).find("I don't need an interpreter")
    assert hit.negated is False


@pytest.mark.parametrize("text", ["He cant breathe", "He can't breathe", "He can\u2019t breathe"])
def test_an_apostrophe_in_a_phrase_may_be_left_out(text: str) -> None:
    [hit] = PhraseMatcher({"breathing": ["can't breathe"]}).find(text)
    assert (hit.key, hit.phrase) == ("breathing", "can't breathe")


def test_a_negation_typed_without_its_apostrophe_still_negates(matcher: PhraseMatcher) -> None:
    [hit] = matcher.find("I dont need an interpreter")
    assert hit.negated is True


def test_spellings_that_differ_only_by_an_apostrophe_are_one_phrase() -> None:
    matcher = PhraseMatcher({"gp": ["doctor's surgery", "doctors surgery"]})
    hits = matcher.find("the doctors surgery and the doctor's surgery")
    assert [(hit.key, hit.phrase) for hit in hits] == [("gp", "doctor's surgery")] * 2


def test_a_phrase_without_an_apostrophe_does_not_match_a_longer_word() -> None:
    assert PhraseMatcher({"x": ["cant"]}).find("the canteen") == []


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("She has no sight and needs an interpreter", False),
        ("Not BSL but an interpreter", False),
        ("No hearing at all because she needs an interpreter", False),
        ("Brak słuchu ale potrzebny tłumacz", False),
        ("I do not need an interpreter", True),
    ],
)
def test_a_joining_word_ends_the_reach_of_a_negation(text: str, negated: bool) -> None:
    matcher = PhraseMatcher({"interpreter": ["interpreter", "tłumacz"]}, ["no", "not", "brak",
                                                                          "do not need"])
    [hit] = matcher.find(text)
    assert hit.negated is negated


@pytest.mark.parametrize(
    ("text", "negates"),
    [
        ("interpreter not needed", True),
        ("an interpreter is not needed", True),
        ("an interpreter would not be needed", True),
        ("interpreter isnt needed", True),
        ("ترجمان کی ضرورت نہیں", True),
        ("interpreter needed, not large print", False),
        ("interpreter and large print not needed", False),  # the negation is large print's
        ("interpreter needed as the old one was not needed", False),  # too far after
        ("interpreter please", False),
    ],
)
def test_a_negation_after_a_phrase(text: str, negates: bool) -> None:
    after = NegationAfter(["not needed", "not be needed", "isn't needed", "کی ضرورت نہیں"])
    [hit] = PhraseMatcher({"i": ["interpreter", "ترجمان"]}).find(text)
    assert after.negates(text, hit.end) is negates


def test_no_negations_after_negate_nothing() -> None:
    assert NegationAfter([]).negates("interpreter not needed", len("interpreter")) is False


def test_built_once_builds_once_per_source_object() -> None:
    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first, second = object(), object()
    assert built_once(first, build, build) is built_once(first, build, build)
    assert built_once(second, build, build) == [2]
    assert len(calls) == 2
