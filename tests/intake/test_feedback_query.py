"""The queue's page and counts, read the fast way (pinned items first in a query of their own, tag
counts from the index of active tags), give exactly what the plain queries give."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from intake.feedback_query import (
    NONE,
    TAG_FACETS,
    FeedbackFilters,
    count,
    facet_counts,
    queue_page,
    statement,
)
from intake.storage.database import make_sessions
from intake.storage.models import Feedback, FeedbackStatus, Tag
from tests.conftest import FIXED_NOW

KINDS = {"service": ["gp", "maternity", "dental"], "language": ["en", "ur"],
         "need": ["interpreter:ur", "easy-read"], "flag": ["suicide-self-harm"],
         "theme": ["Access"]}


def fill(session: Session, items: int = 60) -> None:
    """Items with a mix of tags: some with none of a kind, some retracted, a few with the same
    active tag twice, open and closed safety-flagged items, and received times that tie."""
    rng = random.Random(7)
    for number in range(items):
        feedback = Feedback(
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


@pytest.fixture
def session(engine: Engine):  # type: ignore[no-untyped-def]
    with make_sessions(engine)() as session:
        fill(session)
        yield session


FILTERS = [FeedbackFilters(), FeedbackFilters(status="new"), FeedbackFilters(service="gp"),
           FeedbackFilters(service=NONE, channel="sms"), FeedbackFilters(language="ur", need="interpreter"),
           FeedbackFilters(flag="suicide-self-harm"), FeedbackFilters(since=FIXED_NOW - timedelta(hours=10))]


@pytest.mark.parametrize("filters", FILTERS)
def test_every_page_is_the_plain_ordered_query_cut_up(session: Session, filters: FeedbackFilters) -> None:
    expected = [item.id for item in session.scalars(statement(filters, pin_flagged=True))]
    for limit in (1, 4, 25):
        pages = [[item.id for item in queue_page(session, filters, limit, offset)]
                 for offset in range(0, len(expected) + limit, limit)]
        assert [item for page in pages for item in page] == expected
        assert all(len(page) <= limit for page in pages)


def plain_counts(session: Session, filters: FeedbackFilters, facet: str) -> dict[str, int]:
    """Each value's count the slow, obvious way: filter the queue for that value."""
    values = set(session.scalars(select(Tag.value).where(Tag.kind == facet,
                                                          Tag.retracted_at.is_(None))))
    counts = {value: count(session, FeedbackFilters(**{**vars(filters), facet: value}))
              for value in values}
    counts = {value: number for value, number in counts.items() if number}
    if facet in ("service", "language", "need"):
        counts[NONE] = count(session, FeedbackFilters(**{**vars(filters), facet: NONE}))
    return counts


@pytest.mark.parametrize("filters", FILTERS)
def test_tag_counts_are_what_filtering_for_each_value_gives(session: Session,
                                                            filters: FeedbackFilters) -> None:
    for facet in TAG_FACETS:
        found = facet_counts(session, filters, facet)
        wanted = plain_counts(session, filters, facet)
        assert found == wanted, facet
