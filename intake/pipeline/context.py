"""What stages may consult besides the draft: configuration, compiled taggers, routing targets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from intake.config import Config
from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.taggers.language import LanguageDetector
from intake.taggers.model_file import ModelFile
from intake.taggers.phrases import PhraseMatcher

if TYPE_CHECKING:  # scikit-learn takes seconds to import: only when a model is actually read
    from intake.taggers.service_model import ServiceModel
    from intake.taggers.themes import ThemeModel

SAFETY_NEGATION_WINDOW = 2
log = logging.getLogger(__name__)


class Taggers:
    """The configuration compiled into matchers once, then shared by every message.

    The learned service model is optional: pass one, or the path it is saved at (read on first
    use, and again whenever the file changes, so `intake train services` reaches a running
    service without a restart). No file, or one that cannot be read, means no model: a warning
    is logged and tagging goes on with explicit answers and keywords alone.
    """

    def __init__(self, config: Config, *, service_model: ServiceModel | None = None,
                 service_model_path: Path | None = None, theme_model: ThemeModel | None = None,
                 theme_model_path: Path | None = None) -> None:
        self.config = config
        # The theme model works the same way (see intake.taggers.model_file).
        self._theme_model = theme_model
        self._theme_file = ModelFile(theme_model_path, _load_theme_model, "theme model") \
            if theme_model_path is not None else None
        self.service_model_path = service_model_path
        self._model = service_model
        self._model_stamp: tuple[int, int] | None = None
        self._model_lock = threading.Lock()

    @property
    def service_model(self) -> ServiceModel | None:
        if self.service_model_path is None:
            return self._model
        with self._model_lock:
            try:
                status = self.service_model_path.stat()
            except OSError:
                self._model, self._model_stamp = None, None
                return None
            stamp = (status.st_mtime_ns, status.st_size)
            if stamp != self._model_stamp:
                from intake.taggers.service_model import ServiceModel, ServiceModelError

                self._model_stamp = stamp
                try:
                    self._model = ServiceModel.load(self.service_model_path,
                                                    self.config.service_model)
                except ServiceModelError as exc:
                    self._model = None
                    log.warning("Tagging without the learned service model: %s", exc)
            return self._model

    @property
    def theme_model(self) -> ThemeModel | None:
        return self._theme_file.get() if self._theme_file is not None else self._theme_model

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


def _load_theme_model(path: Path) -> ThemeModel:
    from intake.taggers.themes import ThemeModel

    return ThemeModel.load(path)


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
    # Consultations the sender was recently sent an invitation to (ids), for routing a reply.
    invitations: tuple[int, ...] = ()
    # Told each stage's name and duration (seconds) after it runs, for metrics; the stages never
    # see it. None: nothing is timed.
    on_stage: Callable[[str, float], None] | None = None

    @classmethod
    def offline(cls, config: Config, taggers: Taggers | None = None) -> PipelineContext:
        """A context with no routing targets, for tagging without a database."""
        return cls(config=config, taggers=taggers or Taggers(config))
