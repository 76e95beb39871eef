"""Reference codes: the FB-XXXXXX format, an unambiguous alphabet, and normalising what people type."""

from __future__ import annotations

import re

import pytest

from intake.references import (
    ALPHABET,
    FEEDBACK_PREFIX,
    LENGTH,
    PSEUDONYM_PREFIX,
    new_code,
    new_pseudonym,
    new_reference,
    normalise_reference,
)

CONFUSABLE = "0O1ILUV"
REFERENCE = re.compile(rf"FB-[{ALPHABET}]{{6}}")


def test_alphabet_leaves_out_confusable_characters() -> None:
    assert set(CONFUSABLE).isdisjoint(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)
    assert ALPHABET.isupper()


def test_reference_format() -> None:
    reference = new_reference()

    assert FEEDBACK_PREFIX == "FB"
    assert LENGTH == 6
    assert REFERENCE.fullmatch(reference), reference


def test_two_thousand_references_use_only_the_unambiguous_alphabet() -> None:
    references = [new_reference() for _ in range(2000)]

    for reference in references:
        assert REFERENCE.fullmatch(reference), reference
        body = reference.removeprefix("FB-")
        assert not set(body) & set(CONFUSABLE), reference
    # Random, not a constant: 2,000 draws from 29**6 codes are practically never all the same.
    assert len(set(references)) > 1900


def test_pseudonym_format() -> None:
    pseudonym = new_pseudonym()

    assert PSEUDONYM_PREFIX == "P"
    assert re.fullmatch(rf"P-[{ALPHABET}]{{6}}", pseudonym), pseudonym


@pytest.mark.parametrize("length", [1, 4, 10])
def test_new_code_with_custom_prefix_and_length(length: int) -> None:
    code = new_code("TX", length)

    assert re.fullmatch(rf"TX-[{ALPHABET}]{{{length}}}", code), code


@pytest.mark.parametrize(
    "typed",
    [
        "fb 7k3m9q",
        "7K3M9Q",
        "FB-7K3M9Q",
        "7k3m9q",
        "fb-7k3m9q",
        "FB7K3M9Q",
        "  FB-7K3M9Q\n",
        "FB - 7K3 M9Q",
        "7K3-M9Q",
        "\tfb\t7k3m9q ",
    ],
)
def test_normalise_reference_accepts_what_people_type(typed: str) -> None:
    assert normalise_reference(typed) == "FB-7K3M9Q"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("", id="empty"),
        pytest.param("FB", id="prefix-only"),
        pytest.param("FB-7K3M9", id="too-short"),
        pytest.param("FB-7K3M9QA", id="too-long"),
        pytest.param("7K3M9", id="bare-too-short"),
        pytest.param("7K3M9Q2", id="bare-too-long"),
        pytest.param("FB-7K3M0Q", id="zero"),
        pytest.param("FB-7K3MOQ", id="letter-o"),
        pytest.param("FB-7K3M1Q", id="one"),
        pytest.param("FB-IK3M9Q", id="letter-i"),
        pytest.param("FB-LK3M9Q", id="letter-l"),
        pytest.param("FB-UK3M9Q", id="letter-u"),
        pytest.param("FB-VK3M9Q", id="letter-v"),
        pytest.param("FB-7K3M9!", id="punctuation"),
        pytest.param("FB_7K3M9Q", id="underscore"),
        pytest.param("FB-7K3M9é", id="accented"),
        pytest.param("FB-٧K3M9Q", id="arabic-indic-digit"),
        pytest.param("P-7K3M9Q", id="pseudonym-prefix"),
        pytest.param("FB-FB-7K3M9Q", id="double-prefix"),
    ],
)
def test_normalise_reference_rejects_malformed_input(typed: str) -> None:
    assert normalise_reference(typed) is None


def test_generated_references_survive_normalisation() -> None:
    for _ in range(2000):
        reference = new_reference()
        assert normalise_reference(reference) == reference
        assert normalise_reference(reference.lower()) == reference
        assert normalise_reference(reference.replace("-", " ")) == reference


def test_bare_code_whose_body_starts_with_fb_is_accepted() -> None:
    assert normalise_reference("FBK3M9") == "FB-FBK3M9"
    assert normalise_reference("fbk3m9") == "FB-FBK3M9"
