"""The word-list model: words as wordfreq has them, stable word keys, lexicon and n-gram scores,
and the disk cache that spares every process the build."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from intake.taggers.language import words
from intake.taggers.language.arrays import read_arrays
from intake.taggers.language.words import (
    CACHE_DIR_VARIABLE,
    WordModel,
    WordModelSettings,
    cache_dir,
    lexicon_form,
    stripped_forms,
    word_hash,
    word_model,
    words_of,
)

LISTS = ("cs", "sk")
# Only the commonest words (about 1,600 across the two lists): builds in well under a second.
TINY = WordModelSettings(lexicon_min_frequency=1e-4)
FLOOR = -20.0
PROBE = ("jsem", "som", "je", "ďakujem", "děkuji", "qqqxz")


# -- words_of ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Dziękuję BARDZO!", ["dziękuję", "bardzo"]),
    ("12 👍 ok", ["ok"]),
    ("", []),
    ("well-being", ["well", "being"]),
    ("don't", ["don't"]),
    ("don\u2019t", ["don't"]),                 # the typographic apostrophe phones send
    ("\u02bcok", ["ok"]),                      # a leading modifier apostrophe is not inside a word
    ("rock'n'roll", ["rock'n'roll"]),
    ("'quoted'", ["quoted"]),
    ("it''s", ["it", "s"]),
    ("धन्यवाद जी", ["धन्यवाद", "जी"]),          # virama and vowel signs stay inside the word
    ("ਧੰਨਵਾਦ", ["ਧੰਨਵਾਦ"]),
    ("ধন্যবাদ।", ["ধন্যবাদ"]),
    ("બહુ સારું", ["બહુ", "સારું"]),
    ("بہت اچھے، شکریہ۔", ["بہت", "اچھے", "شکریہ"]),
    ("谢谢你们", ["谢谢你们"]),
])
def test_words_are_runs_of_letters_and_marks_with_inner_apostrophes(text: str, expected: list[str]) -> None:
    assert words_of(text) == expected


def test_words_are_lower_cased_unless_asked_not_to() -> None:
    assert words_of("Dziękuję BARDZO, Ďakujem") == ["dziękuję", "bardzo", "ďakujem"]
    assert words_of("Dziękuję BARDZO, Ďakujem", lower=False) == ["Dziękuję", "BARDZO", "Ďakujem"]
    assert words_of("DON\u2019T", lower=False) == ["DON'T"]


def test_the_lexicon_form_is_lower_case_with_romanian_commas_below() -> None:
    """wordfreq's Romanian list spells ș and ț with a comma below; people often type a cedilla."""
    assert lexicon_form("Ştiinţă") == "știință"
    assert lexicon_form("știință") == "știință"
    assert lexicon_form("Dziękuję") == "dziękuję"


@pytest.mark.parametrize(("word", "forms"), [
    ("edición", {"edicion", "edicin"}),      # accents stripped, or deleted by a broken encoding
    ("mañana", {"manana", "maana"}),
    ("který", {"ktery", "kter"}),
    ("łódka", {"dka"}),                       # ł has no decomposition: only deletion is ASCII
    ("łódź", set()),                          # ... and one letter is too short to be a key
    ("hospital", set()),                      # already plain
    ("é", set()),                             # too short once stripped of its accent
    ("شکریہ", set()),                         # not Latin script
])
def test_stripped_forms_are_the_ascii_spellings_a_word_takes_without_accents(
        word: str, forms: set[str]) -> None:
    assert stripped_forms(word) == forms


# -- word_hash ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "key"), [
    ("nemocnice", 13534690651393766443),
    ("dziękuję", 16803328035900411089),
    ("شکریہ", 12736167665930484340),
])
def test_word_hash_is_a_fixed_value_across_processes(word: str, key: int) -> None:
    """Cached models store these keys: a change would silently empty every cached lexicon."""
    assert word_hash(word) == key
    assert word_hash(word) == word_hash(word)


def test_word_hash_is_a_64_bit_key_that_tells_words_apart() -> None:
    keys = {word_hash(w) for w in ("a", "A", "nemocnice", "nemocnica", "dziekuje", "dziękuję", "")}
    assert len(keys) == 7
    assert all(0 <= key < 2**64 for key in keys)


# -- the model ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model() -> WordModel:
    return WordModel(LISTS, words._build(LISTS, TINY), TINY)


def test_the_lexicon_gives_each_lists_log_frequency(model: WordModel) -> None:
    jsem = model.lexicon_scores("jsem", FLOOR)      # "I am": Czech
    som = model.lexicon_scores("som", FLOOR)        # "I am": Slovak
    assert jsem[0] == pytest.approx(math.log(0.00692), abs=0.02) and jsem[1] == FLOOR
    assert som[0] == FLOOR and som[1] == pytest.approx(math.log(0.00537), abs=0.02)
    both = model.lexicon_scores("je", FLOOR)
    assert np.all(both > -5.5) and np.all(both < -3.5)


def test_a_word_no_list_has_and_a_floor_above_a_frequency_give_the_floor(model: WordModel) -> None:
    assert np.array_equal(model.lexicon_scores("qqqxz", FLOOR), [FLOOR, FLOOR])
    assert np.array_equal(model.lexicon_scores("je", -1.0), [-1.0, -1.0])


def test_accentless_spellings_find_the_words_that_lose_their_accents(model: WordModel) -> None:
    ktery = model.folded_scores("ktery", FLOOR)          # "který": Czech
    assert ktery is not None and ktery[0] > FLOOR and ktery[1] == FLOOR
    ktor = model.folded_scores("ktor", FLOOR)            # "ktorý" with its accent deleted: Slovak
    assert ktor is not None and ktor[0] == FLOOR and ktor[1] > FLOOR
    assert ktery[0] == pytest.approx(float(model.lexicon_scores("který", FLOOR)[0]), abs=0.01)
    assert model.folded_scores("qqqxz", FLOOR) is None
    assert model.folded_scores("který", FLOOR) is None   # only accent-less spellings are keys


@pytest.mark.parametrize(("word", "better"), [
    ("ďakujem", "sk"), ("ktorý", "sk"), ("všetko", "sk"),
    ("děkuji", "cs"), ("který", "cs"), ("všechno", "cs"),
])
def test_ngrams_favour_the_list_whose_spelling_a_word_follows(
        model: WordModel, word: str, better: str) -> None:
    scores = model.ngram_scores(word)
    assert scores.shape == (2,)
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert LISTS[int(np.argmax(scores))] == better


# -- the disk cache ----------------------------------------------------------------------------

@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(directory))
    word_model.cache_clear()
    yield directory
    word_model.cache_clear()


def cached_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("language-words-*.arrays"))


def scores(model: WordModel) -> list[tuple[list[float], list[float]]]:
    return [(model.lexicon_scores(w, FLOOR).tolist(), model.ngram_scores(w).tolist()) for w in PROBE]


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    built: list[tuple[str, ...]] = []
    real = words._build

    def counting(lists: tuple[str, ...], settings: WordModelSettings) -> dict[str, np.ndarray]:
        built.append(tuple(lists))
        return real(lists, settings)

    monkeypatch.setattr(words, "_build", counting)
    return built


def test_the_first_use_builds_and_writes_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = count_builds(monkeypatch)
    assert not cache.exists()
    word_model(LISTS, TINY)
    assert built == [LISTS]
    (path,) = cached_files(cache)
    assert set(read_arrays(path)) == {"word_keys", "word_log_frequency", "gram_keys", "gram_table",
                                      "folded_keys", "folded_lists", "folded_log_frequency"}
    assert not [p for p in cache.iterdir() if p not in cached_files(cache)], "no temporary file left"


def test_a_later_process_reads_the_cache_without_building(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = scores(word_model(LISTS, TINY))
    word_model.cache_clear()

    def no_build(*_: object) -> None:
        raise AssertionError("the cached model should have been read, not rebuilt")

    monkeypatch.setattr(words, "_build", no_build)
    again = word_model(LISTS, TINY)
    assert scores(again) == first
    assert len(cached_files(cache)) == 1


def test_one_model_per_process_for_the_same_lists_and_settings(cache: Path) -> None:
    assert word_model(LISTS, TINY) is word_model(LISTS, TINY)


def test_other_lists_or_settings_are_cached_apart(cache: Path) -> None:
    word_model(LISTS, TINY)
    word_model(("sk",), TINY)
    word_model(LISTS, WordModelSettings(lexicon_min_frequency=2e-4))
    assert len(cached_files(cache)) == 3


def test_an_unreadable_cache_file_is_rebuilt_and_replaced(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = scores(word_model(LISTS, TINY))
    (path,) = cached_files(cache)
    path.write_bytes(b"not a numpy archive at all")
    word_model.cache_clear()
    built = count_builds(monkeypatch)
    assert scores(word_model(LISTS, TINY)) == expected
    assert built == [LISTS]
    assert "word_keys" in read_arrays(path)


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_empty_or_truncated_cache_file_is_rebuilt(cache: Path, damage: str) -> None:
    expected = scores(word_model(LISTS, TINY))
    (path,) = cached_files(cache)
    whole = path.read_bytes()
    path.write_bytes(b"" if damage == "empty" else whole[: len(whole) // 3])
    word_model.cache_clear()
    assert scores(word_model(LISTS, TINY)) == expected


def test_a_cache_directory_that_cannot_be_written_still_gives_a_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(blocker / "cache"))
    word_model.cache_clear()
    try:
        assert word_model(LISTS, TINY).lexicon_scores("jsem", FLOOR)[0] > FLOOR
    finally:
        word_model.cache_clear()
    assert blocker.read_text() == "not a directory"


def test_the_cache_directory_comes_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "chosen"))
    assert cache_dir() == tmp_path / "chosen"
    monkeypatch.delenv(CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "involve-intake"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "involve-intake"
