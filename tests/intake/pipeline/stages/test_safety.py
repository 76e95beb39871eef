"""Behaviour of the safety stage: risk phrases raise flags, negated ones and neutral text do not."""

from __future__ import annotations

import pytest

from intake.message import IncomingMessage
from intake.pipeline import Draft, PipelineContext, run
from intake.pipeline.stages.safety import CONFIDENCE, STAGE

SUICIDE = "suicide-self-harm"
ABUSE = "abuse-neglect"
EMERGENCY = "emergency-now"


def flags(context: PipelineContext, text: str) -> set[str]:
    result = STAGE(Draft(message=IncomingMessage("sms", "m-1", text), text=text), context)
    assert all(tag.kind == "flag" and tag.source == "auto" for tag in result.tags)
    return {tag.value for tag in result.tags}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I feel suicidal since the discharge", SUICIDE),
        ("Some days I want to kill myself", SUICIDE),
        ("I just want to end it all", SUICIDE),
        ("I don't want to live any more", SUICIDE),
        ("She told the nurse about her self-harm", SUICIDE),
        ("I have been cutting myself", SUICIDE),
        ("I took an overdose last year", SUICIDE),
        ("Chcę umrzeć", SUICIDE),
        ("میں خودکشی کے بارے میں سوچتا ہوں", SUICIDE),
        ("My carer hits me when nobody is there", ABUSE),
        ("My dad was left without food all day", ABUSE),
        ("I am not safe at home", ABUSE),
        ("Mum was neglected on the ward", ABUSE),
        ("My husband can't breathe", EMERGENCY),
        ("He CANNOT BREATHE properly", EMERGENCY),
        ("I have chest pain right now", EMERGENCY),
        ("Dziadek ma zawał", EMERGENCY),
    ],
)
def test_risk_phrases_raise_the_right_flag(context: PipelineContext, text: str, expected: str) -> None:
    assert flags(context, text) == {expected}


def test_flag_carries_confidence_and_evidence(context: PipelineContext) -> None:
    text = "I want to die, I have thought about suicide"
    [tag] = STAGE(Draft(message=IncomingMessage("sms", "m-1", text), text=text), context).tags
    assert (tag.value, tag.confidence, tag.tagger) == (SUICIDE, CONFIDENCE, "safety@1")
    assert tag.evidence == "want to die, suicide"


def test_several_flags_can_be_raised_together(context: PipelineContext) -> None:
    assert flags(context, "He beats me and now I can't breathe") == {ABUSE, EMERGENCY}


@pytest.mark.parametrize(
    "text",
    [
        "I am not suicidal",
        "I'm not suicidal, just tired of waiting",
        "I was never abused there",
        "There was no abuse, just a long wait",
        "Nie chcę umrzeć",
    ],
)
def test_negated_phrases_are_not_flagged(context: PipelineContext, text: str) -> None:
    assert flags(context, text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "The GP was kind and listened to me",
        "I waited three hours for my prescription",
        "The designer of the new waiting room did a nice job",
        "My daughter's strokes in swimming lessons are improving",
    ],
)
def test_neutral_messages_have_no_flags(context: PipelineContext, text: str) -> None:
    assert flags(context, text) == set()


def test_a_negation_in_an_earlier_sentence_does_not_hide_a_flag(context: PipelineContext) -> None:
    assert flags(context, "No. I want to die") == {SUICIDE}


@pytest.mark.parametrize("text", ["I'm not okay and I want to die", "No, I don't want to live anymore"])
def test_a_negation_of_another_word_does_not_hide_a_flag(context: PipelineContext, text: str) -> None:
    assert flags(context, text) == {SUICIDE}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("My husband can\u2019t breathe", EMERGENCY), ("I don\u2019t want to live any more", SUICIDE)],
)
def test_typographic_apostrophes_still_flag(context: PipelineContext, text: str, expected: str) -> None:
    draft = run(IncomingMessage("sms", "m-1", text), context)
    assert {tag.value for tag in draft.tags_of("flag")} == {expected}


def test_hyphenated_self_harming_is_flagged(context: PipelineContext) -> None:
    assert flags(context, "I have been self-harming again") == {SUICIDE}
