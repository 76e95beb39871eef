"""IncomingMessage JSON serialisation for the raw inbox: a lossless round trip, Urdu included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from intake.message import (
    Answers,
    Consent,
    FftRating,
    IncomingMessage,
    message_from_json,
    message_to_json,
)

URDU_TEXT = "جی پی کی سرجری میں استقبالیہ عملہ بہت مددگار تھا، شکریہ۔"
PAKISTAN_TIME = timezone(timedelta(hours=5))


def full_message(**changes: object) -> IncomingMessage:
    fields: dict[str, object] = {
        "channel": "sms",
        "provider_message_id": "SM00000000000000000000000000000001",
        "text": f"The 8am queue again. {URDU_TEXT}",
        "sender": "+447700900123",
        "received_at": datetime(2026, 11, 2, 15, 30, 5, 123456, tzinfo=PAKISTAN_TIME),
        "answers": Answers(
            language="ur",
            services=("gp", "pharmacy"),
            needs=("bsl-interpreter", "easy-read"),
            fft_rating=FftRating.POOR,
            on_behalf_of=True,
            consultation="gp-access-2026",
            consents=(
                Consent(purpose="contact-back", granted=True, wording_version="2026-01"),
                Consent(purpose="quote-anonymously", granted=False, wording_version="2026-01"),
            ),
        ),
        "metadata": {
            "entry_point": "web-form",
            "attempt": 2,
            "score": 0.75,
            "flags": ["first", "اردو"],
            "nested": {"keyword": "GP", "empty": None, "ok": True},
        },
    }
    fields.update(changes)
    return IncomingMessage(**fields)  # type: ignore[arg-type]


def round_trip(message: IncomingMessage) -> IncomingMessage:
    return message_from_json(message_to_json(message))


def test_fully_populated_message_round_trips() -> None:
    message = full_message()

    restored = round_trip(message)

    assert restored == message
    assert restored.answers == message.answers
    assert restored.metadata == message.metadata


def test_round_trip_keeps_types_not_just_values() -> None:
    restored = round_trip(full_message())

    assert isinstance(restored.answers.fft_rating, FftRating)
    assert restored.answers.fft_rating is FftRating.POOR
    assert isinstance(restored.answers.services, tuple)
    assert isinstance(restored.answers.needs, tuple)
    assert isinstance(restored.answers.consents, tuple)
    assert all(isinstance(consent, Consent) for consent in restored.answers.consents)
    assert [c.granted for c in restored.answers.consents] == [True, False]


def test_aware_received_at_keeps_its_offset() -> None:
    restored = round_trip(full_message())

    assert restored.received_at == datetime(2026, 11, 2, 10, 30, 5, 123456, tzinfo=UTC)
    assert restored.received_at.utcoffset() == timedelta(hours=5)
    assert restored.received_at.microsecond == 123456


def test_message_with_defaults_round_trips() -> None:
    message = IncomingMessage(channel="telegram", provider_message_id="123456789", text="ok")

    restored = round_trip(message)

    assert restored == message
    assert restored.sender is None
    assert restored.received_at is None
    assert restored.answers == Answers()
    assert restored.metadata == {}


def test_urdu_text_survives_and_is_stored_readably() -> None:
    message = IncomingMessage(channel="web", provider_message_id="form-1", text=URDU_TEXT,
                              answers=Answers(language="ur"), metadata={"note": "اردو"})

    raw = message_to_json(message)
    restored = message_from_json(raw)

    assert URDU_TEXT in raw  # ensure_ascii=False: no \\u escapes
    assert restored.text == URDU_TEXT
    assert restored.metadata["note"] == "اردو"


@pytest.mark.parametrize("rating", list(FftRating))
def test_every_fft_rating_round_trips(rating: FftRating) -> None:
    message = full_message(answers=Answers(fft_rating=rating))

    assert round_trip(message).answers.fft_rating is rating


@pytest.mark.parametrize("on_behalf_of", [True, False, None])
def test_on_behalf_of_keeps_false_apart_from_unknown(on_behalf_of: bool | None) -> None:
    message = full_message(answers=Answers(on_behalf_of=on_behalf_of))

    assert round_trip(message).answers.on_behalf_of is on_behalf_of


def test_serialised_form_is_plain_json_with_string_values() -> None:
    data = json.loads(message_to_json(full_message()))

    assert data["channel"] == "sms"
    assert data["received_at"] == "2026-11-02T15:30:05.123456+05:00"
    assert data["answers"]["fft_rating"] == "poor"
    assert data["answers"]["services"] == ["gp", "pharmacy"]
    assert data["answers"]["consents"][0] == {
        "purpose": "contact-back", "granted": True, "wording_version": "2026-01"}


def test_missing_optional_keys_fall_back_to_defaults() -> None:
    raw = json.dumps({"channel": "sms", "provider_message_id": "SM1", "text": "hello"})

    assert message_from_json(raw) == IncomingMessage(channel="sms", provider_message_id="SM1", text="hello")


@pytest.mark.parametrize("hint", ["pl", "ur", None])
def test_the_language_hint_round_trips(hint: str | None) -> None:
    message = full_message(language_hint=hint)

    assert round_trip(message).language_hint == hint
    assert json.loads(message_to_json(message))["language_hint"] == hint


def test_the_language_hint_is_kept_apart_from_the_chosen_language() -> None:
    restored = round_trip(full_message(answers=Answers(), language_hint="pl"))

    assert restored.language_hint == "pl"
    assert restored.answers.language is None


def test_json_stored_before_the_hint_existed_still_loads() -> None:
    data = json.loads(message_to_json(full_message(language_hint="ur")))
    del data["language_hint"]

    restored = message_from_json(json.dumps(data))

    assert restored.language_hint is None
    assert restored == full_message(language_hint=None)
