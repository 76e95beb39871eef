"""What the team did with the feedback: tracker items by red/amber/green rating with their next
steps, consultations and their status, and "you said, we did" examples.

Ratings are read from each item's rating history, so a report for a past period shows the rating
the item had then (at the start and at the end of the period), not the one it has today.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from intake.feedback_query import FeedbackFilters, facet_counts
from intake.reporting.period import ReportPeriod
from intake.reporting.tables import ChartSpec, Column, Table
from intake.staff.consultations import STATUS_LABELS as CONSULTATION_STATUS
from intake.staff.consultations import phase
from intake.staff.dates import local_date
from intake.staff.labels import Labels
from intake.staff.tracker import RATING_LABELS
from intake.staff.tracker import STATUS_LABELS as TRACKER_STATUS
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    RagRating,
    RagRatingChange,
    TrackerItem,
    TrackerStatus,
)

NOT_RATED = "Not rated yet"
# NHS.UK red, warm yellow and green; the rating is always written as a word as well.
RATING_COLOURS = {"Red": "#d5281b", "Amber": "#ffb81c", "Green": "#007f3b"}
_RATING_ORDER = {RagRating.RED: 0, RagRating.AMBER: 1, RagRating.GREEN: 2}


def tracker_in_period(session: Session, period: ReportPeriod) -> list[TrackerItem]:
    """Items that existed during the period and were not already completed before it began."""
    return list(session.scalars(select(TrackerItem).where(
        TrackerItem.created_at < period.until,
        or_(TrackerItem.status != TrackerStatus.COMPLETED, TrackerItem.completed_date.is_(None),
            TrackerItem.completed_date >= period.first))))


class Ratings:
    """Each item's rating (and the note that came with it) as it stood at a given moment."""

    def __init__(self, session: Session, items: list[TrackerItem], before: datetime) -> None:
        ids = [item.id for item in items]
        self._history: dict[int, list[RagRatingChange]] = {}
        for change in session.scalars(select(RagRatingChange).where(
                RagRatingChange.tracker_item_id.in_(ids), RagRatingChange.changed_at < before)
                .order_by(RagRatingChange.changed_at, RagRatingChange.id)):
            self._history.setdefault(change.tracker_item_id, []).append(change)
        # Items with any history, later changes included: one first rated after ``before``
        # was not rated yet, which is not the same as having been made before ratings were kept.
        self._kept = set(session.scalars(select(RagRatingChange.tracker_item_id).where(
            RagRatingChange.tracker_item_id.in_(ids)).distinct()))

    def at(self, item: TrackerItem, moment: datetime) -> tuple[str | None, str]:
        """(rating, note) at ``moment``: None before its first rating. An item with no history
        at all (made before ratings were kept) has the rating stored on it throughout."""
        if item.id not in self._kept:
            return item.rag_rating, ""
        earlier = [c for c in self._history.get(item.id, []) if c.changed_at < moment]
        return (earlier[-1].rating, earlier[-1].note) if earlier else (None, "")


def _rating_label(rating: str | None) -> str:
    if rating is None:
        return NOT_RATED
    try:
        return RATING_LABELS[RagRating(rating)]
    except ValueError:
        return rating


def tracker_tables(session: Session, labels: Labels, period: ReportPeriod,
                   filters: FeedbackFilters) -> tuple[Table, Table, Table]:
    """The ratings summary, every item with its next steps, and "you said, we did"."""
    items = tracker_in_period(session, period)
    ratings = Ratings(session, items, period.until)
    linked = facet_counts(session, filters, "tracker")
    rows = []
    for item in items:
        start, _ = ratings.at(item, period.since)
        end, why = ratings.at(item, period.until)
        rows.append((item, start, end, why))
    rows.sort(key=lambda r: (_RATING_ORDER.get(r[2], 9), r[0].title.casefold(), r[0].id))  # type: ignore[arg-type]

    at_end = Counter(_rating_label(end) for _, _, end, _ in rows)
    at_start = Counter(_rating_label(start) for _, start, _, _ in rows)
    order = [*RATING_LABELS.values(), *([NOT_RATED] if at_start[NOT_RATED] or at_end[NOT_RATED] else [])]
    summary = Table(
        name="tracker_ratings", title="Tracker items by rating",
        columns=(Column("Rating", "rating"), Column("At the end of the period", "count"),
                 Column("At the start of the period", "count")),
        rows=tuple((label, at_end[label], at_start[label]) for label in order) if rows else (),
        chart=ChartSpec("bar", values=(1,), colours=RATING_COLOURS),
        note="Red: not on track, needs the governing body's attention. Amber: some risk to "
             "delivery. Green: on track. The chart shows the ratings at the end of the period; items "
             "count at the start only if they had a rating then.",
        empty="No tracker items in this period.")

    def services(item: TrackerItem) -> str:
        return "; ".join(labels.service(s) for s in item.services)

    def status(item: TrackerItem) -> str:
        try:
            return TRACKER_STATUS[TrackerStatus(item.status)]
        except ValueError:
            return item.status

    detail = Table(
        name="tracker", title="Tracker items and next steps",
        columns=(Column("Tracker item"), Column("Rating at the end", "rating"),
                 Column("Rating at the start", "rating"), Column("Why this rating"),
                 Column("Status now"), Column("Owner"), Column("Services"), Column("Next steps"),
                 Column("Expected impact"), Column("Due", "date"), Column("Completed", "date"),
                 Column("Feedback linked in the period", "count")),
        rows=tuple((item.title, _rating_label(end), _rating_label(start), why, status(item),
                    item.owner, services(item), item.next_steps, item.expected_impact,
                    item.due_date, item.completed_date, linked.get(str(item.id), 0))
                   for item, start, end, why in rows),
        layout="records", empty="No tracker items in this period.")
    examples = Table(
        name="you_said_we_did", title="You said, we did",
        columns=(Column("Tracker item"), Column("Services"), Column("You said"), Column("We did")),
        rows=tuple((item.title, services(item), item.description, item.you_said_we_did)
                   for item, *_ in rows if item.you_said_we_did.strip()),
        layout="records", empty="No tracker item has a \u201cyou said, we did\u201d summary yet.")
    return summary, detail, examples


def consultations_table(session: Session, period: ReportPeriod, filters: FeedbackFilters,
                        now: datetime) -> Table:
    """Consultations that ran during the period, are planned or open now, or had responses in
    the period, with their status today."""
    in_period = facet_counts(session, filters, "consultation")
    everything = facet_counts(session, FeedbackFilters(), "consultation")
    overlapping = (Consultation.opens_at.is_not(None) & (Consultation.opens_at < period.until)
                   & (Consultation.closes_at.is_(None) | (Consultation.closes_at >= period.since)))
    current = Consultation.status.in_([ConsultationStatus.PLANNED, ConsultationStatus.OPEN])
    found = session.scalars(select(Consultation).where(
        Consultation.created_at < period.until,
        or_(overlapping, current, Consultation.slug.in_(list(in_period))))
        .order_by(Consultation.opens_at.is_(None), Consultation.opens_at, Consultation.title))

    def when(moment: datetime | None) -> object:
        return local_date(moment) if moment else None

    rows = []
    for consultation in found:
        state = phase(consultation, now)
        rows.append((consultation.title, CONSULTATION_STATUS.get(state, state),
                     when(consultation.opens_at), when(consultation.closes_at),
                     in_period.get(consultation.slug, 0), everything.get(consultation.slug, 0)))
    return Table(
        name="consultations", title="Consultations",
        columns=(Column("Consultation"), Column("Status now"), Column("Opens", "date"),
                 Column("Closes", "date"), Column("Responses in the period", "count"),
                 Column("Responses in all", "count")),
        rows=tuple(rows),  # type: ignore[arg-type]
        empty="No consultations ran in this period.")
