"""Made-up feedback rows with exactly the tags a test needs (no pipeline, so counts are exact)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from intake.references import ALPHABET, FEEDBACK_PREFIX, LENGTH
from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW


def reference(number: int) -> str:
    """A valid, distinct feedback reference for each number (FB-222222, FB-222223, ...)."""
    digits = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return f"{FEEDBACK_PREFIX}-" + "".join(reversed(digits))


def add_feedback(session: Session, number: int, *, channel: str = "web",
                 services: Iterable[str] = (), language: str | None = None,
                 needs: Iterable[str] = (), fft: str | None = None,
                 received_at: datetime = FIXED_NOW, text: str = "Synthetic feedback.",
                 tracker: TrackerItem | None = None, consultation: Consultation | None = None,
                 rule: str | None = "test-rule", linked_by: str | None = None,
                 redacted: str | None = None) -> Feedback:
    feedback = Feedback(reference=reference(number), channel=channel, text=text,
                        redacted_text=text if redacted is None else redacted, fft_rating=fft,
                        received_at=received_at,
                        pipeline_version="test")
    session.add(feedback)
    tags = [("service", s) for s in services] + [("need", n) for n in needs]
    if language:
        tags.append(("language", language))
    for kind, value in tags:
        session.add(Tag(feedback=feedback, kind=kind, value=value, confidence=1.0,
                        source="contributor"))
    session.flush()
    if tracker is not None:
        session.add(FeedbackTrackerLink(feedback_id=feedback.id, tracker_item_id=tracker.id,
                                        rule_id=rule, linked_by=linked_by))
    if consultation is not None:
        session.add(FeedbackConsultationLink(feedback_id=feedback.id,
                                             consultation_id=consultation.id, rule_id=rule,
                                             linked_by=linked_by))
    session.flush()
    return feedback
