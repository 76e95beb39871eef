"""Reading the routing targets (tracker items, consultations) the pure routing stage needs.

Read for every item the pipeline makes (a conversation's last turn among them), so the read is
built once, on the tables, and is one statement for both kinds: only the columns routing uses,
no ORM object per row, one round trip where there were two."""

from __future__ import annotations

from sqlalchemy import literal_column, null, select, union_all
from sqlalchemy.orm import Session

from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.storage.models import Consultation, ConsultationStatus, TrackerItem, TrackerStatus

_TRACKER, _CONSULTATIONS = TrackerItem.__table__, Consultation.__table__
# The consultations' branch comes first: a UNION's rows are typed by its first SELECT, so their
# dates come back aware, as their column type makes them. A tracker item leaves their columns empty.
_TARGETS = union_all(
    select(literal_column("'consultation'").label("kind"), _CONSULTATIONS.c.id,
           _CONSULTATIONS.c.services, _CONSULTATIONS.c.slug, _CONSULTATIONS.c.keywords,
           _CONSULTATIONS.c.opens_at, _CONSULTATIONS.c.closes_at, _CONSULTATIONS.c.status)
    .where(_CONSULTATIONS.c.status != ConsultationStatus.REPORTED),
    select(literal_column("'tracker'"), _TRACKER.c.id, _TRACKER.c.services,
           null(), null(), null(), null(), null())
    .where(_TRACKER.c.status == TrackerStatus.ACTIVE))


def load_routing_targets(session: Session
                         ) -> tuple[tuple[TrackerTarget, ...], tuple[ConsultationTarget, ...]]:
    """The active tracker items, and the consultations not yet reported."""
    tracker: list[TrackerTarget] = []
    consultations: list[ConsultationTarget] = []
    for row in session.execute(_TARGETS):
        if row.kind == "tracker":
            tracker.append(TrackerTarget(row.id, frozenset(row.services)))
        else:
            consultations.append(ConsultationTarget(
                row.id, row.slug, frozenset(row.services), tuple(row.keywords), row.opens_at,
                row.closes_at, row.status))
    return tuple(tracker), tuple(consultations)
