"""Behaviour of the normalise stage: clean Unicode and whitespace, enforce length and emptiness."""

from __future__ import annotations

import unicodedata

import pytest

from intake.message import Answers, FftRating, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage
from intake.pipeline.stages.normalise import STAGE, normalise_text


def draft(text: str, answers: Answers | None = None) -> Draft:
    return Draft(message=IncomingMessage("web", "m-1", text, answers=answers or Answers()), text=text)


def test_decomposed_characters_are_composed() -> None:
    decomposed = "Cafe\u0301 staff were lovely"
    assert len(decomposed) == len("Café staff were lovely") + 1
    result = normalise_text(decomposed)
    assert result == "Café staff were lovely"
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bad\x00 service", "bad service"),
        ("bell\x07ring", "bellring"),
        ("esc\x1b[0m", "esc[0m"),
        ("del\x7fete", "delete"),
        ("line one\nline two", "line one\nline two"),
        ("windows\r\nline", "windows\nline"),
        ("old mac\rline", "old mac\nline"),
    ],
)
def test_control_characters_are_removed_but_newlines_kept(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("too    many   spaces", "too many spaces"),
        ("tab\t\tseparated", "tab separated"),
        ("no\u00a0break\u2003em\u3000wide", "no break em wide"),
        ("   padded   ", "padded"),
        ("  first  \n  second  ", "first\nsecond"),
    ],
)
def test_runs_of_spaces_collapse_and_lines_are_trimmed(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("one\n\ntwo", "one\n\ntwo"),
        ("one\n\n\ntwo", "one\n\ntwo"),
        ("one\n\n\n\n\n\ntwo", "one\n\ntwo"),
        ("one\n  \n \t \n\ntwo", "one\n\ntwo"),
        ("\n\n\nleading and trailing\n\n\n", "leading and trailing"),
    ],
)
def test_runs_of_blank_lines_collapse_to_one(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_stage_replaces_the_text_and_records_its_version(context: PipelineContext) -> None:
    result = STAGE(draft("  The  GP\x00 was   kind  "), context)
    assert result.text == "The GP was kind"
    assert result.stage_versions == ("normalise@1",)
    assert result.message.text == "  The  GP\x00 was   kind  "


def test_text_at_the_limit_is_accepted(context: PipelineContext) -> None:
    limit = context.config.limits.max_text_length
    assert len(STAGE(draft("a" * limit), context).text) == limit


def test_length_is_measured_after_normalising(context: PipelineContext) -> None:
    limit = context.config.limits.max_text_length
    text = "a " * (limit // 2) + " " * limit
    assert len(text) > limit
    assert len(STAGE(draft(text), context).text) <= limit


def test_over_long_text_is_rejected_with_length_and_limit(context: PipelineContext) -> None:
    limit = context.config.limits.max_text_length
    assert limit == 5000
    with pytest.raises(RejectedMessage) as caught:
        STAGE(draft("a" * (limit + 1)), context)
    message = str(caught.value)
    assert "5,001 characters" in message
    assert "limit is 5,000" in message


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\x00\x07"])
def test_empty_text_without_answers_is_rejected(context: PipelineContext, text: str) -> None:
    with pytest.raises(RejectedMessage, match="no words"):
        STAGE(draft(text), context)


@pytest.mark.parametrize(
    "answers",
    [
        Answers(fft_rating=FftRating.VERY_GOOD),
        Answers(fft_rating=FftRating.DONT_KNOW),
        Answers(services=("gp",)),
        Answers(needs=("large-print",)),
    ],
    ids=["fft-very-good", "fft-dont-know", "service", "need"],
)
def test_empty_text_is_accepted_with_a_rating_or_choice(context: PipelineContext, answers: Answers) -> None:
    assert STAGE(draft("  ", answers), context).text == ""


@pytest.mark.parametrize(
    "answers",
    [Answers(language="en"), Answers(on_behalf_of=True)],
    ids=["language", "on-behalf-of"],
)
def test_other_answers_do_not_make_empty_text_acceptable(context: PipelineContext, answers: Answers) -> None:
    with pytest.raises(RejectedMessage):
        STAGE(draft("", answers), context)
