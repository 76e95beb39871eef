"""webhooks.forms.text: the pages' words per language from ``text/<code>.toml``, English first,
Easy Read as an English variant, missing keys falling back to English, numbers written the
language's way. Most tests use a small text folder of their own, so they check the mechanism
rather than today's wording."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from webhooks.forms import text as text_module
from webhooks.forms.text import available_languages, page_text

ENGLISH = """
[meta]
language = "en"
thousands_separator = ","
wording_version = "test-en-1"

[text]
greeting = "Hello {name}"
send = "Send feedback"
counter = "You have %{count} characters remaining"
only_english = "Only in English"

[errors]
required = "Enter {what}"

[fft]
good = "Good"
"""
EASY_READ = """
[meta]
language = "en"
wording_version = "test-en-easy-1"

[text]
send = "Send"
"""
WELSH = """
[meta]
language = "cy"
thousands_separator = " "
wording_version = "test-cy-1"

[text]
greeting = "Helo {name}"
send = "Anfon adborth"
counter = "%{count} nod ar ôl"
"""
ARABIC = """
[meta]
language = "ar"
wording_version = "test-ar-1"

[text]
send = "إرسال"
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A text folder with English, Easy Read, Welsh (no [errors] or [fft]) and Arabic."""
    for name, content in (("en", ENGLISH), ("en-easy", EASY_READ), ("cy", WELSH), ("ar", ARABIC)):
        (tmp_path / f"{name}.toml").write_text(content, encoding="utf-8")
    monkeypatch.setattr(text_module, "TEXT_DIR", tmp_path)
    text_module._read.cache_clear()
    page_text.cache_clear()
    yield tmp_path
    text_module._read.cache_clear()
    page_text.cache_clear()


def test_english_comes_first_then_the_others_in_order_without_easy_read(folder: Path) -> None:
    assert available_languages() == ("en", "ar", "cy")


def test_a_new_file_is_a_new_language(folder: Path) -> None:
    (folder / "pl.toml").write_text('[meta]\nlanguage = "pl"\n[text]\nsend = "Wyślij"\n',
                                    encoding="utf-8")
    assert available_languages() == ("en", "ar", "cy", "pl")
    assert page_text("pl")("send") == "Wyślij"


def test_values_fill_placeholders_and_text_without_values_is_left_as_written(folder: Path) -> None:
    english = page_text("en")
    assert english("greeting", name="Sam") == "Hello Sam"
    assert english("greeting") == "Hello {name}"
    assert english("counter") == "You have %{count} characters remaining"   # for the script
    assert english.error("required", what="a date") == "Enter a date"
    assert english.label("fft", "good") == "Good"


def test_a_key_the_translation_lacks_falls_back_to_english(folder: Path) -> None:
    welsh = page_text("cy")
    assert (welsh.language, welsh.easy_read) == ("cy", False)
    assert welsh("send") == "Anfon adborth"
    assert welsh("greeting", name="Sam") == "Helo Sam"
    assert welsh("only_english") == "Only in English"
    assert welsh.error("required", what="x") == "Enter x"                   # a missing table, too
    assert welsh.label("fft", "good") == "Good"
    assert welsh.meta["wording_version"] == "test-cy-1"                   # meta is its own
    assert "meta" not in welsh.tables


def test_a_key_english_lacks_too_is_an_error_not_a_blank(folder: Path) -> None:
    with pytest.raises(KeyError):
        page_text("cy")("no_such_key")


def test_easy_read_overrides_english_without_changing_it(folder: Path) -> None:
    easy = page_text("en", True)
    assert (easy.language, easy.easy_read) == ("en", True)
    assert easy("send") == "Send"
    assert easy("greeting", name="Sam") == "Hello Sam"
    assert easy.meta["wording_version"] == "test-en-easy-1"
    english = page_text("en")
    assert (english("send"), english.easy_read) == ("Send feedback", False)
    assert english.meta["wording_version"] == "test-en-1"


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_easy_read_is_offered_in_english_only(folder: Path, code: str) -> None:
    chosen = page_text(code, True)
    assert (chosen.language, chosen.easy_read) == (code, False)


@pytest.mark.parametrize("code", ["fr", "", "EN", "en-easy", "../en", "cy.toml"])
def test_an_unknown_language_is_english(folder: Path, code: str) -> None:
    chosen = page_text(code)
    assert (chosen.language, chosen.easy_read, chosen("send")) == ("en", False, "Send feedback")


def test_the_words_are_read_once_and_shared(folder: Path) -> None:
    first = page_text("cy")
    (folder / "cy.toml").write_text(WELSH.replace("Anfon adborth", "Changed"), encoding="utf-8")
    assert page_text("cy") is first and page_text("cy")("send") == "Anfon adborth"


@pytest.mark.parametrize(("value", "english", "welsh"), [
    (0, "0", "0"), (999, "999", "999"), (5000, "5,000", "5 000"),
    (1234567, "1,234,567", "1 234 567"),
])
def test_numbers_use_the_language_s_thousands_separator(folder: Path, value: int, english: str,
                                                        welsh: str) -> None:
    assert page_text("en").number(value) == english
    assert page_text("cy").number(value) == welsh


def test_without_a_separator_in_its_meta_a_language_uses_a_comma(folder: Path) -> None:
    assert page_text("ar").number(5000) == "5,000"
    assert page_text("en", True).number(5000) == "5,000"


def test_the_real_files_write_numbers_their_own_way() -> None:
    assert page_text("en").number(12345) == "12,345"
    assert page_text("pl").number(12345) == "12\u00a0345"                # a no-break space
