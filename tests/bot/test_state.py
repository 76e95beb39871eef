"""The conversation state: plain data that survives a round trip through JSON in the database."""

from __future__ import annotations

import json

import pytest

from bot.state import CONFIRM_SERVICE, ChatState

FULL = ChatState(
    language="ur", step="contact", language_chosen=True,
    texts=("The clinic was late", "and nobody said sorry"), services=("hospital-outpatients", "gp"),
    pending_service=None, fft_rating="poor", needs=("interpreter:ur", "easy-read"), contact=False,
    consultation="maternity-services-2026", done=("about", "feedback", "rating", "needs"), reprompts=1)


def through_json(state: ChatState) -> ChatState:
    return ChatState.from_json(json.loads(json.dumps(state.to_json())))


def test_a_full_state_survives_a_json_round_trip() -> None:
    again = through_json(FULL)
    assert again == FULL
    assert isinstance(again.texts, tuple) and isinstance(again.services, tuple)
    assert isinstance(again.needs, tuple) and isinstance(again.done, tuple)


def test_tuples_are_stored_as_json_lists() -> None:
    stored = json.loads(json.dumps(FULL.to_json()))
    assert stored["texts"] == ["The clinic was late", "and nobody said sorry"]
    assert stored["done"] == ["about", "feedback", "rating", "needs"]
    assert stored["contact"] is False and stored["pending_service"] is None


def test_a_fresh_state_survives_a_json_round_trip() -> None:
    fresh = ChatState(language="en")
    assert through_json(fresh) == fresh
    assert through_json(ChatState(language="pl", step=CONFIRM_SERVICE, pending_service="gp")) == ChatState(
        language="pl", step=CONFIRM_SERVICE, pending_service="gp")


def test_unknown_keys_are_ignored_and_missing_ones_default() -> None:
    state = ChatState.from_json({"language": "pl", "step": "rating", "mood": "cross",
                                 "retired_field": [1, 2]})
    assert state == ChatState(language="pl", step="rating")


def test_the_state_is_immutable() -> None:
    with pytest.raises(AttributeError):
        FULL.language = "en"  # type: ignore[misc]


@pytest.mark.parametrize(("state", "expected"), [
    (ChatState(language="en"), False),
    (ChatState(language="en", step="rating", done=("about", "feedback"), reprompts=1), False),
    (ChatState(language="en", pending_service="gp"), False),
    (ChatState(language="en", needs=("easy-read",), contact=True, consultation="x"), False),
    (ChatState(language="en", texts=("The nurse was kind",)), True),
    (ChatState(language="en", services=("gp",)), True),
    (ChatState(language="en", fft_rating="good"), True),
])
def test_has_content_means_something_worth_keeping_as_feedback(state: ChatState, expected: bool) -> None:
    assert state.has_content is expected
