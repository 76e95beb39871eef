"""Words staff read instead of ids: "GP surgery" for ``gp``, "Spoken-language interpreter (Urdu)"
for ``interpreter:ur``. Everything comes from the configuration, so a renamed service is renamed
everywhere; an id the configuration no longer has is shown as it is stored."""

from __future__ import annotations

from dataclasses import dataclass

from intake.config import Config
from intake.feedback_query import NONE
from intake.message import FftRating
from intake.pipeline.stages.needs import INTERPRETER_PREFIX
from intake.storage.models import FeedbackStatus

FFT_LABELS = {
    FftRating.VERY_GOOD: "Very good",
    FftRating.GOOD: "Good",
    FftRating.NEITHER: "Neither good nor poor",
    FftRating.POOR: "Poor",
    FftRating.VERY_POOR: "Very poor",
    FftRating.DONT_KNOW: "Don't know",
}
STATUS_LABELS = {
    FeedbackStatus.NEW: "New",
    FeedbackStatus.IN_REVIEW: "In review",
    FeedbackStatus.ACTIONED: "Actioned",
    FeedbackStatus.CLOSED: "Closed",
}
CHANNEL_LABELS = {"sms": "SMS", "telegram": "Telegram", "web": "Web form",
                  "cli": "Entered by staff", "import": "Imported from a file"}
NONE_LABELS = {"service": "No service yet", "language": "No language yet",
               "need": "No need recorded", "flag": "No safety flag", "theme": "No theme"}


@dataclass(frozen=True)
class Count:
    """How many items have one value of a facet, with the value's label."""

    value: str
    label: str
    count: int


class Labels:
    def __init__(self, config: Config) -> None:
        self.config = config

    def service(self, value: str) -> str:
        service = self.config.service(value)
        return service.name if service else value

    def language(self, code: str) -> str:
        language = self.config.language(code)
        return language.name if language else code

    def need(self, value: str) -> str:
        if value.startswith(INTERPRETER_PREFIX):
            language = self.language(value.removeprefix(INTERPRETER_PREFIX))
            return f"{self.config.needs.interpreter.label} ({language})"
        need = self.config.needs_by_id.get(value)
        return need.label if need else value

    def flag(self, value: str) -> str:
        flag = next((f for f in self.config.safety.flags if f.id == value), None)
        return flag.label if flag else value

    def channel(self, channel: str) -> str:
        return CHANNEL_LABELS.get(channel, channel)

    def status(self, status: str) -> str:
        return STATUS_LABELS.get(status, status)  # type: ignore[call-overload, no-any-return]

    def fft(self, rating: str | None) -> str:
        try:
            return FFT_LABELS[FftRating(rating)] if rating else ""
        except ValueError:
            return rating or ""

    def label(self, kind: str, value: str) -> str:
        if value == NONE:
            return NONE_LABELS.get(kind, "None")
        show = {"service": self.service, "language": self.language, "need": self.need,
                "flag": self.flag, "channel": self.channel, "status": self.status}.get(kind)
        return show(value) if show else value

    def counts(self, kind: str, counts: dict[str, int]) -> list[Count]:
        """Largest first (then by label); "none" last; values nobody has left out."""
        found = [Count(value, self.label(kind, value), number)
                 for value, number in counts.items() if number and value != NONE]
        found.sort(key=lambda c: (-c.count, c.label.casefold()))
        if counts.get(NONE):
            found.append(Count(NONE, self.label(kind, NONE), counts[NONE]))
        return found
