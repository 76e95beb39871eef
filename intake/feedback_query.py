"""Finding feedback: one set of filters for the staff queue, the API, reports and exports.

Filters are plain data (they round-trip through a URL's query string, so a view can be shared);
``statement`` turns them into SQL, and ``facet_counts`` says how many items each value of a
facet would give, for the counts beside every filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.interfaces import ORMOption

from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackStatus,
    FeedbackTrackerLink,
    Tag,
)

NONE = "none"  # a filter value meaning "has no tag of this kind" (e.g. no service: needs review)
TagFacet = Literal["service", "language", "need", "flag", "theme"]
TAG_FACETS: tuple[TagFacet, ...] = ("service", "language", "need", "flag", "theme")


@dataclass(frozen=True)
class FeedbackFilters:
    reference: str | None = None
    status: str | None = None
    channel: str | None = None
    service: str | None = None
    language: str | None = None
    need: str | None = None
    flag: str | None = None
    theme: str | None = None
    consultation: str | None = None     # a consultation's slug
    tracker: int | None = None          # a tracker item's id
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None             # words to find in the (redacted) text or the reference

    def without(self, name: str) -> FeedbackFilters:
        return replace(self, **{name: None})

    def active(self) -> dict[str, Any]:
        """The filters that are set, by name (for links and for "clear this filter")."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) not in (None, "")}


def _tagged(kind: str, value: str) -> Any:
    # An alias, so the condition also works inside facet_counts' query over Tag itself.
    tag = aliased(Tag)
    active = and_(tag.feedback_id == Feedback.id, tag.kind == kind, tag.retracted_at.is_(None))
    if value == NONE:
        return ~exists().where(active)
    if kind == "need" and ":" not in value:
        # "interpreter" also finds "interpreter:ur" and the like.
        return exists().where(active, or_(tag.value == value, tag.value.like(f"{value}:%")))
    return exists().where(active, tag.value == value)


def _conditions(filters: FeedbackFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.reference:
        conditions.append(Feedback.reference == filters.reference)
    if filters.status:
        conditions.append(Feedback.status == filters.status)
    if filters.channel:
        conditions.append(Feedback.channel == filters.channel)
    for kind in TAG_FACETS:
        value = getattr(filters, kind)
        if value:
            conditions.append(_tagged(kind, value))
    if filters.consultation:
        conditions.append(exists().where(
            FeedbackConsultationLink.feedback_id == Feedback.id,
            FeedbackConsultationLink.consultation_id == Consultation.id,
            Consultation.slug == filters.consultation))
    if filters.tracker is not None:
        conditions.append(exists().where(FeedbackTrackerLink.feedback_id == Feedback.id,
                                         FeedbackTrackerLink.tracker_item_id == filters.tracker))
    if filters.since:
        conditions.append(Feedback.received_at >= filters.since)
    if filters.until:
        conditions.append(Feedback.received_at < filters.until)
    if filters.text:
        for word in filters.text.split()[:10]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(or_(Feedback.redacted_text.ilike(pattern, escape="\\"),
                                  Feedback.reference.ilike(pattern, escape="\\")))
    return conditions


def _flagged() -> Any:
    return exists().where(Tag.feedback_id == Feedback.id, Tag.kind == "flag",
                          Tag.retracted_at.is_(None))


def _is_pinned() -> Any:
    return and_(_flagged(), Feedback.status != FeedbackStatus.CLOSED)


def pinned() -> Any:
    """1 for an open item with a safety flag (it goes to the top of the queue), else 0."""
    return case((_is_pinned(), 1), else_=0)


NEWEST_FIRST = (Feedback.received_at.desc(), Feedback.id.desc())


def statement(filters: FeedbackFilters, pin_flagged: bool = False) -> Select[tuple[Feedback]]:
    """Matching items, newest first; with ``pin_flagged``, open safety-flagged items first."""
    query = select(Feedback).where(*_conditions(filters))
    order = list(NEWEST_FIRST)
    if pin_flagged:
        order.insert(0, pinned().desc())
    return query.order_by(*order)


def queue_page(session: Session, filters: FeedbackFilters, limit: int, offset: int,
               options: Sequence[ORMOption] = ()) -> list[Feedback]:
    """``statement(filters, pin_flagged=True)`` from ``offset``, ``limit`` items, read in two
    steps so the database never sorts every match: the pinned items (open and flagged: few),
    then the rest in the order of the (received_at, id) index, skipping the pinned ones."""
    conditions = _conditions(filters)
    pinned_count = session.scalar(select(func.count()).select_from(Feedback)
                                  .where(*conditions, _is_pinned())) or 0
    items: list[Feedback] = []
    if offset < pinned_count:
        items += session.scalars(select(Feedback).where(*conditions, _is_pinned())
                                 .order_by(*NEWEST_FIRST).options(*options)
                                 .limit(limit).offset(offset))
    if len(items) < limit:
        items += session.scalars(select(Feedback).where(*conditions, ~_is_pinned())
                                 .order_by(*NEWEST_FIRST).options(*options)
                                 .limit(limit - len(items)).offset(max(0, offset - pinned_count)))
    return items


def count(session: Session, filters: FeedbackFilters) -> int:
    return session.scalar(select(func.count()).select_from(Feedback)
                          .where(*_conditions(filters))) or 0


def _tag_counts(session: Session, facet: str, others: list[Any]) -> dict[str, int]:
    """Items per active value of a tag kind among the items ``others`` match. The tags are read
    on their own (a partial index of active tags holds kind, value and item, in that order, so
    each value's items come sorted) and narrowed to the matching items only when there are
    other filters."""
    active = [Tag.kind == facet, Tag.retracted_at.is_(None)]
    if others:
        active.append(Tag.feedback_id.in_(select(Feedback.id).where(*others)))
    counts = {value: number for value, number in session.execute(
        select(Tag.value, func.count(func.distinct(Tag.feedback_id))).where(*active)
        .group_by(Tag.value))}
    if facet in ("service", "language", "need"):
        counts[NONE] = session.scalar(select(func.count()).select_from(Feedback).where(
            _tagged(facet, NONE), *others)) or 0
    return counts


def facet_counts(session: Session, filters: FeedbackFilters, facet: str) -> dict[str, int]:
    """How many items each value of ``facet`` has, with every *other* filter applied (so the
    counts say what choosing that value would give)."""
    others = _conditions(filters.without(facet))
    if facet in TAG_FACETS:
        return _tag_counts(session, facet, others)
    column = {"status": Feedback.status, "channel": Feedback.channel}.get(facet)
    if column is not None:
        rows = session.execute(select(column, func.count()).where(*others).group_by(column))
        return {value: number for value, number in rows}
    if facet == "consultation":
        rows = session.execute(
            select(Consultation.slug, func.count(func.distinct(Feedback.id)))
            .join(FeedbackConsultationLink, FeedbackConsultationLink.consultation_id == Consultation.id)
            .join(Feedback, Feedback.id == FeedbackConsultationLink.feedback_id)
            .where(*others).group_by(Consultation.slug))
        return {slug: number for slug, number in rows}
    if facet == "tracker":
        rows = session.execute(
            select(FeedbackTrackerLink.tracker_item_id, func.count(func.distinct(Feedback.id)))
            .join(Feedback, Feedback.id == FeedbackTrackerLink.feedback_id)
            .where(*others).group_by(FeedbackTrackerLink.tracker_item_id))
        return {str(tracker): number for tracker, number in rows}
    raise ValueError(f"no facet called {facet!r}")


__all__ = ["NONE", "TAG_FACETS", "FeedbackFilters", "count", "facet_counts", "pinned", "queue_page",
           "statement"]
