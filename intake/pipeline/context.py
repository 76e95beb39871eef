"""What stages may consult besides the draft: configuration, compiled taggers, routing targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from intake.config import Config
from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.taggers.language import LanguageDetector
from intake.taggers.phrases import PhraseMatcher

SAFETY_NEGATION_WINDOW = 2


class Taggers:
    """The configuration compiled into matchers once, then shared by every message."""

    def __init__(self, config: Config) -> None:
        self.config = config

    @cached_property
    def language(self) -> LanguageDetector:
        languages = self.config.languages
        return LanguageDetector(languages.languages, self.config.limits.min_language_letters,
                                no_signal=frozenset(languages.no_signal_words))

    @cached_property
    def services(self) -> PhraseMatcher:
        return PhraseMatcher({
            service.id: [word for words in service.keywords.values() for word in words]
            for service in self.config.services
        })

    @cached_property
    def needs(self) -> PhraseMatcher:
        needs = self.config.needs
        phrases = {
            need.id: [p for ps in need.phrases.values() for p in ps]
            for need in (*needs.needs, needs.interpreter)
        }
        for entry in needs.interpreter_languages:
            phrases[f"interpreter:{entry.language}"] = entry.names
        negations = [cue for cues in needs.negations.values() for cue in cues]
        return PhraseMatcher(phrases, negations)

    @cached_property
    def safety(self) -> PhraseMatcher:
        safety = self.config.safety
        # A narrow negation window: only "not suicidal", never "I'm not okay and I want to die".
        return PhraseMatcher(
            {flag.id: [p for ps in flag.phrases.values() for p in ps] for flag in safety.flags},
            [cue for cues in safety.negations.values() for cue in cues],
            negation_window=SAFETY_NEGATION_WINDOW,
        )


@dataclass(frozen=True)
class PipelineContext:
    """Everything outside the message that a stage may read. Built at the edge, passed in."""

    config: Config
    taggers: Taggers
    tracker_items: tuple[TrackerTarget, ...] = ()
    consultations: tuple[ConsultationTarget, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # What we know of the sender's languages (code -> weight): their preferred language and
    # the languages of their earlier messages. Tips close calls in detection.
    language_prior: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def offline(cls, config: Config, taggers: Taggers | None = None) -> PipelineContext:
        """A context with no routing targets, for tagging without a database."""
        return cls(config=config, taggers=taggers or Taggers(config))
