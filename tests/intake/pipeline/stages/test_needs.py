"""Behaviour of the needs stage: explicit and stated communication needs with SNOMED CT codes."""

from __future__ import annotations

import pytest

from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage, run
from intake.pipeline.stages.needs import STAGE, TEXT_CONFIDENCE, need_code

URDU_INTERPRETER = "204211000000109"
GENERIC_INTERPRETER = "315594003"
BSL_INTERPRETER = "204331000000107"
LARGE_PRINT = "957331000000109"
EASY_READ = "796161000000101"


def needs(context: PipelineContext, text: str, *explicit: str) -> dict[str, tuple[str | None, str]]:
    """Need value -> (SNOMED code, source) for the tags the stage adds."""
    message = IncomingMessage("web", "m-1", text, answers=Answers(needs=explicit))
    result = STAGE(Draft(message=message, text=text), context)
    assert all(tag.kind == "need" for tag in result.tags)
    values = [tag.value for tag in result.tags]
    assert len(values) == len(set(values)), f"duplicate need tags: {values}"
    return {tag.value: (tag.code, tag.source) for tag in result.tags}


@pytest.mark.parametrize(
    ("need", "code"),
    [
        ("bsl-interpreter", BSL_INTERPRETER),
        ("large-print", LARGE_PRINT),
        ("easy-read", EASY_READ),
        ("interpreter", GENERIC_INTERPRETER),
        ("interpreter:ur", URDU_INTERPRETER),
        ("interpreter:pl", "203901000000102"),
    ],
)
def test_explicit_needs_are_the_contributors_own(context: PipelineContext, need: str, code: str) -> None:
    message = IncomingMessage("web", "m-1", "Thank you", answers=Answers(needs=(need,)))
    [tag] = STAGE(Draft(message=message, text="Thank you"), context).tags
    assert (tag.kind, tag.value, tag.code, tag.source, tag.confidence) == (
        "need", need, code, "contributor", 1.0,
    )


def test_repeated_explicit_need_is_tagged_once(context: PipelineContext) -> None:
    found = needs(context, "Thanks", "large-print", "large-print")
    assert found == {"large-print": (LARGE_PRINT, "contributor")}


@pytest.mark.parametrize("unknown", ["telepathy", "interpreter:xx", "interpreter:", "Large-Print"])
def test_unknown_explicit_need_is_rejected(context: PipelineContext, unknown: str) -> None:
    with pytest.raises(RejectedMessage, match="Unknown communication need") as caught:
        needs(context, "Thanks", unknown)
    assert repr(unknown) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My mum needs an Urdu interpreter", {"interpreter:ur": URDU_INTERPRETER}),
        ("She needs a Polish interpreter please", {"interpreter:pl": "203901000000102"}),
        ("He needs an interpreter", {"interpreter": GENERIC_INTERPRETER}),
        ("Can I have this in large print?", {"large-print": LARGE_PRINT}),
        ("He has a learning disability, easy read please", {"easy-read": EASY_READ}),
        ("She needs a sign language interpreter", {"bsl-interpreter": BSL_INTERPRETER}),
        ("No. She needs BSL", {"bsl-interpreter": BSL_INTERPRETER}),
        ("Proszę o duży druk", {"large-print": LARGE_PRINT}),
        ("مجھے بڑے حروف چاہیے", {"large-print": LARGE_PRINT}),
    ],
)
def test_needs_stated_in_text_are_inferred(
    context: PipelineContext, text: str, expected: dict[str, str]
) -> None:
    assert needs(context, text) == {value: (code, "auto") for value, code in expected.items()}


def test_inferred_needs_carry_confidence_and_evidence(context: PipelineContext) -> None:
    message = IncomingMessage("web", "m-1", "x", answers=Answers())
    text = "My mum needs an Urdu interpreter"
    [tag] = STAGE(Draft(message=message, text=text), context).tags
    assert tag.confidence == TEXT_CONFIDENCE
    assert tag.evidence == "urdu interpreter"
    assert tag.tagger == "needs@1"


@pytest.mark.parametrize(
    "text",
    [
        "I don't need an interpreter",
        "I do not need an interpreter, thanks",
        "She doesn't need large print",
        "No need for easy read",
        "Nie potrzebuję tłumacza",
        "The GP was lovely",
    ],
)
def test_negated_or_absent_needs_are_not_inferred(context: PipelineContext, text: str) -> None:
    assert needs(context, text) == {}


@pytest.mark.parametrize("apostrophe", ["\u2019", "\u02bc"])
def test_negation_with_a_typographic_apostrophe(context: PipelineContext, apostrophe: str) -> None:
    draft = run(IncomingMessage("sms", "m-1", f"I don{apostrophe}t need an interpreter"), context)
    assert draft.tags_of("need") == ()


@pytest.mark.parametrize(
    "text",
    ["She needs a sign language interpreter", "BSL interpreter please", "She needs BSL and an interpreter"],
)
def test_bsl_is_not_also_a_generic_interpreter(context: PipelineContext, text: str) -> None:
    assert set(needs(context, text)) == {"bsl-interpreter"}


def test_a_named_language_replaces_the_generic_interpreter(context: PipelineContext) -> None:
    found = needs(context, "Dad needs an Urdu interpreter, and Mum a Bengali interpreter")
    assert found == {
        "interpreter:ur": (URDU_INTERPRETER, "auto"),
        "interpreter:bn": ("203321000000107", "auto"),
    }


def test_a_language_far_from_interpreter_does_not_name_it(context: PipelineContext) -> None:
    text = "We speak Urdu at home and it has been a very long wait. Please book an interpreter."
    assert needs(context, text) == {"interpreter": (GENERIC_INTERPRETER, "auto")}


def test_explicit_and_inferred_needs_are_both_kept_without_duplicates(context: PipelineContext) -> None:
    text = "Large print please, and an easy read version. LARGE PRINT!"
    assert needs(context, text, "large-print") == {
        "large-print": (LARGE_PRINT, "contributor"),
        "easy-read": (EASY_READ, "auto"),
    }


def test_explicit_answer_wins_over_the_same_need_in_text(context: PipelineContext) -> None:
    assert needs(context, "My mum needs an Urdu interpreter", "interpreter:ur") == {
        "interpreter:ur": (URDU_INTERPRETER, "contributor"),
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [("bsl-interpreter", BSL_INTERPRETER), ("interpreter:ur", URDU_INTERPRETER), ("nope", None),
     ("interpreter:zz", None)],
)
def test_need_code(context: PipelineContext, value: str, code: str | None) -> None:
    assert need_code(context.config, value) == code
