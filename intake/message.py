"""The channel-neutral message every channel adapter hands to the core.

A channel (SMS, Telegram, a web form, the command line) parses its provider's request into an
``IncomingMessage`` and knows nothing else about the pipeline; the core knows nothing of providers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class FftRating(StrEnum):
    """The six answers to the Friends and Family Test question, in NHS England's order."""

    VERY_GOOD = "very-good"
    GOOD = "good"
    NEITHER = "neither-good-nor-poor"
    POOR = "poor"
    VERY_POOR = "very-poor"
    DONT_KNOW = "dont-know"


@dataclass(frozen=True)
class Consent:
    """Something the person agreed (or declined) to, with the exact wording version shown."""

    purpose: str
    granted: bool
    wording_version: str


@dataclass(frozen=True)
class Answers:
    """What the person told us explicitly; explicit answers always win over inference."""

    language: str | None = None
    services: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    fft_rating: FftRating | None = None
    on_behalf_of: bool | None = None
    consultation: str | None = None
    consents: tuple[Consent, ...] = ()


@dataclass(frozen=True)
class IncomingMessage:
    """One piece of feedback as it arrived, before any interpretation.

    ``provider_message_id`` is the provider's own id (Twilio's MessageSid, Telegram's update id) or
    one the channel makes; it is unique per channel, which is what makes retries harmless.
    ``sender`` is the reply address on that channel; it is encrypted before it is stored.
    ``sender_channel`` is the channel that address belongs to when it is not the message's own
    (a web form giving a mobile number for follow-ups by SMS).
    """

    channel: str
    provider_message_id: str
    text: str
    sender: str | None = None
    received_at: datetime | None = None
    answers: Answers = Answers()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    sender_channel: str | None = None
    # The language the channel suggests but the person did not choose (an app's interface
    # language, the form's language): a prior for detection, never the answer by itself.
    language_hint: str | None = None

    @property
    def address_channel(self) -> str:
        return self.sender_channel or self.channel


def message_to_json(message: IncomingMessage) -> str:
    """Serialise for the raw inbox (the result is encrypted before it is stored)."""
    answers = message.answers
    return json.dumps({
        "channel": message.channel,
        "provider_message_id": message.provider_message_id,
        "text": message.text,
        "sender": message.sender,
        "sender_channel": message.sender_channel,
        "language_hint": message.language_hint,
        "received_at": message.received_at.isoformat() if message.received_at else None,
        "answers": {
            "language": answers.language,
            "services": list(answers.services),
            "needs": list(answers.needs),
            "fft_rating": answers.fft_rating.value if answers.fft_rating else None,
            "on_behalf_of": answers.on_behalf_of,
            "consultation": answers.consultation,
            "consents": [vars(c) for c in answers.consents],
        },
        "metadata": dict(message.metadata),
    }, ensure_ascii=False, default=str)


def message_from_json(raw: str) -> IncomingMessage:
    data = json.loads(raw)
    answers = data.get("answers") or {}
    rating = answers.get("fft_rating")
    return IncomingMessage(
        channel=data["channel"],
        provider_message_id=data["provider_message_id"],
        text=data["text"],
        sender=data.get("sender"),
        sender_channel=data.get("sender_channel"),
        language_hint=data.get("language_hint"),
        received_at=datetime.fromisoformat(data["received_at"]) if data.get("received_at") else None,
        answers=Answers(
            language=answers.get("language"),
            services=tuple(answers.get("services") or ()),
            needs=tuple(answers.get("needs") or ()),
            fft_rating=FftRating(rating) if rating else None,
            on_behalf_of=answers.get("on_behalf_of"),
            consultation=answers.get("consultation"),
            consents=tuple(Consent(**c) for c in answers.get("consents") or ()),
        ),
        metadata=data.get("metadata") or {},
    )
