"""How much feedback came in, through which channels, about which services, in which languages,
with which communication-support needs, over time; and how far it reached people with
communication-support needs and people who wrote in a language other than English.

The volume tables count with ``feedback_query.facet_counts``, so a figure in the report is the
number staff get by filtering the queue for the same period and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from intake.feedback_query import NONE, FeedbackFilters, count, facet_counts
from intake.reporting.period import Granularity, ReportPeriod
from intake.reporting.tables import ChartSpec, Column, Table
from intake.staff.dates import local_date
from intake.staff.labels import Labels
from intake.storage.models import Contributor, Feedback, RecordedNeed, Tag

# Language tags that do not mean "another language": English, and "could not tell".
NOT_ANOTHER_LANGUAGE = ("en", "und")
ITEMS = Column("Items", "count")
SHARE = Column("Share of items (%)", "percent")


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def _active(kind: str) -> object:
    return and_(Tag.feedback_id == Feedback.id, Tag.kind == kind, Tag.retracted_at.is_(None))


def has_need() -> object:
    return exists().where(_active("need"))


def in_another_language() -> object:
    return exists().where(_active("language"), Tag.value.not_in(NOT_ANOTHER_LANGUAGE))


def volume_table(session: Session, labels: Labels, filters: FeedbackFilters, total: int,
                 facet: str, name: str, title: str, heading: str, note: str = "") -> Table:
    """Items per value of a facet (channel, service, language, need), most first."""
    counts = labels.counts(facet, facet_counts(session, filters, facet))
    rows = tuple((c.label, c.count, share(c.count, total)) for c in counts)
    return Table(name=name, title=title, columns=(Column(heading), ITEMS, SHARE), rows=rows,
                 note=note, chart=ChartSpec("bar"))


@dataclass
class Reach:
    """Items and people in the period, and how many of each had a need or another language."""

    items: int = 0
    items_with_need: int = 0
    items_in_another_language: int = 0
    people: set[int] = field(default_factory=set)
    people_with_need: set[int] = field(default_factory=set)
    people_in_another_language: set[int] = field(default_factory=set)
    received: list[tuple[datetime, bool, bool]] = field(default_factory=list)


def reach(session: Session, period: ReportPeriod) -> Reach:
    """One pass over the period's items, plus what people told us before (recorded needs and
    preferred languages), for the reach table and the over-time chart."""
    found = Reach()
    in_period = and_(Feedback.received_at >= period.since, Feedback.received_at < period.until)
    rows = session.execute(select(Feedback.received_at, Feedback.contributor_id,
                                  has_need().label("need"),      # type: ignore[attr-defined]
                                  in_another_language().label("other"))  # type: ignore[attr-defined]
                           .where(in_period))
    for received_at, contributor_id, need, other in rows:
        need, other = bool(need), bool(other)
        found.items += 1
        found.items_with_need += need
        found.items_in_another_language += other
        found.received.append((received_at, need, other))
        if contributor_id is not None:
            found.people.add(contributor_id)
            if need:
                found.people_with_need.add(contributor_id)
            if other:
                found.people_in_another_language.add(contributor_id)
    if found.people:
        people = select(Feedback.contributor_id).where(in_period).scalar_subquery()
        found.people_with_need.update(session.scalars(
            select(RecordedNeed.contributor_id).where(
                RecordedNeed.contributor_id.in_(people), RecordedNeed.recorded_at < period.until,
                or_(RecordedNeed.withdrawn_at.is_(None), RecordedNeed.withdrawn_at >= period.until))))
        found.people_in_another_language.update(session.scalars(
            select(Contributor.id).where(
                Contributor.id.in_(people), Contributor.preferred_language.is_not(None),
                Contributor.preferred_language.not_in(NOT_ANOTHER_LANGUAGE))))
    return found


def reach_table(found: Reach) -> Table:
    items, people = found.items, len(found.people)

    def row(group: str, some_items: int, some_people: int) -> tuple[object, ...]:
        return (group, some_items, share(some_items, items), some_people, share(some_people, people))

    rows = (
        row("All feedback", items, people),
        row("With a communication-support need", found.items_with_need, len(found.people_with_need)),
        row("In a language other than English", found.items_in_another_language,
            len(found.people_in_another_language)),
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
    totals = {bucket.first: [0, 0, 0] for bucket in buckets}
    bucket_of = {bucket.first + timedelta(days=offset): bucket.first for bucket in buckets
                 for offset in range((bucket.last - bucket.first).days + 1)}
    for received_at, need, other in found.received:
        counts = totals[bucket_of[local_date(received_at)]]
        counts[0] += 1
        counts[1] += need
        counts[2] += other
    rows = tuple((b.first, b.last, *totals[b.first]) for b in buckets)
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
