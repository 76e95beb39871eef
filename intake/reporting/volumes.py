"""How much feedback came in, through which channels, about which services, in which languages,
with which communication-support needs, over time; and how far it reached people with
communication-support needs and people who wrote in a language other than English.

The volume tables count with ``feedback_query.facet_counts``, so a figure in the report is the
number staff get by filtering the queue for the same period and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from intake.feedback_query import NONE, FeedbackFilters, count, facet_counts
from intake.reporting.period import Granularity, ReportPeriod
from intake.reporting.tables import ChartSpec, Column, Table
from intake.staff.dates import start_of_day
from intake.staff.labels import Labels
from intake.storage.models import Contributor, Feedback, RecordedNeed, Tag

# Language tags that do not mean "another language": English, and "could not tell".
NOT_ANOTHER_LANGUAGE = ("en", "und")
ITEMS = Column("Items", "count")
SHARE = Column("Share of items (%)", "percent")


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def volume_table(session: Session, labels: Labels, filters: FeedbackFilters, total: int,
                 facet: str, name: str, title: str, heading: str, note: str = "") -> Table:
    """Items per value of a facet (channel, service, language, need), most first."""
    counts = labels.counts(facet, facet_counts(session, filters, facet))
    rows = tuple((c.label, c.count, share(c.count, total)) for c in counts)
    return Table(name=name, title=title, columns=(Column(heading), ITEMS, SHARE), rows=rows,
                 note=note, chart=ChartSpec("bar"))


@dataclass
class Reach:
    """Items and people in the period, how many of each had a need or another language, and the
    items of each chart bucket: ``over_time[i]`` is (items, with a need, not in English)."""

    items: int = 0
    items_with_need: int = 0
    items_in_another_language: int = 0
    people: int = 0
    people_with_need: int = 0
    people_in_another_language: int = 0
    over_time: list[tuple[int, int, int]] = field(default_factory=list)


def _item_has_need() -> Any:
    """Uncorrelated, so the database reads the need tags once (a hashed sub-plan), not per item."""
    return Feedback.id.in_(select(Tag.feedback_id).where(
        Tag.kind == "need", Tag.retracted_at.is_(None)))


def _item_in_another_language() -> Any:
    return Feedback.id.in_(select(Tag.feedback_id).where(
        Tag.kind == "language", Tag.retracted_at.is_(None), Tag.value.not_in(NOT_ANOTHER_LANGUAGE)))


def _as_number(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def bucket_index(starts: list[datetime], low: int = 0, high: int | None = None) -> Any:
    """The index of the bucket an item's received_at falls in, given each bucket's first moment
    (ascending; an item is never before the first): a balanced tree of CASEs, so each item takes
    a handful of comparisons however many buckets there are, in any SQL dialect."""
    high = len(starts) - 1 if high is None else high
    if low == high:
        return literal(low)
    middle = (low + high + 1) // 2
    return case((Feedback.received_at < starts[middle], bucket_index(starts, low, middle - 1)),
                else_=bucket_index(starts, middle, high))


def _over_time(session: Session, in_period: Any, starts: list[datetime]) -> list[tuple[int, int, int]]:
    bucket = bucket_index(starts).label("bucket")
    flags = select(bucket, _as_number(_item_has_need()).label("need"),
                   _as_number(_item_in_another_language()).label("other")).where(in_period).subquery()
    totals = [(0, 0, 0)] * len(starts)
    for index, items, need, other in session.execute(
            select(flags.c.bucket, func.count(), func.sum(flags.c.need), func.sum(flags.c.other))
            .group_by(flags.c.bucket)):
        totals[index] = (items, int(need or 0), int(other or 0))
    return totals


def _people(session: Session, period: ReportPeriod, in_period: Any) -> tuple[int, int, int]:
    """People in the period; those with a need (stated in the period or recorded before and not
    withdrawn by its end); those who wrote in another language or chose one."""
    recorded = select(RecordedNeed.contributor_id).where(
        RecordedNeed.recorded_at < period.until,
        or_(RecordedNeed.withdrawn_at.is_(None), RecordedNeed.withdrawn_at >= period.until))
    prefers = select(Contributor.id).where(
        Contributor.preferred_language.is_not(None),
        Contributor.preferred_language.not_in(NOT_ANOTHER_LANGUAGE))
    person = Feedback.contributor_id
    people, with_need, other = session.execute(select(
        func.count(func.distinct(person)),
        func.count(func.distinct(case((or_(_item_has_need(), person.in_(recorded)), person)))),
        func.count(func.distinct(case((or_(_item_in_another_language(), person.in_(prefers)),
                                       person))))).where(in_period, person.is_not(None))).one()
    return people, with_need, other


def reach(session: Session, period: ReportPeriod, granularity: Granularity) -> Reach:
    """The reach table's and the over-time chart's figures, counted by the database (a million
    items are a few grouped scans, not a million rows sent to Python)."""
    in_period = and_(Feedback.received_at >= period.since, Feedback.received_at < period.until)
    over_time = _over_time(session, in_period,
                           [start_of_day(b.first) for b in period.buckets(granularity)])
    people, people_with_need, people_in_another_language = _people(session, period, in_period)
    return Reach(items=sum(b[0] for b in over_time), items_with_need=sum(b[1] for b in over_time),
                 items_in_another_language=sum(b[2] for b in over_time), people=people,
                 people_with_need=people_with_need,
                 people_in_another_language=people_in_another_language, over_time=over_time)


def reach_table(found: Reach) -> Table:
    items, people = found.items, found.people

    def row(group: str, some_items: int, some_people: int) -> tuple[object, ...]:
        return (group, some_items, share(some_items, items), some_people, share(some_people, people))

    rows = (
        row("All feedback", items, people),
        row("With a communication-support need", found.items_with_need, found.people_with_need),
        row("In a language other than English", found.items_in_another_language,
            found.people_in_another_language),
    )
    return Table(
        name="reach", title="Reach: communication-support needs and other languages",
        columns=(Column("Group"), ITEMS, SHARE, Column("People", "count"),
                 Column("Share of people (%)", "percent")),
        rows=rows,  # type: ignore[arg-type]
        chart=ChartSpec("bar", values=(2, 4)),
        note="People are counted when they left contact details, which lets us recognise the same "
             "person across messages; feedback sent without them counts as items only. A person "
             "has a need if any of their feedback in the period states one or they told us about "
             "one before; they are counted in another language if they wrote in one or chose one.")


def over_time_table(period: ReportPeriod, granularity: Granularity, found: Reach) -> Table:
    buckets = period.buckets(granularity)
    rows = tuple((b.first, b.last, *counts) for b, counts in zip(buckets, found.over_time, strict=True))
    unit = "week" if granularity == "week" else "month"
    return Table(
        name="over_time", title=f"Feedback received by {unit}",
        columns=(Column("From", "date"), Column("To", "date"), ITEMS,
                 Column("With a support need", "count"), Column("Not in English", "count")),
        rows=rows,  # type: ignore[arg-type]
        chart=ChartSpec("line", values=(2, 3, 4)),
        point_labels=tuple(b.label for b in buckets),
        note=("Weeks run Monday to Sunday; the first and last weeks count only the days inside "
              "the period." if granularity == "week" else
              "The first and last months count only the days inside the period."))


def flagged(session: Session, filters: FeedbackFilters, total: int) -> int:
    """Items with at least one safety flag."""
    return total - count(session, replace(filters, flag=NONE))
