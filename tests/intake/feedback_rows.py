"""Synthetic feedback rows for the tests of the queue's queries and counts: a mix of tags
(some retracted, some twice), open and closed flagged items, tied times, links, and ids chosen
in or out of the counting sample."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from itertools import count as numbers

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.feedback_sample import is_in_sample
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    FeedbackConsultationLink,
    FeedbackStatus,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW

KINDS = {"service": ["gp", "maternity", "dental"], "language": ["en", "ur"],
         "need": ["interpreter:ur", "easy-read"], "flag": ["suicide-self-harm"],
         "theme": ["Access"]}


def fill(session: Session, items: int = 60, ids: Sequence[int] | None = None) -> None:
    """Items with a mix of tags: some with none of a kind, some retracted, a few with the same
    active tag twice, open and closed safety-flagged items, and received times that tie."""
    rng = random.Random(7)
    for number in range(items):
        feedback = Feedback(
            id=ids[number] if ids else None,
            reference=f"FB-{number:06d}", channel=rng.choice(["sms", "web"]), text="t",
            redacted_text=f"text {number}", status=rng.choice(list(FeedbackStatus)),
            received_at=FIXED_NOW - timedelta(hours=number // 2), pipeline_version="test")
        session.add(feedback)
        for kind, values in KINDS.items():
            chance = 0.15 if kind == "flag" else 0.7
            for value in rng.sample(values, k=len(values)):
                if rng.random() < chance:
                    feedback.tags.append(Tag(kind=kind, value=value, confidence=1.0, source="auto",
                                             retracted_at=FIXED_NOW if rng.random() < 0.2 else None))
                    if rng.random() < 0.1:   # the same value twice: counted once
                        feedback.tags.append(Tag(kind=kind, value=value, confidence=1.0,
                                                 source="staff"))
    session.flush()


def half_in_the_sample(items: int) -> list[int]:
    """Ids for ``items`` items, alternately in the counting sample and out of it."""
    inside = (n for n in numbers(1) if is_in_sample(n))
    outside = (n for n in numbers(1) if not is_in_sample(n))
    return [next(inside) if number % 2 else next(outside) for number in range(items)]


def link_some(session: Session) -> None:
    """Two tracker items and two consultations, each linked to some of the items."""
    trackers = [TrackerItem(title=f"Tracker {n}", services=[], created_at=FIXED_NOW,
                            updated_at=FIXED_NOW) for n in range(2)]
    consultations = [Consultation(slug=f"c-{n}", title=f"C {n}", status=ConsultationStatus.OPEN,
                                  created_at=FIXED_NOW) for n in range(2)]
    session.add_all([*trackers, *consultations])
    session.flush()
    for number, item in enumerate(session.scalars(select(Feedback).order_by(Feedback.id))):
        if number % 3 == 0:
            session.add(FeedbackTrackerLink(feedback_id=item.id, tracker_item_id=trackers[number % 2].id))
        if number % 4 == 0:
            session.add(FeedbackConsultationLink(feedback_id=item.id,
                                                 consultation_id=consultations[number % 8 // 4].id))
    session.flush()
