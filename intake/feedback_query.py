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

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.interfaces import ORMOption

from intake.feedback_sample import in_sample
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
NONE_FACETS = ("service", "language", "need")   # the kinds whose counts include 'none'


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
    # Only the counting sample's items (intake.feedback_sample): for estimating a broad view's
    # counts. Never in a URL: people choose views, the service chooses how to count them.
    sample: bool = False

    def without(self, name: str) -> FeedbackFilters:
        return replace(self, **{name: None})

    def sampled(self) -> FeedbackFilters:
        return replace(self, sample=True)

    def active(self) -> dict[str, Any]:
        """The filters that are set, by name (for links and for "clear this filter")."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "sample" and getattr(self, f.name) not in (None, "")}


def _exists(walking: bool, *conditions: Any) -> Any:
    """EXISTS of ``conditions``. ``walking``: tested on each item in turn, never turned into a join
    (an OFFSET keeps PostgreSQL from rewriting the subquery), for reading a broad view in the
    queue's order and stopping at the page's end; without it the planner, misjudging how many
    items a tag filter keeps (it takes kind and value to be independent), may instead join and
    sort every match (0.9 s for Urdu and interpreter over a million items, 3 ms walking)."""
    if walking:
        return select(literal(1)).where(*conditions).offset(0).exists()
    return exists().where(*conditions)


# One alias of the tag table for each kind's filter, made once (an alias made on every call
# cost 5-8 ms a page in building and caching statements): a view filters each kind once, and
# the alias keeps the condition apart from facet_counts' own query over the tag table.
_TAG_OF_KIND = {kind: aliased(Tag, name=f"{kind}_tag") for kind in TAG_FACETS}


def _tagged(kind: str, value: str, filters: FeedbackFilters, walking: bool = False) -> Any:
    tag = _TAG_OF_KIND[kind]
    active = [tag.feedback_id == Feedback.id, tag.kind == kind, tag.retracted_at.is_(None),
              *_sampled(filters, tag.feedback_id)]
    if value == NONE:
        return ~_exists(walking, *active)
    return _exists(walking, *active, _value_is(tag, kind, value))


def _value_is(tag: Any, kind: str, value: str) -> Any:
    if kind == "need" and ":" not in value:
        # "interpreter" also finds "interpreter:ur" and the like.
        return or_(tag.value == value, tag.value.like(f"{value}:%"))
    return tag.value == value


def _conditions(filters: FeedbackFilters, walking: bool = False) -> list[Any]:
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
            conditions.append(_tagged(kind, value, filters, walking))
    if filters.consultation:
        conditions.append(_exists(
            walking, FeedbackConsultationLink.feedback_id == Feedback.id,
            FeedbackConsultationLink.consultation_id == Consultation.id,
            Consultation.slug == filters.consultation))
    if filters.tracker is not None:
        conditions.append(_exists(walking, FeedbackTrackerLink.feedback_id == Feedback.id,
                                  FeedbackTrackerLink.tracker_item_id == filters.tracker))
    if filters.since:
        conditions.append(Feedback.received_at >= filters.since)
    if filters.until:
        conditions.append(Feedback.received_at < filters.until)
    if filters.text:
        text, reference = _words_in(filters, walking)
        for word in filters.text.split()[:10]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(or_(text.ilike(pattern, escape="\\"),
                                  reference.ilike(pattern, escape="\\")))
    conditions += _sampled(filters, Feedback.id)
    return conditions


def _words_in(filters: FeedbackFilters, walking: bool) -> tuple[Any, Any]:
    """The columns the word filter reads. Walking (``_exists``), expressions no index covers
    (the same text), so each item is tested as it comes: the trigram indexes would find every
    match in the whole table first (185,000 items for "interpreter" in a million: 190 ms for
    the open flagged items). Over the sample, the sample's own trigram index serves."""
    if walking:
        return Feedback.redacted_text.concat(""), Feedback.reference.concat("")
    return Feedback.redacted_text, Feedback.reference


def _sampled(filters: FeedbackFilters, item: Any) -> list[Any]:
    """With ``filters.sample``, the condition that ``item`` (a feedback id column of any table)
    is in the sample: said of the tag or link itself, so its partial index is read."""
    return [in_sample(item)] if filters.sample else []


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


# Pinned items left out of the rest by listing their ids (any database binds that many).
_LISTED_UP_TO = 5_000
# Items a broad view's page may test in the queue's order (about 2 microseconds each on two
# cores) rather than let the database find every match first: see ``_exists``.
WALK_UP_TO = 25_000


def queue_page(session: Session, filters: FeedbackFilters, limit: int, offset: int,
               options: Sequence[ORMOption] = (), share: float | None = None) -> list[Feedback]:
    """``statement(filters, pin_flagged=True)`` from ``offset``, ``limit`` items, read in two
    steps so the database never sorts every match: the pinned items (open and flagged: few, so
    their ids are read in full), then the rest in the order of the (received_at, id) index,
    skipping the pinned ones.

    ``share`` is the part of all items the view matches, when it is known to be broad (from the
    counting sample). Then the filters are tested on each open flagged item, and on each item
    in the queue's order while that finds the page within ``WALK_UP_TO`` items (``_exists``):
    the database's own plan, misjudging a tag filter, may read and sort every match instead."""
    broad = share is not None and share > 0
    walking = broad and (offset + limit) / (share or 1) <= WALK_UP_TO
    pinned_ids = session.scalars(select(Feedback.id).where(*_conditions(filters, broad), _is_pinned())
                                 .order_by(*NEWEST_FIRST)).all()
    items = _by_id(session, pinned_ids[offset:offset + limit], options)
    if len(items) < limit:
        # The rest's ids first, so the items skipped to reach a deep page are read from the
        # (received_at, id) index alone, not fetched whole; then the page's items by id.
        not_pinned = ([Feedback.id.not_in(pinned_ids)] if len(pinned_ids) <= _LISTED_UP_TO
                      else [~_is_pinned()])
        rest = session.scalars(select(Feedback.id).where(*_conditions(filters, walking), *not_pinned)
                               .order_by(*NEWEST_FIRST).limit(limit - len(items))
                               .offset(max(0, offset - len(pinned_ids)))).all()
        items += _by_id(session, rest, options)
    return items


def _by_id(session: Session, ids: Sequence[int], options: Sequence[ORMOption]) -> list[Feedback]:
    """The items with ``ids``, in that order."""
    if not ids:
        return []
    found = {item.id: item for item in session.scalars(
        select(Feedback).where(Feedback.id.in_(ids)).options(*options))}
    return [found[item_id] for item_id in ids]


def tune_for_counting(session: Session) -> None:
    """For the rest of this transaction on PostgreSQL: no JIT compilation (over a million items
    every count passes the planner's JIT threshold, and compiling costs more than it saves), and
    room for the hash tables of grouped counts. Nothing to do on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.set_config("jit", "off", True),
                               func.set_config("work_mem", "64MB", True)))


def count(session: Session, filters: FeedbackFilters) -> int:
    return session.scalar(select(func.count()).select_from(Feedback)
                          .where(*_conditions(filters))) or 0


def tagged_count(session: Session, filters: FeedbackFilters, kind: TagFacet, value: str) -> int:
    """``count`` of ``filters`` with ``kind`` set to ``value`` (not 'none'), read from the active
    tags of that value rather than by testing every matching item for one."""
    active = [Tag.kind == kind, Tag.retracted_at.is_(None), _value_is(Tag, kind, value),
              *_sampled(filters, Tag.feedback_id),
              *_among(Tag.feedback_id, _conditions(filters.without(kind)))]
    return session.scalar(select(func.count(func.distinct(Tag.feedback_id))).where(*active)) or 0


FACETS = ("status", "channel", *TAG_FACETS, "consultation", "tracker")
_COLUMNS = {"status": Feedback.status, "channel": Feedback.channel}


def _column_counts_together(session: Session, facets: list[str],
                            conditions: list[Any]) -> dict[str, dict[str, int]]:
    """Status and channel counts from one grouped pass over the matching items."""
    columns = [_COLUMNS[facet] for facet in facets]
    counts: dict[str, dict[str, int]] = {facet: {} for facet in facets}
    for *values, number in session.execute(select(*columns, func.count()).where(*conditions)
                                           .group_by(*columns)):
        for facet, value in zip(facets, values, strict=True):
            counts[facet][value] = counts[facet].get(value, 0) + number
    return counts


def _tag_counts_together(session: Session, facets: list[str], filters: FeedbackFilters,
                         conditions: list[Any], total: int) -> dict[str, dict[str, int]]:
    """Tag counts of several kinds (``total`` items matching ``filters``, whose ``conditions``
    the caller has built) from one statement:
    items per active value, and items with any active value of the kind, so 'none' is ``total``
    less those (an anti-join per kind read every item: 0.4-0.75 s each on a million). The tags
    are read from the partial index of active tags (kind, value, item), narrowed to the matching
    items only when there are filters (the sample's tags from their own index)."""
    active = [Tag.kind.in_(facets), Tag.retracted_at.is_(None), *_sampled(filters, Tag.feedback_id),
              *_among(Tag.feedback_id, conditions)]
    items = func.count(func.distinct(Tag.feedback_id))
    per_value = select(Tag.kind, Tag.value, items).where(*active).group_by(Tag.kind, Tag.value)
    with_none = [facet for facet in facets if facet in NONE_FACETS]
    per_kind = (select(Tag.kind, literal(None, Tag.value.type), items)
                .where(*active, Tag.kind.in_(with_none)).group_by(Tag.kind))
    counts: dict[str, dict[str, int]] = {facet: {} for facet in facets}
    tagged: dict[str, int] = {}
    for kind, value, number in session.execute(union_all(per_value, per_kind) if with_none
                                               else per_value):
        if value is None:
            tagged[kind] = number
        else:
            counts[kind][value] = number
    for facet in with_none:
        counts[facet][NONE] = total - tagged.get(facet, 0)
    return counts


def all_facet_counts(session: Session, filters: FeedbackFilters, total: int,
                     facets: Sequence[str] = FACETS) -> dict[str, dict[str, int]]:
    """``facet_counts`` of every facet, ``total`` being ``count(session, filters)``. Each facet not
    filtered on is counted with the same filters, so those share their statements: one grouped
    pass for status and channel, one for every tag kind."""
    return _facet_counts_together(session, filters, total, facets)[1]


def total_and_facet_counts(session: Session, filters: FeedbackFilters,
                           facets: Sequence[str] = FACETS) -> tuple[int, dict[str, dict[str, int]]]:
    """``count`` and ``all_facet_counts``; the total read from the status and channel counts when
    either is counted (every item has one status and one channel), saving a statement."""
    return _facet_counts_together(session, filters, None, facets)


def _facet_counts_together(session: Session, filters: FeedbackFilters, total: int | None,
                           facets: Sequence[str]) -> tuple[int, dict[str, dict[str, int]]]:
    chosen = filters.active()
    own = [facet for facet in facets if facet in chosen]
    counts = {facet: facet_counts(session, filters, facet) for facet in own}
    conditions = _conditions(filters)
    columns = [facet for facet in facets if facet in _COLUMNS and facet not in chosen]
    tags = [facet for facet in facets if facet in TAG_FACETS and facet not in chosen]
    if columns:
        counts |= _column_counts_together(session, columns, conditions)
    if total is None:
        total = sum(counts[columns[0]].values()) if columns else count(session, filters)
    if tags:
        counts |= _tag_counts_together(session, tags, filters, conditions, total)
    for facet in facets:
        if facet not in counts:
            counts[facet] = facet_counts(session, filters, facet)
    return total, {facet: counts[facet] for facet in facets}


def _linked(query: Select[Any], link: Any, filters: FeedbackFilters,
            conditions: list[Any]) -> Select[Any]:
    """Links counted from the link table, joined to the items only when there are filters (each
    link then tests its own item: the links are few, the items many)."""
    if not conditions:
        return query
    return (query.join(Feedback, Feedback.id == link.feedback_id)
            .where(*_sampled(filters, link.feedback_id), *conditions))


def _among(item: Any, conditions: list[Any]) -> list[Any]:
    """``item`` (a feedback id column) is one of the items ``conditions`` match: no condition at
    all when there are none, so counting links or tags never joins every item for nothing."""
    return [item.in_(select(Feedback.id).where(*conditions))] if conditions else []


def facet_counts(session: Session, filters: FeedbackFilters, facet: str,
                 others_total: int | None = None) -> dict[str, int]:
    """How many items each value of ``facet`` has, with every *other* filter applied (so the
    counts say what choosing that value would give). ``others_total``: how many items those
    other filters match, when the caller knows (the 'none' count needs it)."""
    rest = filters.without(facet)
    others = _conditions(rest)
    if facet in TAG_FACETS:
        total = others_total if others_total is not None else (
            count(session, rest) if facet in NONE_FACETS else 0)
        return _tag_counts_together(session, [facet], rest, others, total)[facet]
    column = _COLUMNS.get(facet)
    if column is not None:
        rows = session.execute(select(column, func.count()).where(*others).group_by(column))
        return {value: number for value, number in rows}
    if facet == "consultation":
        link = FeedbackConsultationLink
        query = (select(Consultation.slug, func.count(func.distinct(link.feedback_id)))
                 .join(link, link.consultation_id == Consultation.id).group_by(Consultation.slug))
        return {slug: number for slug, number in session.execute(_linked(query, link, rest, others))}
    if facet == "tracker":
        link = FeedbackTrackerLink
        query = (select(link.tracker_item_id, func.count(func.distinct(link.feedback_id)))
                 .group_by(link.tracker_item_id))
        rows = session.execute(_linked(query, link, rest, others))
        return {str(tracker): number for tracker, number in rows}
    raise ValueError(f"no facet called {facet!r}")


__all__ = ["FACETS", "NONE", "TAG_FACETS", "WALK_UP_TO", "FeedbackFilters", "all_facet_counts",
           "count", "facet_counts", "pinned", "queue_page", "statement", "tagged_count",
           "total_and_facet_counts", "tune_for_counting"]
