"""langdetect's profiles scored exhaustively: which profiles exist, which script each is written
in, and per-word log-likelihoods that favour the right language and never change."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from intake.taggers.language.profiles import (
    PROFILE_DIR,
    SMOOTHING,
    ProfileModel,
    available_profiles,
    profile_model,
    profile_script,
)

LATIN = ("pl", "cs", "sk", "pt", "es", "en", "ro", "lt")


@pytest.fixture(scope="module")
def latin() -> ProfileModel:
    return ProfileModel(LATIN)


def test_available_profiles_are_langdetects_names() -> None:
    profiles = available_profiles()
    assert {"en", "pl", "ur", "pa", "bn", "zh-cn", "zh-tw"} <= profiles
    assert not {"zh", "klingon", ""} & profiles


@pytest.mark.parametrize(("profile", "script"), [
    ("en", "Latn"), ("pl", "Latn"), ("so", "Latn"), ("ur", "Arab"), ("fa", "Arab"), ("ar", "Arab"),
    ("pa", "Guru"), ("bn", "Beng"), ("gu", "Gujr"), ("hi", "Deva"), ("zh-cn", "Hani"),
    ("ru", "Cyrl"), ("el", "Grek"), ("ko", "Hang"), ("th", "Thai"),
    ("ta", "Taml"), ("he", "Hebr"),
])
def test_a_profile_is_written_in_the_script_most_of_its_text_uses(profile: str, script: str) -> None:
    assert profile_script(profile) == script


@pytest.mark.parametrize(("word", "profile"), [
    ("przychodnia", "pl"), ("dziękuję", "pl"), ("lékař", "cs"), ("ďakujem", "sk"),
    ("obrigado", "pt"), ("gracias", "es"), ("thank", "en"), ("mulțumesc", "ro"), ("ačiū", "lt"),
])
def test_a_clear_word_scores_highest_under_its_own_profile(
        latin: ProfileModel, word: str, profile: str) -> None:
    scores = latin.word_scores(word)
    assert scores.shape == (len(LATIN),)
    assert latin.profiles[int(np.argmax(scores))] == profile


def test_scores_are_finite_log_likelihoods(latin: ProfileModel) -> None:
    scores = latin.word_scores("przychodnia")
    assert np.all(np.isfinite(scores))
    assert np.all(scores < 0)


@pytest.mark.parametrize("word", ["", "👍", "123"])
def test_a_word_with_no_known_ngrams_scores_zero_everywhere(latin: ProfileModel, word: str) -> None:
    assert latin.grams(word) == []
    assert np.array_equal(latin.word_scores(word), np.zeros(len(LATIN), dtype=np.float32))


def test_scores_are_deterministic_and_the_same_for_a_fresh_model(latin: ProfileModel) -> None:
    first = latin.word_scores("nemocnice")
    assert np.array_equal(first, latin.word_scores("nemocnice"))
    assert np.array_equal(first, ProfileModel(LATIN).word_scores("nemocnice"))


def test_the_order_of_profiles_is_the_order_of_scores(latin: ProfileModel) -> None:
    reversed_model = ProfileModel(tuple(reversed(LATIN)))
    assert np.allclose(latin.word_scores("gracias")[::-1], reversed_model.word_scores("gracias"))


def test_langdetects_normalisation_applies_persian_yeh_is_arabic_yeh() -> None:
    model = ProfileModel(("ur", "fa", "ar"))
    assert model.grams("ی") == model.grams("ي")
    assert np.array_equal(model.word_scores("بیمار"), model.word_scores("بيمار"))


@pytest.mark.parametrize("word", ["the", "nurse", "zzq"])
def test_a_word_scores_as_naive_bayes_over_the_profiles_frequencies(word: str) -> None:
    """Every 1- to 3-gram of the word padded with spaces, as langdetect cuts them, each scored
    as log(count / n-grams of that length + smoothing); n-grams the profile lacks are skipped."""
    profile = json.loads((PROFILE_DIR / "en").read_text("utf-8"))
    padded = f" {word} "
    grams = [padded[i:i + n] for n in (1, 2, 3) for i in range(len(padded) - n + 1)]
    expected = sum(math.log(profile["freq"][gram] / profile["n_words"][len(gram) - 1] + SMOOTHING)
                   for gram in grams if gram != " " and gram in profile["freq"])
    assert ProfileModel(("en",)).word_scores(word)[0] == pytest.approx(expected, rel=1e-5)


def test_models_are_shared_per_set_of_profiles() -> None:
    assert profile_model(("en", "pl")) is profile_model(("en", "pl"))
    assert profile_model(("en", "pl")) is not profile_model(("pl", "en"))
    assert profile_model(("en", "pl")).profiles == ("en", "pl")
