"""Reading the language cases and measuring a detector on them (tiny synthetic files)."""

from __future__ import annotations

from pathlib import Path

from intake.evaluation import language

CASES = (
    "iso639_1\tkind\ttext\n"
    "en\tsentence\tThe nurse was very kind to my mother.\n"
    "pl\tword\tprzychodnia\n"
    "en\tword_pair\tvery kind\n"
    "pl\tsentence\tPielęgniarka była bardzo miła dla mojej mamy.\n"
)


def write(tmp_path: Path) -> Path:
    path = tmp_path / "dev_cases.tsv"
    path.write_text(CASES, "utf-8")
    return path


def test_cases_are_read_in_order_with_their_numbers(tmp_path: Path) -> None:
    cases = language.read_cases(write(tmp_path))
    assert [(c.number, c.language, c.kind) for c in cases] == [
        (0, "en", "sentence"), (1, "pl", "word"), (2, "en", "word_pair"), (3, "pl", "sentence")]
    assert cases[1].text == "przychodnia"


def test_measure_counts_by_kind_language_half_and_records_confusions(tmp_path: Path) -> None:
    cases = language.read_cases(write(tmp_path))
    result = language.measure("always english", lambda text: "en", cases)
    assert result.by_kind["sentence"].right == 1 and result.by_kind["sentence"].total == 2
    assert result.by_language[("pl", "word")].accuracy == 0.0
    assert result.by_half[("held out (even)", "sentence")].total == 1  # case 0; case 3 is odd
    assert result.by_half[("held out (even)", "word_pair")].total == 1
    assert result.by_half[("tuning (odd)", "word")].total == 1
    assert result.confusions == {("word", "pl", "en"): 1, ("sentence", "pl", "en"): 1}
    assert result.texts_per_second > 0


def test_plain_langdetect_is_repeatable_and_says_und_without_letters() -> None:
    text = "The nurse was very kind to my mother and explained everything."
    assert {language.plain_langdetect(text) for _ in range(5)} == {"en"}
    assert language.plain_langdetect("12345") == "und"


def test_plain_langdetect_drops_the_region_from_chinese() -> None:
    assert language.plain_langdetect("我的医生很好，护士也很好。") == "zh"
