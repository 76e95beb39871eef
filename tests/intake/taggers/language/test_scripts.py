"""Which script a letter is in, and a text's census of scripts: the first evidence of language."""

from __future__ import annotations

import pytest

from intake.taggers.language.scripts import KNOWN_SCRIPTS, ScriptCensus, census, script_of


@pytest.mark.parametrize(("char", "script"), [
    ("a", "Latn"), ("Z", "Latn"), ("ż", "Latn"), ("ă", "Latn"), ("ř", "Latn"),
    ("ب", "Arab"), ("ے", "Arab"), ("ں", "Arab"), ("ی", "Arab"), ("ة", "Arab"),
    ("ਸ", "Guru"), ("ক", "Beng"), ("ક", "Gujr"), ("क", "Deva"),
    ("医", "Hani"), ("Ж", "Cyrl"), ("λ", "Grek"), ("א", "Hebr"), ("த", "Taml"),
    ("あ", "Hira"), ("ア", "Kana"), ("한", "Hang"), ("ሰ", "Ethi"),
])
def test_letters_have_their_iso_15924_script(char: str, script: str) -> None:
    assert script_of(char) == script
    assert script in KNOWN_SCRIPTS


@pytest.mark.parametrize("char", [
    "1", "٣", "۲", "१",                   # digits, Latin, Arabic-Indic, Devanagari
    " ", "\n", "!", "،", "।", "'",        # spaces and punctuation
    "👍", "❤", "£",                        # emoji and symbols
    "\u0301", "ੰ", "ਾ", "ি", "ा", "\u064b",  # combining marks, Indic vowel signs, tanwin
])
def test_anything_but_a_letter_has_no_script(char: str) -> None:
    assert script_of(char) is None


@pytest.mark.parametrize("char", ["ދ", "Ꭰ"])  # Thaana, Cherokee
def test_a_letter_of_a_script_we_do_not_name_is_common_not_none(char: str) -> None:
    assert script_of(char) == "Zyyy"
    assert "Zyyy" not in KNOWN_SCRIPTS


def test_census_counts_letters_only() -> None:
    found = census("Dzień dobry! 123 👍")
    assert found == ScriptCensus(letters=10, counts=(("Latn", 10),))
    assert found.dominant == "Latn"


def test_indic_vowel_signs_are_not_counted_as_letters() -> None:
    # ਧੰਨਵਾਦ: four consonants, a tippi and a vowel sign.
    assert census("ਧੰਨਵਾਦ") == ScriptCensus(4, (("Guru", 4),))


def test_the_script_with_most_letters_dominates() -> None:
    found = census("GP ਧੰਨਵਾਦ ਜੀ")
    assert found == ScriptCensus(7, (("Guru", 5), ("Latn", 2)))
    assert found.dominant == "Guru"
    found = census("The GP ਧੰਨਵਾਦ")
    assert found.counts == (("Latn", 5), ("Guru", 4))
    assert found.dominant == "Latn"


def test_a_tie_is_broken_by_script_code_so_the_answer_is_stable() -> None:
    assert census("ab αβ").dominant == "Grek"
    assert census("αβ ab").dominant == "Grek"
    assert census("ab αβ").counts == (("Grek", 2), ("Latn", 2))


@pytest.mark.parametrize("text", ["", "   ", "12 👍 !", "\u0301ੰ"])
def test_text_without_letters_has_no_dominant_script(text: str) -> None:
    found = census(text)
    assert found == ScriptCensus(0, ())
    assert found.dominant is None
