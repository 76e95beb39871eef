"""The governing body's assurance report for a period: every table, in the order it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from intake.config import Config
from intake.feedback_query import FeedbackFilters, count, tune_for_counting
from intake.reporting.engagement import consultations_table, tracker_tables
from intake.reporting.period import Granularity, ReportPeriod
from intake.reporting.tables import Column, Table
from intake.reporting.volumes import (
    flagged,
    over_time_table,
    reach,
    reach_table,
    share,
    volume_table,
)
from intake.staff.labels import Labels

TITLE = "Patient and public feedback: assurance report"


@dataclass(frozen=True)
class Report:
    period: ReportPeriod
    granularity: Granularity
    generated_at: datetime
    tables: tuple[Table, ...]
    title: str = TITLE

    def table(self, name: str) -> Table:
        """The table called ``name`` (KeyError if there is none)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)


def build_report(session: Session, config: Config, period: ReportPeriod, now: datetime,
                 granularity: Granularity | None = None) -> Report:
    """Count everything for ``period``. ``now`` says when the report was made (and what "status
    now" means for consultations); ``granularity`` defaults to what suits the period's length."""
    tune_for_counting(session)
    labels = Labels(config)
    granularity = granularity or period.natural_granularity()
    filters = FeedbackFilters(since=period.since, until=period.until)
    total = count(session, filters)
    found = reach(session, period, granularity)
    volumes = [
        volume_table(session, labels, filters, total, "channel", "channels", "Feedback by channel",
                     "Channel"),
        volume_table(session, labels, filters, total, "service", "services", "Feedback by service",
                     "Service", note="An item can be about more than one service, so the shares can "
                     "add up to more than 100%. \u201cNo service yet\u201d items are waiting for a "
                     "person to choose one."),
        volume_table(session, labels, filters, total, "language", "languages",
                     "Feedback by language", "Language",
                     note="The language each item was written in, as the person chose it or as "
                          "detected from the text."),
        volume_table(session, labels, filters, total, "need", "needs",
                     "Feedback by communication-support need", "Need",
                     note="Needs under the Accessible Information Standard, as stated in the "
                          "feedback or chosen on the form. An item can state more than one."),
    ]
    ratings, tracker, examples = tracker_tables(session, labels, period, filters)
    consultations = consultations_table(session, period, filters, now)
    by_rating = dict((row[0], row[1]) for row in ratings.rows)
    flags = flagged(session, filters, total)
    summary = Table(
        name="summary", title="Summary",
        columns=(Column("Measure"), Column("Number", "count"), Column("Share of items (%)", "percent")),
        rows=(
            ("Feedback items received", total, None),
            ("People who gave feedback and left contact details", found.people, None),
            ("Items with a communication-support need", found.items_with_need,
             share(found.items_with_need, total)),
            ("Items in a language other than English", found.items_in_another_language,
             share(found.items_in_another_language, total)),
            ("Items with a safety flag", flags, share(flags, total)),
            ("Tracker items reported", len(tracker.rows), None),
            ("Tracker items rated red at the end of the period", by_rating.get("Red", 0), None),
            ("Consultations reported", len(consultations.rows), None),
        ))  # type: ignore[arg-type]
    return Report(
        period=period, granularity=granularity, generated_at=now,
        tables=(summary, over_time_table(period, granularity, found), *volumes, reach_table(found),
                ratings, tracker, consultations, examples))
