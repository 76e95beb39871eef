"""The conversation's state: plain data, stored as JSON in the database between messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

CONFIRM_SERVICE = "confirm-service"
# How the parts of a feedback sent over several messages are joined into one text.
FEEDBACK_JOIN = "\n\n"


@dataclass(frozen=True)
class ChatState:
    language: str
    step: str | None = None                 # the question we are waiting for an answer to
    language_chosen: bool = False           # the person picked the language themselves
    texts: tuple[str, ...] = ()             # the feedback, possibly over several messages
    services: tuple[str, ...] = ()          # chosen or confirmed by the person
    pending_service: str | None = None      # inferred, waiting for YES/NO
    fft_rating: str | None = None
    needs: tuple[str, ...] = ()
    contact: bool | None = None
    consultation: str | None = None
    done: tuple[str, ...] = ()              # steps answered or skipped
    reprompts: int = 0
    signposted: bool = False                # told where to get urgent help (once per conversation)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatState:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)

    @property
    def has_content(self) -> bool:
        """Anything worth keeping as feedback if the conversation ends here."""
        return bool(self.texts or self.services or self.fft_rating)
