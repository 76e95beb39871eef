"""The queue's page and counts, read the fast way (pinned items first in a query of their own, tag
counts from the index of active tags), give exactly what the plain queries give."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from intake.feedback_query import (
    FACETS,
    NONE,
    TAG_FACETS,
    FeedbackFilters,
    all_facet_counts,
    count,
    facet_counts,
    queue_page,
    statement,
    tagged_count,
    total_and_facet_counts,
    tune_for_counting,
)
from intake.feedback_sample import in_sample
from intake.storage.database import make_sessions
from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW
from tests.intake.feedback_rows import fill, link_some


@pytest.fixture
def session(engine: Engine):  # type: ignore[no-untyped-def]
    with make_sessions(engine)() as session:
        fill(session)
        yield session


FILTERS = [FeedbackFilters(), FeedbackFilters(status="new"), FeedbackFilters(service="gp"),
           FeedbackFilters(service=NONE, channel="sms"), FeedbackFilters(language="ur", need="interpreter"),
           FeedbackFilters(flag="suicide-self-harm"), FeedbackFilters(since=FIXED_NOW - timedelta(hours=10))]


@pytest.mark.parametrize("share", [None, 1.0, 0.0001])   # joins; walking; flagged only
@pytest.mark.parametrize("filters", [*FILTERS, FeedbackFilters(tracker=1, need=NONE),
                                     FeedbackFilters(consultation="c-1", status="new")])
@pytest.mark.parametrize("listed_up_to", [5_000, 0])   # pinned ids listed, or tested
def test_every_page_is_the_plain_ordered_query_cut_up(session: Session, filters: FeedbackFilters,
                                                      share: float | None, listed_up_to: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in two steps, by any plan (joins, or each item tested in the queue's order)."""
    monkeypatch.setattr("intake.feedback_query._LISTED_UP_TO", listed_up_to)
    link_some(session)
    expected = [item.id for item in session.scalars(statement(filters, pin_flagged=True))]
    for limit in (1, 4, 25):
        pages = [[item.id for item in queue_page(session, filters, limit, offset, share=share)]
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


@pytest.mark.parametrize("filters", [*FILTERS, FeedbackFilters(status="new", service="gp", flag=NONE),
                                     FeedbackFilters(text="text 1", need=NONE)])
def test_counting_every_facet_together_gives_each_facets_own_counts(
        session: Session, filters: FeedbackFilters) -> None:
    together = all_facet_counts(session, filters, count(session, filters))
    assert list(together) == list(FACETS)
    for facet in FACETS:
        assert together[facet] == facet_counts(session, filters, facet), facet


@pytest.mark.parametrize("filters", [*FILTERS, FeedbackFilters(status="new", channel="web")])
def test_the_total_read_from_the_status_counts_is_the_count(session: Session,
                                                            filters: FeedbackFilters) -> None:
    total, counts = total_and_facet_counts(session, filters)
    assert total == count(session, filters)
    assert counts == all_facet_counts(session, filters, total)


def test_tuning_for_counting_keeps_the_answers(session: Session) -> None:
    before = {facet: facet_counts(session, FeedbackFilters(), facet) for facet in FACETS}
    tune_for_counting(session)
    assert {facet: facet_counts(session, FeedbackFilters(), facet) for facet in FACETS} == before


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize(("kind", "value"), [("need", "interpreter"), ("need", "easy-read"),
                                             ("service", "gp"), ("flag", "suicide-self-harm")])
def test_a_count_read_from_the_tags_is_the_filtered_count(
        session: Session, filters: FeedbackFilters, kind: str, value: str) -> None:
    wanted = count(session, FeedbackFilters(**{**vars(filters), kind: value}))
    assert tagged_count(session, filters, kind, value) == wanted  # type: ignore[arg-type]


@pytest.mark.parametrize("filters", FILTERS)
def test_link_counts_are_what_filtering_for_each_target_gives(session: Session,
                                                              filters: FeedbackFilters) -> None:
    link_some(session)
    trackers = {str(t): count(session, replace(filters, tracker=t))
                for t in session.scalars(select(TrackerItem.id))}
    consultations = {slug: count(session, replace(filters, consultation=slug))
                     for slug in session.scalars(select(Consultation.slug))}
    assert facet_counts(session, filters, "tracker") == {k: v for k, v in trackers.items() if v}
    assert facet_counts(session, filters, "consultation") == {k: v for k, v in consultations.items()
                                                              if v}


def test_the_sample_is_no_filter_anyone_chose() -> None:
    assert FeedbackFilters(service="gp").sampled().active() == {"service": "gp"}


@pytest.mark.parametrize("filters", [*FILTERS, FeedbackFilters(status="new", service=NONE),
                                     FeedbackFilters(tracker=1, text="text"),
                                     FeedbackFilters(consultation="c-0", need="interpreter")])
def test_counting_the_sample_counts_only_its_items(half_sampled: Session,
                                                   filters: FeedbackFilters) -> None:
    """Every count over the sample (total, each facet, links, "interpreter" in any language)
    is the exact count of a database that holds the sample's items and nothing else."""
    session, sampled = half_sampled, filters.sampled()
    total = count(session, sampled)
    together = all_facet_counts(session, sampled, total)
    interpreters = tagged_count(session, sampled, "need", "interpreter")
    assert 0 < count(session, FeedbackFilters().sampled()) < count(session, FeedbackFilters())
    for table in (Tag, FeedbackTrackerLink, FeedbackConsultationLink):
        session.execute(delete(table).where(~in_sample(table.feedback_id)))
    session.execute(delete(Feedback).where(~in_sample(Feedback.id)))
    assert count(session, filters) == total
    assert all_facet_counts(session, filters, total) == together
    assert tagged_count(session, filters, "need", "interpreter") == interpreters
